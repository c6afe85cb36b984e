"""MessengerPriv: silent contact additions and alert subscriptions (IMessengerPrivate)."""
from __future__ import annotations

import re

from ..adapter import ObjRef, Outcome
from . import codes
from .lock import Lockable
from .objects import fail, is_long, ok

#: what the reference's service accepts as a sign-in name
SIGNIN_FORM = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class MessengerPriv(Lockable):
    coclass = "MessengerPriv"
    default_interface = "IMessengerPrivate"
    interfaces = ("IMessengerPrivate", "IMsgrLock")
    event_interface = "DMessengerPrivateEvents"

    def __init__(self, party):
        super().__init__(party)
        self.alert_sites: list[int] = []

    def call_EnableAlertEvents(self, sites) -> Outcome:
        if not isinstance(sites, (list, tuple)) or not all(is_long(s) for s in sites):
            return fail(codes.E_INVALIDARG)
        if self.locked:
            return ok(hr=codes.S_FALSE, outs=(list(sites),))  # a locked service does nothing, successfully
        self.alert_sites = list(sites)
        return ok(outs=(list(sites),))

    def _service_ok(self, service) -> bool:
        if service is None or service == "":
            return True  # the default service
        if isinstance(service, str):
            return service.strip().upper() == self.world.service_id.upper()
        if isinstance(service, ObjRef):
            return False  # this implementation has no MessengerService objects to accept
        return False

    def call_AddContact(self, signin, service) -> Outcome:
        if self.locked:
            return fail(codes.MSGR_E_API_LOCKED)
        if signin is None:
            return fail(codes.E_POINTER)
        if not isinstance(signin, str) or not self._service_ok(service):
            return fail(codes.E_INVALIDARG)
        if not self.party.signed_on:
            return fail(codes.MSGR_E_NOT_LOGGED_ON)
        contact = self.party.contact_object(signin)
        if SIGNIN_FORM.fullmatch(signin):
            self.party.contact_list.add(contact.key)
            result = codes.S_OK
        else:
            result = codes.E_FAIL  # the service turns the name down; the call itself went ahead
        self.fire("OnContactListAdd", result, contact.ref())
        return ok()
