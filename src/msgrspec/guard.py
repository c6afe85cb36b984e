"""Keeping faults of an implementation inside the test that met them.

Every call into an adapter goes through `GuardedParty`: an exception the
adapter raises, or an answer of the wrong type, becomes an `AdapterFault`
that fails the current test with a clear reason; the run goes on.
"""
from __future__ import annotations

from typing import Any

from .adapter import EventRecord, ObjRef, Outcome, Party


class AdapterFault(AssertionError):
    """The implementation broke the adapter contract (raised, or answered with the wrong type)."""


class Trace:
    """The adapter operations of one test, in order, with their results: the test's reproducer."""

    def __init__(self) -> None:
        #: (party, operation, arguments, result) as the adapter gave them; made plain only when read, since
        #: only a failed test's steps are ever read
        self._recorded: list[tuple[str, str, tuple, Any]] = []
        #: what went wrong first in the test, whatever the test or hypothesis made of it afterwards: a fault of
        #: the implementation (an exception, an answer of the wrong type, an interrupted operation) or a failed
        #: check of a random walk, whose replay an implementation that died meanwhile does not repeat
        self.first_failure: AssertionError | None = None

    def failed(self, error: AssertionError) -> AssertionError:
        """Keep `error` if it is the test's first failure, and give it back to be raised."""
        if self.first_failure is None:
            self.first_failure = error
        return error

    def record(self, party: str, operation: str, args: tuple, result: Any) -> None:
        self._recorded.append((party, operation, args, result))

    def __len__(self) -> int:
        return len(self._recorded)

    @property
    def steps(self) -> list[dict]:
        """The operations so far, as plain data (JSON's types)."""
        return [{"party": party, "op": operation, "args": [_plain(a) for a in args], "result": _plain(result)}
                for party, operation, args, result in self._recorded]

    def result(self, index: int) -> Any:
        """The result of operation `index`, as plain data."""
        return _plain(self._recorded[index][3])

    def restart(self) -> None:
        """Forget the operations so far (a new example of an exploration begins)."""
        self._recorded.clear()


def _plain(value: Any) -> Any:
    if isinstance(value, ObjRef):
        return {"object": value.object_id, "interface": value.interface}
    if isinstance(value, Outcome):
        return {"hr": f"0x{value.hr & 0xFFFFFFFF:08X}", "value": _plain(value.value),
                "outs": [_plain(v) for v in value.outs]}
    if isinstance(value, EventRecord):
        return {"event": f"{value.dispinterface}.{value.name}", "args": [_plain(a) for a in value.args]}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


class GuardedParty:
    """A Party whose every answer is checked; the test talks only to this."""

    def __init__(self, party: Party, role: str, trace: Trace):
        self._party = party
        self.role = role
        self.trace = trace
        self.signin = self._guard("signin", (), lambda: party.signin, str)
        self.events_synchronous = self._guard("events_synchronous", (),
                                              lambda: getattr(party, "events_synchronous", False), bool)

    def _guard(self, operation: str, args: tuple, thunk, expected: type | tuple) -> Any:
        try:
            result = thunk()
        except AdapterFault:
            raise
        except AssertionError as exc:  # the per-test timeout interrupted the operation: keep it on record
            self.trace.record(self.role, operation, args, f"interrupted: {exc}")
            raise self.trace.failed(exc)
        except Exception as exc:  # noqa: BLE001 - any fault of the implementation is reported, not raised
            self.trace.record(self.role, operation, args, f"raised {type(exc).__name__}: {exc}")
            raise self.trace.failed(AdapterFault(f"the adapter raised {type(exc).__name__} in {operation}"
                                                f"({', '.join(map(repr, args))}): {exc}")) from exc
        if not isinstance(result, expected):
            self.trace.record(self.role, operation, args, f"returned {type(result).__name__}")
            names = expected.__name__ if isinstance(expected, type) else " or ".join(t.__name__ for t in expected)
            raise self.trace.failed(AdapterFault(f"the adapter answered {operation}({', '.join(map(repr, args))}) "
                                                f"with {type(result).__name__} {result!r:.80}, not {names}"))
        if isinstance(result, Outcome) and not isinstance(result.hr, int):
            raise self.trace.failed(AdapterFault(f"the adapter answered {operation} with an HRESULT of type "
                                                f"{type(result.hr).__name__}"))
        if operation not in ("signin", "events_synchronous"):  # attributes, not operations
            self.trace.record(self.role, operation, args, result)
        return result

    def create(self, coclass: str) -> Outcome:
        return self._guard("create", (coclass,), lambda: self._party.create(coclass), Outcome)

    def query_interface(self, obj: ObjRef, interface: str) -> Outcome:
        return self._guard("query_interface", (obj, interface),
                           lambda: self._party.query_interface(obj, interface), Outcome)

    def call(self, obj: ObjRef, method: str, *args: Any) -> Outcome:
        return self._guard("call", (obj, method, *args), lambda: self._party.call(obj, method, args), Outcome)

    def get(self, obj: ObjRef, prop: str, index: Any = None) -> Outcome:
        return self._guard("get", (obj, prop) + ((index,) if index is not None else ()),
                           lambda: self._party.get(obj, prop, index), Outcome)

    def put(self, obj: ObjRef, prop: str, value: Any, index: Any = None) -> Outcome:
        return self._guard("put", (obj, prop, value) + ((index,) if index is not None else ()),
                           lambda: self._party.put(obj, prop, value, index), Outcome)

    def connect(self, obj: ObjRef, dispinterface: str) -> Outcome:
        return self._guard("connect", (obj, dispinterface), lambda: self._party.connect(obj, dispinterface), Outcome)

    def disconnect(self, obj: ObjRef, cookie: int) -> Outcome:
        return self._guard("disconnect", (obj, cookie), lambda: self._party.disconnect(obj, cookie), Outcome)

    def events(self) -> list[EventRecord]:
        found = self._guard("events", (), self._party.events, list)
        for event in found:
            if not isinstance(event, EventRecord):
                raise self.trace.failed(AdapterFault(f"the adapter's events() gave {type(event).__name__}, "
                                                    f"not EventRecord"))
        return found

    def contact(self, signin: str) -> Outcome:
        return self._guard("contact", (signin,), lambda: self._party.contact(signin), Outcome)

    def type_info(self, name: str) -> Outcome:
        return self._guard("type_info", (name,), lambda: self._party.type_info(name), Outcome)

    def launch(self, invitation: ObjRef) -> Outcome:
        return self._guard("launch", (invitation,), lambda: self._party.launch(invitation), Outcome)

    def output(self) -> str:
        try:
            text = self._party.output()
        except Exception as exc:  # noqa: BLE001
            return f"(the adapter's output() raised {type(exc).__name__}: {exc})"
        return text if isinstance(text, str) else repr(text)
