"""Driving an implementation through the spec's state machines.

A `Driver` knows how to make the objects of one machine and how to perform each of its operations through
guarded parties; everything else comes from the machine: the path into a state, the code, the states and
the events each step must give. `run_cell` checks one cell (the generated case `MACHINE@STATE:Op/role`);
the stateful exploration (conformance/test_lifecycle.py) uses `Stepper` for arbitrary walks.
"""
from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from .adapter import EventRecord, ObjRef, Outcome, Profile
from .guard import GuardedParty
from .machines import Joint, initial_joint, party_of, step
from .model import Cell, MachineEvent, Operation, Spec, StateMachine, Transition
from .suite import (
    APP_NAME, APP_PATH, APP_URL, EVENT_WAIT, SpecValues, assert_ok, barrier, barrier_fence, created,
    event_interface_of, hex_hr, lock_response, prerequisite, register_app, unlocked,
)

PeerFactory = Callable[[], GuardedParty]


class Driver:
    """The objects of one machine in one world: one per party (None until it exists)."""

    def __init__(self, spec: Spec, coclass: str, parties: list[GuardedParty | None], profile: Profile):
        self.spec, self.coclass, self.parties, self.profile = spec, coclass, parties, profile
        self.objects: list[ObjRef | None] = [None] * len(parties)

    def begin(self) -> None:
        """Make the first party's object, in the machine's initial state."""
        raise NotImplementedError

    def perform(self, party: int, operation: Operation) -> Outcome:
        raise NotImplementedError

    def state(self, party: int) -> Any:
        raise NotImplementedError

    def learn(self, party: int, events: list[EventRecord]) -> None:
        """Take note of what the events bring (an object, a challenge)."""

    def can(self, operation: Operation) -> bool:
        """Whether the implementation's profile lets the suite perform the operation at all."""
        return True

    def watched(self, event: EventRecord) -> bool:
        """Whether the event reached the listener the machine's events are about (not a second one)."""
        return True

    def event_interface(self) -> str:
        return event_interface_of(self.coclass)


class SessionDriver(Driver):
    """SESSION_STATE: the inviter's session (local party) and the invitee's (peer party, once invited)."""

    DATA = "msgrspec"

    def begin(self) -> None:
        local, peer = self.parties
        manager = unlocked(local, "MsgrSessionManager", self.profile)
        self.app_guid = register_app(local, manager)
        if peer is not None:
            peer_manager = unlocked(peer, "MsgrSessionManager", self.profile)
            peer.call(peer_manager, "RegisterApplication", self.app_guid, APP_NAME, APP_URL, APP_PATH, 0)
            assert_ok(peer.connect(peer_manager, "DMsgrSessionManagerEvents"), "connect the invitee's manager")
        made = local.call(manager, "CreateSession")
        assert_ok(made, "CreateSession")
        self.objects[0] = made.value
        assert_ok(local.connect(made.value, "DMsgrSessionEvents"), "connect DMsgrSessionEvents on the session")
        assert_ok(local.put(made.value, "Application", self.app_guid), "put Application")

    def perform(self, party: int, operation: Operation) -> Outcome:
        who, session = self.parties[party], self.objects[party]
        name = operation.member.split(".")[1]
        if name == "Application":
            return who.put(session, "Application", self.app_guid)
        if name == "Invite":
            other = self.parties[1 - party]
            contact = who.contact(other.signin if other is not None else who.signin)
            assert_ok(contact, "the contact to invite")
            return who.call(session, "Invite", contact.value, self.DATA)
        args = {"Cancel": (0, self.DATA)}.get(name, (self.DATA,))
        return who.call(session, name, *args)

    def state(self, party: int) -> Any:
        assert self.objects[party] is not None, "the invitee's session never arrived (no OnInvitation)"
        answer = self.parties[party].get(self.objects[party], "State")
        assert_ok(answer, "get State")
        return answer.value

    def learn(self, party: int, events: list[EventRecord]) -> None:
        for event in events:
            if event.name == "OnInvitation" and self.objects[party] is None and isinstance(event.args[0], ObjRef):
                self.objects[party] = event.args[0]
                assert_ok(self.parties[party].connect(event.args[0], "DMsgrSessionEvents"),
                          "connect DMsgrSessionEvents on the invitee's session")


class LockDriver(Driver):
    """LockStatus: one lockable object of the local party and its IMsgrLock pointer."""

    _cookies = itertools.count(0x5100)

    def begin(self) -> None:
        local = self.parties[0]
        self.objects[0] = created(local, self.coclass)
        lock = local.query_interface(self.objects[0], "IMsgrLock")
        assert_ok(lock, f"QueryInterface(IMsgrLock) on {self.coclass}")
        self.lock: ObjRef = lock.value
        self.cookie, self.challenge = 1, ""  # of the open challenge, as OnLockChallenge gave them
        self.sink: int | None = None  # the first listener; another one hears the same events again

    def watched(self, event: EventRecord) -> bool:
        return event.cookie == self.sink

    def can(self, operation: Operation) -> bool:
        return operation.arguments != "right-response" or bool(self.profile.lock_id and self.profile.lock_key)

    def perform(self, party: int, operation: Operation) -> Outcome:
        local = self.parties[0]
        if operation.action == "connect":
            connected = local.connect(self.objects[0], self.event_interface())
            if connected.ok and self.sink is None:
                self.sink = connected.value
            return connected
        if operation.member == "IMsgrLock.RequestChallenge":
            return local.call(self.lock, "RequestChallenge", next(self._cookies))
        if operation.arguments == "right-response":
            if not (self.profile.lock_id and self.profile.lock_key):
                pytest.skip("not applicable: the profile gives no test ID/key pair for Lock and Key")
            response = lock_response(self.challenge, self.profile.lock_key)
        else:  # a near miss: the digest (of the right key, if the profile gives it) with its first digit changed
            digest = lock_response(self.challenge, self.profile.lock_key or "certainly not the key")
            response = ("1" if digest[0] == "0" else "0") + digest[1:]
        return local.call(self.lock, "SendResponse", self.profile.lock_id or "msgrspec", response, self.cookie)

    def state(self, party: int) -> Any:
        answer = self.parties[0].get(self.lock, "Status")
        assert_ok(answer, f"get Status of {self.coclass}")
        return answer.value

    def learn(self, party: int, events: list[EventRecord]) -> None:
        for event in events:
            if event.name == "OnLockChallenge" and len(event.args) > 1:
                self.cookie, self.challenge = event.args[0], str(event.args[1])


DRIVERS: dict[str, type[Driver]] = {"SESSION_STATE": SessionDriver, "LockStatus": LockDriver}


def needs_peer(machine: StateMachine, transitions: tuple[Transition, ...]) -> bool:
    """Whether these steps involve a second party: one acts, or is acted on."""
    return any(t.role not in (None, machine.parties[0]) or t.peer is not None for t in transitions)


def _collect(party: GuardedParty, fence: tuple[ObjRef, int] | None, count: int) -> list[EventRecord]:
    """The events a step raised on `party`: at least `count` (or until the wait runs out), then every other one
    raised before a barrier on `fence` (the party's own session manager and its sink's cookie). What reached
    the fence's sink, and the barrier's OnAppRegistered, which the party's other manager sinks hear too, are
    left out. A party whose events are queued before each operation returns (`events_synchronous`, so fence
    is None) is asked once."""
    if fence is None:
        return party.events()
    manager, cookie = fence
    found: list[EventRecord] = []
    deadline = time.monotonic() + EVENT_WAIT
    while len(found) < count and time.monotonic() < deadline:
        fresh = party.events()
        found += fresh
        if not fresh:
            time.sleep(0.01)
    guid = barrier(party, manager, found)
    return [e for e in found if e.cookie != cookie and not (e.name == "OnAppRegistered" and e.args == (guid,))]


class Stepper:
    """One walk through a machine: the joint state the spec expects, and the checks of each step."""

    def __init__(self, spec: Spec, machine: StateMachine, driver: Driver):
        self.spec, self.machine, self.driver = spec, machine, driver
        self.values = SpecValues(spec)
        self.names = {v.value: v.name for v in spec.enums[machine.name].values}
        self.joint: Joint = initial_joint(machine)
        self.fences: dict[int, tuple[ObjRef, int] | None] = {}

    def begin(self) -> None:
        # the fences are made first: making one raises events of its own, which its first barrier consumes
        for index, who in enumerate(self.driver.parties):
            if who is not None:
                self.fences[index] = None if who.events_synchronous else barrier_fence(who, self.driver.profile)
        self.driver.begin()
        for index, who in enumerate(self.driver.parties):  # what setting up raised is no step's business
            if who is not None:
                self.driver.learn(index, _collect(who, self.fences[index], 0))
        found = self.state_name(0)
        assert found == self.machine.initial, \
            f"a new {self.driver.coclass} is in {found}, not in the initial state {self.machine.initial}"

    def state_name(self, party: int) -> str:
        value = self.driver.state(party)
        return self.names.get(value, repr(value))

    def describe(self, cell: Cell) -> str:
        by = f" by the {cell.role}" if cell.role else ""
        return f"{cell.operation}{by} in {cell.state} ({self.driver.coclass})"

    def perform(self, cell: Cell, check_events: bool = True) -> Transition:
        """Perform the cell's operation in the current joint state; check it against one of its outcomes."""
        machine, driver = self.machine, self.driver
        party = party_of(machine, cell.role)
        outcome = driver.perform(party, machine.operation(cell.operation))
        what = self.describe(cell)
        codes = [t for t in cell.outcomes if getattr(self.values, t.code) & 0xFFFFFFFF == outcome.hr & 0xFFFFFFFF]
        wanted = " or ".join(dict.fromkeys(f"{t.code} ({hex_hr(getattr(self.values, t.code))})"
                                           for t in cell.outcomes))
        assert codes, f"{what}: expected {wanted}, got {self._code_name(outcome.hr)}"
        observed = {}
        for index, who in enumerate(driver.parties):
            if who is not None:
                count = max(len(self._expected(t, index)) for t in codes)
                observed[index] = [e for e in _collect(who, self.fences[index], count) if driver.watched(e)]
                driver.learn(index, observed[index])
        now = self.state_name(party)
        chosen = next((t for t in codes if t.to_state == now), None)
        assert chosen is not None, f"{what}: State afterwards is {now}, expected " \
                                   f"{' or '.join(dict.fromkeys(t.to_state for t in codes))}"
        after = step(machine, self.joint, chosen) or self.joint
        for index, state in enumerate(after):
            if index != party and state is not None:
                seen = self.state_name(index)
                assert seen == state, f"{what}: the other party's State afterwards is {seen}, expected {state}"
        if check_events:
            for index, events in observed.items():
                self._check_events(what, index == party, self._expected(chosen, index, party), events)
        self.joint = after
        return chosen

    def _expected(self, transition: Transition, index: int, party: int | None = None) -> tuple[MachineEvent, ...]:
        acting = party_of(self.machine, transition.role) if party is None else party
        if index == acting:
            return transition.events
        return transition.peer.events if transition.peer is not None else ()

    def _code_name(self, hr: int) -> str:
        names = [name for name, item in self.spec.hresults.items() if item.value == hr & 0xFFFFFFFF]
        return f"{names[0]} ({hex_hr(hr)})" if names else hex_hr(hr)

    def _event_matches(self, expected: MachineEvent, event: EventRecord) -> bool:
        name = expected.name if "." in expected.name else f"{self.driver.event_interface()}.{expected.name}"
        if f"{event.dispinterface}.{event.name}" != name or len(event.args) < len(expected.args):
            return False
        for want, got in zip(expected.args, event.args):
            if want == "*":
                continue
            value = {"TRUE": True, "FALSE": False}.get(want)
            if value is None:
                value = getattr(self.values, want)
            if got != value:
                return False
        return True

    def _show(self, event: EventRecord) -> str:
        args = [self.names.get(a, repr(a)) if type(a) is int else repr(a) for a in event.args]
        return f"{event.name}({', '.join(args)})"

    def _check_events(self, what: str, acting: bool, expected: tuple[MachineEvent, ...],
                      events: list[EventRecord]) -> None:
        if len(events) == len(expected) and all(self._event_matches(e, r) for e, r in zip(expected, events)):
            return
        shown = ", ".join(self._show(e) for e in events) or "none"
        side = "the caller's" if acting else "the other party's"
        raise AssertionError(f"{what}: {side} events were [{shown}], expected "
                             f"[{', '.join(e.text for e in expected) or 'none'}], in that order")


def run_cell(spec: Spec, machine: StateMachine, cell: Cell, path: tuple[Transition, ...], local: GuardedParty,
             peer: PeerFactory, profile: Profile) -> None:
    """Reach the cell's state along `path` (a failed step blocks the case, naming that step's cell), then check
    the cell: code, the states of both parties afterwards, the events of each, in order."""
    with_peer = needs_peer(machine, path + cell.outcomes)
    for coclass in machine.objects:
        parties = [local] + ([peer() if with_peer else None] if len(machine.parties) > 1 else [])
        stepper = Stepper(spec, machine, DRIVERS[machine.name](spec, coclass, parties, profile))
        stepper.begin()
        for transition in path:
            on_the_way = machine.cell(transition.from_state, transition.operation, transition.role)
            with prerequisite(on_the_way.id):
                taken = stepper.perform(on_the_way, check_events=False)
            if taken != transition:
                pytest.skip(f"not applicable: {on_the_way.id} took the outcome for which {taken.condition}, so "
                            f"{cell.state} is out of reach")
        stepper.perform(cell)


#: how often one party may repeat one operation in one example: the machines do not count calls (five
#: SendContextData are allowed, a sixth need not be)
REPEATS = 5


def explorer(spec: Spec, machine: StateMachine, profile: Profile,
             open_parties: Callable[[], tuple[GuardedParty, GuardedParty | None]]) -> type[RuleBasedStateMachine]:
    """A hypothesis state machine that walks `machine` with both parties acting, each step checked like a cell.

    Every example opens a fresh world; a failing walk is shrunk, and its message names the steps before it.
    """
    #: each decided cell with its party and operation, looked up once for every step of every walk
    decided = [(cell, party_of(machine, cell.role), machine.operation(cell.operation))
               for cell in machine.cells if cell.unspecified is None]
    strategies: dict[tuple[str, ...], st.SearchStrategy[str]] = {}

    def cell_strategy(choices: dict[str, Cell]) -> st.SearchStrategy[str]:
        """The draw of the next cell among `choices`, made once for each set of choices (hypothesis checks
        a new strategy on its first draw): half the draws go to a transition, so walks get deep."""
        key = tuple(choices)
        if key not in strategies:
            moves = [cell_id for cell_id, cell in choices.items() if cell.moves]
            anything = st.sampled_from(key)
            strategies[key] = st.one_of(st.sampled_from(moves), anything) if moves else anything
        return strategies[key]

    class Exploration(RuleBasedStateMachine):
        @initialize(coclass=st.sampled_from(machine.objects))
        def begin(self, coclass: str) -> None:
            local, peer = open_parties()
            self.trace = local.trace
            parties = [local] + ([peer] if len(machine.parties) > 1 else [])
            self.stepper = Stepper(spec, machine, DRIVERS[machine.name](spec, coclass, parties, profile))
            try:
                self.stepper.begin()
            except AssertionError as exc:
                raise self.trace.failed(exc)
            self.walk: list[str] = []
            self.counts: Counter = Counter()

        def choices(self) -> list[Cell]:
            """The decided cells the parties' objects are in now, in the machine's order."""
            joint, can = self.stepper.joint, self.stepper.driver.can
            return [cell for cell, party, operation in decided
                    if joint[party] == cell.state and self.counts[(party, cell.operation)] < REPEATS and can(operation)]

        @precondition(lambda self: bool(self.choices()))
        @rule(data=st.data())
        def act(self, data) -> None:
            choices = {c.id: c for c in self.choices()}
            cell = choices[data.draw(cell_strategy(choices), label="cell")]
            self.counts[(party_of(machine, cell.role), cell.operation)] += 1
            before = ", ".join(self.walk) or "nothing"
            self.walk.append(cell.operation + (f"/{cell.role}" if cell.role else ""))
            try:
                self.stepper.perform(cell)
            except AssertionError as exc:
                raise self.trace.failed(AssertionError(f"step {len(self.walk)} of the walk [{', '.join(self.walk)}] "
                                                       f"(after {before}): {exc}")) from exc

    Exploration.__name__ = f"Explore{machine.name}"
    return Exploration


__all__ = ["DRIVERS", "REPEATS", "Driver", "LockDriver", "SessionDriver", "Stepper", "explorer", "needs_peer",
           "run_cell"]
