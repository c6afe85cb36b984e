"""Helpers the conformance tests share: unlocking objects, waiting for events, making arguments.

They speak only through a (guarded) Party, so they work for any adapter.
"""
from __future__ import annotations

import contextlib
import hashlib
import time
import uuid
from collections.abc import Callable

from .adapter import EventRecord, ObjRef, Outcome, Profile
from .guard import GuardedParty
from .model import Spec

#: how long to wait for an event an implementation fires asynchronously
EVENT_WAIT = 5.0


def hex_hr(hr: int) -> str:
    return f"0x{hr & 0xFFFFFFFF:08X}"


#: HRESULT value -> name; the plugin adds the codes of the spec under test (`name_codes`)
_CODE_NAMES: dict[int, str] = {}


def name_codes(spec: Spec) -> None:
    """Make failures name the HRESULTs of `spec` (the first name of a value wins)."""
    _CODE_NAMES.clear()
    for hresult in spec.hresults.values():
        _CODE_NAMES.setdefault(hresult.value & 0xFFFFFFFF, hresult.name)


def describe_hr(hr: int) -> str:
    """`SR_APP_ALREADY_REGISTERED (0x8100060D)`, or the hex value alone for a code the spec does not name."""
    name = _CODE_NAMES.get(hr & 0xFFFFFFFF)
    return f"{name} ({hex_hr(hr)})" if name else hex_hr(hr)


class CodeMismatch(AssertionError):
    """An operation answered with another HRESULT than the one the spec requires.

    `expected` is the code, or None when any success (or, with `want_success` False, any failure) would do.
    """

    def __init__(self, what: str, actual: int, expected: int | None = None, want_success: bool = True):
        wanted = describe_hr(expected) if expected is not None else ("success" if want_success
                                                                     else "a failure HRESULT")
        super().__init__(f"{what}: expected {wanted}, got {describe_hr(actual)}")
        self.what, self.actual, self.expected = what, actual, expected


def assert_hr(outcome: Outcome, expected: int, what: str) -> None:
    """Fail with both codes, named and in hex, unless outcome.hr == expected."""
    if outcome.hr & 0xFFFFFFFF != expected & 0xFFFFFFFF:
        raise CodeMismatch(what, outcome.hr, expected)


def assert_ok(outcome: Outcome, what: str) -> None:
    if not outcome.ok:
        raise CodeMismatch(what, outcome.hr)


def assert_failed(outcome: Outcome, what: str) -> None:
    if outcome.ok:
        raise CodeMismatch(what, outcome.hr, want_success=False)


def new_guid() -> str:
    """A fresh application GUID in the registry form the pages ask for: braces, upper case."""
    return "{" + str(uuid.uuid4()).upper() + "}"


def lock_response(challenge: str, key: str) -> str:
    """The response to a lock challenge: MD5 of the challenge followed by the key, 32 lower-case hex digits."""
    return hashlib.md5((challenge + key).encode("utf-8")).hexdigest()


def wait_for(party: GuardedParty, predicate: Callable[[EventRecord], bool], what: str,
             timeout: float = EVENT_WAIT, seen: list[EventRecord] | None = None) -> EventRecord:
    """The first event (from `seen`, then as they arrive) that satisfies predicate; fail after timeout."""
    pending = seen if seen is not None else []
    deadline = time.monotonic() + timeout
    while True:
        for event in list(pending):
            if predicate(event):
                pending.remove(event)
                return event
        pending.extend(party.events())
        if any(predicate(e) for e in pending):
            continue
        if time.monotonic() >= deadline:
            names = ", ".join(f"{e.dispinterface}.{e.name}{e.args}" for e in pending) or "none"
            raise AssertionError(f"{what}: the event did not arrive within {timeout:g} s (events seen: {names})")
        time.sleep(0.01)


def named(dispinterface: str, name: str) -> Callable[[EventRecord], bool]:
    return lambda e: e.dispinterface == dispinterface and e.name == name


def events_until(party: GuardedParty, predicate: Callable[[EventRecord], bool], what: str,
                 timeout: float = EVENT_WAIT) -> list[EventRecord]:
    """Every event that arrives, in order, until one satisfies predicate; fail after timeout."""
    found: list[EventRecord] = []
    deadline = time.monotonic() + timeout
    while not any(predicate(e) for e in found):
        if time.monotonic() >= deadline:
            names = ", ".join(f"{e.dispinterface}.{e.name}{e.args}" for e in found) or "none"
            raise AssertionError(f"{what}: the event did not arrive within {timeout:g} s (events seen: {names})")
        fresh = party.events()
        found.extend(fresh)
        if not fresh:
            time.sleep(0.01)
    return found


def wait_until(check: Callable[[], bool], what: str, timeout: float = EVENT_WAIT) -> None:
    """Poll check until it holds; fail after timeout."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not the case within {timeout:g} s")
        time.sleep(0.01)


class SpecValues:
    """The spec's HRESULTs and enumeration constants by name: `values.SR_NOT_INVITEE`, `values.SS_READY`."""

    def __init__(self, spec: Spec):
        self._values = {name: item.value for name, item in spec.hresults.items()}
        for enum in spec.enums.values():
            for value in enum.values:
                self._values.setdefault(value.name, value.value)

    def __getattr__(self, name: str) -> int:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"the spec defines no HRESULT or enumeration value {name!r}") from None


def event_interface_of(coclass_name: str) -> str:
    return {"MsgrSessionManager": "DMsgrSessionManagerEvents", "MessengerPriv": "DMessengerPrivateEvents",
            "MsgrSession": "DMsgrSessionEvents"}[coclass_name]


class PrerequisiteFailed(AssertionError):
    """A step that the test only relies on failed; the test is reported blocked by that prerequisite.

    `prerequisite` is the assertion id that checks the step itself (a coclass case such as
    ``MsgrSessionManager#create``, or a requirement id such as ``lock.response.success``); that
    assertion is where the failure is counted.
    """

    def __init__(self, prerequisite: str, message: str):
        super().__init__(message)
        self.prerequisite = prerequisite


@contextlib.contextmanager
def prerequisite(assertion_id: str):
    """Turn a failure inside the block into PrerequisiteFailed(assertion_id)."""
    try:
        yield
    except PrerequisiteFailed:
        raise
    except AssertionError as exc:
        raise PrerequisiteFailed(assertion_id, str(exc)) from exc


def created(party: GuardedParty, coclass_name: str) -> ObjRef:
    """A new object of coclass_name; its creation is a prerequisite (`<coclass>#create`)."""
    with prerequisite(f"{coclass_name}#create"):
        outcome = party.create(coclass_name)
        assert_ok(outcome, f"create {coclass_name}")
    return outcome.value


#: the requirement whose test checks that the test ID/key pair unlocks an object
UNLOCK_PREREQUISITE = "lock.response.success"
#: the requirement whose test checks that an invitation reaches the other party
PEER_PREREQUISITE = "session.invite.sends"


def unlock(party: GuardedParty, obj: ObjRef, coclass_name: str, profile: Profile, cookie: int = 4242) -> None:
    """Run the lock-and-key exchange on obj (an object of coclass_name) when the implementation enforces it."""
    if "lock-enforced" not in profile.features:
        return
    with prerequisite(UNLOCK_PREREQUISITE):
        _exchange(party, obj, coclass_name, profile, cookie)


def _exchange(party: GuardedParty, obj: ObjRef, coclass_name: str, profile: Profile, cookie: int) -> None:
    assert profile.lock_id and profile.lock_key, "the profile enforces the lock but gives no test ID/key pair"
    events = event_interface_of(coclass_name)
    connection = party.connect(obj, events)
    assert_ok(connection, f"connect {events}")
    lock = party.query_interface(obj, "IMsgrLock")
    assert_ok(lock, "QueryInterface(IMsgrLock)")
    assert_ok(party.call(lock.value, "RequestChallenge", cookie), "RequestChallenge")
    challenge = wait_for(party, named(events, "OnLockChallenge"), "OnLockChallenge after RequestChallenge")
    assert challenge.args[0] == cookie, f"OnLockChallenge carried cookie {challenge.args[0]}, not {cookie}"
    assert_ok(party.call(lock.value, "SendResponse", profile.lock_id, lock_response(challenge.args[1],
                                                                                     profile.lock_key), cookie),
              "SendResponse")
    result = wait_for(party, named(events, "OnLockResult"), "OnLockResult after SendResponse")
    assert result.args == (cookie, True), f"OnLockResult{result.args}: the test ID/key pair was refused"
    party.disconnect(obj, connection.value)


def unlocked(party: GuardedParty, coclass_name: str, profile: Profile) -> ObjRef:
    """A new object of coclass_name, unlocked where the lock is enforced."""
    obj = created(party, coclass_name)
    unlock(party, obj, coclass_name, profile)
    return obj


APP_NAME = "msgrspec probe"
APP_URL = "http://example.invalid/msgrspec-probe"
APP_PATH = "C:\\Program Files\\msgrspec\\probe.exe"


def register_app(party: GuardedParty, manager: ObjRef) -> str:
    """Register a fresh application on an unlocked session manager; its GUID."""
    guid = new_guid()
    assert_ok(party.call(manager, "RegisterApplication", guid, APP_NAME, APP_URL, APP_PATH, 0), "RegisterApplication")
    return guid


def barrier(party: GuardedParty, manager: ObjRef, seen: list[EventRecord]) -> str:
    """Cause a known event and wait for it; every event the party received before it is then in `seen`.

    The known event is the OnAppRegistered of a fresh registration on `manager` (unlocked, with a
    DMsgrSessionManagerEvents sink). A party's events arrive in the order they were raised, so an event that
    an earlier operation raised is in `seen` by then, however slowly the implementation delivers: one that is
    not there was not raised. (A quiet spell would prove nothing about an implementation slower than it.)
    Returns the registered GUID: the party's other manager sinks hear its OnAppRegistered too.
    """
    guid = register_app(party, manager)
    wait_for(party, lambda e: e.name == "OnAppRegistered" and e.args == (guid,), "OnAppRegistered (barrier)",
             seen=seen)
    return guid


def barrier_fence(party: GuardedParty, profile: Profile) -> tuple[ObjRef, int]:
    """A new unlocked session manager of `party` with a sink, for `barrier`, and that sink's cookie.

    Make it before the operations a test checks: making it raises events of its own (the unlock exchange),
    which a first barrier consumes here so that they do not mix with the test's. Its sink hears what every
    session manager of the party hears (OnInvitation, say): a check that counts events leaves that sink out.
    """
    manager = unlocked(party, "MsgrSessionManager", profile)
    sink = party.connect(manager, "DMsgrSessionManagerEvents")
    assert_ok(sink, "connect DMsgrSessionManagerEvents (barrier)")
    barrier(party, manager, [])
    return manager, sink.value


def barrier_manager(party: GuardedParty, profile: Profile) -> ObjRef:
    """The manager of `barrier_fence`."""
    return barrier_fence(party, profile)[0]


class Invitation:
    """Two parties with an invitation under way: the inviter's and the recipient's session objects.

    `sent()` stops after Invite, with the recipient's session taken from OnInvitation;
    `accepted()` goes on until both sides are connected.
    """

    def __init__(self, inviter: GuardedParty, recipient: GuardedParty, profile: Profile):
        self.inviter, self.recipient, self.profile = inviter, recipient, profile
        self.inviter_manager = unlocked(inviter, "MsgrSessionManager", profile)
        self.recipient_manager = unlocked(recipient, "MsgrSessionManager", profile)
        self.app_guid = register_app(inviter, self.inviter_manager)
        recipient.call(self.recipient_manager, "RegisterApplication", self.app_guid, APP_NAME, APP_URL, APP_PATH, 0)
        self.recipient_sink = recipient.connect(self.recipient_manager, "DMsgrSessionManagerEvents")
        assert_ok(self.recipient_sink, "connect DMsgrSessionManagerEvents on the recipient")
        created = inviter.call(self.inviter_manager, "CreateSession")
        assert_ok(created, "CreateSession")
        self.inviter_session: ObjRef = created.value
        self.inviter_sink = inviter.connect(self.inviter_session, "DMsgrSessionEvents")
        assert_ok(self.inviter_sink, "connect DMsgrSessionEvents on the inviter's session")
        assert_ok(inviter.put(self.inviter_session, "Application", self.app_guid), "put Application")
        self.recipient_session: ObjRef | None = None

    def contact(self) -> ObjRef:
        found = self.inviter.contact(self.recipient.signin)
        assert_ok(found, f"contact({self.recipient.signin!r})")
        return found.value

    def send(self, app_data: str = "msgrspec") -> Outcome:
        return self.inviter.call(self.inviter_session, "Invite", self.contact(), app_data)

    def sent(self, app_data: str = "msgrspec") -> Invitation:
        with prerequisite(PEER_PREREQUISITE):
            assert_ok(self.send(app_data), "Invite")
            invitation = wait_for(self.recipient, named("DMsgrSessionManagerEvents", "OnInvitation"),
                                  "OnInvitation on the recipient")
        self.recipient_session = invitation.args[0]
        assert isinstance(self.recipient_session, ObjRef), "OnInvitation did not carry a session object"
        sink = self.recipient.connect(self.recipient_session, "DMsgrSessionEvents")
        assert_ok(sink, "connect DMsgrSessionEvents on the recipient's session")
        return self

    def accepted(self, app_data: str = "msgrspec") -> Invitation:
        self.sent()
        assert_ok(self.recipient.call(self.recipient_session, "Accept", app_data), "Accept")
        wait_for(self.inviter, named("DMsgrSessionEvents", "OnAccepted"), "OnAccepted on the inviter")
        return self
