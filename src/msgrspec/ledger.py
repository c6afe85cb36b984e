"""The coverage ledger: every method, parameter limit, property access type, return code and event of the
library, with the assertions that check it or the spec's reason why none can.

Interfaces of other libraries (IMessengerContact) are described, not declared, and stay out of it.
"""
from __future__ import annotations

import attrs

from .cases import STRUCTURE_REQUIREMENTS, all_cases
from .model import Method, Property, Spec


@attrs.frozen
class Entry:
    kind: str  # method | constraint | access | return-code | event
    subject: str  # e.g. IMsgrSessionManager.RegisterApplication#SR_APP_ALREADY_REGISTERED
    covered_by: tuple[str, ...] = ()
    untestable: str | None = None

    @property
    def settled(self) -> bool:
        return bool(self.covered_by) or self.untestable is not None


def _behaviour(spec: Spec) -> dict[str, list]:
    """Subject name -> the testable requirements (other than the structural ones) that apply to it."""
    structural = set(STRUCTURE_REQUIREMENTS.values())
    found: dict[str, list] = {}
    for requirement in spec.requirements.values():
        if requirement.untestable or requirement.id in structural:
            continue
        for name in requirement.applies_to:
            found.setdefault(name, []).append(requirement)
    return found


def build_ledger(spec: Spec) -> list[Entry]:
    behaviour = _behaviour(spec)
    cases: dict[tuple[str, str], list] = {}  # (kind, item) -> its cases, in order: one pass, not one per member
    by_cell: dict[tuple[str, str], list[str]] = {}  # (member, code) -> the state-machine cells that check it
    for case in all_cases(spec):
        cases.setdefault((case.kind, case.item), []).append(case)
        if case.kind == "state-cell":
            cell = case.data["cell"]
            member = spec.state_machines[case.item].operation(cell.operation).member
            for code in dict.fromkeys(t.code for t in cell.outcomes):
                by_cell.setdefault((member, code), []).append(case.id)
    event_requirements: dict[str, list[str]] = {}
    for requirement in spec.requirements.values():
        if not requirement.untestable:
            for name in dict.fromkeys(requirement.events):
                event_requirements.setdefault(name, []).append(requirement.id)
    entries: list[Entry] = []
    for interface in spec.interfaces.values():
        if interface.is_external:
            continue
        for member in interface.members:
            reqs = behaviour.get(member.qualname, [])
            if isinstance(member, Method):
                entries.append(Entry("method", member.qualname, tuple(r.id for r in reqs), member.untestable))
            if isinstance(member, Property):
                access = tuple(c.id for c in cases.get(("access", member.qualname), ()))
                entries.append(Entry("access", f"{member.qualname}#{member.access}", access))
            limits = list(cases.get(("constraint", member.qualname), ()))
            for constraint_case in limits:
                entries.append(Entry("constraint", constraint_case.id, (constraint_case.id,)))
            for code in member.returns:
                by_requirement = [r.id for r in reqs if code.code in r.codes]
                by_limit = [c.id for c in limits if c.data["constraint"].error == code.code]
                success = [r.id for r in reqs] if code.code in ("S_OK", "S_FALSE") and not code.untestable else []
                cells = by_cell.get((member.qualname, code.code), [])
                entries.append(Entry("return-code", f"{member.qualname}#{code.code}",
                                     tuple(by_requirement + by_limit + success + cells), code.untestable))
    for dispinterface in spec.dispinterfaces.values():
        for event in dispinterface.events:
            reqs = event_requirements.get(event.qualname, [])
            entries.append(Entry("event", event.qualname, tuple(reqs), event.untestable))
    return entries


def gaps(spec: Spec) -> list[Entry]:
    """Entries with neither an assertion nor an `untestable` reason."""
    return [entry for entry in build_ledger(spec) if not entry.settled]
