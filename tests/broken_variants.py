"""Deliberately broken variants of the reference implementation, one fault each.

They prove that the conformance suite catches faults (tests/test_fault_detection.py
runs the suite against each one). Every variant is a zero-argument factory that
returns a `BrokenAdapter`, a ReferenceAdapter whose parties are wrapped in a
`PartyWrapper` subclass: the wrapper passes every operation of the adapter
contract to the reference party and changes one thing on the way (an argument,
an HRESULT, an event, the type information), so src/msgrspec/reference itself
stays correct. The docstring of each factory names its fault.

Run one by hand with::

    PYTHONPATH=tests python -m pytest conformance --msgrspec-adapter broken_variants:app_name_accepts_257
"""
from __future__ import annotations

import copy
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from msgrspec import adapter as contract
from msgrspec.adapter import EventRecord, ObjRef, Outcome
from msgrspec.reference import ReferenceAdapter
from msgrspec.reference import codes, typeinfo
from msgrspec.reference.lock import Lockable, expected_response
from msgrspec.reference.manager import SessionManager
from msgrspec.reference.objects import utf16_units
from msgrspec.reference.session import Session
from msgrspec.reference.world import ReferenceParty, ReferenceWorld


def _is(name: Any, wanted: str) -> bool:
    """Whether a member name given to call/get/put is `wanted` (IDispatch names ignore case)."""
    return isinstance(name, str) and name.lower() == wanted.lower()


class PartyWrapper(contract.Party):
    """A reference party behind the adapter contract; subclasses override one operation to break it."""

    def __init__(self, inner: ReferenceParty):
        self.inner = inner
        self.signin = inner.signin
        self.events_synchronous = inner.events_synchronous  # events pass straight through, as they were queued

    def target(self, obj: Any) -> Any:
        """The reference object behind an ObjRef (None if there is none)."""
        return self.inner.resolve(obj)

    def create(self, coclass: str) -> Outcome:
        return self.inner.create(coclass)

    def query_interface(self, obj: ObjRef, interface: str) -> Outcome:
        return self.inner.query_interface(obj, interface)

    def call(self, obj: ObjRef, method: str, args: Sequence[Any] = ()) -> Outcome:
        return self.inner.call(obj, method, args)

    def get(self, obj: ObjRef, prop: str, index: Any = None) -> Outcome:
        return self.inner.get(obj, prop, index)

    def put(self, obj: ObjRef, prop: str, value: Any, index: Any = None) -> Outcome:
        return self.inner.put(obj, prop, value, index)

    def connect(self, obj: ObjRef, dispinterface: str) -> Outcome:
        return self.inner.connect(obj, dispinterface)

    def disconnect(self, obj: ObjRef, cookie: int) -> Outcome:
        return self.inner.disconnect(obj, cookie)

    def events(self) -> list[EventRecord]:
        return self.inner.events()

    def contact(self, signin: str) -> Outcome:
        return self.inner.contact(signin)

    def type_info(self, name: str) -> Outcome:
        return self.inner.type_info(name)

    def launch(self, invitation: ObjRef) -> Outcome:
        return self.inner.launch(invitation)

    def output(self) -> str:
        return self.inner.output()


class BrokenWorld(contract.World):
    """A reference world whose parties are seen through a wrapper."""

    def __init__(self, inner: ReferenceWorld, wrapper: type[PartyWrapper]):
        self.inner = inner
        self._local = wrapper(inner.local)
        self._peer = wrapper(inner.peer) if inner.peer is not None else None

    @property
    def local(self) -> PartyWrapper:
        return self._local

    @property
    def peer(self) -> PartyWrapper | None:
        return self._peer

    def close(self) -> None:
        self.inner.close()


class BrokenAdapter(ReferenceAdapter):
    """The reference implementation with one fault: parties wrapped in `wrapper`, worlds adjusted by `adjust`."""

    def __init__(self, fault: str, wrapper: type[PartyWrapper] = PartyWrapper,
                 adjust: Callable[[ReferenceWorld], None] | None = None, **options: Any):
        super().__init__(**options)
        self.fault = fault
        self.wrapper = wrapper
        self.adjust = adjust
        self.name = f"broken reference ({fault})"

    def profile(self) -> contract.Profile:
        found = super().profile()
        return contract.Profile(implementation=f"msgrspec reference implementation, broken: {self.fault}",
                                product=found.product, features=found.features, lock_id=found.lock_id,
                                lock_key=found.lock_key)

    def open_world(self) -> BrokenWorld:
        world = super().open_world()
        if self.adjust is not None:
            self.adjust(world)
        return BrokenWorld(world, self.wrapper)


def _broken(factory: Callable[[], BrokenAdapter]) -> Callable[[], BrokenAdapter]:
    """Register a variant factory in VARIANTS under its function name."""
    VARIANTS[factory.__name__] = factory
    return factory


#: every variant, by name: a zero-argument factory returning a BrokenAdapter
VARIANTS: dict[str, Callable[[], BrokenAdapter]] = {}


def fault_of(name: str) -> str:
    """The fault a variant has: the first paragraph of its factory's docstring, on one line."""
    return " ".join((VARIANTS[name].__doc__ or name).strip().split("\n\n")[0].split())


# -- limits ------------------------------------------------------------------------------------------------

class _AppName257(PartyWrapper):
    def call(self, obj, method, args=()):
        args = list(args)
        if _is(method, "RegisterApplication") and len(args) == 5 and isinstance(args[1], str) \
                and utf16_units(args[1]) == 257:
            args[1] = args[1][:256]  # the length check is off by one: 257 characters get in (cut to 256)
        return super().call(obj, method, args)


@_broken
def app_name_accepts_257() -> BrokenAdapter:
    """RegisterApplication accepts a bstrAppName of 257 characters (off by one; the limit is 256)."""
    return BrokenAdapter(fault_of("app_name_accepts_257"), _AppName257)


class _RefusedAtLimit(PartyWrapper):
    """Refuse a call of `method` whose argument `position` is a string of `length` characters with `answer`."""

    method: str = ""
    position: int = 0
    length: int = 0
    answer: int = 0

    def call(self, obj, method, args=()):
        if _is(method, self.method) and len(args) > self.position and isinstance(args[self.position], str) \
                and utf16_units(args[self.position]) == self.length:
            return Outcome(self.answer)
        return super().call(obj, method, args)


class _ContextData300(_RefusedAtLimit):
    method, position, length, answer = "SendContextData", 0, 300, codes.SR_CONTEXT_DATA_OVER_LIMIT


@_broken
def context_data_refused_at_300() -> BrokenAdapter:
    """SendContextData refuses exactly 300 characters with SR_CONTEXT_DATA_OVER_LIMIT (off by one; 300 is allowed)."""
    return BrokenAdapter(fault_of("context_data_refused_at_300"), _ContextData300)


class _ContextData300EFail(_ContextData300):
    answer = codes.E_FAIL


@_broken
def context_data_at_300_answers_e_fail() -> BrokenAdapter:
    """SendContextData answers E_FAIL for exactly 300 characters (the limit, which must be accepted)."""
    return BrokenAdapter(fault_of("context_data_at_300_answers_e_fail"), _ContextData300EFail)


class _AppName256EFail(_RefusedAtLimit):
    method, position, length, answer = "RegisterApplication", 1, 256, codes.E_FAIL


@_broken
def app_name_at_256_answers_e_fail() -> BrokenAdapter:
    """RegisterApplication answers E_FAIL for a bstrAppName of exactly 256 characters (the limit)."""
    return BrokenAdapter(fault_of("app_name_at_256_answers_e_fail"), _AppName256EFail)


class _AppName257EFail(_RefusedAtLimit):
    method, position, length, answer = "RegisterApplication", 1, 257, codes.E_FAIL


@_broken
def app_name_257_answers_e_fail() -> BrokenAdapter:
    """RegisterApplication refuses a bstrAppName of 257 characters with E_FAIL instead of E_INVALIDARG."""
    return BrokenAdapter(fault_of("app_name_257_answers_e_fail"), _AppName257EFail)


class _GuidAtLimitRefused(_RefusedAtLimit):
    method, position, length, answer = "UnRegisterApplication", 0, 38, codes.SR_APP_NOT_REGISTERED


@_broken
def unregister_refuses_registered_guids() -> BrokenAdapter:
    """UnRegisterApplication answers SR_APP_NOT_REGISTERED for every GUID of 38 characters, registered or not."""
    return BrokenAdapter(fault_of("unregister_refuses_registered_guids"), _GuidAtLimitRefused)


class _NonZeroFlags(PartyWrapper):
    def call(self, obj, method, args=()):
        args = list(args)
        if _is(method, "RegisterApplication") and len(args) == 5 and args[4] != 0:
            args[4] = 0  # ulFlags is not checked
        return super().call(obj, method, args)


@_broken
def nonzero_flags_accepted() -> BrokenAdapter:
    """RegisterApplication accepts a non-zero ulFlags instead of refusing it with E_INVALIDARG."""
    return BrokenAdapter(fault_of("nonzero_flags_accepted"), _NonZeroFlags)


# -- events ------------------------------------------------------------------------------------------------

class _NoOnAppRegistered(PartyWrapper):
    def events(self):
        return [e for e in super().events() if e.name != "OnAppRegistered"]


@_broken
def on_app_registered_never_fired() -> BrokenAdapter:
    """OnAppRegistered is never fired after a successful RegisterApplication."""
    return BrokenAdapter(fault_of("on_app_registered_never_fired"), _NoOnAppRegistered)


class _NoOnAccepted(PartyWrapper):
    def events(self):
        return [e for e in super().events() if not (e.dispinterface == "DMsgrSessionEvents" and e.name == "OnAccepted")]


@_broken
def on_accepted_not_delivered() -> BrokenAdapter:
    """OnAccepted is not delivered to the inviter's session when the recipient accepts."""
    return BrokenAdapter(fault_of("on_accepted_not_delivered"), _NoOnAccepted)


class _TerminationArgsSwapped(PartyWrapper):
    def events(self):
        return [EventRecord(e.cookie, e.dispinterface, e.name, tuple(reversed(e.args)))
                if e.name == "OnTermination" else e for e in super().events()]


@_broken
def on_termination_args_swapped() -> BrokenAdapter:
    """OnTermination carries its arguments in the wrong order: (bstrAppData, hr) instead of (hr, bstrAppData)."""
    return BrokenAdapter(fault_of("on_termination_args_swapped"), _TerminationArgsSwapped)


class _LateStrayInvitation(PartyWrapper):
    """Events arrive in order but late; a refused self-invite raises an OnInvitation half a second later."""

    LAG = 0.5

    def __init__(self, inner):
        super().__init__(inner)
        self.queue: deque[tuple[float, EventRecord]] = deque()  # (when it may be delivered, event)
        self.manager_sink = 0

    def _take(self) -> None:
        """Queue the reference's new events; none may be delivered before one queued earlier."""
        for event in self.inner.events():
            now = time.monotonic()
            self.queue.append((max(now, self.queue[-1][0]) if self.queue else now, event))

    def connect(self, obj, dispinterface):
        outcome = super().connect(obj, dispinterface)
        if outcome.ok and dispinterface == "DMsgrSessionManagerEvents":
            self.manager_sink = outcome.value
        return outcome

    def call(self, obj, method, args=()):
        outcome = super().call(obj, method, args)
        if _is(method, "Invite") and outcome.hr == codes.SR_INVITED_SELF:
            self._take()
            stray = EventRecord(self.manager_sink, "DMsgrSessionManagerEvents", "OnInvitation",
                                (obj, args[1] if len(args) > 1 else "", False))
            self.queue.append((time.monotonic() + self.LAG, stray))
        return outcome

    def events(self):
        self._take()
        due = []
        while self.queue and self.queue[0][0] <= time.monotonic():
            due.append(self.queue.popleft()[1])
        return due


@_broken
def stray_invitation_after_self_invite() -> BrokenAdapter:
    """A refused self-invite raises OnInvitation anyway, 0.5 s late.

    The stray comes after a quiet spell of 0.2 s would have ended, and in order with the events after it."""
    return BrokenAdapter(fault_of("stray_invitation_after_self_invite"), _LateStrayInvitation)


# -- HRESULTs ----------------------------------------------------------------------------------------------

class _RemapHR(PartyWrapper):
    """Answer `new` where the reference answers `old` to a call of `method`."""

    method: str = ""
    old: int = 0
    new: int = 0

    def call(self, obj, method, args=()):
        outcome = super().call(obj, method, args)
        if _is(method, self.method) and outcome.hr == self.old:
            return Outcome(self.new)
        return outcome


class _ReRegisterEFail(_RemapHR):
    method, old, new = "RegisterApplication", codes.SR_APP_ALREADY_REGISTERED, codes.E_FAIL


@_broken
def reregister_answers_e_fail() -> BrokenAdapter:
    """Registering a GUID that is already registered answers E_FAIL instead of SR_APP_ALREADY_REGISTERED."""
    return BrokenAdapter(fault_of("reregister_answers_e_fail"), _ReRegisterEFail)


class _UnRegisterUnknownOK(_RemapHR):
    method, old, new = "UnRegisterApplication", codes.SR_APP_NOT_REGISTERED, codes.S_OK


@_broken
def unregister_unknown_answers_s_ok() -> BrokenAdapter:
    """UnRegisterApplication of a GUID nobody registered answers S_OK instead of SR_APP_NOT_REGISTERED."""
    return BrokenAdapter(fault_of("unregister_unknown_answers_s_ok"), _UnRegisterUnknownOK)


class _InviteSelf(_RemapHR):
    method, old, new = "Invite", codes.SR_INVITED_SELF, codes.S_OK


@_broken
def invite_self_allowed() -> BrokenAdapter:
    """SR_INVITED_SELF is not enforced: inviting the signed-in user answers S_OK."""
    return BrokenAdapter(fault_of("invite_self_allowed"), _InviteSelf)


class _CancelByInvitee(_RemapHR):
    method, old, new = "Cancel", codes.SR_NOT_INVITER, codes.S_OK


@_broken
def cancel_by_invitee_allowed() -> BrokenAdapter:
    """SR_NOT_INVITER is not enforced: Cancel on the recipient's session answers S_OK."""
    return BrokenAdapter(fault_of("cancel_by_invitee_allowed"), _CancelByInvitee)


class _DeclineByInviter(_RemapHR):
    method, old, new = "Decline", codes.SR_NOT_INVITEE, codes.S_OK


@_broken
def decline_by_inviter_allowed() -> BrokenAdapter:
    """SR_NOT_INVITEE is not enforced: Decline on the inviter's session answers S_OK."""
    return BrokenAdapter(fault_of("decline_by_inviter_allowed"), _DeclineByInviter)


# -- Lock and Key ------------------------------------------------------------------------------------------

class _LockOpensTwice(_RemapHR):
    method, old, new = "RequestChallenge", codes.MSGR_E_API_ALREADY_UNLOCKED, codes.S_OK


@_broken
def lock_opens_twice() -> BrokenAdapter:
    """RequestChallenge on an unlocked object answers S_OK instead of MSGR_E_API_ALREADY_UNLOCKED."""
    return BrokenAdapter(fault_of("lock_opens_twice"), _LockOpensTwice)


def _open_gate(world: ReferenceWorld) -> None:
    world.lock_enforced = False  # the objects never refuse a call, though the profile says they do


@_broken
def calls_allowed_while_locked() -> BrokenAdapter:
    """Locked objects do not refuse calls: CreateSession, AddContact... work before the lock is opened."""
    return BrokenAdapter(fault_of("calls_allowed_while_locked"), adjust=_open_gate)


class _AnyResponse(PartyWrapper):
    """SendResponse is checked against the right digest whatever digest the caller sent."""

    def __init__(self, inner):
        super().__init__(inner)
        self.challenges: dict[int, str] = {}

    def events(self):
        found = super().events()
        for event in found:
            if event.name == "OnLockChallenge" and len(event.args) == 2:
                self.challenges[event.args[0]] = event.args[1]
        return found

    def call(self, obj, method, args=()):
        args = list(args)
        key = self.inner.world.lock_key
        if _is(method, "SendResponse") and len(args) == 3 and args[2] in self.challenges and key:
            args[1] = expected_response(self.challenges[args[2]], key)
        return super().call(obj, method, args)


@_broken
def lock_accepts_any_response() -> BrokenAdapter:
    """The MD5 check of SendResponse is wrong: any response unlocks (given the right application ID)."""
    return BrokenAdapter(fault_of("lock_accepts_any_response"), _AnyResponse)


class _NoLockInterface(PartyWrapper):
    def query_interface(self, obj, interface):
        if isinstance(interface, str) and typeinfo.interface_name(interface) == "IMsgrLock":
            return Outcome(codes.E_NOINTERFACE)
        return super().query_interface(obj, interface)


@_broken
def no_imsgrlock_interface() -> BrokenAdapter:
    """QueryInterface for IMsgrLock answers E_NOINTERFACE on MsgrSessionManager and MessengerPriv."""
    return BrokenAdapter(fault_of("no_imsgrlock_interface"), _NoLockInterface)


class _LockUpEarly(PartyWrapper):
    def create(self, coclass):
        outcome = super().create(coclass)
        found = self.target(outcome.value) if outcome.ok else None
        if isinstance(found, Lockable) and found.lock_status == codes.LOCK_NOTINITIALIZED:
            found.lock_status = codes.LOCK_INITIALIZED  # up at once, with no OnLockEnable for any sink to hear
        return outcome


@_broken
def lock_up_before_any_sink() -> BrokenAdapter:
    """A new lockable object's lock is LOCK_INITIALIZED at creation, before a sink could hear OnLockEnable."""
    return BrokenAdapter(fault_of("lock_up_before_any_sink"), _LockUpEarly)


# -- property access ---------------------------------------------------------------------------------------

class _StateWritable(PartyWrapper):
    def put(self, obj, prop, value, index=None):
        if _is(prop, "State") and isinstance(self.target(obj), Session):
            return Outcome(codes.S_OK)
        return super().put(obj, prop, value, index)


@_broken
def read_only_state_writable() -> BrokenAdapter:
    """The read-only property IMsgrSession.State accepts writes (put State answers S_OK)."""
    return BrokenAdapter(fault_of("read_only_state_writable"), _StateWritable)


class _ApplicationsPut(PartyWrapper):
    def put(self, obj, prop, value, index=None):
        if _is(prop, "Applications") and isinstance(self.target(obj), SessionManager):
            return Outcome(codes.E_NOTIMPL)
        return super().put(obj, prop, value, index)


@_broken
def not_implemented_put_answers_e_notimpl() -> BrokenAdapter:
    """A write to the not-implemented IMsgrSessionManager.Applications (which has no put accessor) answers E_NOTIMPL
    instead of DISP_E_MEMBERNOTFOUND."""
    return BrokenAdapter(fault_of("not_implemented_put_answers_e_notimpl"), _ApplicationsPut)


class _ApplicationsGet(PartyWrapper):
    def get(self, obj, prop, index=None):
        if _is(prop, "Applications") and isinstance(self.target(obj), SessionManager):
            return Outcome(codes.DISP_E_MEMBERNOTFOUND)
        return super().get(obj, prop, index)


@_broken
def not_implemented_get_wrong_code() -> BrokenAdapter:
    """Reading the not-implemented IMsgrSessionManager.Applications answers DISP_E_MEMBERNOTFOUND instead of
    E_NOTIMPL."""
    return BrokenAdapter(fault_of("not_implemented_get_wrong_code"), _ApplicationsGet)


# -- type information --------------------------------------------------------------------------------------

class _TypeInfoEdit(PartyWrapper):
    """Edit the type information of one interface or enumeration after the reference describes it."""

    subject: str = ""

    def edit(self, described: dict) -> None:
        raise NotImplementedError

    def type_info(self, name):
        outcome = super().type_info(name)
        resolved = (typeinfo.interface_name(name) or typeinfo.dispinterface_name(name) or name) \
            if isinstance(name, str) else None
        if resolved == self.subject and outcome.ok and isinstance(outcome.value, dict):
            described = copy.deepcopy(outcome.value)
            self.edit(described)
            return Outcome(outcome.hr, described, outcome.outs)
        return outcome


class _WrongDispid(_TypeInfoEdit):
    subject = "IMsgrSession"

    def edit(self, described):
        for entry in described["members"]:
            if entry["name"] == "Invite":
                entry["dispid"] += 1


@_broken
def wrong_dispid() -> BrokenAdapter:
    """The type information gives IMsgrSession.Invite a wrong DISPID (one more than the type library's)."""
    return BrokenAdapter(fault_of("wrong_dispid"), _WrongDispid)


class _SwappedVtable(_TypeInfoEdit):
    subject = "IMsgrSessionManager"

    def edit(self, described):
        members = described["members"]
        names = [m["name"] for m in members]
        a, b = names.index("CreateSession"), names.index("GetLaunchingSession")
        members[a], members[b] = members[b], members[a]


@_broken
def swapped_vtable_order() -> BrokenAdapter:
    """The type information swaps the vtable slots of IMsgrSessionManager.CreateSession and GetLaunchingSession."""
    return BrokenAdapter(fault_of("swapped_vtable_order"), _SwappedVtable)


class _EventParamsSwapped(_TypeInfoEdit):
    subject = "DMsgrSessionEvents"

    def edit(self, described):
        for entry in described["members"]:
            if entry["name"] == "OnTermination":
                entry["params"].reverse()


@_broken
def event_params_swapped_in_type_info() -> BrokenAdapter:
    """The type information lists the parameters of DMsgrSessionEvents.OnTermination in the wrong order
    (bstrAppData before hr)."""
    return BrokenAdapter(fault_of("event_params_swapped_in_type_info"), _EventParamsSwapped)


class _WrongEnumValue(_TypeInfoEdit):
    subject = "SESSION_STATE"

    def edit(self, described):
        described["values"]["SS_CONNECTED"] += 1


@_broken
def wrong_enum_value() -> BrokenAdapter:
    """The type information gives SESSION_STATE.SS_CONNECTED a wrong value."""
    return BrokenAdapter(fault_of("wrong_enum_value"), _WrongEnumValue)


# -- sessions ----------------------------------------------------------------------------------------------

class _SameSession(PartyWrapper):
    def __init__(self, inner):
        super().__init__(inner)
        self.made: dict[str, Outcome] = {}

    def call(self, obj, method, args=()):
        if _is(method, "CreateSession") and isinstance(obj, ObjRef) and obj.object_id in self.made:
            return self.made[obj.object_id]
        outcome = super().call(obj, method, args)
        if _is(method, "CreateSession") and outcome.ok and isinstance(obj, ObjRef):
            self.made[obj.object_id] = outcome
        return outcome


@_broken
def create_session_same_object() -> BrokenAdapter:
    """CreateSession returns the same session object every time it is called on one session manager."""
    return BrokenAdapter(fault_of("create_session_same_object"), _SameSession)


class _BareSessionID(PartyWrapper):
    def get(self, obj, prop, index=None):
        outcome = super().get(obj, prop, index)
        if _is(prop, "SessionID") and outcome.ok and isinstance(outcome.value, str):
            return Outcome(outcome.hr, outcome.value.strip("{}"), outcome.outs)
        return outcome


@_broken
def session_id_without_braces() -> BrokenAdapter:
    """SessionID is a GUID without its braces (xxxxxxxx-... instead of {xxxxxxxx-...})."""
    return BrokenAdapter(fault_of("session_id_without_braces"), _BareSessionID)


# -- life cycles (the state machines' cells) ---------------------------------------------------------------

class _AcceptWhenReady(PartyWrapper):
    def call(self, obj, method, args=()):
        session = self.target(obj)
        if _is(method, "Accept") and isinstance(session, Session) and session.state == codes.SS_READY:
            return Outcome(codes.S_OK)  # taken as an answer, though there is no invitation to accept
        return super().call(obj, method, args)


@_broken
def session_accepts_accept_when_ready() -> BrokenAdapter:
    """Accept on a session in SS_READY (nothing to accept) answers S_OK instead of SR_SESSION_STATE_INVALID."""
    return BrokenAdapter(fault_of("session_accepts_accept_when_ready"), _AcceptWhenReady)


class _ReopensAfterFailure(PartyWrapper):
    def call(self, obj, method, args=()):
        lock = self.target(obj)
        if _is(method, "RequestChallenge") and getattr(lock, "lock_status", None) == codes.LOCK_UNLOCKFAILED:
            lock.lock_status = codes.LOCK_INITIALIZED  # the failure is forgotten: a new exchange may start
        return super().call(obj, method, args)


@_broken
def lock_reopens_after_failure() -> BrokenAdapter:
    """RequestChallenge in LOCK_UNLOCKFAILED starts a new exchange instead of answering MSGR_E_API_UNLOCK_FAILED."""
    return BrokenAdapter(fault_of("lock_reopens_after_failure"), _ReopensAfterFailure)


class _DeclinedAfterTermination(PartyWrapper):
    def events(self):
        found = super().events()
        names = [e.name for e in found]
        if "OnDeclined" in names and "OnTermination" in names[names.index("OnDeclined"):]:
            declined = found.pop(names.index("OnDeclined"))
            found.insert(len(found) - [e.name for e in reversed(found)].index("OnTermination"), declined)
        return found


@_broken
def declined_after_termination() -> BrokenAdapter:
    """The inviter's session raises OnDeclined after OnTermination instead of before it (events out of order)."""
    return BrokenAdapter(fault_of("declined_after_termination"), _DeclinedAfterTermination)


class _CancelKeepsInvitation(PartyWrapper):
    def call(self, obj, method, args=()):
        session = self.target(obj)
        before = session.state if isinstance(session, Session) else None
        outcome = super().call(obj, method, args)
        if _is(method, "Cancel") and outcome.ok and before == codes.SS_INVITATION:
            session.state = codes.SS_INVITATION  # the events went out, the state stays behind
        return outcome


@_broken
def cancel_leaves_invitation() -> BrokenAdapter:
    """After a successful Cancel the inviter's session stays in SS_INVITATION instead of SS_CANCELLED."""
    return BrokenAdapter(fault_of("cancel_leaves_invitation"), _CancelKeepsInvitation)


class _ContextDataOneWay(PartyWrapper):
    def call(self, obj, method, args=()):
        session = self.target(obj)
        if _is(method, "SendContextData") and isinstance(session, Session) and session.is_invitee \
                and session.other is not None and session.other.sent_context:
            return Outcome(codes.SR_SESSION_STATE_INVALID)  # as if the channel could carry one direction only
        return super().call(obj, method, args)


@_broken
def context_data_one_way() -> BrokenAdapter:
    """Once the inviter has sent context data, the invitee's SendContextData is refused (SR_SESSION_STATE_INVALID).

    No single cell shows it: the shortest path to the invitee's SendContextData sends nothing first. Four
    steps do: Invite, Accept, SendContextData by the inviter, SendContextData by the invitee."""
    return BrokenAdapter(fault_of("context_data_one_way"), _ContextDataOneWay)


# -- breaking the adapter contract -------------------------------------------------------------------------

class _RaisesInSessionID(PartyWrapper):
    def get(self, obj, prop, index=None):
        if _is(prop, "SessionID"):
            raise RuntimeError("simulated crash in the SessionID accessor")
        return super().get(obj, prop, index)


@_broken
def raises_in_get_session_id() -> BrokenAdapter:
    """The adapter raises a Python exception (RuntimeError) when SessionID is read."""
    return BrokenAdapter(fault_of("raises_in_get_session_id"), _RaisesInSessionID)


class _WrongTypeState(PartyWrapper):
    def get(self, obj, prop, index=None):
        outcome = super().get(obj, prop, index)
        if _is(prop, "State") and outcome.ok:
            return outcome.value  # the bare value, not an Outcome
        return outcome


@_broken
def wrong_type_from_get_state() -> BrokenAdapter:
    """The adapter answers a read of State with a bare int instead of an Outcome."""
    return BrokenAdapter(fault_of("wrong_type_from_get_state"), _WrongTypeState)


class _HangsInGetLaunchingSession(PartyWrapper):
    def call(self, obj, method, args=()):
        if _is(method, "GetLaunchingSession"):
            time.sleep(3600)
        return super().call(obj, method, args)


@_broken
def hangs_in_get_launching_session() -> BrokenAdapter:
    """The adapter hangs (sleeps for an hour) in GetLaunchingSession."""
    return BrokenAdapter(fault_of("hangs_in_get_launching_session"), _HangsInGetLaunchingSession)


class _HangsCreatingMessengerPriv(PartyWrapper):
    def create(self, coclass):
        if _is(coclass, "MessengerPriv"):
            time.sleep(3600)
        return super().create(coclass)


@_broken
def hangs_creating_messenger_priv() -> BrokenAdapter:
    """The adapter hangs (sleeps for an hour) creating MessengerPriv, which a fixture does before the test."""
    return BrokenAdapter(fault_of("hangs_creating_messenger_priv"), _HangsCreatingMessengerPriv)


class _CannotCreateManager(PartyWrapper):
    def create(self, coclass):
        if _is(coclass, "MsgrSessionManager") or str(coclass).upper() == "{E3A3B1D9-5675-43C0-BF04-37BE11939FB7}":
            return contract.Outcome(codes.E_FAIL)
        return super().create(coclass)


@_broken
def cannot_create_session_manager() -> BrokenAdapter:
    """MsgrSessionManager cannot be created: every creation answers E_FAIL."""
    return BrokenAdapter(fault_of("cannot_create_session_manager"), _CannotCreateManager)


class _NoisyReRegister(_ReRegisterEFail):
    def output(self) -> str:
        return "noisy implementation: wrote a log line\n" + super().output()


@_broken
def reregister_answers_e_fail_noisily() -> BrokenAdapter:
    """As reregister_answers_e_fail, and the implementation writes a log line for the report to keep."""
    return BrokenAdapter(fault_of("reregister_answers_e_fail_noisily"), _NoisyReRegister)


# -- not faults: answers the adapter contract allows ------------------------------------------------------

class _NoLaunch(PartyWrapper):
    def launch(self, invitation):
        return Outcome(codes.E_NOTIMPL)


def launch_not_implemented() -> BrokenAdapter:
    """Party.launch answers E_NOTIMPL (the contract allows it): the launching tests are not applicable."""
    return BrokenAdapter("Party.launch answers E_NOTIMPL", _NoLaunch)


# -- an implementation that dies during the run --------------------------------------------------------------

#: RPC_S_SERVER_UNAVAILABLE, what a COM proxy answers once its server process is gone
_SERVER_UNAVAILABLE = 0x800706BA - 2**32


class _Dying(PartyWrapper):
    """After the run's first `budget` operations the implementation is gone: each operation then raises
    ConnectionError (a protocol peer that died) or, with `answers` set, answers RPC_S_SERVER_UNAVAILABLE and
    delivers no events (a COM proxy whose server died). Its output, already written, can still be read."""

    budget = 0
    answers = False

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        if name not in contract.Party.__dict__ or name == "output" or not callable(value):
            return value
        _Dying.budget -= 1
        if _Dying.budget >= 0:
            return value
        if not _Dying.answers:
            raise ConnectionError("the implementation's process is gone")
        return lambda *args: [] if name == "events" else Outcome(_SERVER_UNAVAILABLE)


def dies_during_the_run(answers: bool = False) -> BrokenAdapter:
    """Not a variant the suite must catch but a run that goes wrong: the implementation dies after 80 operations
    (during the first walk of a life-cycle exploration, when that is all the run selects); afterwards it raises,
    or with `answers` answers RPC_S_SERVER_UNAVAILABLE."""
    _Dying.budget, _Dying.answers = 80, answers
    return BrokenAdapter("the implementation dies after 80 operations", _Dying)


def dies_during_the_run_answering() -> BrokenAdapter:
    return dies_during_the_run(answers=True)
