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
from .model import Constraint, Method, Param, Property, Spec

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
    """One generated assertion: its id, the spec item it is about, the requirements it checks."""

    id: str
    kind: str
    item: str
    requirements: tuple[str, ...]
    data: dict[str, Any] = attrs.field(factory=dict, eq=False)


def _requirements(spec: Spec, kind: str, item: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    base = STRUCTURE_REQUIREMENTS[kind]
    found = tuple(r for r in extra if r in spec.requirements and r != base)
    return ((base,) if base in spec.requirements else ()) + found


def coclass_cases(spec: Spec) -> list[Case]:
    cases = []
    for coclass in spec.coclasses.values():
        suffix = "create" if coclass.creatable else "not-creatable"
        cases.append(Case(f"{coclass.name}#{suffix}", "coclass", coclass.name,
                          _requirements(spec, "coclass", coclass.name), {"coclass": coclass}))
    return cases


def query_interface_cases(spec: Spec) -> list[Case]:
    cases = []
    for coclass in spec.coclasses.values():
        if not coclass.creatable:
            continue
        for name in coclass.interfaces:
            cases.append(Case(f"{coclass.name}#qi:{name}", "query-interface", coclass.name,
                              _requirements(spec, "query-interface", coclass.name),
                              {"coclass": coclass, "interface": name, "expect": True}))
        foreign = [i for i in spec.interfaces.values() if i.name not in coclass.interfaces and not i.is_external]
        for interface in foreign:
            cases.append(Case(f"{coclass.name}#qi-refused:{interface.name}", "query-interface", coclass.name,
                              _requirements(spec, "query-interface", coclass.name),
                              {"coclass": coclass, "interface": interface.name, "expect": False}))
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
            cases.append(Case(f"{member.qualname}#signature", "signature", member.qualname, requirements,
                              {"owner": owner, "member": member}))
            if isinstance(member, Property):
                continue
            for position, param in enumerate(member.params):
                cases.append(Case(f"{member.qualname}.{param.name}#param", "param", member.qualname, requirements,
                                  {"owner": owner, "member": member, "param": param, "position": position}))
    for enum in spec.enums.values():
        requirements = _requirements(spec, "enum", enum.name)
        cases.append(Case(f"{enum.name}#values", "enum", enum.name, requirements, {"enum": enum}))
        for value in enum.values:
            cases.append(Case(f"{value.qualname}#value", "enum-value", value.qualname, requirements,
                              {"enum": enum, "value": value}))
    return cases


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
                                  {"interface": interface, "property": member}))
    return cases


def _constraint_requirements(spec: Spec, qualname: str) -> tuple[str, ...]:
    return tuple(r.id for r in spec.requirements_for(qualname)
                 if any(word in r.id for word in ("max-length", "limit", "flags", "format", "over-limit", "too-long")))


def constraint_cases(spec: Spec) -> list[Case]:
    """Boundary cases for every parameter limit: at the limit it is accepted, past it refused with the code."""
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
                    cases.append(Case(f"{where}#{kind}:at-limit", "constraint", member.qualname,
                                      _requirements(spec, "constraint", member.qualname, extra),
                                      {**data, "probe": "at-limit"}))
                if constraint.error is None:
                    continue  # no page says what breaking it returns: nothing to check past the limit
                cases.append(Case(f"{where}#{kind}:over" if kind.startswith("max") else f"{where}#{kind}",
                                  "constraint", member.qualname,
                                  _requirements(spec, "constraint", member.qualname, extra),
                                  {**data, "probe": "broken"}))
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
