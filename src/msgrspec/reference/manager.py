"""MsgrSessionManager: makes sessions, finds the launching session, keeps the application registry."""
from __future__ import annotations

import re

from ..adapter import Outcome
from . import codes
from .lock import Lockable
from .objects import GUID_FORM, fail, is_bstr, is_long, ok, utf16_units
from .registry import AppRegistration, RegistryError
from .session import Session

#: an absolute Windows path: drive letter and root, or a UNC share (erratum register-path-relative)
_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:\\|\\\\[^\\/:*?\"<>|]+\\[^\\/:*?\"<>|]+)")
_BAD_PATH_CHARS = re.compile(r"[\x00-\x1f\"<>|*?]")

_MAX = {"bstrAppGUID": 39, "bstrAppName": 256, "bstrAppURL": 256, "bstrPath": 260}


def path_resolves(path: str) -> bool:
    """Whether bstrPath can be taken as the absolute path of an executable."""
    if not _ABSOLUTE.match(path):
        return False
    return not _BAD_PATH_CHARS.search(path)


class SessionManager(Lockable):
    coclass = "MsgrSessionManager"
    default_interface = "IMsgrSessionManager"
    interfaces = ("IMsgrSessionManager", "IMsgrLock")
    event_interface = "DMsgrSessionManagerEvents"

    def _gate(self) -> Outcome | None:
        return fail(codes.MSGR_E_API_LOCKED) if self.locked else None

    def call_CreateSession(self) -> Outcome:
        refused = self._gate()
        if refused:
            return refused
        return ok(Session(self.party, inviter=True).ref())

    def call_GetLaunchingSession(self, process_id) -> Outcome:
        refused = self._gate()
        if refused:
            return refused
        if not is_long(process_id) or process_id <= 0:
            return fail(codes.E_INVALIDARG)
        session = self.party.launches.get(process_id)
        if session is None:
            return fail(codes.E_FAIL)
        return ok(session.ref())

    def call_RegisterApplication(self, guid, name, url, path, flags) -> Outcome:
        refused = self._gate()
        if refused:
            return refused
        values = {"bstrAppGUID": guid, "bstrAppName": name, "bstrAppURL": url, "bstrPath": path}
        for param, value in values.items():
            if not is_bstr(value) or utf16_units(value or "") > _MAX[param]:
                return fail(codes.E_INVALIDARG)
        if not is_long(flags) or flags != 0:
            return fail(codes.E_INVALIDARG)
        if not GUID_FORM.fullmatch(guid or ""):
            return fail(codes.E_INVALIDARG)
        if not path_resolves(path or ""):
            return fail(codes.E_FAIL)
        app = AppRegistration(guid, name or "", url or "", path, flags)
        try:
            stored = self.world.registry.register(self.party.machine, app)
        except RegistryError as exc:
            self.party.log(f"RegisterApplication: {exc}")
            return fail(codes.REGDB_E_WRITEREGDB)
        if not stored:
            return fail(codes.SR_APP_ALREADY_REGISTERED)
        for manager in self.party.managers():
            manager.fire("OnAppRegistered", guid)
        return ok()

    def call_UnRegisterApplication(self, guid) -> Outcome:
        refused = self._gate()
        if refused:
            return refused
        if not isinstance(guid, str) or utf16_units(guid) > _MAX["bstrAppGUID"]:
            return fail(codes.E_INVALIDARG)
        try:
            removed = self.world.registry.unregister(self.party.machine, guid)
        except RegistryError as exc:
            self.party.log(f"UnRegisterApplication: {exc}")
            return fail(codes.REGDB_E_WRITEREGDB)
        if not removed:
            return fail(codes.SR_APP_NOT_REGISTERED)
        for manager in self.party.managers():
            manager.fire("OnAppUnRegistered", guid)
        return ok()

    def get_Applications(self) -> Outcome:
        refused = self._gate()
        if refused:
            return refused
        return fail(codes.E_NOTIMPL)  # the product never implemented the collection
