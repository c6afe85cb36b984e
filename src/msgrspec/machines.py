"""Reasoning about the spec's state machines: events as written, the parties' joint states, shortest paths.

A machine of two roles tracks both parties' objects at once (a *joint state*: one state per party, None
while that party's object does not exist yet), since one call can move both: the inviter's Invite makes
the invitee's session, the invitee's Accept connects the inviter's. The loader uses these functions to
check a machine (every state reachable, every reached cell decided); the suite uses them to drive an
implementation into a state along the shortest path.
"""
from __future__ import annotations

import re
from collections import deque
from functools import cache

from .model import Effect, MachineEvent, StateMachine, Transition

_EVENT = re.compile(r"^(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)(?:\((?P<args>[^)]*)\))?$")

Joint = tuple  # one state name (or None) per party, in the order of StateMachine.parties


def parse_event(text: str) -> MachineEvent:
    """`OnStateChanged(SS_READY)` -> MachineEvent('OnStateChanged', ('SS_READY',)); the schema checked the form."""
    match = _EVENT.match(text.strip())
    if match is None:
        raise ValueError(f"not an event: {text!r}")
    args = tuple(a.strip() for a in match["args"].split(",")) if match["args"] else ()
    return MachineEvent(match["name"], args)


def initial_joint(machine: StateMachine) -> Joint:
    return (machine.initial,) + (None,) * (len(machine.parties) - 1)


def party_of(machine: StateMachine, role: str | None) -> int:
    return machine.parties.index(role)


def _other(machine: StateMachine, party: int) -> int | None:
    return None if len(machine.parties) < 2 else 1 - party


def peer_applies(effect: Effect, state: str | None) -> bool:
    """Whether the other party's object, in `state` (None: not made yet), is one the effect can act on."""
    if effect.before is not None:
        return state == effect.before
    if effect.after is not None:
        return state is None  # the effect makes the object
    return state is not None  # events only: the object must exist to raise them


def step(machine: StateMachine, joint: Joint, transition: Transition) -> Joint | None:
    """The joint state after `transition` from `joint`, or None where it does not apply there."""
    party = party_of(machine, transition.role)
    if joint[party] != transition.from_state:
        return None
    after = list(joint)
    after[party] = transition.to_state
    other = _other(machine, party)
    if transition.peer is not None:
        if other is None or not peer_applies(transition.peer, joint[other]):
            return None
        if transition.peer.after is not None:
            after[other] = transition.peer.after
    return tuple(after)


@cache
def shortest_paths(machine: StateMachine) -> dict[tuple[int, str], tuple[Joint, tuple[Transition, ...]]]:
    """(party, state) -> the first joint state (breadth first) in which that party's object is in that state,
    and the transitions that lead there from the initial joint state."""
    start = initial_joint(machine)
    found: dict[tuple[int, str], tuple[Joint, tuple[Transition, ...]]] = {}
    seen = {start}
    queue: deque[tuple[Joint, tuple[Transition, ...]]] = deque([(start, ())])
    while queue:
        joint, path = queue.popleft()
        for party, state in enumerate(joint):
            if state is not None:
                found.setdefault((party, state), (joint, path))
        for transition in machine.transitions:
            after = step(machine, joint, transition)
            if after is not None and after not in seen:
                seen.add(after)
                queue.append((after, path + (transition,)))
    return found


def path_to(machine: StateMachine, state: str, role: str | None) -> tuple[Joint, tuple[Transition, ...]]:
    """The joint state a cell is tested in and the transitions that lead there."""
    return shortest_paths(machine)[(party_of(machine, role), state)]


__all__ = ["Joint", "parse_event", "initial_joint", "party_of", "peer_applies", "step", "shortest_paths",
           "path_to"]
