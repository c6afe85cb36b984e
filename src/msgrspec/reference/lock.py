"""Lock and Key: the IMsgrLock half of MsgrSessionManager and MessengerPriv.

Each lockable object runs its own exchange:

    LOCK_NOTINITIALIZED --(a sink connects: OnLockEnable)--> LOCK_INITIALIZED (or LOCK_DISABLED)
    LOCK_INITIALIZED --RequestChallenge(cookie)--> LOCK_PENDINGRESULT   + OnLockChallenge(cookie, challenge)
    LOCK_PENDINGRESULT --SendResponse(id, md5(challenge + key), cookie)--> LOCK_UNLOCKED or LOCK_UNLOCKFAILED
                                                                          + OnLockResult(cookie, success)

Every change of Status is announced with OnLockStatusChanged. The client's
lock machinery is modelled as coming up when the application first listens to
the object (connects a sink for its event interface): that is when OnLockEnable
is raised, so an application that listens always sees it. A second request in
the same sign-in session is refused with the code matching the state (erratum
request-challenge-repeat). The response is the MD5 digest of the challenge
followed by the key, as hexadecimal digits; letter case is not significant.
"""
from __future__ import annotations

import hashlib
import secrets

from ..adapter import Outcome
from . import codes
from .objects import RefObject, fail, is_long, ok

_REQUEST_REFUSED = {
    codes.LOCK_NOTINITIALIZED: codes.MSGR_E_API_NOTINITIALIZED,
    codes.LOCK_DISABLED: codes.MSGR_E_API_DISABLED,
    codes.LOCK_PENDINGRESULT: codes.MSGR_E_API_PENDING_UNLOCK,
    codes.LOCK_UNLOCKED: codes.MSGR_E_API_ALREADY_UNLOCKED,
    codes.LOCK_UNLOCKFAILED: codes.MSGR_E_API_UNLOCK_FAILED,
}

_RESPONSE_REFUSED = {
    codes.LOCK_NOTINITIALIZED: codes.MSGR_E_API_NOTINITIALIZED,
    codes.LOCK_DISABLED: codes.MSGR_E_API_DISABLED,
    codes.LOCK_INITIALIZED: codes.MSGR_E_API_LOCKED,
    codes.LOCK_UNLOCKED: codes.MSGR_E_API_ALREADY_UNLOCKED,
    codes.LOCK_UNLOCKFAILED: codes.MSGR_E_API_UNLOCK_FAILED,
}


def new_challenge() -> str:
    """A challenge string as the service would send one: twenty decimal digits."""
    return f"{secrets.randbelow(10**20):020d}"


def expected_response(challenge: str, key: str) -> str:
    return hashlib.md5((challenge + key).encode("utf-8")).hexdigest()


class Lockable(RefObject):
    """An object with IMsgrLock; its lock events go out on its own event interface."""

    def __init__(self, party):
        super().__init__(party)
        self.lock_status = codes.LOCK_NOTINITIALIZED
        self._cookie: int | None = None
        self._challenge: str | None = None

    # -- the gate -------------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        """Whether members other than IMsgrLock's are refused (only with the lock-enforced feature)."""
        return self.world.lock_enforced and self.lock_status not in (codes.LOCK_UNLOCKED, codes.LOCK_DISABLED)

    def _set_status(self, status: int) -> None:
        if status != self.lock_status:
            self.lock_status = status
            self.fire("OnLockStatusChanged", status)

    def on_connect(self, cookie: int) -> None:
        if self.lock_status == codes.LOCK_NOTINITIALIZED:
            enabled = self.world.lock_enabled
            self._set_status(codes.LOCK_INITIALIZED if enabled else codes.LOCK_DISABLED)
            self.fire("OnLockEnable", enabled)

    def relock(self) -> None:
        """A new sign-in session: the object is locked again and its lock comes up afresh."""
        self._cookie = self._challenge = None
        self._set_status(codes.LOCK_NOTINITIALIZED)
        if self.sinks:
            self.on_connect(min(self.sinks))

    # -- IMsgrLock ------------------------------------------------------------------------------

    def get_Status(self) -> Outcome:
        return ok(self.lock_status)

    def call_RequestChallenge(self, cookie) -> Outcome:
        if not is_long(cookie):
            return fail(codes.E_INVALIDARG)
        refused = _REQUEST_REFUSED.get(self.lock_status)
        if refused is not None:
            return fail(refused)
        self._cookie, self._challenge = cookie, new_challenge()
        self._set_status(codes.LOCK_PENDINGRESULT)
        self.fire("OnLockChallenge", cookie, self._challenge)
        return ok()

    def call_SendResponse(self, app_id, response, cookie) -> Outcome:
        if not isinstance(app_id, str) or not isinstance(response, str) or not is_long(cookie):
            return fail(codes.E_INVALIDARG)
        refused = _RESPONSE_REFUSED.get(self.lock_status)
        if refused is not None:
            return fail(refused)
        if cookie != self._cookie:
            return fail(codes.E_INVALIDARG)
        key, wanted_id = self.world.lock_key, self.world.lock_id
        success = key is not None and wanted_id is not None and app_id == wanted_id and \
            response.lower() == expected_response(self._challenge or "", key)
        self._set_status(codes.LOCK_UNLOCKED if success else codes.LOCK_UNLOCKFAILED)
        self.fire("OnLockResult", cookie, success)
        return ok()
