"""The Syntax block of every member and event page, read back and checked against the type library's facts.

The expectation is tests/data/msgrpriv-typelib.yaml, not the generator's own `member_idl`: a page that
printed `[out]` for an `[in]`, another DISPID, or the accessors in another order fails here whatever the
IDL generator does.
"""
from __future__ import annotations

import re

import pytest
import yaml

import upstream as up
from msgrspec import load_spec
from msgrspec.docs import generate_pages, item_location

TL = yaml.safe_load(up.TYPELIB.read_text(encoding="utf-8"))
DECLARATION = re.compile(r"^(?:\[(?P<attrs>[^\]]*)\]\s*)?(?P<returns>HRESULT|void)\s+(?P<name>\w+)\((?P<params>.*)\);$")
PARAM = re.compile(r"^\[(?P<dir>[^\]]*)\]\s*(?P<type>.*?)\s*(?P<stars>\**)(?P<name>\w+)$")
ACCESSORS = {"read": ["propget"], "read-write": ["propget", "propput"]}


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def site(spec):
    return generate_pages(spec)


def syntax(page: str) -> list[dict]:
    """The declarations of a page's Syntax block: attributes, name and (direction, type, name) of each parameter."""
    match = re.search(r"^## Syntax\n\n```cpp\n(.*?)\n```", page, re.M | re.S)
    assert match, "the page has no Syntax block"
    text = re.sub(r"\(\s*\n\s*", "(", match.group(1))
    text = re.sub(r",\s*\n\s*", ", ", text)
    text = re.sub(r"\s*\n\s*\)", ")", text)
    found = []
    for line in text.splitlines():
        declared = DECLARATION.match(line.strip())
        assert declared, f"not a declaration: {line!r}"
        params = []
        for part in re.split(r",\s*(?=\[)", declared["params"]) if declared["params"] else []:
            param = PARAM.match(part.strip())
            assert param, f"not a parameter: {part!r}"
            params.append((",".join(d.strip() for d in param["dir"].split(",")), param["type"] + param["stars"],
                           param["name"]))
        attrs = [a.strip() for a in (declared["attrs"] or "").split(",")]
        dispid = next((int(a[3:-1]) for a in attrs if a.startswith("id(")), None)
        found.append({"returns": declared["returns"], "name": declared["name"], "dispid": dispid,
                      "kind": next((a for a in attrs if a.startswith("prop")), "method"), "params": params})
    return found


def test_the_reader_reads_a_wrapped_block():
    page = "## Syntax\n\n```cpp\n[id(2)] HRESULT Invite(\n    [in] IDispatch *pUser,\n    [in] BSTR bstrAppData\n);\n```"
    assert syntax(page) == [{"returns": "HRESULT", "name": "Invite", "dispid": 2, "kind": "method",
                             "params": [("in", "IDispatch*", "pUser"), ("in", "BSTR", "bstrAppData")]}]


def _members():
    for name, body in TL["interfaces"].items():
        names = list(dict.fromkeys(e["name"] for e in body["members"]))
        for member in names:
            yield f"{name}.{member}", name, member, [e for e in body["members"] if e["name"] == member]


@pytest.mark.parametrize("interface, member, entries", [pytest.param(*v, id=i) for i, *v in _members()])
def test_member_syntax(spec, site, interface, member, entries):
    qualname = f"{interface}.{member}"
    declared = syntax(site.pages[item_location(spec.resolve(qualname))[0]])
    assert [(d["name"], d["kind"], d["dispid"]) for d in declared] == \
        [(member, e["kind"], e.get("dispid")) for e in entries], f"{qualname}: accessors or DISPIDs"
    for mine, entry in zip(declared, entries):
        assert len(mine["params"]) == len(entry["params"]), f"{qualname} ({entry['kind']}): parameter count"
        for (direction, kind, name), theirs in zip(mine["params"], entry["params"]):
            assert direction == theirs["dir"], f"{qualname}: {name} is [{direction}], the type library [{theirs['dir']}]"
            assert name == theirs.get("name", name), f"{qualname}: parameter {name}, the type library {theirs['name']}"
            up.expect(spec, kind == theirs["type"], qualname, "typelib",
                      f"{qualname}: {name} is {kind} on the page, {theirs['type']} in the type library",
                      kind, theirs["type"], every=True)


def _events():
    for name, body in TL["dispinterfaces"].items():
        for event in body["events"]:
            yield f"{name}.{event['name']}", f"{name}.{event['name']}", event


@pytest.mark.parametrize("qualname, event", [pytest.param(*v, id=i) for i, *v in _events()])
def test_event_syntax(spec, site, qualname, event):
    (declared,) = syntax(site.pages[item_location(spec.resolve(qualname))[0]])
    assert (declared["returns"], declared["name"], declared["dispid"]) == ("void", event["name"], event["dispid"])
    assert declared["params"] == [(p["dir"], p["type"], p["name"]) for p in event["params"]]


def _external():
    for name, body in TL["external"].items():
        for member in body["members"]:
            yield f"{name}.{member['name']}", f"{name}.{member['name']}", member


@pytest.mark.parametrize("qualname, member", [pytest.param(*v, id=i) for i, *v in _external()])
def test_external_member_syntax(spec, site, qualname, member):
    declared = syntax(site.pages[item_location(spec.resolve(qualname))[0]])
    assert [(d["kind"], d["dispid"]) for d in declared] == [(k, member["dispid"]) for k in ACCESSORS[member["access"]]]
    index = [(member["indexed_by"]["type"], member["indexed_by"]["name"])] if "indexed_by" in member else []
    for d in declared:
        value = (member["type"] + "*", "out,retval") if d["kind"] == "propget" else (member["type"], "in")
        assert [(t, n) for _, t, n in d["params"][:-1]] == index, qualname
        assert (d["params"][-1][1], d["params"][-1][0]) == value, qualname
