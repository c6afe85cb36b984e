"""The assertions the conformance suite makes, generated from the model.

Each `Case` has a stable id built from spec keys, never from positions, so
that renumbering or reordering the spec or the tests leaves every id as it
was: `MsgrSessionManager#create`,
`IMsgrSessionManager.RegisterApplication.bstrAppGUID#max-length:over`,
`IMsgrSession.State#access`. The same id is the pytest parameter id, the key
in the JSON report and in expected-failure files.
"""
from __future__ import annotations

from typing import Any

import attrs

from .machines import path_to
from .model import Constraint, Interface, Method, Param, Property, Spec

#: requirements of the spec that the structural cases check
STRUCTURE_REQUIREMENTS = {
    "coclass": "structure.coclass-creation",
    "query-interface": "structure.query-interface",
    "signature": "structure.signatures",
    "access": "structure.property-access",
    "enum": "structure.enum-values",
    "constraint": "structure.parameter-limits",
}


@attrs.frozen
class Case:
    """One generated assertion: its id, the spec item it is about, the requirements it checks, and the
    fact of the spec it checks in one sentence (what a failure report leads with)."""

    id: str
    kind: str
    item: str
    requirements: tuple[str, ...]
    data: dict[str, Any] = attrs.field(factory=dict, eq=False)
    fact: str = ""


def _requirements(spec: Spec, kind: str, item: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    base = STRUCTURE_REQUIREMENTS[kind]
    found = tuple(r for r in extra if r in spec.requirements and r != base)
    return ((base,) if base in spec.requirements else ()) + found


def coclass_cases(spec: Spec) -> list[Case]:
    cases = []
    for coclass in spec.coclasses.values():
        suffix = "create" if coclass.creatable else "not-creatable"
        fact = (f"{coclass.name} is created by name and by CLSID and answers with {coclass.default_interface}"
                if coclass.creatable else f"{coclass.name} cannot be created (REGDB_E_CLASSNOTREG)")
        cases.append(Case(f"{coclass.name}#{suffix}", "coclass", coclass.name,
                          _requirements(spec, "coclass", coclass.name), {"coclass": coclass}, fact))
    return cases


def query_interface_cases(spec: Spec) -> list[Case]:
    cases = []
    for coclass in spec.coclasses.values():
        if not coclass.creatable:
            continue
        for name in coclass.interfaces:
            cases.append(Case(f"{coclass.name}#qi:{name}", "query-interface", coclass.name,
                              _requirements(spec, "query-interface", coclass.name),
                              {"coclass": coclass, "interface": name, "expect": True},
                              f"a {coclass.name} object gives {name} to QueryInterface by name and by IID"))
        foreign = [i for i in spec.interfaces.values() if i.name not in coclass.interfaces and not i.is_external]
        for interface in foreign:
            cases.append(Case(f"{coclass.name}#qi-refused:{interface.name}", "query-interface", coclass.name,
                              _requirements(spec, "query-interface", coclass.name),
                              {"coclass": coclass, "interface": interface.name, "expect": False},
                              f"a {coclass.name} object refuses QueryInterface({interface.name}) with "
                              f"E_NOINTERFACE, and so does a member used through a reference to it as "
                              f"{interface.name}"))
    return cases


def signature_cases(spec: Spec) -> list[Case]:
    """What the implementation's type information must say: per member (DISPID, vtable entries, parameter
    count), per parameter (position, type, direction) and per enumeration value."""
    cases = []
    owners = [(i.name, i.members) for i in spec.interfaces.values() if not i.is_external]
    owners += [(d.name, d.events) for d in spec.dispinterfaces.values()]
    for owner, members in owners:
        for member in members:
            requirements = _requirements(spec, "signature", member.qualname)
            dispid = f"DISPID {member.dispid}, " if member.dispid is not None else ""
            shape = f"{len(member.params)} parameter(s)" if not isinstance(member, Property) else \
                f"accessors {'/'.join(member.accessors_declared)}"
            cases.append(Case(f"{member.qualname}#signature", "signature", member.qualname, requirements,
                              {"owner": owner, "member": member},
                              f"the type information of {owner} describes {member.name} as declared "
                              f"({dispid}{shape})"))
            if isinstance(member, Property):
                continue
            for position, param in enumerate(member.params):
                cases.append(Case(f"{member.qualname}.{param.name}#param", "param", member.qualname, requirements,
                                  {"owner": owner, "member": member, "param": param, "position": position},
                                  f"parameter {position + 1} of {member.qualname} is [{param.dir}] "
                                  f"{param.type} {param.name}"))
    for enum in spec.enums.values():
        requirements = _requirements(spec, "enum", enum.name)
        cases.append(Case(f"{enum.name}#values", "enum", enum.name, requirements, {"enum": enum},
                          f"{enum.name} has exactly the values {', '.join(v.name for v in enum.values)}"))
        for value in enum.values:
            cases.append(Case(f"{value.qualname}#value", "enum-value", value.qualname, requirements,
                              {"enum": enum, "value": value},
                              f"{value.qualname} is {_enum_value(enum, value.value)}"))
    return cases


def _enum_value(enum, value: int) -> str:
    return f"0x{value & 0xFFFFFFFF:08X}" if enum.hresult else str(value)


def access_cases(spec: Spec) -> list[Case]:
    cases = []
    for interface in spec.interfaces.values():
        if interface.is_external:
            continue
        for member in interface.members:
            if isinstance(member, Property):
                extra = tuple(r.id for r in spec.requirements_for(member.qualname) if "access" in r.id
                              or "not-implemented" in r.id)
                cases.append(Case(f"{member.qualname}#access", "access", member.qualname,
                                  _requirements(spec, "access", member.qualname, extra),
                                  {"interface": interface, "property": member},
                                  f"{member.qualname} is {member.access}"))
    return cases


def _constraint_requirements(spec: Spec, qualname: str) -> tuple[str, ...]:
    return tuple(r.id for r in spec.requirements_for(qualname)
                 if any(word in r.id for word in ("max-length", "limit", "flags", "format", "over-limit", "too-long")))


#: characters of a value in each fixed-length format (a GUID in registry form: braces, 32 digits, 4 dashes)
FORMAT_LENGTHS = {"guid": 38}
#: bytes of one BSTR character
BSTR_CHAR_BYTES = 2


def _format_of(interface: Interface, param: Param | None, own: tuple[Constraint, ...]) -> str | None:
    """The format the values of a parameter (or property) must have: its own format constraint, else that of a
    parameter of the same name elsewhere in the interface, which makes the values this one names
    (UnRegisterApplication's bstrAppGUID can only name what RegisterApplication's bstrAppGUID registered)."""
    found = [c.value for c in own if c.kind == "format"]
    if not found and param is not None:
        found = [c.value for m in interface.members if isinstance(m, Method) for p in m.params
                 if p.name == param.name for c in p.constraints if c.kind == "format"]
    return str(found[0]) if found else None


def _at_limit(interface: Interface, param: Param | None, constraint: Constraint,
              own: tuple[Constraint, ...]) -> dict[str, Any]:
    """How long the at-limit probe is, in characters, and why when it cannot be the limit itself."""
    limit = constraint.value if constraint.kind == "max_length" else constraint.value // BSTR_CHAR_BYTES
    form = _format_of(interface, param, own)
    fixed = FORMAT_LENGTHS.get(form) if form else None
    if fixed is not None and fixed < limit:
        return {"length": fixed, "note": f"every valid value is a {form} of {fixed} characters, so the limit of "
                                         f"{limit} cannot be reached with a value that succeeds; the case probes "
                                         f"{fixed}, the nearest reachable length"}
    return {"length": limit, "note": None}


def constraint_cases(spec: Spec) -> list[Case]:
    """Boundary cases for every parameter limit: at the limit the call succeeds (or, where another constraint
    keeps a succeeding value from reaching it, at the nearest length that can), past it refused with the code."""
    cases = []
    for interface in spec.interfaces.values():
        if interface.is_external:
            continue
        for member in interface.members:
            targets: list[tuple[str, Param | None, Constraint]] = []
            if isinstance(member, Method):
                targets = [(f"{member.qualname}.{p.name}", p, c) for p in member.params for c in p.constraints]
            elif isinstance(member, Property) and member.writable:
                targets = [(member.qualname, None, c) for c in member.constraints]
            for where, param, constraint in targets:
                kind = constraint.kind.replace("_", "-")
                extra = _constraint_requirements(spec, member.qualname)
                data = {"interface": interface, "member": member, "param": param, "constraint": constraint}
                if constraint.kind in ("max_length", "max_bytes"):
                    own = param.constraints if param is not None else member.constraints
                    cases.append(Case(f"{where}#{kind}:at-limit", "constraint", member.qualname,
                                      _requirements(spec, "constraint", member.qualname, extra),
                                      {**data, "probe": "at-limit", **_at_limit(interface, param, constraint, own)},
                                      f"{where} accepts a value at its limit ({kind} {constraint.value})"))
                if constraint.error is None:
                    continue  # no page says what breaking it returns: nothing to check past the limit
                cases.append(Case(f"{where}#{kind}:over" if kind.startswith("max") else f"{where}#{kind}",
                                  "constraint", member.qualname,
                                  _requirements(spec, "constraint", member.qualname, extra),
                                  {**data, "probe": "broken"},
                                  f"{where} refuses a value breaking {kind} {constraint.value} with "
                                  f"{constraint.error}"))
    return cases


#: the requirement every cell of a state machine checks
CELL_REQUIREMENT = "lifecycle.cells"


def state_cell_cases(spec: Spec) -> list[Case]:
    """One case per decided (state, operation, role) of each state machine, with the path into its state."""
    cases = []
    for machine in spec.state_machines.values():
        for cell in machine.cells:
            if cell.unspecified is not None:
                continue
            _, path = path_to(machine, cell.state, cell.role)
            cited = dict.fromkeys(r for t in cell.outcomes for r in t.requirements if r in spec.requirements)
            base = (CELL_REQUIREMENT,) if CELL_REQUIREMENT in spec.requirements else ()
            cases.append(Case(cell.id, "state-cell", machine.name, base + tuple(cited),
                              {"cell": cell, "path": path}))
    return cases


GENERATORS = {
    "coclass_case": coclass_cases,
    "query_interface_case": query_interface_cases,
    "signature_case": signature_cases,
    "access_case": access_cases,
    "constraint_case": constraint_cases,
    "state_cell_case": state_cell_cases,
}


def all_cases(spec: Spec) -> list[Case]:
    return [case for generate in GENERATORS.values() for case in generate(spec)]


def interface_of(case_item: str) -> str:
    """The top-level item (interface, dispinterface, coclass, enumeration) a case or requirement belongs to."""
    return case_item.split(".")[0]


def first_interface(spec: Spec, names: tuple[str, ...]) -> str:
    for name in names:
        top = interface_of(name)
        if top in spec.interfaces or top in spec.dispinterfaces or top in spec.coclasses or top in spec.enums:
            return top
    return "other"


__all__ = ["Case", "GENERATORS", "all_cases", "interface_of", "first_interface"]
