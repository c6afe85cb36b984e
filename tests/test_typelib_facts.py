"""Every GUID, DISPID and declaration of the type-library extract is in the loaded spec model.

The extract is tests/data/msgrpriv-typelib.yaml (facts of the binary
"Messenger Private Type Library", plus IMessengerContact of the Messenger API
library): it is in the repository, so a fresh clone checks the spec against an
expectation that the spec did not produce. Where ../shared sits beside the
repository, a test checks that the copy still holds the shared extract's facts. One test case per fact; where the spec deliberately differs, an
erratum on that item must cite the type library ("typelib"), name both
readings, and adopt a reading other than the type library's alone.
"""
from __future__ import annotations

import re

import pytest
import yaml

import upstream as up
from toolchain import require_path
from msgrspec import load_spec
from msgrspec.model import BASE_SLOTS, Method, Property

TL = yaml.safe_load(up.TYPELIB.read_text(encoding="utf-8"))
#: keys whose values are remarks in words, not facts: the copy words them its own way
REMARKS = ("note", "inferred")
SOURCE = "typelib"
#: access words of the external interface's member list -> Property.access
ACCESS = {"read": "read-only", "write": "write-only", "read-write": "read-write"}


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def cases(rows):
    return [pytest.param(*values, id=ident) for ident, *values in rows]


def expect(spec, ok: bool, subject: str, message: str, *tokens) -> None:
    up.expect(spec, ok, subject, SOURCE, message, *tokens, every=True)


def differ(have, want) -> list[str]:
    """Words naming a difference: the two values, or the elements only one of two lists has."""
    if isinstance(have, (list, tuple)) and isinstance(want, (list, tuple)):
        return [str(x) for x in set(map(str, have)) ^ set(map(str, want))]
    return [str(have), str(want)]


# -- the copy and the shared extract ------------------------------------------------------------------


def facts(data):
    """`data` without its remarks (see REMARKS): what the two copies must agree on."""
    if isinstance(data, dict):
        return {key: facts(value) for key, value in data.items() if key not in REMARKS}
    if isinstance(data, list):
        return [facts(value) for value in data]
    return data


def remarks(data, path=()):
    """Where the remarks are: the key paths of every REMARKS entry."""
    if isinstance(data, dict):
        return {found for key, value in data.items()
                for found in ({path + (key,)} if key in REMARKS else remarks(value, path + (key,)))}
    if isinstance(data, list):
        return {found for i, value in enumerate(data) for found in remarks(value, path + (i,))}
    return set()


def test_the_copy_holds_the_shared_extract():
    """Every fact of ../shared/reference/msgrpriv-typelib.yaml, and no other, is in tests/data's copy."""
    shared_text = require_path(up.SHARED_TYPELIB, "the shared type-library extract",
                               "the shared folder beside the repository (the tests then compare the copy in "
                               "tests/data with it)").read_text(encoding="utf-8")
    shared = yaml.safe_load(shared_text)
    mine = {key: value for key, value in TL.items() if key != "external_libraries"}
    assert facts(mine) == facts(shared), "tests/data/msgrpriv-typelib.yaml no longer holds the shared extract's facts"
    assert remarks(mine) == remarks(shared), "the copy has remarks in other places than the shared extract"
    # the shared extract names the other library's LIBID in a comment, the copy in external_libraries
    for name, library in TL["external_libraries"].items():
        assert re.search(re.escape(library["libid"]) + r"\)", shared_text) and library["idl"] in shared_text, name


# -- library and coclasses ----------------------------------------------------------------------------


@pytest.mark.parametrize("key, value", cases((k, k, v) for k, v in TL["library"].items()))
def test_library(spec, key, value):
    have = getattr(spec.library, key)
    have = list(have) if isinstance(have, tuple) else have
    assert have == value, f"library {key} is {have!r}, the type library says {value!r}"


def _coclass_cases():
    for name, body in TL["coclasses"].items():
        for key, value in body.items():
            if key != "inferred":
                yield f"{name}:{key}", name, key, value


@pytest.mark.parametrize("name, key, value", cases(_coclass_cases()))
def test_coclass(spec, name, key, value):
    assert name in spec.coclasses, f"the spec has no coclass {name}"
    have = getattr(spec.coclasses[name], key)
    expect(spec, have == value, name, f"{name}.{key} is {have!r}, the type library says {value!r}",
           *differ(have, value))


# -- interfaces -----------------------------------------------------------------------------------


def _interface_cases():
    for name, body in TL["interfaces"].items():
        for key in ("iid", "base", "flags"):
            yield f"{name}:{key}", name, key, body[key]


@pytest.mark.parametrize("name, key, value", cases(_interface_cases()))
def test_interface(spec, name, key, value):
    assert name in spec.interfaces, f"the spec has no interface {name}"
    have = getattr(spec.interfaces[name], key)
    have = list(have) if isinstance(have, tuple) else have
    expect(spec, have == value, name, f"{name}.{key} is {have!r}, the type library says {value!r}",
           *differ(have, value))


@pytest.mark.parametrize("name, entries", cases((n, n, b["members"]) for n, b in TL["interfaces"].items()))
def test_vtable_length(spec, name, entries):
    iface = spec.interfaces[name]
    expected = len(BASE_SLOTS[iface.base]) + len(entries)
    expect(spec, len(iface.vtable) == expected, name,
           f"{name} has {len(iface.vtable)} vtable entries, the type library {expected}",
           *differ([f"{s.accessor} {s.name}" for s in iface.vtable if s.accessor != "base"],
                   [f"{e['kind']} {e['name']}" for e in entries]))


def _entry_cases():
    for name, body in TL["interfaces"].items():
        for i, entry in enumerate(body["members"]):
            yield f"{name}#{i}:{entry['kind']} {entry['name']}", name, i, entry


def _slot(spec, name: str, i: int):
    iface = spec.interfaces[name]
    index = len(BASE_SLOTS[iface.base]) + i
    return iface.vtable[index] if index < len(iface.vtable) else None


@pytest.mark.parametrize("name, i, entry", cases(_entry_cases()))
def test_vtable_entry(spec, name, i, entry):
    slot = _slot(spec, name, i)
    found = (slot.name, slot.accessor) if slot else None
    expect(spec, found == (entry["name"], entry["kind"]), f"{name}.{entry['name']}",
           f"vtable entry {i} of {name} is {found}, the type library has ({entry['name']}, {entry['kind']})",
           entry["kind"], *(found or ()))


@pytest.mark.parametrize("name, i, entry", cases(_entry_cases()))
def test_member_dispid(spec, name, i, entry):
    member = spec.interfaces[name].member(entry["name"])
    expected = entry.get("dispid")  # IUnknown-based interfaces have none
    expect(spec, member.dispid == expected, member.qualname,
           f"{member.qualname} has dispid {member.dispid}, the type library {expected}",
           f"dispid {member.dispid}", f"dispid {expected}")


def _model_params(member, kind: str) -> list[tuple[str | None, str, str]]:
    """(name, type, dir) of the parameters of one vtable entry as the model has them."""
    if isinstance(member, Method):
        return [(p.name, p.type, p.dir) for p in member.params]
    index = [(member.index.name, member.index.type, member.index.dir)] if member.index else []
    if kind == "propget":
        return index + [(member.get_param, member.type + "*", "out,retval")]
    return index + [(member.put_param, member.type, "in")]


def _param_cases():
    for ident, name, i, entry in _entry_cases():
        yield f"{ident}:count", name, entry, None, None
        for j, param in enumerate(entry["params"]):
            yield f"{ident}[{j}]:{param.get('name', param['dir'])}", name, entry, j, param


@pytest.mark.parametrize("name, entry, j, param", cases(_param_cases()))
def test_member_param(spec, name, entry, j, param):
    member = spec.interfaces[name].member(entry["name"])
    model = _model_params(member, entry["kind"])
    if j is None:
        expect(spec, len(model) == len(entry["params"]), member.qualname,
               f"{entry['kind']} {member.qualname} has {len(model)} parameters, the type library "
               f"{len(entry['params'])}", *differ([m[0] for m in model], [p.get("name") for p in entry["params"]]))
        return
    expect(spec, j < len(model), member.qualname, f"the spec has no parameter {j} of {member.qualname}",
           param.get("name"))
    if j >= len(model):
        return
    have_name, have_type, have_dir = model[j]
    if "name" in param:  # the import names every parameter but the [out, retval] ones
        expect(spec, have_name == param["name"], member.qualname,
               f"parameter {j} of {entry['kind']} {member.qualname} is {have_name}, the type library "
               f"{param['name']}", have_name, param["name"])
    expect(spec, have_type == param["type"], member.qualname,
           f"parameter {j} of {entry['kind']} {member.qualname} has type {have_type}, the type library "
           f"{param['type']}", have_type, param["type"])
    expect(spec, have_dir == param["dir"], member.qualname,
           f"parameter {j} of {entry['kind']} {member.qualname} is {have_dir}, the type library {param['dir']}",
           *up.dir_words(have_dir, param["dir"]))


# -- dispinterfaces -------------------------------------------------------------------------------


@pytest.mark.parametrize("name, body", cases((n, n, b) for n, b in TL["dispinterfaces"].items()))
def test_dispinterface(spec, name, body):
    assert name in spec.dispinterfaces, f"the spec has no dispinterface {name}"
    disp = spec.dispinterfaces[name]
    expect(spec, disp.diid == body["diid"], name, f"{name} has DIID {disp.diid}, the type library {body['diid']}",
           disp.diid, body["diid"])
    have = [e.name for e in disp.events]
    want = [e["name"] for e in body["events"]]
    expect(spec, have == want, name, f"{name} has the events {have}, the type library {want}", *differ(have, want))


def _event_cases():
    for name, body in TL["dispinterfaces"].items():
        for event in body["events"]:
            yield f"{name}.{event['name']}", name, event


@pytest.mark.parametrize("name, event", cases(_event_cases()))
def test_event(spec, name, event):
    qualname = f"{name}.{event['name']}"
    assert qualname in spec, f"the spec has no event {qualname}"
    found = spec.resolve(qualname)
    expect(spec, found.dispid == event["dispid"], qualname,
           f"{qualname} has dispid {found.dispid}, the type library {event['dispid']}",
           f"dispid {found.dispid}", f"dispid {event['dispid']}")
    have = [(p.name, p.type, p.dir) for p in found.params]
    want = [(p["name"], p["type"], p["dir"]) for p in event["params"]]
    expect(spec, have == want, qualname, f"{qualname} takes {have}, the type library {want}",
           *differ([x for p in have for x in p], [x for p in want for x in p]))


# -- enumerations ---------------------------------------------------------------------------------


def _enum_value_cases():
    for name, body in TL["enums"].items():
        for value_name, value in body["values"].items():
            yield f"{name}.{value_name}={value}", name, value_name, value


@pytest.mark.parametrize("name, value_name, value", cases(_enum_value_cases()))
def test_enum_value(spec, name, value_name, value):
    qualname = f"{name}.{value_name}"
    assert qualname in spec, f"the spec has no enumeration value {qualname}"
    have = spec.resolve(qualname).value
    expect(spec, have == value, qualname, f"{qualname} is {have}, the type library {value}", value_name)


@pytest.mark.parametrize("name, body", cases((n, n, b) for n, b in TL["enums"].items()))
def test_enum_is_complete(spec, name, body):
    have = [v.name for v in spec.enums[name].values]
    expect(spec, have == list(body["values"]), name,
           f"{name} has the values {have}, the type library {list(body['values'])}",
           *differ(have, list(body["values"])))


def test_enums_in_typelib(spec):
    wrong = {name: enum.in_typelib for name, enum in spec.enums.items()
             if enum.in_typelib != (name in TL["enums"])}
    assert not wrong, f"in_typelib disagrees with the type library (which declares only {list(TL['enums'])}): {wrong}"


# -- the external IMessengerContact ------------------------------------------------------------------


def _external_cases():
    for name, body in TL["external"].items():
        for key in ("iid", "library", "base", "flags"):
            yield f"{name}:{key}", name, key, body[key]
        yield f"{name}:libid", name, "libid", TL["external_libraries"][body["library"]]["libid"]


@pytest.mark.parametrize("name, key, value", cases(_external_cases()))
def test_external_interface(spec, name, key, value):
    assert name in spec.interfaces, f"the spec has no interface {name}"
    iface = spec.interfaces[name]
    attribute = {"library": "external_library", "libid": "external_libid"}.get(key, key)
    have = getattr(iface, attribute)
    have = list(have) if isinstance(have, tuple) else have
    expect(spec, have == value, name, f"{name} {key} is {have!r}, the type library says {value!r}",
           *differ(have, value))


@pytest.mark.parametrize("name, body", cases((n, n, b) for n, b in TL["external"].items()))
def test_external_member_order(spec, name, body):
    have = [m.name for m in spec.interfaces[name].members]
    want = [m["name"] for m in body["members"]]
    expect(spec, have == want, name, f"{name} lists {have}, the type library {want}", "order", *differ(have, want))


def _external_member_cases():
    for name, body in TL["external"].items():
        for member in body["members"]:
            yield f"{name}.{member['name']}", name, member


@pytest.mark.parametrize("name, member", cases(_external_member_cases()))
def test_external_member(spec, name, member):
    qualname = f"{name}.{member['name']}"
    assert qualname in spec, f"the spec has no member {qualname}"
    prop = spec.resolve(qualname)
    assert isinstance(prop, Property), f"{qualname} is a {prop.kind}, the type library lists a property"
    expect(spec, prop.dispid == member["dispid"], qualname,
           f"{qualname} has dispid {prop.dispid}, the type library {member['dispid']}",
           f"dispid {prop.dispid}", f"dispid {member['dispid']}")
    expect(spec, prop.type == member["type"], qualname, f"{qualname} has type {prop.type}, the type library "
           f"{member['type']}", prop.type, member["type"])
    expect(spec, prop.access == ACCESS[member["access"]], qualname,
           f"{qualname} is {prop.access}, the type library {member['access']}", prop.access,
           ACCESS[member["access"]])
    index = member.get("indexed_by")
    have = (prop.index.name, prop.index.type) if prop.index else None
    want = (index["name"], index["type"]) if index else None
    expect(spec, have == want, qualname, f"{qualname} is indexed by {have}, the type library {want}",
           *differ(have or (), want or ()))
