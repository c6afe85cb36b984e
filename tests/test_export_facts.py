"""`msgrspec export` checked against expectations the exporter did not make.

Two independent sources: the type library's facts (tests/data/msgrpriv-typelib.yaml), field by field for
every GUID, DISPID, vtable slot and parameter; and the spec's YAML files as a plain YAML parser reads them
(yaml.safe_load, not msgrspec's loader), every field the YAML states being in the export with the same
value. The export is read as the command prints it (JSON), so what is checked is what users get.
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import upstream as up
from msgrspec import load_spec

SPEC = Path(__file__).resolve().parents[1] / "spec"
TL = yaml.safe_load(up.TYPELIB.read_text(encoding="utf-8"))
#: slots an interface inherits, by base (IUnknown's three, and IDispatch's four more)
INHERITED = {"IUnknown": 3, "IDispatch": 7}
#: keys of the facts file that hold remarks in words, not facts
REMARKS = ("note", "inferred")
#: YAML keys the export spells another way: (section, key) -> {YAML subkey: export key}
RENAMED = {("interfaces", "external"): {"library": "external_library", "libid": "external_libid"}}


@pytest.fixture(scope="module")
def document() -> dict:
    run = subprocess.run([sys.executable, "-m", "msgrspec", "export"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def spec():
    """The loaded spec, for its errata only: a deliberate difference from the type library is recorded there."""
    return load_spec()


def cases(rows):
    return [pytest.param(*values, id=ident) for ident, *values in rows]


# -- against the YAML as a plain parser reads it -------------------------------------------------------------


def differences(raw, exported, path: str) -> list[str]:
    """Where `exported` does not hold what `raw` states: each field of raw, at any depth, must be there, equal."""
    if isinstance(raw, dict):
        if not isinstance(exported, dict):
            return [f"{path}: the export has {type(exported).__name__}, the YAML a mapping"]
        found = []
        for key, value in raw.items():
            if key not in exported:
                found.append(f"{path}.{key}: in the YAML ({value!r:.60}), not in the export")
            else:
                found += differences(value, exported[key], f"{path}.{key}")
        return found
    if isinstance(raw, list):
        if not isinstance(exported, list) or len(exported) != len(raw):
            return [f"{path}: the YAML lists {len(raw)} entries, the export {exported!r:.80}"]
        return [d for i, (a, b) in enumerate(zip(raw, exported)) for d in differences(a, b, f"{path}[{i}]")]
    return [] if raw == exported and type(raw) is type(exported) else \
        [f"{path}: the YAML says {raw!r}, the export {exported!r}"]


def _renamed(section: str, body: dict) -> dict:
    body = dict(body)
    for (where, key), names in RENAMED.items():
        if where == section and key in body:
            body.update({names[k]: v for k, v in body.pop(key).items()})
    return body


def _yaml_items():
    for path in sorted(SPEC.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        name = path.relative_to(SPEC).as_posix()
        for section, body in data.items():
            if section == "state_machines":
                continue  # exported resolved (events parsed, every cell decided), not as written: tests/test_commands.py checks every cell in the export
            if section == "library":
                yield f"{name}:library", section, None, body
                continue
            for item, value in body.items():
                yield f"{name}:{section}.{item}", section, item, value


YAML_ITEMS = list(_yaml_items())


def test_every_spec_file_is_read():
    """Every file but the state machines, which the export holds resolved (see _yaml_items)."""
    assert {ident.split(":")[0] for ident, *_ in YAML_ITEMS} == \
        {p.relative_to(SPEC).as_posix() for p in SPEC.rglob("*.yaml")} - {"state-machines.yaml"}


@pytest.mark.parametrize("section, item, raw", cases(YAML_ITEMS))
def test_export_holds_what_the_yaml_says(document, section, item, raw):
    assert section in document, f"the export has no section {section}"
    if item is None:
        exported, where = document[section], section
    else:
        assert item in document[section], f"the export has no {section}.{item}"
        exported, where = document[section][item], f"{section}.{item}"
    found = differences(_renamed(section, raw), exported, where)
    assert not found, "\n".join(found[:20])


def test_a_changed_field_is_a_difference(document):
    """Negative control: an export with one DISPID off, or a DIID replaced, differs from the YAML."""
    raw = dict(next(r for _, s, i, r in YAML_ITEMS if (s, i) == ("interfaces", "IMsgrSession")))
    broken = copy.deepcopy(document)
    invite = [m["name"] for m in raw["members"]].index("Invite")
    broken["interfaces"]["IMsgrSession"]["members"][invite]["dispid"] += 1
    assert differences(raw, broken["interfaces"]["IMsgrSession"], "IMsgrSession") == \
        [f"IMsgrSession.members[{invite}].dispid: the YAML says 2, the export 3"]
    raw = next(r for _, s, i, r in YAML_ITEMS if (s, i) == ("dispinterfaces", "DMsgrSessionEvents"))
    broken["dispinterfaces"]["DMsgrSessionEvents"]["diid"] = document["library"]["libid"]
    assert differences(raw, broken["dispinterfaces"]["DMsgrSessionEvents"], "D")[0].startswith("D.diid: the YAML")
    assert differences({"flags": [0]}, {"flags": [False]}, "x"), "a bool is not the number 0"


# -- against the type library's facts -------------------------------------------------------------------------


def _members(document, name: str) -> dict[str, dict]:
    return {m["name"]: m for m in document["interfaces"][name]["members"]}


@pytest.mark.parametrize("key, value", cases((k, k, v) for k, v in TL["library"].items()))
def test_library(document, key, value):
    assert document["library"][key] == value


@pytest.mark.parametrize("name, key, value", cases(
    (f"{n}:{k}", n, k, v) for n, body in TL["coclasses"].items() for k, v in body.items() if k not in REMARKS))
def test_coclass(document, name, key, value):
    assert document["coclasses"][name][key] == value


@pytest.mark.parametrize("name, body", cases((n, n, b) for n, b in TL["interfaces"].items()))
def test_interface(document, name, body):
    exported = document["interfaces"][name]
    assert (exported["iid"], exported["base"], exported["flags"]) == (body["iid"], body["base"], body["flags"])
    vtable = [(slot["index"], slot["name"], slot["accessor"]) for slot in exported["vtable"]]
    start = INHERITED[body["base"]]
    assert vtable[start:] == [(start + i, e["name"], e["kind"]) for i, e in enumerate(body["members"])]
    assert len(vtable) == start + len(body["members"])


def _entries():
    for name, body in TL["interfaces"].items():
        for i, entry in enumerate(body["members"]):
            yield f"{name}#{i}:{entry['kind']} {entry['name']}", name, INHERITED[body["base"]] + i, entry


@pytest.mark.parametrize("name, slot, entry", cases(_entries()))
def test_member(document, spec, name, slot, entry):
    member = _members(document, name)[entry["name"]]
    assert member.get("dispid") == entry.get("dispid"), f"{name}.{entry['name']}: DISPID"
    assert slot in member["slots"], f"{name}.{entry['name']}: slots {member['slots']}, the type library {slot}"
    if entry["kind"] == "method":
        assert len(member["params"]) == len(entry["params"]), f"{name}.{entry['name']}: parameter count"
        for mine, theirs in zip(member["params"], entry["params"]):
            assert mine["name"] == theirs.get("name", mine["name"])  # the import leaves [out,retval] unnamed
            assert mine["dir"] == theirs["dir"], f"{name}.{entry['name']}.{mine['name']}: direction"
            # a type the spec reads otherwise on purpose is an erratum citing the type library (Cancel's hr)
            up.expect(spec, mine["type"] == theirs["type"], f"{name}.{entry['name']}", "typelib",
                      f"{name}.{entry['name']}.{mine['name']} has type {mine['type']} in the export, {theirs['type']} "
                      "in the type library", mine["type"], theirs["type"], every=True)
        return
    index = [(member["index"]["name"], member["index"]["type"])] if member.get("index") else []
    *lead, last = entry["params"]
    assert [(p["name"], p["type"]) for p in lead] == index
    if entry["kind"] == "propget":
        assert (member["type"] + "*", "out,retval") == (last["type"], last["dir"])
        assert last.get("name") in (None, member["get_param"])
    else:
        assert (member["type"], member["put_param"], "in") == (last["type"], last["name"], last["dir"])


@pytest.mark.parametrize("name, body", cases((n, n, b) for n, b in TL["dispinterfaces"].items()))
def test_dispinterface(document, name, body):
    exported = document["dispinterfaces"][name]
    assert exported["diid"] == body["diid"]
    assert [(e["name"], e["dispid"], [(p["name"], p["type"], p["dir"]) for p in e["params"]])
            for e in exported["events"]] == \
        [(e["name"], e["dispid"], [(p["name"], p["type"], p["dir"]) for p in e["params"]]) for e in body["events"]]


@pytest.mark.parametrize("name, body", cases((n, n, b) for n, b in TL["enums"].items()))
def test_enum(document, name, body):
    assert {v["name"]: v["value"] for v in document["enums"][name]["values"]} == body["values"]


@pytest.mark.parametrize("name, body", cases((n, n, b) for n, b in TL["external"].items()))
def test_external_interface(document, name, body):
    exported = document["interfaces"][name]
    assert (exported["iid"], exported["external_library"], exported["base"], exported["flags"]) == \
        (body["iid"], body["library"], body["base"], body["flags"])
    assert exported["external_libid"] == TL["external_libraries"][body["library"]]["libid"]
    access = {"read": "read-only", "read-write": "read-write"}
    assert [(m["name"], m["dispid"], m["type"], m["access"]) for m in exported["members"]] == \
        [(m["name"], m["dispid"], m["type"], access[m["access"]]) for m in body["members"]]
