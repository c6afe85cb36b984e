"""ReferenceAdapter: the reference implementation behind the adapter contract."""
from __future__ import annotations

import os

from .. import __version__
from .. import adapter as contract
from .registry import MemoryRegistry, SqliteRegistry, configured_path
from .world import ReferenceWorld

DEFAULT_FEATURES = frozenset({"lock-enforced", "peer", "registry"})


class ReferenceAdapter(contract.Adapter):
    """A pure-Python implementation of the Messenger session API.

    registry_path: an SQLite file for the application registry, shared by every
    world (and process) that names it; None falls back to the environment
    variable MSGRSPEC_REFERENCE_REGISTRY, else each world gets a registry in
    memory. lock_enabled=False makes the lock report itself disabled
    (OnLockEnable FALSE, LOCK_DISABLED), as with a service that has no Lock
    and Key; `lock-enforced` in features keeps locked objects shut.
    """

    name = "reference"

    def __init__(self, registry_path: str | os.PathLike | None = None, *,
                 features: frozenset[str] = DEFAULT_FEATURES,
                 lock_id: str | None = "msgrspec-test-app", lock_key: str | None = "MSGRSPEC-TEST-KEY-0001",
                 product: str = "Messenger 4.5", lock_enabled: bool = True):
        self.registry_path = configured_path(registry_path)
        self.features = frozenset(features)
        self.lock_id, self.lock_key = lock_id, lock_key
        self.product = product
        self.lock_enabled = lock_enabled
        self._shared: SqliteRegistry | None = None

    def profile(self) -> contract.Profile:
        return contract.Profile(implementation="msgrspec reference implementation", product=self.product,
                                features=self.features, lock_id=self.lock_id, lock_key=self.lock_key,
                                version=__version__)

    def open_world(self) -> ReferenceWorld:
        if self.registry_path is not None:
            if self._shared is None:
                self._shared = SqliteRegistry(self.registry_path)
            registry, owned = self._shared, False
        else:
            registry, owned = MemoryRegistry(), True
        return ReferenceWorld(registry, owned, features=self.features, lock_id=self.lock_id,
                              lock_key=self.lock_key, lock_enabled=self.lock_enabled)

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
            self._shared = None


def without_lock() -> ReferenceAdapter:
    """The reference as it behaves on a service without Lock and Key (corporate servers):
    OnLockEnable reports FALSE, Status is LOCK_DISABLED and no call is refused for the lock.
    Use it as ``--msgrspec-adapter msgrspec.reference:without_lock``."""
    return ReferenceAdapter(features=DEFAULT_FEATURES - {"lock-enforced"}, lock_enabled=False)


def single_party() -> ReferenceAdapter:
    """The reference without a second party (no ``peer`` feature): invitations are not applicable."""
    return ReferenceAdapter(features=DEFAULT_FEATURES - {"peer"})
