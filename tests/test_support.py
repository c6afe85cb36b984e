"""`msgrspec support`: support statements from reports made by running the suite, read back against the schema."""
from __future__ import annotations

import json
import subprocess

import jsonschema
import pytest

from msgrspec.loader import load_spec
from msgrspec.resources import schema
from suite_reports import COMMAND

SEEDED_ID = "SESSION_STATE.SS_CONNECTED#value"
REFERENCE = "msgrspec reference implementation 0.1.0 [reference]"
MINE = "my implementation 1.0 [seeded:before]"


@pytest.fixture(scope="module")
def statements(suite_reports, tmp_path_factory):
    out = tmp_path_factory.mktemp("support") / "support.json"
    run = subprocess.run([COMMAND, "support", "-o", str(out), *(str(suite_reports[name]) for name in
                                                                ("reference", "before", "no_lock"))],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout == "", run.stdout + run.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema("support"))
    jsonschema.Draft202012Validator(schema("support")).validate(document)
    return document


def by_status(document: dict, label: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, entry in document["items"].items():
        found.setdefault(entry["support"][label]["status"], set()).add(name)
    return found


def test_every_item_of_the_spec_has_a_statement_per_implementation(statements):
    spec = load_spec()
    assert statements["spec_sha256"] == spec.digest
    assert {"IMsgrSession", "IMsgrSession.Invite", "DMsgrSessionEvents.OnAccepted", "SESSION_STATE",
            "SESSION_STATE.SS_READY"} <= set(statements["items"])
    assert statements["items"]["IMsgrSession.Invite"]["kind"] == "method"
    assert all(len(entry["support"]) == 3 for entry in statements["items"].values())
    assert statements["implementations"][MINE] == {
        "name": "my implementation", "version": "1.0", "product": "Messenger 4.5", "adapter": "seeded:before",
        "report": statements["implementations"][MINE]["report"], "spec_sha256": spec.digest}


def test_the_reference_supports_everything_it_is_tested_on(statements):
    statuses = by_status(statements, REFERENCE)
    assert set(statuses) <= {"supported", "untested"} and len(statuses["supported"]) > 100, statuses.keys()
    entry = statements["items"]["IMsgrSession.Invite"]["support"][REFERENCE]
    assert entry["version_added"] == "0.1.0" and entry["product"] == "Messenger 4.5" and entry["passed"] > 5


def test_the_seeded_fault_makes_its_enumeration_partial_and_nothing_else(statements):
    statuses = by_status(statements, MINE)
    assert statuses.get("partial") == {"SESSION_STATE"} and statuses.get("absent") == {"SESSION_STATE.SS_CONNECTED"}
    entry = statements["items"]["SESSION_STATE"]["support"][MINE]
    assert entry["failing"] == [SEEDED_ID] and entry["partial_implementation"] is True
    assert entry["version_added"] == "1.0"
    assert statements["items"]["SESSION_STATE.SS_CONNECTED"]["support"][MINE]["version_added"] is False


def test_a_missing_lock_interface_makes_the_lock_partial(statements):
    label = next(label for label in statements["implementations"] if "no_imsgrlock_interface" in label)
    statuses = by_status(statements, label)
    assert {"IMsgrLock", "IMsgrLock.RequestChallenge", "IMsgrLock.SendResponse"} <= statuses["partial"]
    assert "SESSION_FLAGS" in statuses["supported"]  # an item the lock does not guard
    lock = statements["items"]["IMsgrLock"]["support"][label]
    assert "lock.request.challenge" in lock["failing"] and lock["passed"] > 0  # its type information is right
