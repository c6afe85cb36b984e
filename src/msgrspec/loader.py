"""Loading a spec folder: YAML files -> schema validation -> merged sections -> model -> semantic checks.

Every problem found is collected with its place; `load_spec` raises one
SpecError carrying all of them, so a maintainer sees every mistake at once.
"""
from __future__ import annotations

import gc
import hashlib
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

try:  # a compiled validator (Rust) answers "valid?" in a fraction of the time; jsonschema explains failures
    import jsonschema_rs
except ImportError:  # pragma: no cover - the pure-Python validator alone gives the same answers
    jsonschema_rs = None

if TYPE_CHECKING:
    import jsonschema

from . import modelcache, resources
from .errors import Location, Problem, SpecError
from .model import (
    Coclass, Constraint, Dispinterface, Enum, EnumValue, Erratum, Event, ExternalType, HResult, Interface,
    Library, Method, Page, Param, Property, Reading, Requirement, ReturnCode, Source, Spec, Support, frozen_map,
)
from .yamlfile import DataPath, LocatedData, read_bytes, read_yaml

SECTIONS = ("library", "pages", "hresults", "coclasses", "interfaces", "dispinterfaces", "enums", "types",
            "requirements", "errata")
#: sections whose keys name items in the one namespace of the type library
ITEM_SECTIONS = ("coclasses", "interfaces", "dispinterfaces", "enums", "types")
#: IDL types that need no declaration
BUILTIN_TYPES = frozenset({"BSTR", "LONG", "ULONG", "SHORT", "INT", "UINT", "BYTE", "CHAR", "DOUBLE", "FLOAT",
                           "VARIANT_BOOL", "VARIANT", "HRESULT", "DATE", "CY", "IUnknown", "IDispatch"})
_TYPE = re.compile(r"(?P<base>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<element>[A-Za-z_][A-Za-z0-9_]*)\))?(?P<stars>\**)")
_ACCESSORS_FOR_ACCESS = {"read-only": ("get",), "write-only": ("put",), "read-write": ("get", "put")}


def spec_files(directory: Path) -> list[Path]:
    """The spec files of a folder and its sub-folders, in a stable order.

    Raises SpecError for a folder that cannot be listed, a link to a folder (not followed) and a .yaml
    name that is not a file: skipping any of them would load a smaller spec without a word.
    """
    found: list[Path] = []
    problems: list[Problem] = []

    def unlistable(exc: OSError) -> None:
        problems.append(Problem(Location(str(exc.filename or directory)), f"cannot read the folder: {exc.strerror}"))

    for folder, subfolders, names in os.walk(directory, onerror=unlistable):
        for name in subfolders:
            if os.path.islink(os.path.join(folder, name)):
                problems.append(Problem(Location(os.path.join(folder, name)),
                                        "a link to a folder: the loader does not follow links to folders"))
        for name in names:
            path = Path(folder, name)
            if path.suffix not in (".yaml", ".yml"):
                continue
            if path.is_file():
                found.append(path)
            else:
                problems.append(Problem(Location(str(path)), "not a regular file (a broken link, a pipe?)"))
    if problems:
        raise SpecError(problems)
    return sorted(found)


@cache
def validator(name: str = "spec") -> jsonschema.Draft202012Validator:
    """The compiled validator of one of the shipped schemas (made once per process).

    An integer is an int: JSON Schema counts 77.0 as an integer, but a DISPID or an HRESULT written
    as a float is a mistake in a spec, and the code that uses it expects an int.
    """
    import jsonschema  # imported when first needed: a valid spec is vouched for by the fast validator

    base = jsonschema.Draft202012Validator
    strict = jsonschema.validators.extend(base, type_checker=base.TYPE_CHECKER.redefine("integer", _is_int))
    return strict(resources.schema(name), format_checker=base.FORMAT_CHECKER)


def _is_int(checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


def _holds_float(data: Any) -> bool:
    stack = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is float:
            return True
    return False


def _uses_format(schema: Any) -> bool:
    if isinstance(schema, dict):
        return isinstance(schema.get("format"), str) or any(_uses_format(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_uses_format(v) for v in schema)
    return False


@cache
def fast_validator(name: str = "spec"):
    """A compiled jsonschema_rs validator of a shipped schema, or None where it cannot stand in for `validator`.

    It only ever says "valid" for data that `validator` accepts too (tests/test_fast_validation.py
    checks the two agree); a schema with `format` keywords keeps to jsonschema, whose format
    checks differ from jsonschema_rs's.
    """
    schema = resources.schema(name)
    if jsonschema_rs is None or _uses_format(schema):
        return None
    try:
        return jsonschema_rs.validator_for(schema)
    except Exception:  # noqa: BLE001 - a schema it cannot compile is left to jsonschema
        return None


def _surely_valid(data: Any, schema: str) -> bool:
    """True when the fast validator vouches for `data`; False means "ask jsonschema", not "invalid".

    Data with a float goes to jsonschema: jsonschema_rs, as JSON Schema says, takes 77.0 for an integer.
    """
    fast = fast_validator(schema)
    if fast is None or _holds_float(data):
        return False
    try:
        return fast.is_valid(data)
    except Exception:  # noqa: BLE001 - a value JSON has no type for (a YAML date, ...): jsonschema decides
        return False


def _dotted(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    """The errors worth showing: inside oneOf/anyOf, those of the branch that came closest."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict[Any, list] = defaultdict(list)
        for sub in error.context:
            branches[sub.relative_schema_path[0]].append(sub)

        def distance(errors: list) -> tuple[int, int]:
            # a branch rejected on its discriminating `kind` const is the wrong branch
            wrong_kind = any(e.validator == "const" and list(e.relative_path)[-1:] == ["kind"] for e in errors)
            return (1 if wrong_kind else 0, len(errors))

        best = min(branches.values(), key=distance)
        if distance(best)[0] == 0:
            for sub in best:
                yield from _leaves(sub)
            return
    yield error


def schema_problems(located: LocatedData, schema: str = "spec") -> list[Problem]:
    """Errors of one file against a shipped schema, each at the place of the offending value (or key)."""
    problems = []
    if _surely_valid(located.data, schema):
        return problems
    for error in validator(schema).iter_errors(located.data):
        for leaf in _leaves(error):
            path = tuple(leaf.absolute_path)
            where = located.where(path)
            message = leaf.message
            if leaf.validator == "additionalProperties" and isinstance(leaf.instance, dict):
                allowed = leaf.schema.get("properties", {})
                extra = [k for k in leaf.instance if k not in allowed]
                if extra and leaf.schema.get("additionalProperties") is False:
                    where = located.where(path + (extra[0],), key=True)
                    message = (f"unknown key {extra[0]!r}; allowed here: {', '.join(sorted(allowed))}"
                               if allowed else f"unknown key {extra[0]!r}")
            elif leaf.validator == "pattern" and "description" in leaf.schema:
                message = f"{leaf.instance!r} is not {leaf.schema['description']}"
            elif leaf.validator == "propertyNames":
                where = located.where(path + (leaf.instance,), key=True)
            prefix = _dotted(path)
            problems.append(Problem(where, f"{prefix}: {message}" if prefix else message))
    return problems


class _Builder:
    """Builds the model from the merged, schema-valid sections, collecting semantic problems."""

    def __init__(self, files: list[LocatedData]):
        self.problems: list[Problem] = []
        self.origin: dict[str, tuple[LocatedData, DataPath]] = {}
        self.sections: dict[str, dict[str, tuple[Any, LocatedData]]] = {s: {} for s in SECTIONS if s != "library"}
        self.library_raw: tuple[Any, LocatedData] | None = None
        for located in files:
            self._merge(located)

    def problem(self, located: LocatedData, path: DataPath, message: str, *, key: bool = False) -> None:
        self.problems.append(Problem(located.where(path, key=key), message))

    # -- merging -------------------------------------------------------------------------------------

    def _merge(self, located: LocatedData) -> None:
        for section, body in located.data.items():
            if section == "library":
                if self.library_raw:
                    self.problem(located, ("library",), f"a second library section (the first is at "
                                 f"{self.library_raw[1].where(('library',), key=True)})", key=True)
                else:
                    self.library_raw = (body, located)
                continue
            for name, raw in body.items():
                seen = self.sections[section].get(name)
                if seen:
                    self.problem(located, (section, name), f"{section}: {name} is defined twice (also at "
                                 f"{seen[1].where((section, name), key=True)})", key=True)
                else:
                    self.sections[section][name] = (raw, located)

    # -- building ------------------------------------------------------------------------------------

    @staticmethod
    def _source(raw: dict | None) -> Source | None:
        if raw is None:
            return None
        return Source(origin=raw["origin"], pages=tuple(raw.get("pages", ())), note=raw.get("note"))

    def _support(self, raw: dict | None, base: Support) -> Support:
        return attrs.evolve(base, **raw) if raw else base

    @staticmethod
    def _constraints(raw: list | None) -> tuple[Constraint, ...]:
        return tuple(Constraint(c["kind"], c["value"], c.get("error"), _Builder._source(c.get("source")))
                     for c in raw or ())

    def _param(self, raw: dict, located: LocatedData, path: DataPath) -> Param:
        return Param(raw["name"], raw["type"], raw["dir"], raw.get("summary"), raw.get("default"),
                     self._constraints(raw.get("constraints")), located.where(path))

    def _params(self, raw: list, located: LocatedData, path: DataPath) -> tuple[Param, ...]:
        return tuple(self._param(p, located, path + ("params", i)) for i, p in enumerate(raw))

    @staticmethod
    def _doc(raw: dict) -> dict:
        return {"remarks": raw.get("remarks"), "links": tuple(raw.get("links", ())),
                "untestable": raw.get("untestable")}

    def build(self) -> Spec:
        if self.library_raw is None:
            raise SpecError(self.problems + [Problem(Location("<spec>"), "no file has a library section")])
        raw, located = self.library_raw
        library = Library(
            name=raw["name"], libid=raw["libid"], version=raw["version"], summary=raw["summary"],
            support=Support(**raw["support"]), source=self._source(raw["source"]), helpstring=raw.get("helpstring"),
            lcid=raw.get("lcid", 0), imports=tuple(raw.get("imports", ())), withdrawn_in=raw.get("withdrawn_in"),
            remarks=raw.get("remarks"), links=tuple(raw.get("links", ())))
        self.origin[library.name] = (located, ("library",))
        default = library.support

        def common(name: str, raw: dict, located: LocatedData, path: DataPath) -> dict:
            self.origin[name] = (located, path)
            return {"summary": raw["summary"], "source": self._source(raw["source"]),
                    "support": self._support(raw.get("support"), default), "loc": located.where(path, key=True),
                    **self._doc(raw)}

        interfaces = {}
        for name, (raw, located) in self.sections["interfaces"].items():
            path = ("interfaces", name)
            members = []
            for i, m in enumerate(raw["members"]):
                mpath = path + ("members", i)
                qual = f"{name}.{m['name']}"
                base = common(qual, m, located, mpath)
                base["loc"] = located.where(mpath)
                if m["kind"] == "method":
                    members.append(Method(interface=name, name=m["name"], dispid=m.get("dispid"),
                                          params=self._params(m["params"], located, mpath),
                                          returns=tuple(ReturnCode(r["code"], r["meaning"], r.get("untestable")) for r in m.get("returns", ())),
                                          **base))
                else:
                    index = m.get("index")
                    members.append(Property(
                        interface=name, name=m["name"], dispid=m.get("dispid"), type=m["type"], access=m["access"],
                        accessors_declared=tuple(m["accessors"]), get_param=m.get("get_param"),
                        put_param=m.get("put_param"),
                        index=self._param(index, located, mpath + ("index",)) if index else None,
                        constraints=self._constraints(m.get("constraints")),
                        returns=tuple(ReturnCode(r["code"], r["meaning"], r.get("untestable")) for r in m.get("returns", ())), **base))
            external = raw.get("external") or {}
            interfaces[name] = Interface(name=name, iid=raw["iid"], base=raw["base"], flags=tuple(raw["flags"]),
                                         members=tuple(members), external_library=external.get("library"),
                                         external_libid=external.get("libid"), **common(name, raw, located, path))

        dispinterfaces = {}
        for name, (raw, located) in self.sections["dispinterfaces"].items():
            path = ("dispinterfaces", name)
            events = []
            for i, e in enumerate(raw["events"]):
                epath = path + ("events", i)
                base = common(f"{name}.{e['name']}", e, located, epath)
                base["loc"] = located.where(epath)
                events.append(Event(dispinterface=name, name=e["name"], dispid=e["dispid"],
                                    params=self._params(e["params"], located, epath), **base))
            dispinterfaces[name] = Dispinterface(name=name, diid=raw["diid"], events=tuple(events),
                                                 **common(name, raw, located, path))

        enums, enum_hresults = {}, {}
        for name, (raw, located) in self.sections["enums"].items():
            path = ("enums", name)
            info = common(name, raw, located, path)
            values = []
            for i, v in enumerate(raw["values"]):
                vpath = path + ("values", i)
                self.origin[f"{name}.{v['name']}"] = (located, vpath)
                value = EnumValue(enum=name, name=v["name"], value=v["value"], summary=v["summary"],
                                  source=self._source(v.get("source")) or info["source"],
                                  support=self._support(v.get("support"), info["support"]), loc=located.where(vpath))
                values.append(value)
                if raw["hresult"]:
                    self.origin.setdefault(v["name"], (located, vpath))
                    enum_hresults[v["name"]] = HResult(v["name"], v["value"] & 0xFFFFFFFF, v["summary"],
                                                       value.source, enum=name, loc=value.loc)
            enums[name] = Enum(name=name, in_typelib=raw["in_typelib"], hresult=raw["hresult"],
                               values=tuple(values), **info)

        hresults = {}
        for name, (raw, located) in self.sections["hresults"].items():
            self.origin[name] = (located, ("hresults", name))
            hresults[name] = HResult(name, raw["value"], raw["summary"], self._source(raw["source"]),
                                     loc=located.where(("hresults", name), key=True))
        for name, hresult in enum_hresults.items():
            if name in hresults:
                located, path = self.origin[name]
                self.problem(located, path, f"HRESULT {name} is defined twice: in hresults "
                             f"({hresults[name].loc}) and by enumeration {hresult.enum}")
            else:
                hresults[name] = hresult

        coclasses = {}
        for name, (raw, located) in self.sections["coclasses"].items():
            coclasses[name] = Coclass(
                name=name, clsid=raw["clsid"], default_interface=raw["default_interface"],
                creatable=raw["creatable"], event_interface=raw.get("event_interface"),
                other_interfaces=tuple(raw.get("other_interfaces", ())), helpstring=raw.get("helpstring"),
                **common(name, raw, located, ("coclasses", name)))

        types = {}
        for name, (raw, located) in self.sections["types"].items():
            self.origin[name] = (located, ("types", name))
            types[name] = ExternalType(name, raw["library"], raw["summary"], self._source(raw["source"]),
                                       loc=located.where(("types", name), key=True))

        requirements = {}
        for rid, (raw, located) in self.sections["requirements"].items():
            self.origin[rid] = (located, ("requirements", rid))
            requirements[rid] = Requirement(
                id=rid, statement=raw["statement"], level=raw["level"], applies_to=tuple(raw["applies_to"]),
                source=self._source(raw["source"]), codes=tuple(raw.get("codes", ())),
                events=tuple(raw.get("events", ())), profile=raw.get("profile"), erratum=raw.get("erratum"),
                untestable=raw.get("untestable"), loc=located.where(("requirements", rid), key=True))

        errata = {}
        for eid, (raw, located) in self.sections["errata"].items():
            self.origin[eid] = (located, ("errata", eid))
            errata[eid] = Erratum(
                id=eid, title=raw["title"], kind=raw["kind"], subjects=tuple(raw["subjects"]),
                readings=tuple(Reading(r["id"], r["says"], tuple(r["sources"])) for r in raw["readings"]),
                adopted=raw["adopted"], rationale=raw["rationale"], loc=located.where(("errata", eid), key=True))

        pages = {name: Page(name, raw["title"], raw.get("documents"), raw.get("absent", False))
                 for name, (raw, _) in self.sections["pages"].items()}

        index = self._index(interfaces, dispinterfaces, coclasses, enums, types, hresults)
        return Spec(library=library, pages=frozen_map(pages), hresults=frozen_map(hresults),
                    coclasses=frozen_map(coclasses), interfaces=frozen_map(interfaces),
                    dispinterfaces=frozen_map(dispinterfaces), enums=frozen_map(enums), types=frozen_map(types),
                    requirements=frozen_map(requirements), errata=frozen_map(errata), index=frozen_map(index))

    def _index(self, interfaces, dispinterfaces, coclasses, enums, types, hresults) -> dict:
        index: dict = {}

        def add(name: str, item) -> None:
            if name in index and index[name] is not item:
                located, path = self.origin[name]
                self.problem(located, path, f"the name {name} is used twice (also at {index[name].loc})", key=True)
            else:
                index[name] = item

        for group in (interfaces, dispinterfaces, coclasses, enums, types):
            for name, item in group.items():
                add(name, item)
        for interface in interfaces.values():
            for member in interface.members:
                add(member.qualname, member)
        for dispinterface in dispinterfaces.values():
            for event in dispinterface.events:
                add(event.qualname, event)
        for enum in enums.values():
            for value in enum.values:
                add(value.qualname, value)
                if not enum.hresult:
                    add(value.name, value)
        for name, hresult in hresults.items():
            add(name, hresult)
        return index


class _Checker:
    """The semantic checks that the schema cannot express."""

    def __init__(self, spec: Spec, builder: _Builder):
        self.spec = spec
        self.builder = builder

    def at(self, name: str, *sub: Any, message: str, key: bool = False) -> None:
        located, path = self.builder.origin[name]
        self.builder.problem(located, path + sub, message, key=key)

    def run(self) -> None:
        self.guids()
        for interface in self.spec.interfaces.values():
            self.interface(interface)
        for dispinterface in self.spec.dispinterfaces.values():
            self.dispinterface(dispinterface)
        for coclass in self.spec.coclasses.values():
            self.coclass(coclass)
        for item in self.spec.items():
            self.documented(item)
        self.sources_and_links(self.spec.library.name, self.spec.library.source, self.spec.library.links)
        for page in self.spec.pages.values():
            if page.documents and page.documents not in self.spec:
                self.at_page(page.name, f"page {page.name} documents {page.documents}, which the spec does not have")
        for requirement in self.spec.requirements.values():
            self.requirement(requirement)
        for erratum in self.spec.errata.values():
            self.erratum(erratum)

    def at_page(self, name: str, message: str) -> None:
        raw_located = self.builder.sections["pages"][name][1]
        self.builder.problem(raw_located, ("pages", name, "documents"), message)

    def guids(self) -> None:
        seen: dict[str, str] = {self.spec.library.libid: self.spec.library.name}
        for name, guid, field in ([(i.name, i.iid, "iid") for i in self.spec.interfaces.values()]
                                  + [(d.name, d.diid, "diid") for d in self.spec.dispinterfaces.values()]
                                  + [(c.name, c.clsid, "clsid") for c in self.spec.coclasses.values()]):
            if guid in seen:
                self.at(name, field, message=f"{field} {guid} is already the GUID of {seen[guid]}")
            seen.setdefault(guid, name)

    def type_known(self, type_: str) -> bool:
        match = re_type = _TYPE.fullmatch(type_)
        if not re_type:
            return False
        base, element = match["base"], match["element"]
        known = lambda t: (t in BUILTIN_TYPES or t in self.spec.enums or t in self.spec.interfaces  # noqa: E731
                           or t in self.spec.types or t in self.spec.dispinterfaces)
        if element is not None:
            return base == "SAFEARRAY" and known(element)
        return known(base)

    def params(self, owner: str, params: tuple[Param, ...], *, prefix: tuple = ()) -> None:
        names = set()
        for i, param in enumerate(params):
            where = prefix + ("params", i)
            if param.name in names:
                self.at(owner, *where, "name", message=f"parameter {param.name} appears twice in {owner}")
            names.add(param.name)
            if not self.type_known(param.type):
                self.at(owner, *where, "type", message=f"unknown type {param.type} of parameter {param.name}")
            if param.is_retval and i != len(params) - 1:
                self.at(owner, *where, "dir", message="an [out,retval] parameter must be the last one")
            self.constraints(owner, param.constraints, where + ("constraints",))

    def constraints(self, owner: str, constraints: tuple[Constraint, ...], where: tuple) -> None:
        for j, constraint in enumerate(constraints):
            if constraint.error and constraint.error not in self.spec.hresults:
                self.at(owner, *where, j, "error", message=f"constraint error {constraint.error} is not in the "
                        "HRESULT table")

    def returns(self, owner: str, returns) -> None:
        for i, code in enumerate(returns):
            if code.code not in self.spec.hresults:
                self.at(owner, "returns", i, "code", message=f"return code {code.code} is not in the HRESULT table")

    def unique(self, owner: str, key: str, entries) -> None:
        """Names, and DISPIDs where given, of the members (or events) of one interface are unique."""
        dispids: dict[int, str] = {}
        names: set[str] = set()
        for i, entry in enumerate(entries):
            if entry.name in names:
                self.at(owner, key, i, "name", message=f"{owner} has two {key} called {entry.name}")
            names.add(entry.name)
            if entry.dispid is not None and entry.dispid in dispids:
                self.at(entry.qualname, "dispid", message=f"dispid {entry.dispid} of {entry.qualname} is "
                        f"already used by {dispids[entry.dispid]}")
            elif entry.dispid is not None:
                dispids[entry.dispid] = entry.qualname

    def interface(self, interface: Interface) -> None:
        self.unique(interface.name, "members", interface.members)
        for member in interface.members:
            if member.dispid is None and interface.base == "IDispatch":
                self.at(member.qualname, message=f"{member.qualname} needs a dispid: {interface.name} "
                        "derives from IDispatch")
            self.returns(member.qualname, member.returns)
            if isinstance(member, Method):
                self.params(member.qualname, member.params)
                continue
            if not self.type_known(member.type):
                self.at(member.qualname, "type", message=f"unknown type {member.type} of property {member.name}")
            expected = _ACCESSORS_FOR_ACCESS.get(member.access)
            if expected and sorted(member.accessors_declared) != sorted(expected):
                self.at(member.qualname, "accessors", message=f"a {member.access} property has the accessors "
                        f"{', '.join(expected)}, not {', '.join(member.accessors_declared)}")
            if member.put_param and "put" not in member.accessors_declared:
                self.at(member.qualname, "put_param", message="put_param given for a property without a put accessor")
            if member.get_param and "get" not in member.accessors_declared:
                self.at(member.qualname, "get_param", message="get_param given for a property without a get accessor")
            if member.index:
                self.params(member.qualname, (member.index,), prefix=())
            self.constraints(member.qualname, member.constraints, ("constraints",))

    def dispinterface(self, dispinterface: Dispinterface) -> None:
        self.unique(dispinterface.name, "events", dispinterface.events)
        for event in dispinterface.events:
            self.params(event.qualname, event.params)

    def coclass(self, coclass: Coclass) -> None:
        for i, name in enumerate(coclass.interfaces):
            if name not in self.spec.interfaces:
                sub = ("default_interface",) if i == 0 else ("other_interfaces", i - 1)
                self.at(coclass.name, *sub, message=f"{coclass.name} names interface {name}, which the spec "
                        "does not have")
        if coclass.event_interface and coclass.event_interface not in self.spec.dispinterfaces:
            self.at(coclass.name, "event_interface", message=f"{coclass.name} names event interface "
                    f"{coclass.event_interface}, which the spec does not have")

    def documented(self, item) -> None:
        source = getattr(item, "source", None)
        if item.qualname in self.builder.origin and source is not None:
            self.sources_and_links(item.qualname, source, getattr(item, "links", ()))

    def sources_and_links(self, owner: str, source: Source, links: tuple[str, ...]) -> None:
        for i, page in enumerate(source.pages):
            if page not in self.spec.pages:
                self.at(owner, "source", "pages", i, message=f"{page} is not an upstream page the spec lists")
        for i, link in enumerate(links):
            if link.startswith("https://") or link.startswith("http://"):
                continue
            if link.endswith(".md"):
                if link not in self.spec.pages:
                    self.at(owner, "links", i, message=f"link to {link}, which is not an upstream page the spec lists")
            elif link not in self.spec:
                self.at(owner, "links", i, message=f"link to {link}, which the spec does not have")

    def requirement(self, req: Requirement) -> None:
        for i, name in enumerate(req.applies_to):
            if name not in self.spec:
                self.at(req.id, "applies_to", i, message=f"requirement {req.id} applies to {name}, which the spec "
                        "does not have")
        for i, code in enumerate(req.codes):
            if code not in self.spec.hresults:
                self.at(req.id, "codes", i, message=f"code {code} is not in the HRESULT table")
        for i, name in enumerate(req.events):
            item = self.spec._index.get(name)
            if not isinstance(item, Event):
                self.at(req.id, "events", i, message=f"{name} is not an event of a dispinterface in the spec")
        if req.erratum and req.erratum not in self.spec.errata:
            self.at(req.id, "erratum", message=f"erratum {req.erratum} does not exist")
        if not req.source.pages:
            self.at(req.id, "source", message=f"requirement {req.id} cites no upstream page")
        self.sources_and_links(req.id, req.source, ())

    def erratum(self, erratum: Erratum) -> None:
        for i, name in enumerate(erratum.subjects):
            if name not in self.spec:
                self.at(erratum.id, "subjects", i, message=f"erratum subject {name} is not in the spec")
        ids = [r.id for r in erratum.readings]
        for i, reading in enumerate(erratum.readings):
            if ids.count(reading.id) > 1:
                self.at(erratum.id, "readings", i, "id", message=f"two readings are called {reading.id}")
            for j, src in enumerate(reading.sources):
                if src != "typelib" and src not in self.spec.pages:
                    self.at(erratum.id, "readings", i, "sources", j,
                            message=f"{src} is not an upstream page the spec lists")
        if erratum.adopted not in ids:
            self.at(erratum.id, "adopted", message=f"the adopted reading {erratum.adopted} is not one of "
                    f"{', '.join(ids)}")


#: Bytes all files of a spec may have together (250 times the shipped spec): with the limits of each file,
#: this bounds what loading costs however many files there are.
MAX_SPEC_BYTES = 64 * 1024 * 1024


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reported when the file is read


def load_spec(directory: str | Path | None = None) -> Spec:
    """Load, validate and resolve the spec in `directory` (the shipped spec by default).

    Raises SpecError listing every problem, each with its file, line and column.
    """
    root = Path(directory) if directory is not None else resources.spec_dir()
    if not root.is_dir():
        raise SpecError([Problem(Location(str(root)), "no such folder")])
    paths = spec_files(root)
    if not paths:
        raise SpecError([Problem(Location(str(root)), "the folder holds no .yaml spec files")])
    total = sum(_size(path) for path in paths)
    if total > MAX_SPEC_BYTES:
        raise SpecError([Problem(Location(str(root)), f"the spec files have {total} bytes together, more than a "
                                                      f"spec may have ({MAX_SPEC_BYTES})")])
    contents: list[bytes | None] = []
    for path in paths:
        try:
            contents.append(read_bytes(path))
        except SpecError:
            contents.append(None)  # read_yaml reports it
    cache_key = digest = None
    if None not in contents:
        hashes = [hashlib.sha256(raw).hexdigest() for raw in contents]
        digest = hashlib.sha256("".join(hashes).encode()).hexdigest()
        cache_key = modelcache.key(paths, hashes)
        cached = modelcache.get(cache_key, digest)
        if cached is not None:
            return cached
    with _collector_paused():
        spec = _load(paths, contents)
    if cache_key is not None and spec.digest == digest:
        modelcache.put(cache_key, spec)
    return spec


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a spec loads.

    Loading makes hundreds of thousands of small, long-lived containers and no
    reference cycles; the collector would scan them again and again, more often
    the bigger the spec (a 100x spec loaded 2x slower per item with it on).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(paths: list[Path], contents: list[bytes | None]) -> Spec:
    problems: list[Problem] = []
    files: list[LocatedData] = []
    for path, raw in zip(paths, contents):
        try:
            located = read_yaml(path, raw)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        found = schema_problems(located)
        problems.extend(found)
        if not found:
            files.append(located)
    if problems:
        raise SpecError(problems)
    builder = _Builder(files)
    spec = builder.build()
    _Checker(spec, builder).run()
    if builder.problems:
        raise SpecError(builder.problems)
    digest = hashlib.sha256("".join(f.sha256 for f in files).encode()).hexdigest()
    return attrs.evolve(spec, digest=digest)
