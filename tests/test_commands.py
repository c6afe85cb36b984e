"""The msgrspec command: validate, export and idl work from any folder on the shipped spec."""
from __future__ import annotations

import json
import subprocess
import sys

import jsonschema

from msgrspec import load_spec, resources
from msgrspec.export import EXPORT_VERSION, export


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "msgrspec", *args], capture_output=True, text=True, cwd=cwd)


def test_validate_the_shipped_spec_from_elsewhere(tmp_path):
    result = run("validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: MessengerPrivate 1.0:")


def test_validate_a_given_folder(mini_spec, tmp_path):
    result = run("validate", str(mini_spec), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "MiniLib" in result.stdout


def test_export_is_valid_against_its_schema(tmp_path):
    result = run("export", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    jsonschema.Draft202012Validator(resources.schema("export")).validate(document)
    assert document["version"] == EXPORT_VERSION
    spec = load_spec()
    assert set(document["interfaces"]) == set(spec.interfaces)
    assert document["hresults"]["SR_APP_ALREADY_REGISTERED"]["hex"] == "0x8100060D"
    assert document["spec_sha256"] == spec.digest


def test_export_schema_rejects_a_damaged_document():
    document = export(load_spec())
    del document["interfaces"]["IMsgrSessionManager"]["vtable"]
    errors = list(jsonschema.Draft202012Validator(resources.schema("export")).iter_errors(document))
    assert any("'vtable' is a required property" in e.message for e in errors)


def test_export_carries_every_cell_of_the_state_machines():
    document = json.loads(json.dumps(export(load_spec())))
    session = document["state_machines"]["SESSION_STATE"]
    cells = {cell["id"]: cell for cell in session["cells"]}
    accept = cells["SESSION_STATE@SS_INVITATION:Accept/invitee"]["outcomes"][0]
    assert (accept["code"], accept["to_state"], accept["through"]) == ("S_OK", "SS_CONNECTED", ["SS_ACCEPTED"])
    assert accept["peer"]["events"][0] == {"name": "OnAccepted", "args": []}
    assert cells["SESSION_STATE@SS_READY:Cancel/inviter"]["unspecified"]
    del session["cells"][0]["outcomes"]
    errors = list(jsonschema.Draft202012Validator(resources.schema("export")).iter_errors(document))
    assert any("'outcomes' is a required property" in e.message for e in errors)


def test_export_vtable_counts_inherited_slots():
    document = export(load_spec())
    manager = document["interfaces"]["IMsgrSessionManager"]
    assert [m["name"] for m in manager["members"]][:2] == ["CreateSession", "GetLaunchingSession"]
    assert manager["members"][0]["slots"] == [7]  # after IUnknown's 3 and IDispatch's 4
    lock = document["interfaces"]["IMsgrLock"]
    assert lock["members"][0]["slots"] == [3]  # IMsgrLock derives from IUnknown


def test_idl_to_a_file(tmp_path):
    target = tmp_path / "out.idl"
    result = run("idl", "-o", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "library MessengerPrivate" in target.read_text()


def test_idl_to_an_unwritable_place_is_a_clear_error(tmp_path):
    result = run("idl", "-o", str(tmp_path / "no" / "such" / "dir" / "x.idl"), cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "x.idl" in result.stderr


def test_the_digest_follows_the_content(mini_spec):
    before = load_spec(mini_spec).digest
    path = mini_spec / "interfaces" / "IMini.yaml"
    path.write_text(path.read_text().replace("A tiny interface.", "A small interface."))
    assert load_spec(mini_spec).digest != before
