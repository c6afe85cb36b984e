"""Contact objects: what the Messenger API hands a party for one user (IMessengerContact).

A party gets them through Party.contact(); asking twice for one sign-in name
gives the same object. Status comes from the world (a user is online while a
party of the world is signed in under that name); nobody has phone numbers.
"""
from __future__ import annotations

from ..adapter import Outcome
from . import codes
from .objects import RefObject, fail, ok


class Contact(RefObject):
    default_interface = "IMessengerContact"
    interfaces = ("IMessengerContact",)

    def __init__(self, party, signin: str):
        super().__init__(party)
        self.signin = signin

    @property
    def key(self) -> str:
        return self.signin.lower()

    @property
    def is_self(self) -> bool:
        return self.key == self.party.signin.lower()

    def _online(self) -> bool:
        return self.world.signed_in(self.signin) is not None

    def get_FriendlyName(self) -> Outcome:
        party = self.world.signed_in(self.signin)
        return ok(party.friendly_name if party is not None else self.signin)

    def get_Status(self) -> Outcome:
        if not self.party.signed_on:
            return ok(codes.MISTATUS_OFFLINE)
        return ok(codes.MISTATUS_ONLINE if self._online() else codes.MISTATUS_OFFLINE)

    def get_SigninName(self) -> Outcome:
        return ok(self.signin)

    def get_ServiceName(self) -> Outcome:
        return ok(self.world.service_name)

    def get_ServiceId(self) -> Outcome:
        return ok(self.world.service_id)

    def get_Blocked(self) -> Outcome:
        return ok(self.party.signed_on and self.key in self.party.blocked)

    def put_Blocked(self, value) -> Outcome:
        if not isinstance(value, bool):
            return fail(codes.E_INVALIDARG)
        if value == (self.key in self.party.blocked):
            return ok(hr=codes.S_FALSE)
        (self.party.blocked.add if value else self.party.blocked.discard)(self.key)
        return ok()

    def get_CanPage(self) -> Outcome:
        return ok(False)

    def get_PhoneNumber(self, phone_type) -> Outcome:
        return fail(codes.E_FAIL)  # an unknown phone type, or no number of that type: nobody has one here

    def get_IsSelf(self) -> Outcome:
        return ok(self.party.signed_on and self.is_self)

    def get_Property(self, prop) -> Outcome:
        if prop == codes.MCONTACTPROP_EMAIL:
            return ok(self.signin)
        if prop == codes.MCONTACTPROP_GROUPS_PROPERTY:
            return ok([])
        return fail(codes.E_INVALIDARG)

    def put_Property(self, prop, value) -> Outcome:
        return fail(codes.E_INVALIDARG)  # none of the generic properties can be written
