"""The adapter contract: how the conformance suite drives an implementation of the session API.

An implementation is reached through an `Adapter`, found by name in the
entry-point group ``msgrspec.adapters`` (or given as ``module:attribute``).
The contract speaks COM without needing COM: objects are opaque references,
every operation answers with an HRESULT, and nothing relies on Python object
identity, so an out-of-process implementation can sit behind it.

Values cross the contract as plain data: BSTR -> str, LONG/HRESULT -> int,
VARIANT_BOOL -> bool, an object -> ObjRef, SAFEARRAY -> list, VARIANT -> any
of these; enumeration values are ints.
"""
from __future__ import annotations

import abc
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Any

import attrs

S_OK = 0x00000000
E_NOTIMPL = 0x80004001
E_NOINTERFACE = 0x80004002
E_FAIL = 0x80004005
DISP_E_MEMBERNOTFOUND = 0x80020003
CLASS_E_CLASSNOTAVAILABLE = 0x80040111
REGDB_E_CLASSNOTREG = 0x80040154

ENTRY_POINT_GROUP = "msgrspec.adapters"


def succeeded(hr: int) -> bool:
    """SUCCEEDED(hr): the severity bit is clear."""
    return not hr & 0x80000000


@attrs.frozen
class ObjRef:
    """An interface pointer held by the suite: an opaque object id and the interface it was obtained as."""

    object_id: str
    interface: str


@attrs.frozen
class Outcome:
    """The answer to one operation: its HRESULT, the [out,retval] value and any [out]/[in,out] values."""

    hr: int
    value: Any = None
    outs: tuple = ()

    @property
    def ok(self) -> bool:
        return succeeded(self.hr)


@attrs.frozen
class EventRecord:
    """One event an implementation fired into a connected sink, with its arguments in declaration order."""

    cookie: int
    dispinterface: str
    name: str
    args: tuple = ()


@attrs.frozen
class Profile:
    """What an implementation says about itself.

    `product` is the Messenger version it implements ("Messenger 4.5"); items the
    spec dates later are not applicable to it. `features` names the optional
    behaviours it has:

    - ``lock-enforced``: MsgrSessionManager and MessengerPriv start locked and
      refuse calls until unlocked with the ID/key pair given here;
    - ``peer``: a second party signed in as another user can be driven, so
      invitations can be tested end to end;
    - ``registry``: RegisterApplication/UnRegisterApplication keep a real store.

    `unreachable` says why the implementation could not be asked for its profile; what it has is then
    unknown, so the suite judges nothing not applicable and every test meets the failure itself.
    """

    implementation: str
    product: str = "Messenger 4.5"
    features: frozenset[str] = frozenset()
    lock_id: str | None = None
    lock_key: str | None = None
    unreachable: str | None = None
    #: the implementation's own version, recorded in the report's manifest
    version: str | None = None


class Party(abc.ABC):
    """One signed-in user's side of the API: the objects of one Messenger client."""

    #: the sign-in name of this party's user
    signin: str
    #: True when every event an operation causes is queued before the operation returns (an in-process
    #: implementation): the suite then need not wait to show that an event did not arrive
    events_synchronous: bool = False

    @abc.abstractmethod
    def create(self, coclass: str) -> Outcome:
        """CoCreateInstance by coclass name or CLSID; value: an ObjRef for the default interface."""

    @abc.abstractmethod
    def query_interface(self, obj: ObjRef, interface: str) -> Outcome:
        """QueryInterface by interface name or IID; E_NOINTERFACE if the object does not have it."""

    @abc.abstractmethod
    def call(self, obj: ObjRef, method: str, args: Sequence[Any] = ()) -> Outcome:
        """Call a method of obj's interface with its [in] and [in,out] arguments, in order."""

    @abc.abstractmethod
    def get(self, obj: ObjRef, prop: str, index: Any = None) -> Outcome:
        """Read a property (propget); an accessor the interface lacks answers DISP_E_MEMBERNOTFOUND."""

    @abc.abstractmethod
    def put(self, obj: ObjRef, prop: str, value: Any, index: Any = None) -> Outcome:
        """Write a property (propput); an accessor the interface lacks answers DISP_E_MEMBERNOTFOUND."""

    @abc.abstractmethod
    def connect(self, obj: ObjRef, dispinterface: str) -> Outcome:
        """Advise a sink for the object's event interface; value: the connection cookie (int)."""

    @abc.abstractmethod
    def disconnect(self, obj: ObjRef, cookie: int) -> Outcome:
        """Unadvise the sink connected under cookie."""

    @abc.abstractmethod
    def events(self) -> list[EventRecord]:
        """The events fired into this party's sinks since the last call, oldest first."""

    @abc.abstractmethod
    def contact(self, signin: str) -> Outcome:
        """A contact object (an IMessengerContact IDispatch) for a user, as the Messenger API would give."""

    @abc.abstractmethod
    def type_info(self, name: str) -> Outcome:
        """What the implementation's type information says of an interface, dispinterface or enumeration.

        value: {"guid": str, "members": [{"name", "kind" (method|propget|propput|event), "dispid",
        "params": [{"name", "type", "dir"}]}]} for (disp)interfaces, {"values": {name: int}} for enumerations.
        """

    def launch(self, invitation: ObjRef) -> Outcome:
        """Act as the Messenger client launching the application for an accepted invitation;
        value: the process id GetLaunchingSession takes. E_NOTIMPL where the implementation cannot."""
        return Outcome(E_NOTIMPL)

    def output(self) -> str:
        """Whatever the implementation wrote (logs, stderr) since the last call; attached to failures."""
        return ""


class World(abc.ABC):
    """An isolated network of parties for one test: nothing in it is seen by another world."""

    @property
    @abc.abstractmethod
    def local(self) -> Party:
        """The party under test."""

    @property
    def peer(self) -> Party | None:
        """A second party signed in as another user, or None without the ``peer`` feature."""
        return None

    def close(self) -> None:
        """Release everything the world holds."""


class Adapter(abc.ABC):
    """An implementation, as the suite sees it."""

    name: str = "adapter"

    @abc.abstractmethod
    def profile(self) -> Profile:
        """The implementation's profile."""

    @abc.abstractmethod
    def open_world(self) -> World:
        """A fresh world for one test."""

    def close(self) -> None:
        """Called once when the run ends."""


class AdapterSetupError(Exception):
    """The adapter cannot be used at all; the message is one line that says why (checked before a run)."""


class AdapterNotFound(AdapterSetupError, LookupError):
    pass


def installed_adapters() -> dict[str, str]:
    """Name -> entry-point value of every adapter installed in the environment."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _import_attribute(spec: str) -> Any:
    """The object `module:attribute` names; the module may sit in the current folder, as it does when a user
    runs their own adapter from where they wrote it."""
    import importlib

    module_name, _, attribute = spec.partition(":")
    here = os.getcwd()
    added = here not in sys.path
    if added:
        sys.path.insert(0, here)
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise AdapterNotFound(f"cannot load adapter {spec!r}: {exc}") from None
    finally:
        if added:
            sys.path.remove(here)
    return target


def _missing_methods(cls: type) -> str:
    return ", ".join(sorted(getattr(cls, "__abstractmethods__", ()))) or "none"


def load_adapter(spec: str) -> Adapter:
    """The adapter named `spec` in the entry-point group, or given as module:attribute.

    The attribute may be an Adapter instance, an Adapter class or a factory called with no arguments.
    """
    if ":" in spec:
        target = _import_attribute(spec)
    else:
        found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == spec]
        if not found:
            names = ", ".join(sorted(installed_adapters())) or "none"
            raise AdapterNotFound(f"no adapter called {spec!r} is installed (installed: {names})")
        target = found[0].load()
    if isinstance(target, type) and getattr(target, "__abstractmethods__", None):
        raise AdapterSetupError(f"adapter {spec!r}: {target.__name__} does not implement "
                                f"{_missing_methods(target)} (see msgrspec.adapter.Adapter)")
    adapter = target() if callable(target) and not isinstance(target, Adapter) else target
    if not isinstance(adapter, Adapter):
        raise AdapterNotFound(f"{spec!r} gives {type(adapter).__name__}, not a msgrspec.adapter.Adapter")
    return adapter


def preflight(adapter: Adapter) -> None:
    """Open one world and look at its parties, so that an adapter that cannot work is refused before a run,
    in one line, rather than in every test. Raises AdapterSetupError."""
    name = type(adapter).__name__
    try:
        world = adapter.open_world()
        parties = [("local", world.local), ("peer", world.peer)]
        world.close()
    except AdapterSetupError:
        raise
    except TypeError as exc:  # an abstract World or Party: Python names the missing methods
        raise AdapterSetupError(f"{name}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - whatever stops the first world stops every test
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise AdapterSetupError(f"{name} cannot open a world: {type(exc).__name__}: {message}") from None
    for role, party in parties:
        if role == "local" or party is not None:
            if not isinstance(party, Party):
                raise AdapterSetupError(f"{name}: the world's {role} party is {type(party).__name__}, "
                                        f"not a msgrspec.adapter.Party")
