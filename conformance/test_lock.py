"""Behaviour of Lock and Key (IMsgrLock) on MsgrSessionManager and MessengerPriv, and the gate it keeps."""
from __future__ import annotations

import os

import pytest

from msgrspec.adapter import ObjRef
from msgrspec.suite import (
    APP_NAME, APP_PATH, APP_URL, SpecValues, assert_hr, assert_ok, barrier, barrier_manager, created,
    event_interface_of, events_until, lock_response, named, new_guid, register_app, unlock, unlocked, wait_for,
)

LOCKABLE = ("MsgrSessionManager", "MessengerPriv")
LOCK_EVENTS = {"OnLockChallenge", "OnLockResult", "OnLockEnable", "OnLockStatusChanged"}


@pytest.fixture
def v(spec) -> SpecValues:
    return SpecValues(spec)


class Exchange:
    """A new lockable object of one party, its IMsgrLock pointer and the events of its sink."""

    def __init__(self, party, coclass: str, v: SpecValues):
        self.party, self.coclass, self.v = party, coclass, v
        self.events = event_interface_of(coclass)
        self.obj: ObjRef = created(party, coclass)
        lock = party.query_interface(self.obj, "IMsgrLock")
        assert_ok(lock, f"QueryInterface(IMsgrLock) on {coclass}")
        self.lock: ObjRef = lock.value
        self.seen: list = []  # events not yet looked at
        self.taken: list = []  # the challenge and result events the test looked at
        self.cookie = None

    def status(self) -> int:
        answer = self.party.get(self.lock, "Status")
        assert_ok(answer, f"get Status of {self.coclass}")
        return answer.value

    def listen(self) -> bool:
        """Connect a sink; once the lock has come up, whether it is enabled (OnLockEnable's flag)."""
        assert_ok(self.party.connect(self.obj, self.events), f"connect {self.events}")
        if self.status() == self.v.LOCK_NOTINITIALIZED:
            self.seen += events_until(self.party, named(self.events, "OnLockEnable"), f"OnLockEnable on {self.coclass}")
        else:
            self.seen += self.party.events()
        return self.status() != self.v.LOCK_DISABLED

    def enabled(self) -> Exchange:
        """listen(), skipping the test where the implementation reports the lock disabled."""
        if not self.listen():
            pytest.skip("not applicable: the implementation reports Lock and Key disabled (OnLockEnable FALSE)")
        return self

    def request(self, cookie: int):
        self.cookie = cookie
        return self.party.call(self.lock, "RequestChallenge", cookie)

    def challenge(self) -> str:
        event = wait_for(self.party, named(self.events, "OnLockChallenge"), f"OnLockChallenge on {self.coclass}",
                         seen=self.seen)
        self.taken.append(event)
        assert event.args[0] == self.cookie, f"OnLockChallenge carried cookie {event.args[0]}, not {self.cookie}"
        assert isinstance(event.args[1], str) and event.args[1], f"OnLockChallenge carried {event.args[1]!r}"
        return event.args[1]

    def respond(self, app_id: str, key: str, cookie: int | None = None):
        challenge = self.challenge()
        return self.party.call(self.lock, "SendResponse", app_id, lock_response(challenge, key),
                               self.cookie if cookie is None else cookie)

    def result(self):
        event = wait_for(self.party, named(self.events, "OnLockResult"), f"OnLockResult on {self.coclass}",
                         seen=self.seen)
        self.taken.append(event)
        return event


def pair(profile) -> tuple[str, str]:
    if not (profile.lock_id and profile.lock_key):
        pytest.skip("not applicable: the profile gives no test ID/key pair for Lock and Key")
    return profile.lock_id, profile.lock_key


@pytest.mark.requirement("lock.interface.objects")
def test_lockable_objects_have_imsgrlock(local, profile, v):
    """Erratum session-imsgrlock: a session need not answer for IMsgrLock."""
    for coclass in LOCKABLE:
        found = local.query_interface(created(local, coclass), "IMsgrLock")
        assert_hr(found, v.S_OK, f"QueryInterface(IMsgrLock) on {coclass}")
        assert found.value.interface == "IMsgrLock"
    session = local.call(unlocked(local, "MsgrSessionManager", profile), "CreateSession").value
    answer = local.query_interface(session, "IMsgrLock")
    assert answer.hr in (v.S_OK, v.E_NOINTERFACE), f"QueryInterface(IMsgrLock) on a session: 0x{answer.hr:08X}"


@pytest.mark.requirement("lock.events.by-object")
def test_lock_events_arrive_on_the_objects_own_interface(local, profile, v):
    """Erratum manager-lock-event-pages-missing: both dispinterfaces carry the same lock events."""
    fence = barrier_manager(local, profile)
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v).enabled()
        assert_ok(exchange.request(0x1D0 + len(coclass)), "RequestChallenge")
        assert_ok(exchange.respond("not-an-id", "not-a-key"), "SendResponse")
        exchange.result()
        barrier(local, fence, exchange.seen)
        lock_events = [e for e in exchange.taken + exchange.seen if e.name in LOCK_EVENTS]
        assert {"OnLockChallenge", "OnLockResult"} <= {e.name for e in lock_events}
        strays = [e for e in lock_events if e.dispinterface != exchange.events]
        assert not strays, f"{coclass} raised lock events on another interface: {strays}"


@pytest.mark.requirement("lock.per-object")
def test_unlocking_one_object_leaves_the_others_locked(local, profile, v):
    first = unlocked(local, "MsgrSessionManager", profile)
    assert_ok(local.call(first, "CreateSession"), "CreateSession on the unlocked manager")
    second = created(local, "MsgrSessionManager")
    assert_hr(local.call(second, "CreateSession"), v.MSGR_E_API_LOCKED, "CreateSession on another manager")
    lock = local.query_interface(second, "IMsgrLock").value
    assert local.get(lock, "Status").value != v.LOCK_UNLOCKED, "the other manager reports itself unlocked"
    unlocked(local, "MessengerPriv", profile)
    other_private = created(local, "MessengerPriv")
    assert_hr(local.call(other_private, "AddContact", "carol@msgrspec.example", ""), v.MSGR_E_API_LOCKED,
              "AddContact on another MessengerPriv")


@pytest.mark.requirement("lock.request.challenge")
def test_request_challenge_raises_on_lock_challenge(local, v):
    """Erratum pending-unlock-meaning: LOCK_PENDINGRESULT is an open transaction."""
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v).enabled()
        assert_hr(exchange.request(0x5EED), v.S_OK, f"RequestChallenge ({coclass})")
        exchange.challenge()
        assert exchange.status() == v.LOCK_PENDINGRESULT, f"{coclass}: Status while the challenge is open"


@pytest.mark.requirement("lock.response.success")
def test_right_response_unlocks(local, profile, v):
    """Erratum lock-challenge-wording: MD5 of the challenge followed by the key (hexadecimal)."""
    app_id, key = pair(profile)
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v).enabled()
        assert_ok(exchange.request(0x600D), "RequestChallenge")
        assert_hr(exchange.respond(app_id, key), v.S_OK, f"SendResponse with the right digest ({coclass})")
        assert exchange.result().args == (0x600D, True), f"{coclass}: OnLockResult"
        assert exchange.status() == v.LOCK_UNLOCKED, f"{coclass}: Status after a successful unlock"


@pytest.mark.requirement("lock.response.cookie")
def test_response_with_a_foreign_cookie_is_refused(local, profile, v):
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v).enabled()
        assert_ok(exchange.request(61), "RequestChallenge")
        assert_hr(exchange.respond(profile.lock_id or "msgrspec", profile.lock_key or "key", cookie=62),
                  v.E_INVALIDARG, f"SendResponse with another cookie ({coclass})")
        assert exchange.status() == v.LOCK_PENDINGRESULT, "the refused response closed the transaction"


# -- the gate (lock-enforced) ---------------------------------------------------------------------------

@pytest.mark.requirement("lock.gate.session-manager")
def test_locked_session_manager_refuses_its_members(local, v):
    """Erratum locked-call-result: MSGR_E_API_LOCKED for every member but IMsgrLock's."""
    manager = created(local, "MsgrSessionManager")
    calls = {"CreateSession": (), "GetLaunchingSession": (os.getpid(),),
             "RegisterApplication": (new_guid(), APP_NAME, APP_URL, APP_PATH, 0),
             "UnRegisterApplication": (new_guid(),)}
    for method, args in calls.items():
        assert_hr(local.call(manager, method, *args), v.MSGR_E_API_LOCKED, f"{method} on a locked session manager")
    assert_hr(local.get(manager, "Applications"), v.MSGR_E_API_LOCKED, "get Applications on a locked session manager")
    exchange_lock = local.query_interface(manager, "IMsgrLock").value
    assert_ok(local.get(exchange_lock, "Status"), "IMsgrLock.Status on a locked session manager")
    assert_ok(local.connect(manager, "DMsgrSessionManagerEvents"), "connect DMsgrSessionManagerEvents")
    if local.get(exchange_lock, "Status").value == v.LOCK_NOTINITIALIZED:
        wait_for(local, named("DMsgrSessionManagerEvents", "OnLockEnable"), "OnLockEnable")
    assert_ok(local.call(exchange_lock, "RequestChallenge", 81), "RequestChallenge on a locked session manager")


@pytest.mark.requirement("lock.gate.messenger-private")
def test_locked_messenger_private_refuses_its_members(local, v):
    """Erratum locked-call-result: AddContact fails, EnableAlertEvents reports S_FALSE."""
    private = created(local, "MessengerPriv")
    assert_hr(local.call(private, "AddContact", "carol@msgrspec.example", ""), v.MSGR_E_API_LOCKED,
              "AddContact on a locked MessengerPriv")
    assert_hr(local.call(private, "EnableAlertEvents", [1, 2]), v.S_FALSE,
              "EnableAlertEvents on a locked MessengerPriv")


@pytest.mark.requirement("lock.gate.opens")
def test_unlocked_objects_work(local, profile, v):
    manager = created(local, "MsgrSessionManager")
    assert_hr(local.call(manager, "CreateSession"), v.MSGR_E_API_LOCKED, "CreateSession before unlocking")
    unlock(local, manager, "MsgrSessionManager", profile)
    assert_ok(local.call(manager, "CreateSession"), "CreateSession after unlocking")
    guid = register_app(local, manager)
    assert_ok(local.call(manager, "UnRegisterApplication", guid), "UnRegisterApplication after unlocking")
    assert local.call(manager, "GetLaunchingSession", os.getpid()).hr != v.MSGR_E_API_LOCKED
    private = created(local, "MessengerPriv")
    unlock(local, private, "MessengerPriv", profile)
    assert_hr(local.call(private, "EnableAlertEvents", [1, 2]), v.S_OK, "EnableAlertEvents after unlocking")
    assert_hr(local.call(private, "AddContact", "carol@msgrspec.example", ""), v.S_OK, "AddContact after unlocking")
