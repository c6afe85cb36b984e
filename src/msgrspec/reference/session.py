"""MsgrSession: one invitation between two parties of a world.

The inviter's session (made by CreateSession) starts in SS_READY with
SF_INVITER. A successful Invite makes a twin session on the invited party's
side (SS_INVITATION, SF_INVITEE, the same SessionID) and raises OnInvitation
on that party's session managers; the two twins then carry the exchange:

    inviter  READY --Invite--> INVITATION --(recipient accepts)--> ACCEPTED --> CONNECTED
    recipient          INVITATION --Accept--> ACCEPTED --> CONNECTED, then OnReadyToLaunch, BeforeAppLaunch
    Decline (recipient): both end in SS_DECLINED; the inviter gets OnDeclined, both OnTermination
    Cancel (inviter):    both end in SS_CANCELLED; the recipient gets OnCancelled, both OnTermination

An accepted invitation whose application is not registered on the
recipient's machine raises OnAppNotPresent there and is declined on the
user's behalf. Every change of State raises OnStateChanged with the state
left. OnTermination carries the SESSION_RESULT code named after the ending
(SR_INVITATION_DECLINED, SR_APPLICATION_LAUNCH_FAILED on the side that lacks
the application, SR_SESSION_CANCELLED_LOCAL and _REMOTE), or on the
recipient's side the failure code a Cancel gives as its reason: no page names
these. Addresses travel with the messages: the inviter's LocalAddress with the
invitation, the recipient's with the acceptance. A message for a party that has
signed out in the meantime is not delivered: the sender's session raises
OnSendError with the matching SR_*_SEND_FAILURE code.
"""
from __future__ import annotations

import uuid

from ..adapter import ObjRef, Outcome
from . import codes
from .contact import Contact
from .objects import GUID_FORM, RefObject, bstr_bytes, fail, is_bstr, is_long, ok, utf16_units
from .registry import AppRegistration, RegistryError

APP_DATA_MAX_BYTES = 512
CONTEXT_DATA_MAX_CHARS = 300
CONTEXT_DATA_MAX_CALLS = 5
APP_GUID_MAX_CHARS = 39
ADDRESS_MAX_CHARS = 30

_ENDED = (codes.SS_CANCELLED, codes.SS_DECLINED, codes.SS_TERMINATED)
_LINKED = (codes.SS_ACCEPTED, codes.SS_CONNECTED)


class Session(RefObject):
    coclass = "MsgrSession"
    default_interface = "IMsgrSession"
    interfaces = ("IMsgrSession",)
    event_interface = "DMsgrSessionEvents"

    def __init__(self, party, inviter: bool, session_id: str | None = None):
        super().__init__(party)
        self.state = codes.SS_READY if inviter else codes.SS_INVITATION
        self.flags = codes.SF_INVITER if inviter else codes.SF_INVITEE
        self.session_id = session_id or "{" + str(uuid.uuid4()).upper() + "}"
        self.app_guid: str | None = None
        self.app_info: AppRegistration | None = None  # as known when the GUID was set or arrived
        self.user: Contact | None = None
        self.other: Session | None = None
        self.local_address: str = party.address
        self.remote_address: str | None = None
        self.context_data: str = ""
        self.sent_context = 0

    # -- helpers --------------------------------------------------------------------------------

    @property
    def is_inviter(self) -> bool:
        return bool(self.flags & codes.SF_INVITER)

    @property
    def is_invitee(self) -> bool:
        return bool(self.flags & codes.SF_INVITEE)

    def _set_state(self, state: int) -> None:
        if state != self.state:
            previous, self.state = self.state, state
            self.fire("OnStateChanged", previous)

    def _registered(self) -> AppRegistration | None:
        if self.app_guid is None:
            return None
        try:
            return self.world.registry.lookup(self.party.machine, self.app_guid)
        except RegistryError as exc:
            self.party.log(f"registry lookup: {exc}")
            return None

    def _app(self) -> AppRegistration | None:
        """The application as registered now on this machine, else as last known."""
        return self._registered() or self.app_info

    def _reachable(self, failure: int) -> Session | None:
        """The other side's session if a message can reach it; else OnSendError(failure) and None."""
        other = self.other
        if other is None or not other.party.signed_on:
            self.fire("OnSendError", failure)
            return None
        return other

    def _end(self, state: int, hr: int, data: str) -> None:
        self._set_state(state)
        self.fire("OnTermination", hr, data)

    # -- IMsgrSession: properties -----------------------------------------------------------------

    def get_Application(self) -> Outcome:
        return ok(self.app_guid) if self.app_guid is not None else fail(codes.SR_APP_NOT_SPECIFIED)

    def put_Application(self, guid) -> Outcome:
        if not isinstance(guid, str):
            return fail(codes.E_INVALIDARG)
        if utf16_units(guid) > APP_GUID_MAX_CHARS:
            return fail(codes.E_OUTOFMEMORY)
        if self.state != codes.SS_READY:
            return fail(codes.SR_SESSION_NOT_READY)
        if not GUID_FORM.fullmatch(guid):
            return fail(codes.E_INVALIDARG)
        try:
            app = self.world.registry.lookup(self.party.machine, guid)
        except RegistryError as exc:
            self.party.log(f"registry lookup: {exc}")
            return fail(codes.E_FAIL)
        if app is None:
            return fail(codes.SR_APP_NOT_REGISTERED)
        self.app_guid, self.app_info = guid, app
        return ok()

    def get_State(self) -> Outcome:
        return ok(self.state)

    def get_SessionID(self) -> Outcome:
        return ok(self.session_id)

    def get_ContextData(self) -> Outcome:
        return ok(self.context_data)

    def get_ApplicationName(self) -> Outcome:
        app = self._app()
        return ok(app.name) if app is not None else fail(codes.SR_APP_NOT_SPECIFIED)

    def get_ApplicationURL(self) -> Outcome:
        app = self._app()
        return ok(app.url) if app is not None else fail(codes.SR_APP_NOT_SPECIFIED)

    def get_Flags(self) -> Outcome:
        return ok(self.flags)

    def get_User(self) -> Outcome:
        return ok(self.user.ref()) if self.user is not None else fail(codes.SR_NO_USER_INVITED)

    def get_LocalAddress(self) -> Outcome:
        return ok(self.local_address)

    def put_LocalAddress(self, address) -> Outcome:
        if not isinstance(address, str):
            return fail(codes.E_INVALIDARG)
        if utf16_units(address) > ADDRESS_MAX_CHARS:
            return fail(codes.E_OUTOFMEMORY)
        self.local_address = address
        return ok()

    def get_RemoteAddress(self) -> Outcome:
        if self.state not in _LINKED or self.remote_address is None:
            return ok("", hr=codes.S_FALSE)
        return ok(self.remote_address)

    # -- IMsgrSession: the invitation -------------------------------------------------------------

    def call_Invite(self, user, app_data) -> Outcome:
        contact = self.party.resolve(user) if isinstance(user, ObjRef) else None
        if not isinstance(contact, Contact):
            return fail(codes.E_INVALIDARG)
        if not is_bstr(app_data) or bstr_bytes(app_data) > APP_DATA_MAX_BYTES:
            return fail(codes.E_INVALIDARG)
        if self.state != codes.SS_READY:
            return fail(codes.SR_SESSION_NOT_READY)
        if self.app_guid is None:
            return fail(codes.SR_APP_NOT_SPECIFIED)
        if contact.is_self:
            return fail(codes.SR_INVITED_SELF)
        if not self.party.signed_on:
            return fail(codes.MSGR_E_NOT_LOGGED_ON)
        recipient = self.world.signed_in(contact.signin)
        if recipient is None:
            return fail(codes.MSGR_E_NOT_LOGGED_ON)
        twin = Session(recipient, inviter=False, session_id=self.session_id)
        twin.app_guid, twin.app_info = self.app_guid, self._app()
        twin.user = recipient.contact_object(self.party.signin)
        twin.other, self.other = self, twin
        twin.remote_address = self.local_address
        twin.context_data = app_data or ""
        self.user = contact
        self._set_state(codes.SS_INVITATION)
        for manager in recipient.managers():
            manager.fire("OnInvitation", twin.ref(), app_data or "", False)
        return ok()

    def _answer_checks(self, app_data) -> Outcome | None:
        if not is_bstr(app_data) or bstr_bytes(app_data) > APP_DATA_MAX_BYTES:
            return fail(codes.E_INVALIDARG)
        return None

    def call_Accept(self, app_data) -> Outcome:
        refused = self._answer_checks(app_data)
        if refused:
            return refused
        if not self.is_invitee or self.state != codes.SS_INVITATION:
            return fail(codes.SR_SESSION_STATE_INVALID)
        data = app_data or ""
        if self._registered() is None:
            app = self._app()
            self.fire("OnAppNotPresent", app.name if app else "", app.url if app else "")
            self._decline("", codes.SR_APPLICATION_LAUNCH_FAILED)
            return ok()
        self._set_state(codes.SS_ACCEPTED)
        inviter = self._reachable(codes.SR_ACCEPT_SEND_FAILURE)
        if inviter is None:
            self._end(codes.SS_TERMINATED, codes.SR_ACCEPT_SEND_FAILURE, "")
            return ok()
        inviter.remote_address = self.local_address
        if inviter.state == codes.SS_INVITATION:
            inviter.fire("OnAccepted", data)
            inviter._set_state(codes.SS_ACCEPTED)
            inviter._set_state(codes.SS_CONNECTED)
        self._set_state(codes.SS_CONNECTED)
        self.fire("OnReadyToLaunch")
        self.fire("BeforeAppLaunch", True)
        return ok()

    def _decline(self, data: str, own_result: int) -> None:
        inviter = self._reachable(codes.SR_DECLINE_SEND_FAILURE)
        self._end(codes.SS_DECLINED, own_result, data)
        if inviter is not None and inviter.state not in _ENDED:
            inviter.fire("OnDeclined", data)
            inviter._end(codes.SS_DECLINED, codes.SR_INVITATION_DECLINED, data)

    def call_Decline(self, app_data) -> Outcome:
        refused = self._answer_checks(app_data)
        if refused:
            return refused
        if not self.is_invitee:
            return fail(codes.SR_NOT_INVITEE)
        if self.state != codes.SS_INVITATION:
            return fail(codes.SR_SESSION_STATE_INVALID)
        self._decline(app_data or "", codes.SR_INVITATION_DECLINED)
        return ok()

    def call_Cancel(self, hr, app_data) -> Outcome:
        if not is_long(hr):
            return fail(codes.E_INVALIDARG)
        refused = self._answer_checks(app_data)
        if refused:
            return refused
        if not self.is_inviter:
            return fail(codes.SR_NOT_INVITER)
        if self.state not in (codes.SS_INVITATION, *_LINKED):
            return fail(codes.E_FAIL)  # there is no invitation to withdraw
        data = app_data or ""
        self._end(codes.SS_CANCELLED, codes.SR_SESSION_CANCELLED_LOCAL, data)
        recipient = self._reachable(codes.SR_CANCEL_SEND_FAILURE)
        if recipient is not None and recipient.state not in _ENDED:
            reason = hr & 0xFFFFFFFF
            recipient.fire("OnCancelled", data)
            recipient._end(codes.SS_CANCELLED, reason if codes.failed(reason) else codes.SR_SESSION_CANCELLED_REMOTE,
                           data)
        return ok()

    def call_SendContextData(self, data) -> Outcome:
        if not is_bstr(data):
            return fail(codes.E_INVALIDARG)
        text = data or ""
        if utf16_units(text) > CONTEXT_DATA_MAX_CHARS:
            return fail(codes.SR_CONTEXT_DATA_OVER_LIMIT)
        if self.state not in _LINKED or self.other is None or self.other.state not in _LINKED:
            return fail(codes.SR_SESSION_STATE_INVALID)
        if self.sent_context >= CONTEXT_DATA_MAX_CALLS:
            return fail(codes.SR_CONTEXT_DATA_OVER_LIMIT)
        self.sent_context += 1
        other = self._reachable(codes.SR_CONTEXT_DATA_SEND_FAILURE)
        if other is not None:
            other.context_data = text
            other.fire("OnContextData", text)
        return ok()

    # -- launching --------------------------------------------------------------------------------

    def launchable(self) -> bool:
        return self.state in _LINKED and self._registered() is not None
