"""State machines: a small valid machine, and each semantic check it can fail, with its place."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import MINI_SPEC, write_spec
from msgrspec import SpecError, load_spec

MACHINE = """\
enums:
  DOOR:
    in_typelib: true
    hresult: false
    summary: Where a door stands.
    source: {pages: [mini.md], origin: pages}
    values:
      - {name: DOOR_SHUT, value: 0, summary: Shut.}
      - {name: DOOR_OPEN, value: 1, summary: Open.}
      - {name: DOOR_GONE, value: 2, summary: Gone.}
dispinterfaces:
  DDoorEvents:
    diid: "{11111111-0000-0000-0000-000000000010}"
    summary: Door events.
    source: {pages: [mini.md], origin: both}
    events:
      - name: OnMoved
        dispid: 1
        summary: The door moved.
        source: {pages: [mini.md], origin: both}
        params:
          - {name: previous, type: DOOR, dir: in}
coclasses:
  Door:
    clsid: "{11111111-0000-0000-0000-000000000011}"
    default_interface: IDoor
    event_interface: DDoorEvents
    creatable: true
    summary: A door.
    source: {pages: [mini.md], origin: both}
interfaces:
  IDoor:
    iid: "{11111111-0000-0000-0000-000000000012}"
    base: IUnknown
    flags: []
    summary: A door's interface.
    source: {pages: [mini.md], origin: both}
    members:
      - {name: State, kind: property, type: DOOR, access: read-only, accessors: [get], summary: The state.,
         source: {pages: [mini.md], origin: both}}
      - {name: Open, kind: method, params: [], summary: Opens., source: {pages: [mini.md], origin: both}}
      - {name: Shut, kind: method, params: [], summary: Shuts., source: {pages: [mini.md], origin: both}}
state_machines:
  DOOR:
    summary: A door opens and shuts.
    objects: [Door]
    state_property: IDoor.State
    initial: DOOR_SHUT
    states: [DOOR_SHUT, DOOR_OPEN]
    not_states:
      DOOR_GONE: Nothing takes the door away.
    source: {pages: [mini.md], origin: pages}
    operations:
      Open: {member: IDoor.Open}
      Shut: {member: IDoor.Shut}
    transitions:
      - {from: DOOR_SHUT, operation: Open, code: S_OK, to: DOOR_OPEN, events: [OnMoved(DOOR_SHUT)],
         source: {pages: [mini.md], origin: pages}}
      - {from: DOOR_OPEN, operation: Shut, code: S_OK, to: DOOR_SHUT, events: [OnMoved(DOOR_OPEN)],
         source: {pages: [mini.md], origin: pages}}
    answers:
      - {operation: Open, states: [DOOR_OPEN], code: E_INVALIDARG, source: {pages: [mini.md], origin: pages}}
    unspecified:
      - {operation: Shut, states: [DOOR_SHUT], reason: No page says.}
"""


def problems(tmp_path: Path, old: str = "", new: str = "") -> list[str]:
    assert old in MACHINE, old
    root = write_spec(tmp_path / "spec", {**MINI_SPEC, "door.yaml": MACHINE.replace(old, new, 1)})
    with pytest.raises(SpecError) as info:
        load_spec(root)
    return [str(p) for p in info.value.problems]


def test_the_door_machine_is_valid(tmp_path):
    spec = load_spec(write_spec(tmp_path / "spec", {**MINI_SPEC, "door.yaml": MACHINE}))
    machine = spec.state_machines["DOOR"]
    assert [c.id for c in machine.cells] == ["DOOR@DOOR_SHUT:Open", "DOOR@DOOR_SHUT:Shut", "DOOR@DOOR_OPEN:Open",
                                             "DOOR@DOOR_OPEN:Shut"]
    assert machine.cell("DOOR_SHUT", "Shut").unspecified == "No page says."
    assert machine.cell("DOOR_OPEN", "Open").outcomes[0].code == "E_INVALIDARG"
    assert machine.cell("DOOR_SHUT", "Open").outcomes[0].events[0].args == ("DOOR_SHUT",)


@pytest.mark.parametrize("old, new, expected", [
    pytest.param("states: [DOOR_SHUT, DOOR_OPEN]", "states: [DOOR_SHUT, DOOR_OPEN, DOOR_AJAR]",
                 r"door\.yaml:49:36: DOOR: state DOOR_AJAR is not a value of the enumeration DOOR",
                 id="state-not-enum-value"),
    pytest.param("    not_states:\n      DOOR_GONE: Nothing takes the door away.\n", "",
                 r"door\.yaml:49:13: DOOR: every value of DOOR is a state or listed in not_states with a reason; "
                 r"missing: DOOR_GONE", id="enum-value-unaccounted"),
    pytest.param("Open: {member: IDoor.Open}", "Open: {member: IDoor.Opne}",
                 r"door\.yaml:54:22: DOOR: operation Open: IDoor\.Opne is not a member", id="operation-not-member"),
    pytest.param("code: S_OK, to: DOOR_OPEN", "code: S_FINE, to: DOOR_OPEN",
                 r"door\.yaml:57:9: DOOR: code S_FINE is not in the HRESULT table", id="code-not-hresult"),
    pytest.param("events: [OnMoved(DOOR_SHUT)]", "events: [OnSlammed]",
                 r"door\.yaml:57:9: DOOR: OnSlammed is not an event of the event interface of every object",
                 id="event-unknown"),
    pytest.param("events: [OnMoved(DOOR_SHUT)]", "events: [OnMoved(DOOR_AJAR)]",
                 r"door\.yaml:57:9: DOOR: OnMoved\(DOOR_AJAR\): argument DOOR_AJAR is not a value of DOOR",
                 id="event-argument-unknown"),
    pytest.param("{from: DOOR_SHUT, operation: Open, code: S_OK, to: DOOR_OPEN",
                 "{from: DOOR_SHUT, operation: Open, code: S_OK, to: DOOR_SHUT",
                 r"door\.yaml:49:25: DOOR: state DOOR_OPEN cannot be reached from DOOR_SHUT", id="unreachable"),
    pytest.param("      - {operation: Shut, states: [DOOR_SHUT], reason: No page says.}\n",
                 "      - {operation: Open, states: [DOOR_OPEN], reason: Twice.}\n",
                 r"door\.yaml:55:7: DOOR: \(DOOR_SHUT, Shut\) is neither decided \(a transition or an answer\) nor "
                 r"unspecified", id="undecided-cell"),
    pytest.param("      - {operation: Shut, states: [DOOR_SHUT], reason: No page says.}\n",
                 "      - {operation: Shut, states: [DOOR_SHUT], reason: No page says.}\n"
                 "      - {operation: Open, states: [DOOR_OPEN], reason: Twice.}\n",
                 r"door\.yaml:65:36: DOOR: \(DOOR_OPEN, Open\) is both decided", id="decided-and-unspecified"),
    pytest.param("code: E_INVALIDARG, source",
                 "code: E_INVALIDARG, roles: [opener], source",
                 r"door\.yaml:62:76: DOOR has no roles, so nothing in it takes the role opener", id="unknown-role"),
    pytest.param("state_property: IDoor.State", "state_property: IDoor.Open",
                 r"door\.yaml:47:21: DOOR: IDoor\.Open is not a property of type DOOR", id="state-property"),
    pytest.param("objects: [Door]", "objects: [Window]",
                 r"door\.yaml:46:15: DOOR: Window is not a coclass with an event interface", id="object-unknown"),
    pytest.param("  DOOR:\n    summary: A door opens", "  DOORS:\n    summary: A door opens",
                 r"door\.yaml:44:3: DOORS: a state machine is keyed by its enumeration", id="no-such-enum"),
    pytest.param("{operation: Open, states: [DOOR_OPEN], code: E_INVALIDARG, source: {pages: [mini.md], "
                 "origin: pages}}",
                 "{operation: Open, states: [DOOR_OPEN], code: E_INVALIDARG}",
                 r"door\.yaml:62:36: DOOR: a transition or answer cites upstream pages \(source\) or an erratum",
                 id="uncited"),
    pytest.param("{operation: Open, states: [DOOR_OPEN], code: E_INVALIDARG,",
                 "{operation: Open, states: [DOOR_OPEN, DOOR_OPEN], code: E_INVALIDARG,",
                 r"door\.yaml:62:35: state_machines\.DOOR\.answers\[0\]\.states: .* has non-unique elements",
                 id="schema-duplicate-state"),
])
def test_machine_problems_are_located(tmp_path, old, new, expected):
    found = problems(tmp_path, old, new)
    assert any(re.search(expected, p) for p in found), found


def test_several_outcomes_of_one_cell_each_need_a_condition(tmp_path):
    extra = ("      - {from: DOOR_SHUT, operation: Open, code: S_OK, to: DOOR_SHUT,\n"
             "         source: {pages: [mini.md], origin: pages}}\n")
    anchor = "      - {from: DOOR_OPEN, operation: Shut"
    found = problems(tmp_path, anchor, extra + anchor)
    assert any(re.search(r"door\.yaml:59:9: DOOR: \(DOOR_SHUT, Open\) is decided twice \(also at .*door\.yaml:57:9\)",
                         p) for p in found), found


def test_roles_of_the_shipped_session_machine_are_checked(tmp_path):
    """An unknown initial role, and a transition without a role in a machine that has roles."""
    import shutil

    from msgrspec import resources

    copy = tmp_path / "spec"
    shutil.copytree(resources.spec_dir(), copy)
    path = copy / "state-machines.yaml"
    text = path.read_text()
    text = text.replace("initial_role: inviter", "initial_role: host", 1)
    text = text.replace("        operation: Application\n        role: inviter\n", "        operation: Application\n",
                        1)
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        load_spec(copy)
    found = [str(p) for p in info.value.problems]
    for expected in (r"state-machines\.yaml:\d+:19: SESSION_STATE: the initial role host is not one of the roles "
                     r"\(inviter, invitee\)",
                     r"state-machines\.yaml:\d+:\d+: SESSION_STATE has roles \(.*\): say which party acts"):
        assert any(re.search(expected, p) for p in found), (expected, found)
