"""The life cycles of the spec's state machines: every decided (state, operation, role) cell, checked."""
from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from msgrspec.lifecycle import explorer, run_cell

#: steps of one walk: long enough to pass every state of either machine several times
STEPS = 12


def test_state_cell(state_cell_case, spec, profile, local, request):
    """Reach the cell's state along the shortest path, perform the operation, check code, states and events."""
    machine = spec.state_machines[state_cell_case.item]
    run_cell(spec, machine, state_cell_case.data["cell"], state_cell_case.data["path"], local,
             lambda: request.getfixturevalue("peer"), profile)


def explore(spec, profile, fresh_parties, machine_name: str) -> None:
    machine = spec.state_machines[machine_name]
    if len(machine.parties) > 1 and "peer" not in profile.features:
        pytest.skip(f"not applicable: {profile.implementation} cannot drive a second party ('peer' feature)")
    local, _ = fresh_parties()
    # where events are asynchronous, each step also costs a barrier per party (a registration and its event):
    # fewer walks
    budget = {} if local.events_synchronous else {"max_examples": 5, "stateful_step_count": 6}
    run_state_machine_as_test(explorer(spec, machine, profile, fresh_parties),
                              settings=settings(**{"stateful_step_count": STEPS, **budget}))


@pytest.mark.requirement("lifecycle.cells", "session.state.values")
def test_sessions_explored(spec, profile, fresh_parties):
    """Random walks of both parties through SESSION_STATE (derandomized unless --msgrspec-explore)."""
    explore(spec, profile, fresh_parties, "SESSION_STATE")


@pytest.mark.requirement("lifecycle.cells", "lock.status-changed.event")
def test_locks_explored(spec, profile, fresh_parties):
    """Random walks through LockStatus, on either lockable object."""
    explore(spec, profile, fresh_parties, "LockStatus")
