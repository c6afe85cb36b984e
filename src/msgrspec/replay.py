"""Replaying a failure: the adapter operations a failed test made, run again against an implementation.

The JSON report keeps, for every failed assertion, the operations of the test
in order with their arguments and results (its reproducer). `replay` opens a
fresh world, performs the same operations, maps the object ids of the
recording to the new ones, and compares every result with the recorded one.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from .adapter import Adapter, ObjRef
from .errors import DocumentError, json_type, read_json
from .guard import AdapterFault, GuardedParty, Trace


class ReplayError(Exception):
    """The report or the reproducer cannot be replayed."""


@attrs.frozen
class StepResult:
    number: int
    call: str
    recorded: Any
    replayed: Any

    @property
    def same(self) -> bool:
        return self.recorded == self.replayed


def load_report(path: Path) -> dict:
    """The report in `path`; ReplayError, starting with the place, when it is not a JSON object."""
    try:
        report = read_json(path)
    except DocumentError as exc:
        raise ReplayError(str(exc)) from None
    if not isinstance(report, dict):
        raise ReplayError(f"{path}: not a msgrspec report: a JSON {json_type(report)}, not an object")
    return report


#: what every recorded step holds, and the JSON type of each
_STEP_FIELDS = {"party": str, "op": str, "args": list}


def reproducer(report: dict, assertion: str) -> list[dict]:
    """The recorded steps of one assertion of a report; ReplayError, naming the place in the report, for
    anything that is not shaped like a reproducer."""
    tests = report.get("tests", {})
    if not isinstance(tests, dict):
        raise ReplayError(f"tests: a JSON {json_type(tests)}, not an object of assertions")
    if assertion not in tests:
        close = [key for key in tests if assertion.lower() in key.lower()][:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ReplayError(f"the report has no assertion {assertion!r}{hint}")
    test = tests[assertion]
    if not isinstance(test, dict):
        raise ReplayError(f"tests.{assertion}: a JSON {json_type(test)}, not an object")
    steps = test.get("reproducer") or []
    if not isinstance(steps, list):
        raise ReplayError(f"tests.{assertion}.reproducer: a JSON {json_type(steps)}, not an array of steps")
    if not steps:
        raise ReplayError(f"{assertion} has no reproducer: its outcome was {test.get('outcome')}")
    for number, step in enumerate(steps):
        where = f"tests.{assertion}.reproducer[{number}]"
        if not isinstance(step, dict):
            raise ReplayError(f"{where}: a JSON {json_type(step)}, not a step")
        for field, kind in _STEP_FIELDS.items():
            if not isinstance(step.get(field), kind):
                found = f"a JSON {json_type(step[field])}" if field in step else "missing"
                raise ReplayError(f"{where}.{field}: {found}, not a JSON {json_type(kind())}")
        if "result" not in step:
            raise ReplayError(f"{where}.result: missing")
    return steps


class _Objects:
    """Recorded object ids -> the objects of the replay, learnt from results as they come."""

    def __init__(self) -> None:
        self.live: dict[str, ObjRef] = {}

    def argument(self, value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"object", "interface"}:
            if value["object"] not in self.live:
                raise ReplayError(f"the reproducer uses object {value['object']} before any step produced it")
            return ObjRef(self.live[value["object"]].object_id, value["interface"])
        if isinstance(value, list):
            return [self.argument(v) for v in value]
        return value

    def learn(self, recorded: Any, replayed: Any) -> Any:
        """`recorded` with the object ids of the replay where the two line up, so that they compare equal."""
        if isinstance(recorded, dict) and isinstance(replayed, dict):
            if set(recorded) == {"object", "interface"} and set(replayed) == {"object", "interface"}:
                self.live.setdefault(recorded["object"], ObjRef(replayed["object"], replayed["interface"]))
                if self.live[recorded["object"]].object_id == replayed["object"]:
                    return replayed
                return recorded
            return {k: self.learn(v, replayed.get(k)) for k, v in recorded.items()}
        if isinstance(recorded, list) and isinstance(replayed, list) and len(recorded) == len(replayed):
            return [self.learn(a, b) for a, b in zip(recorded, replayed)]
        return recorded


#: results an implementation chooses afresh each time; a replay does not compare them
_VOLATILE_EVENT_ARGS = {"OnLockChallenge": 1}  # the challenge string
_VOLATILE_PROPERTIES = {"SessionID"}


def _without_volatile(step: dict, result: Any) -> Any:
    """`result` with the values the implementation may choose differently on every run blanked out."""
    if step["op"] == "get" and len(step["args"]) > 1 and step["args"][1] in _VOLATILE_PROPERTIES \
            and isinstance(result, dict):
        return {**result, "value": "(chosen by the implementation)"}
    if step["op"] == "events" and isinstance(result, list):
        blanked = []
        for event in result:
            position = _VOLATILE_EVENT_ARGS.get(str(event.get("event", "")).rpartition(".")[2])
            if position is not None and len(event.get("args", [])) > position:
                args = list(event["args"])
                args[position] = "(chosen by the implementation)"
                event = {**event, "args": args}
            blanked.append(event)
        return blanked
    return result


class _Challenges:
    """The lock challenges of the replay: a recorded response to a challenge is recomputed for the new one."""

    def __init__(self, key: str | None):
        self.key = key
        self.latest: str | None = None

    def seen(self, result: Any) -> None:
        for event in result if isinstance(result, list) else []:
            if str(event.get("event", "")).endswith(".OnLockChallenge") and len(event.get("args", [])) > 1:
                self.latest = event["args"][1]

    def arguments(self, step: dict, args: list) -> list:
        if step["op"] == "call" and len(args) > 3 and args[1] == "SendResponse" and self.key and self.latest:
            from .suite import lock_response

            args = list(args)
            args[3] = lock_response(self.latest, self.key)
        return args


_OPERATIONS: dict[str, Callable[..., Any]] = {
    "create": lambda p, a: p.create(*a),
    "query_interface": lambda p, a: p.query_interface(*a),
    "call": lambda p, a: p.call(a[0], a[1], *a[2:]),
    "get": lambda p, a: p.get(*a),
    "put": lambda p, a: p.put(*a),
    "connect": lambda p, a: p.connect(*a),
    "disconnect": lambda p, a: p.disconnect(*a),
    "events": lambda p, a: p.events(),
    "contact": lambda p, a: p.contact(*a),
    "type_info": lambda p, a: p.type_info(*a),
    "launch": lambda p, a: p.launch(*a),
}


def replay(adapter: Adapter, steps: list[dict]) -> list[StepResult]:
    """Perform the recorded steps on a fresh world of `adapter`; each step with its recorded and new result.

    ReplayError when the implementation cannot start the replay or a step cannot be performed as recorded.
    """
    trace = Trace()
    try:
        world = adapter.open_world()
    except Exception as exc:  # noqa: BLE001 - any fault of the implementation is reported, not raised
        raise ReplayError(f"the adapter could not open a world: {type(exc).__name__}: {exc}") from None
    try:
        try:
            parties = {"local": GuardedParty(world.local, "local", trace)}
            peer = world.peer
            if peer is not None:
                parties["peer"] = GuardedParty(peer, "peer", trace)
            challenges = _Challenges(adapter.profile().lock_key)
        except Exception as exc:  # noqa: BLE001
            raise ReplayError(f"the adapter could not set up the world: {type(exc).__name__}: {exc}") from None
        objects = _Objects()
        results = []
        for number, step in enumerate(steps, 1):
            try:
                results.append(_replay_step(number, step, parties, objects, challenges, trace))
            except (TypeError, KeyError, IndexError, AttributeError, ValueError) as exc:
                raise ReplayError(f"step {number} ({step['party']}.{step['op']}) cannot be performed as "
                                  f"recorded: {type(exc).__name__}: {exc}") from None
        return results
    finally:
        try:
            world.close()
        except Exception:  # noqa: BLE001 - closing is best effort after a replay
            pass


def _replay_step(number: int, step: dict, parties: dict[str, GuardedParty], objects: _Objects,
                 challenges: _Challenges, trace: Trace) -> StepResult:
    party = parties.get(step["party"])
    if party is None:
        raise ReplayError(f"step {number} needs the {step['party']} party, which this adapter lacks")
    operation = _OPERATIONS.get(step["op"])
    if operation is None:
        raise ReplayError(f"step {number}: unknown operation {step['op']!r}")
    args = challenges.arguments(step, objects.argument(step["args"]))
    before = len(trace)
    try:
        operation(party, args)
    except AdapterFault:
        pass  # recorded in the trace like any other result
    replayed = trace.result(before) if len(trace) > before else None
    challenges.seen(replayed)
    recorded = _without_volatile(step, objects.learn(step["result"], replayed))
    replayed = _without_volatile(step, replayed)
    shown = ", ".join(repr(a) for a in step["args"])
    return StepResult(number, f"{step['party']}.{step['op']}({shown})", recorded, replayed)
