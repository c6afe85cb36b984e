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

    def changes(self, wait: bool = True) -> list[int]:
        """The LockStatus values OnLockStatusChanged reported since the last call (waiting for one)."""
        if wait and not any(e.name == "OnLockStatusChanged" for e in self.seen):
            self.seen += events_until(self.party, named(self.events, "OnLockStatusChanged"),
                                      f"OnLockStatusChanged on {self.coclass}")
        found = [e.args[0] for e in self.seen if e.name == "OnLockStatusChanged"]
        self.seen = [e for e in self.seen if e.name != "OnLockStatusChanged"]
        return found

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


@pytest.mark.requirement("lock.status.not-initialized")
def test_nothing_can_be_requested_before_on_lock_enable(local, v):
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v)
        status = exchange.status()
        assert status == v.LOCK_NOTINITIALIZED, \
            f"a new {coclass} reports lock status {status} before any sink is connected, so before its " \
            f"OnLockEnable could reach anyone; it must be LOCK_NOTINITIALIZED ({v.LOCK_NOTINITIALIZED}) until then"
        assert_hr(exchange.request(7), v.MSGR_E_API_NOTINITIALIZED, f"RequestChallenge before OnLockEnable ({coclass})")
        exchange.listen()
        assert not [e for e in exchange.seen if e.name == "OnLockChallenge"], "the refused request raised a challenge"


@pytest.mark.requirement("lock.enable.event")
def test_on_lock_enable_initializes_the_lock(local, profile, v):
    enabled = []
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v)
        before = exchange.status()
        assert_ok(local.connect(exchange.obj, exchange.events), f"connect {exchange.events}")
        if before == v.LOCK_NOTINITIALIZED:
            event = wait_for(local, named(exchange.events, "OnLockEnable"), f"OnLockEnable on {coclass}")
            assert isinstance(event.args[0], bool), f"OnLockEnable carried {event.args}"
            on = event.args[0]
        else:
            on = before != v.LOCK_DISABLED
        if not on:  # a disabled lock: lock.enable.disabled checks it; here it must agree with the profile
            assert "lock-enforced" not in profile.features, \
                f"{coclass} reports Lock and Key disabled, yet the profile declares 'lock-enforced'"
            continue
        enabled.append(coclass)
        assert exchange.status() == v.LOCK_INITIALIZED, f"{coclass}: Status after OnLockEnable(TRUE)"
        assert_ok(exchange.request(11), f"RequestChallenge once the lock is enabled ({coclass})")
    if not enabled:
        pytest.skip(f"not applicable: {profile.implementation} does not declare 'lock-enforced' and reports "
                    "Lock and Key disabled on every lockable object")


@pytest.mark.requirement("lock.enable.disabled")
def test_disabled_lock_refuses_requests(local, v):
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v)
        if exchange.listen():
            pytest.skip("not applicable: the implementation enables Lock and Key (OnLockEnable TRUE)")
        assert exchange.status() == v.LOCK_DISABLED, f"{coclass}: Status after OnLockEnable(FALSE)"
        assert_hr(exchange.request(13), v.MSGR_E_API_DISABLED, f"RequestChallenge on a disabled lock ({coclass})")


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


@pytest.mark.requirement("lock.response.failure")
def test_wrong_response_fails_the_unlock(local, profile, v):
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v).enabled()
        assert_ok(exchange.request(0xBAD), "RequestChallenge")
        assert_hr(exchange.respond(profile.lock_id or "msgrspec", "certainly not the key"), v.S_OK,
                  f"SendResponse with a wrong digest ({coclass})")
        assert exchange.result().args == (0xBAD, False), f"{coclass}: OnLockResult"
        assert exchange.status() == v.LOCK_UNLOCKFAILED, f"{coclass}: Status after a failed unlock"


@pytest.mark.requirement("lock.once-per-session")
def test_unlocked_object_refuses_a_new_request(local, profile, v):
    """Erratum request-challenge-repeat: MSGR_E_API_ALREADY_UNLOCKED, and no transaction."""
    app_id, key = pair(profile)
    fence = barrier_manager(local, profile)
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v).enabled()
        assert_ok(exchange.request(21), "RequestChallenge")
        assert_ok(exchange.respond(app_id, key), "SendResponse")
        assert exchange.result().args == (21, True)
        assert_hr(exchange.request(22), v.MSGR_E_API_ALREADY_UNLOCKED, f"RequestChallenge after unlocking ({coclass})")
        after: list = []
        barrier(local, fence, after)
        assert not [e for e in after if e.name == "OnLockChallenge"], "the refused request raised a challenge"
        assert exchange.status() == v.LOCK_UNLOCKED


@pytest.mark.requirement("lock.request.pending")
def test_request_while_a_challenge_is_open_is_refused(local, v):
    """Erratum pending-unlock-meaning: the code reports an open transaction, not a time-out."""
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v).enabled()
        assert_ok(exchange.request(31), "RequestChallenge")
        assert_hr(local.call(exchange.lock, "RequestChallenge", 32), v.MSGR_E_API_PENDING_UNLOCK,
                  f"a second RequestChallenge while the first is open ({coclass})")


@pytest.mark.requirement("lock.request.after-failure")
def test_request_after_a_failed_unlock_is_refused(local, v):
    """Erratum request-challenge-repeat: MSGR_E_API_UNLOCK_FAILED after a failure."""
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v).enabled()
        assert_ok(exchange.request(41), "RequestChallenge")
        assert_ok(exchange.respond("msgrspec", "wrong key"), "SendResponse")
        assert exchange.result().args == (41, False)
        assert_hr(exchange.request(42), v.MSGR_E_API_UNLOCK_FAILED, f"RequestChallenge after a failure ({coclass})")


@pytest.mark.requirement("lock.response.without-challenge")
def test_response_without_an_open_challenge_is_refused(local, profile, v):
    for coclass in LOCKABLE:
        fresh = Exchange(local, coclass, v)
        if fresh.status() == v.LOCK_NOTINITIALIZED:
            assert_hr(local.call(fresh.lock, "SendResponse", "msgrspec", "0" * 32, 1), v.MSGR_E_API_NOTINITIALIZED,
                      f"SendResponse before OnLockEnable ({coclass})")
        exchange = Exchange(local, coclass, v).enabled()
        assert_hr(local.call(exchange.lock, "SendResponse", "msgrspec", "0" * 32, 1), v.MSGR_E_API_LOCKED,
                  f"SendResponse with no challenge requested ({coclass})")
        if profile.lock_id and profile.lock_key:
            assert_ok(exchange.request(51), "RequestChallenge")
            assert_ok(exchange.respond(profile.lock_id, profile.lock_key), "SendResponse")
            assert exchange.result().args == (51, True)
            assert_hr(local.call(exchange.lock, "SendResponse", "msgrspec", "0" * 32, 51),
                      v.MSGR_E_API_ALREADY_UNLOCKED, f"SendResponse after unlocking ({coclass})")


@pytest.mark.requirement("lock.response.after-failure")
def test_response_after_a_failed_unlock_is_refused(local, profile, v):
    fence = barrier_manager(local, profile)
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v).enabled()
        assert_ok(exchange.request(56), "RequestChallenge")
        assert_ok(exchange.respond("msgrspec", "wrong key"), "SendResponse")
        assert exchange.result().args == (56, False)
        assert_hr(local.call(exchange.lock, "SendResponse", "msgrspec", "0" * 32, 56), v.MSGR_E_API_UNLOCK_FAILED,
                  f"SendResponse after a failed unlock ({coclass})")
        after: list = []
        barrier(local, fence, after)
        assert not [e for e in after if e.name == "OnLockResult"], "the refused response raised a result"
        assert exchange.status() == v.LOCK_UNLOCKFAILED, f"{coclass}: Status after the refused response"


@pytest.mark.requirement("lock.response.cookie")
def test_response_with_a_foreign_cookie_is_refused(local, profile, v):
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v).enabled()
        assert_ok(exchange.request(61), "RequestChallenge")
        assert_hr(exchange.respond(profile.lock_id or "msgrspec", profile.lock_key or "key", cookie=62),
                  v.E_INVALIDARG, f"SendResponse with another cookie ({coclass})")
        assert exchange.status() == v.LOCK_PENDINGRESULT, "the refused response closed the transaction"


@pytest.mark.requirement("lock.status-changed.event")
def test_status_changes_raise_on_lock_status_changed(local, profile, v):
    """Erratum lock-status-changed-undocumented: both event interfaces declare it."""
    app_id, key = (profile.lock_id, profile.lock_key) if profile.lock_key else ("msgrspec", "no key")
    for coclass in LOCKABLE:
        exchange = Exchange(local, coclass, v).enabled()
        exchange.changes(wait=False)
        assert_ok(exchange.request(71), "RequestChallenge")
        assert exchange.changes() == [v.LOCK_PENDINGRESULT], f"{coclass}: OnLockStatusChanged after RequestChallenge"
        assert_ok(exchange.respond(app_id, key), "SendResponse")
        exchange.result()
        reported = exchange.changes()
        assert reported == [exchange.status()], f"{coclass}: OnLockStatusChanged{reported} after SendResponse, " \
                                                f"Status {exchange.status()}"
        assert reported[0] in (v.LOCK_UNLOCKED, v.LOCK_UNLOCKFAILED)


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
