"""A type library's dump (`msgrspec.typelib`, or Wine's oleaut32 through tests/native/tlbdump.c) against the spec.

Every fact the dump holds about the library, its interfaces (both halves of a dual one), dispinterfaces,
enumerations and coclasses is compared with the model; each difference names the spec item's location
and, where an erratum already says the type library reads otherwise, that erratum. Vtable positions are
compared as slot indexes, so win32 and win64 libraries check alike.

What widl (and MIDL) write differently from the spec's vocabulary is handled by three narrow rules, each
applied to one shape only, never by skipping a kind of fact:

- enum alias: an enumeration may be an alias `NAME` of an enum whose name the compiler made up
  (`__WIDL_<file>_generated_name_<hex>`, `__MIDL___MIDL_itf_...`, or `tagNAME`); the enum's values are
  then the values of `NAME`, and the made-up enum is not an extra typeinfo;
- compiler member ids: a member of an interface that is not dispatchable has no DISPID in the spec; its
  memid must then be one the compiler assigns (0x60000000 and up, below 0x70000000);
- unnamed parameters: ITypeInfo::GetNames gives no name for the value parameter of a property put, nor
  for the parameters of a later accessor sharing a member id with an earlier one (the dump says null);
  only those null names go uncompared, never a name that is there and wrong.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import attrs

from .model import BASE_SLOTS, Coclass, Dispinterface, Enum, Interface, Param, Property, Spec
from .typelib import OVFT_UNIT, POINTER_SIZE

#: names a compiler gives the enum behind `typedef enum {...} NAME`
GENERATED_ENUM = re.compile(r"^(__WIDL_\w+_generated_name_[0-9A-Fa-f]+|__MIDL___MIDL_itf_\w+|tag\w+)$")
COMPILER_MEMIDS = range(0x60000000, 0x70000000)
DIRECTION_FLAGS = {"in": ["in"], "out": ["out"], "in,out": ["in", "out"], "out,retval": ["out", "retval"]}


@attrs.frozen
class Difference:
    """One fact on which the binary and the spec disagree."""

    kind: str  # missing (in the spec, not the binary) | extra (the reverse) | different
    subject: str  # the spec item: IMsgrSession.Cancel, SESSION_STATE.SS_READY, library
    fact: str  # what about it: iid, dispid, param hr type, ...
    spec: Any
    binary: Any
    where: str  # file:line of the spec item
    erratum: str | None = None  # the erratum that records this reading of the type library

    def as_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class CheckResult:
    facts: int  # how many facts were compared
    differences: tuple[Difference, ...]

    @property
    def uncovered(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.erratum is None)


def _norm_type(text: str | None) -> str | None:
    return None if text is None else text.replace(" ", "")


def enum_typeinfos(dump: dict) -> tuple[dict[str, dict], set[str]]:
    """(enum name -> its enum typeinfo, names of the made-up enums that an alias names): the enum-alias rule."""
    by_name = {info["name"]: info for info in dump["typeinfos"]}
    enums, generated = {}, set()
    for info in dump["typeinfos"]:
        if info["typekind"] == "enum" and info["name"] not in enums:
            enums[info["name"]] = info
        elif info["typekind"] == "alias" and info["alias"] and GENERATED_ENUM.match(info["alias"]):
            target = by_name.get(info["alias"])
            if target is not None and target["typekind"] == "enum":
                enums[info["name"]] = target
                generated.add(target["name"])
    for name in generated:
        if enums.get(name) is by_name[name]:
            del enums[name]
    return enums, generated


def slot(function: dict) -> int:
    """The vtable slot of a dumped function (its oVft in the dump's 8-byte units)."""
    return function["oVft"] // OVFT_UNIT


class _Checker:
    def __init__(self, spec: Spec, dump: dict) -> None:
        self.spec = spec
        self.dump = copy.deepcopy(dump)  # unreadable entries are taken out below
        self.facts = 0
        self.differences: list[Difference] = []
        self.pointer = POINTER_SIZE.get(dump["library"].get("syskind"), 4)

    # -- recording ------------------------------------------------------------------------------

    def erratum(self, subject: str, binary: Any) -> str | None:
        """The erratum on `subject` with a type-library reading, not adopted, that names the binary's value."""
        token = str(binary)
        if not token:
            return None
        named = re.compile(rf"(?<![\w.]){re.escape(token)}(?![\w.])")  # the value as a word, not inside one
        for erratum in self.spec.errata_for(subject):
            for reading in erratum.readings:
                if "typelib" in reading.sources and reading.id != erratum.adopted and named.search(reading.says):
                    return erratum.id
        return None

    def add(self, kind: str, subject: str, fact: str, spec: Any, binary: Any, loc) -> None:
        self.differences.append(Difference(kind, subject, fact, spec, binary, str(loc),
                                           self.erratum(subject, binary if kind != "missing" else spec)))

    def same(self, subject: str, fact: str, spec: Any, binary: Any, loc) -> bool:
        self.facts += 1
        if spec == binary:
            return True
        self.add("different", subject, fact, spec, binary, loc)
        return False

    # -- the library ------------------------------------------------------------------------------

    def readable(self, entries: list, subject: str, what: str, loc) -> list:
        """The entries the reader could give; each one it could not (null in the dump) is a difference."""
        for position, entry in enumerate(entries):
            if entry is None:
                self.facts += 1
                self.add("different", subject, f"{what} {position}", "readable", "unreadable", loc)
        return [entry for entry in entries if entry is not None]

    def run(self) -> None:
        library, got = self.spec.library, self.dump["library"]
        self.dump = dict(self.dump, typeinfos=self.readable(self.dump["typeinfos"], "library", "typeinfo", library.loc))
        for info in self.dump["typeinfos"]:
            for key in ("functions", "variables"):
                info[key] = self.readable(info[key], info["name"], key[:-1], library.loc)
            if info.get("vtable_half"):
                info["vtable_half"]["functions"] = self.readable(info["vtable_half"]["functions"], info["name"],
                                                                 "function (vtable half)", library.loc)
        for fact, want in (("name", library.name), ("libid", library.libid.upper()), ("version", library.version),
                           ("lcid", library.lcid), ("helpstring", library.helpstring)):
            have = got.get(fact)
            self.same("library", fact, want, have.upper() if fact == "libid" and have else have, library.loc)
        typeinfos = {}
        for info in self.dump["typeinfos"]:
            typeinfos.setdefault(info["name"], info)
        enums, generated = enum_typeinfos(self.dump)
        used = set(generated)
        for interface in self.spec.interfaces.values():
            if interface.is_external:
                continue
            used.add(interface.name)
            self.interface(interface, typeinfos.get(interface.name))
        for dispinterface in self.spec.dispinterfaces.values():
            used.add(dispinterface.name)
            self.dispinterface(dispinterface, typeinfos.get(dispinterface.name))
        for enum in self.spec.enums.values():
            if enum.in_typelib:
                used.add(enum.name)
                self.enum(enum, enums.get(enum.name))
        for coclass in self.spec.coclasses.values():
            used.add(coclass.name)
            self.coclass(coclass, typeinfos.get(coclass.name))
        for info in self.dump["typeinfos"]:
            self.facts += 1
            if info["name"] not in used:
                self.add("extra", info["name"], f"typeinfo ({info['typekind']})", None, info["name"], library.loc)

    def present(self, subject: str, what: str, info: dict | None, loc) -> bool:
        self.facts += 1
        if info is None:
            self.add("missing", subject, what, subject, None, loc)
        return info is not None

    # -- interfaces -------------------------------------------------------------------------------

    def interface(self, interface: Interface, info: dict | None) -> None:
        name, loc = interface.name, interface.loc
        if not self.present(name, "typeinfo", info, loc):
            return
        dual = "dual" in interface.flags
        self.same(name, "typekind", "dispatch" if dual else "interface", info["typekind"], loc)
        self.same(name, "iid", interface.iid.upper(), info["guid"].upper(), loc)
        flags = set(interface.flags)
        vtable = info
        if dual:
            half = info.get("vtable_half")
            if not self.present(name, "vtable half (GetRefTypeOfImplType(-1))", half, loc):
                return
            self.same(name, "typeflags (dispatch half)", sorted(flags - {"oleautomation"}), sorted(info["typeflags"]),
                      loc)
            self.same(name, "base (dispatch half)", ["IDispatch"], [b["name"] for b in info["impltypes"]], loc)
            self.same(name, "inherited functions (dispatch half)", len(BASE_SLOTS[interface.base]),
                      info["inherited_functions"], loc)
            self.same(name, "typekind (vtable half)", "interface", half["typekind"], loc)
            self.same(name, "iid (vtable half)", interface.iid.upper(), half["guid"].upper(), loc)
            vtable = half
        self.same(name, "typeflags", sorted(flags), sorted(vtable["typeflags"]), loc)
        self.same(name, "base", [interface.base], [b["name"] for b in vtable["impltypes"]], loc)
        self.same(name, "vtable slots (cbSizeVft)", len(interface.vtable), vtable["cbSizeVft"] // self.pointer, loc)
        dispatchable = "dispatchable" in flags
        self.functions(interface, vtable["functions"], dispatch_half=False, dispatchable=dispatchable)
        if dual:
            self.functions(interface, info["functions"], dispatch_half=True, dispatchable=True)

    def functions(self, interface: Interface, functions: list[dict], *, dispatch_half: bool,
                  dispatchable: bool) -> None:
        half = " (dispatch half)" if dispatch_half else ""
        expected = [s for s in interface.vtable if s.accessor != "base"]
        remaining = list(functions)
        for entry in expected:
            member = interface.member(entry.name)
            subject, loc = member.qualname, member.loc
            invkind = "func" if entry.accessor == "method" else entry.accessor
            found = next((f for f in remaining if f["name"] == entry.name and f["invkind"] == invkind), None)
            if not self.present(subject, f"{invkind} function{half}", found, loc):
                continue
            remaining.remove(found)
            self.same(subject, f"{invkind} vtable slot{half}", entry.index, slot(found), loc)
            self.same(subject, f"{invkind} funckind{half}", "dispatch" if dispatch_half else "purevirtual",
                      found["funckind"], loc)
            if member.dispid is not None or dispatchable:
                self.same(subject, f"{invkind} dispid{half}", member.dispid, found["memid"], loc)
            else:  # the compiler-member-id rule
                self.facts += 1
                if found["memid"] not in COMPILER_MEMIDS:
                    self.add("different", subject, f"{invkind} memid{half} (the spec gives no DISPID: one the "
                             "compiler assigns, 0x6xxxxxxx)", None, found["memid"], loc)
            params = (member.accessor_params(entry.accessor[4:]) if isinstance(member, Property)
                      else member.params)
            if dispatch_half:
                retval = [p for p in params if p.is_retval]
                returns = retval[0].type[:-1] if retval else "void"
                params = tuple(p for p in params if not p.is_retval)
            else:
                returns = "HRESULT"
            self.same(subject, f"{invkind} return type{half}", _norm_type(returns), _norm_type(found["returns"]), loc)
            earlier = functions[:functions.index(found)]
            self.params(subject, f"{invkind}{half} ", params, found["params"], loc, put=invkind.startswith("propput"),
                        shares_memid=any(f["memid"] == found["memid"] for f in earlier))
        for extra in remaining:
            self.facts += 1
            self.add("extra", f"{interface.name}.{extra['name']}", f"{extra['invkind']} function{half}", None,
                     extra["name"], interface.loc)

    def params(self, subject: str, prefix: str, params: tuple[Param, ...], got: list[dict], loc, *,
               put: bool = False, shares_memid: bool = False) -> None:
        for position, (want, have) in enumerate(zip(params, got)):
            where = want.loc if want.loc.line else loc
            label = f"{prefix}param {want.name}"
            unnamed_allowed = shares_memid or (put and position == len(params) - 1)  # the unnamed-parameters rule
            if have["name"] is not None or not unnamed_allowed:
                self.same(subject, f"{label} name", want.name, have["name"], where)
            self.same(subject, f"{label} type", _norm_type(want.type), _norm_type(have["type"]), where)
            self.same(subject, f"{label} direction", DIRECTION_FLAGS.get(want.dir.replace(" ", ""), [want.dir]),
                      have["flags"], where)
        self.facts += 1
        if len(params) != len(got):
            kind = "missing" if len(params) > len(got) else "extra"
            self.add(kind, subject, f"{prefix}parameter count", len(params), len(got), loc)

    # -- dispinterfaces, enumerations, coclasses ----------------------------------------------------

    def dispinterface(self, dispinterface: Dispinterface, info: dict | None) -> None:
        name, loc = dispinterface.name, dispinterface.loc
        if not self.present(name, "typeinfo", info, loc):
            return
        self.same(name, "typekind", "dispatch", info["typekind"], loc)
        self.same(name, "diid", dispinterface.diid.upper(), info["guid"].upper(), loc)
        self.same(name, "typeflags", ["dispatchable"], sorted(info["typeflags"]), loc)
        self.same(name, "base", ["IDispatch"], [b["name"] for b in info["impltypes"]], loc)
        remaining = list(info["functions"])
        for event in dispinterface.events:
            found = next((f for f in remaining if f["name"] == event.name), None)
            if not self.present(event.qualname, "event function", found, event.loc):
                continue
            remaining.remove(found)
            for fact, want in (("dispid", event.dispid), ("invkind", "func"), ("funckind", "dispatch"),
                               ("returns", "void")):
                self.same(event.qualname, fact, want, found["memid" if fact == "dispid" else fact], event.loc)
            self.params(event.qualname, "", event.params, found["params"], event.loc)
        for extra in remaining:
            self.facts += 1
            self.add("extra", f"{name}.{extra['name']}", "event function", None, extra["name"], loc)

    def enum(self, enum: Enum, info: dict | None) -> None:
        if not self.present(enum.name, "enumeration", info, enum.loc):
            return
        got = {v["name"]: v for v in info["variables"]}
        for value in enum.values:
            have = got.pop(value.name, None)
            if self.present(value.qualname, "value", have, value.loc):
                self.same(value.qualname, "value", value.value, have["value"], value.loc)
                self.same(value.qualname, "varkind", "const", have["varkind"], value.loc)
        for extra in got:
            self.facts += 1
            self.add("extra", f"{enum.name}.{extra}", "value", None, got[extra]["value"], enum.loc)

    def coclass(self, coclass: Coclass, info: dict | None) -> None:
        name, loc = coclass.name, coclass.loc
        if not self.present(name, "typeinfo", info, loc):
            return
        self.same(name, "typekind", "coclass", info["typekind"], loc)
        self.same(name, "clsid", coclass.clsid.upper(), info["guid"].upper(), loc)
        self.same(name, "typeflags", ["cancreate"] if coclass.creatable else [], sorted(info["typeflags"]), loc)
        self.same(name, "helpstring", coclass.helpstring, info.get("helpstring"), loc)
        want = [(coclass.default_interface, ["default"])] + [(other, []) for other in coclass.other_interfaces]
        if coclass.event_interface:
            want.append((coclass.event_interface, ["default", "source"]))
        self.same(name, "interfaces (IMPLTYPEFLAGS)", want,
                  [(impl["name"], impl.get("flags", [])) for impl in info["impltypes"]], loc)
        for impl in info["impltypes"]:
            target = self.spec.interfaces.get(impl["name"]) or self.spec.dispinterfaces.get(impl["name"])
            if target is not None:
                guid = getattr(target, "iid", None) or target.diid
                self.same(name, f"{impl['name']} GUID", guid.upper(), (impl["guid"] or "").upper(), loc)


def check(spec: Spec, dump: dict) -> CheckResult:
    """Every fact of `dump` against `spec`."""
    checker = _Checker(spec, dump)
    checker.run()
    return CheckResult(checker.facts, tuple(checker.differences))


# -- output ---------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(result: CheckResult, file: str) -> Iterator[str]:
    """The result as a Markdown report."""
    count = len(result.differences)
    yield f"# Type library check: {file}"
    yield ""
    yield (f"{result.facts} facts compared with the spec: {count} difference{'s' if count != 1 else ''}, "
           f"{len(result.uncovered)} not covered by an erratum.")
    if not count:
        return
    yield ""
    yield "| difference | item | fact | spec | binary | spec location | erratum |"
    yield "|---|---|---|---|---|---|---|"
    for d in result.differences:
        yield "| " + " | ".join(_cell(v) for v in (d.kind, d.subject, d.fact, d.spec, d.binary, d.where,
                                                   d.erratum or "none")) + " |"


def as_json(result: CheckResult, file: str) -> dict[str, Any]:
    return {"file": file, "facts": result.facts, "uncovered": len(result.uncovered),
            "differences": [d.as_json() for d in result.differences]}


# -- facts ----------------------------------------------------------------------------------------


def _direction(flags: list[str]) -> str:
    return ",".join(flag for flag in ("in", "out", "retval") if flag in flags)


def _fact_params(params: list[dict]) -> list[dict[str, Any]]:
    out = []
    for param in params:
        entry = {"name": param["name"]} if param["name"] is not None else {}
        out.append({**entry, "type": param["type"], "dir": _direction(param["flags"])})
    return out


def facts(dump: dict) -> dict[str, Any]:
    """The dump as facts in the shape of the reference extract msgrpriv-typelib.yaml.

    Members come in vtable order; a member of an interface that is not dispatchable gets no dispid (its
    memid is the compiler's); an enumeration is named by its alias (see the module's rules).
    """
    library = dump["library"]
    out: dict[str, Any] = {"library": {key: library[key] for key in ("name", "helpstring", "libid", "version",
                                                                     "lcid") if library.get(key) is not None},
                           "coclasses": {}, "interfaces": {}, "dispinterfaces": {}, "enums": {}}
    for info in dump["typeinfos"]:
        if info["typekind"] == "coclass":
            entry: dict[str, Any] = {"clsid": info["guid"]}
            if info.get("helpstring"):
                entry["helpstring"] = info["helpstring"]
            others = []
            for impl in info["impltypes"]:
                flags = impl.get("flags", [])
                if "source" in flags:
                    entry.setdefault("event_interface", impl["name"])
                elif "default" in flags:
                    entry["default_interface"] = impl["name"]
                else:
                    others.append(impl["name"])
            if others:
                entry["other_interfaces"] = others
            entry["creatable"] = "cancreate" in info["typeflags"]
            out["coclasses"][info["name"]] = entry
        elif info["typekind"] == "interface" or info.get("vtable_half"):
            vtable = info.get("vtable_half") or info
            dispatchable = "dispatchable" in vtable["typeflags"]
            members = []
            for function in sorted(vtable["functions"], key=slot):
                member = {"name": function["name"],
                          "kind": "method" if function["invkind"] == "func" else function["invkind"]}
                if dispatchable or function["memid"] not in COMPILER_MEMIDS:
                    member["dispid"] = function["memid"]
                member["params"] = _fact_params(function["params"])
                members.append(member)
            out["interfaces"][info["name"]] = {"iid": info["guid"],
                                               "base": (vtable["impltypes"] or [{"name": None}])[0]["name"],
                                               "flags": vtable["typeflags"], "members": members}
        elif info["typekind"] == "dispatch":
            out["dispinterfaces"][info["name"]] = {
                "diid": info["guid"],
                "events": [{"name": f["name"], "dispid": f["memid"], "params": _fact_params(f["params"])}
                           for f in info["functions"]]}
    for name, info in enum_typeinfos(dump)[0].items():
        out["enums"][name] = {"values": {v["name"]: v["value"] for v in info["variables"]}}
    return out
