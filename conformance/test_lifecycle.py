"""The life cycles of the spec's state machines: every decided (state, operation, role) cell, checked."""
from __future__ import annotations

from msgrspec.lifecycle import run_cell


def test_state_cell(state_cell_case, spec, profile, local, request):
    """Reach the cell's state along the shortest path, perform the operation, check code, states and events."""
    machine = spec.state_machines[state_cell_case.item]
    run_cell(spec, machine, state_cell_case.data["cell"], state_cell_case.data["path"], local,
             lambda: request.getfixturevalue("peer"), profile)
