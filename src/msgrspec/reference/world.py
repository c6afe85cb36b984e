"""A world of the reference implementation: two signed-in parties (two computers) and the
switchboard between them, plus the application registry each computer keeps.

A party implements the adapter contract's Party: it finds objects by id,
dispatches calls through the spec's interface definitions, keeps connection
points and queues events. No Python exception leaves an operation: a fault
becomes E_UNEXPECTED and its traceback goes to output().
"""
from __future__ import annotations

import itertools
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from .. import adapter as contract
from ..adapter import EventRecord, ObjRef, Outcome
from ..model import Method
from . import codes, typeinfo
from .contact import Contact
from .lock import Lockable
from .manager import SessionManager
from .objects import RefObject, fail, ok
from .private import MessengerPriv
from .registry import Registry
from .session import Session

CREATABLE = {"MsgrSessionManager": SessionManager, "MessengerPriv": MessengerPriv}


class ReferenceParty(contract.Party):
    #: every event is queued, for both parties, before the operation that causes it returns
    events_synchronous = True

    def __init__(self, world: ReferenceWorld, role: str, signin: str, friendly_name: str, address: str):
        self.world = world
        self.role = role
        self.machine = role
        self.signin = signin
        self.friendly_name = friendly_name
        self.address = address
        self.signed_on = True
        self.objects: dict[str, RefObject] = {}
        self.contacts: dict[str, Contact] = {}
        self.contact_list: set[str] = set()
        self.blocked: set[str] = set()
        self.launches: dict[int, Session] = {}
        self._queue: list[EventRecord] = []
        self._log: list[str] = []
        self._cookies = itertools.count(1)

    # -- bookkeeping used by the objects ----------------------------------------------------------

    def adopt(self, obj: RefObject) -> None:
        self.objects[obj.id] = obj

    def resolve(self, ref: Any) -> RefObject | None:
        return self.objects.get(ref.object_id) if isinstance(ref, ObjRef) else None

    def deliver(self, event: EventRecord) -> None:
        self._queue.append(event)

    def log(self, text: str) -> None:
        self._log.append(text.rstrip("\n") + "\n")

    def managers(self) -> list[SessionManager]:
        return [o for o in self.objects.values() if isinstance(o, SessionManager)]

    def contact_object(self, signin: str) -> Contact:
        key = signin.lower()
        if key not in self.contacts:
            self.contacts[key] = Contact(self, signin)
        return self.contacts[key]

    # -- running one operation --------------------------------------------------------------------

    def _run(self, what: str, thunk: Callable[[], Outcome]) -> Outcome:
        with self.world.lock:
            try:
                outcome = thunk()
            except Exception:  # noqa: BLE001 - the contract forbids exceptions; report and answer
                self.log(f"{what} failed inside the reference implementation:\n{traceback.format_exc()}")
                return fail(codes.E_UNEXPECTED)
        if not isinstance(outcome, Outcome):
            self.log(f"{what} produced {outcome!r}, not an Outcome")
            return fail(codes.E_UNEXPECTED)
        return outcome

    def _target(self, obj: Any) -> RefObject | Outcome:
        if not isinstance(obj, ObjRef):
            return fail(codes.E_POINTER)
        target = self.objects.get(obj.object_id)
        if target is None:
            return fail(codes.RPC_E_DISCONNECTED)
        if not target.answers(obj.interface):
            return fail(codes.E_NOINTERFACE)
        return target

    def _dispatch(self, obj: Any, name: str, kind: str, args: tuple, index: Any = None) -> Outcome:
        target = self._target(obj)
        if isinstance(target, Outcome):
            return target
        interface = target.default_interface if obj.interface == "IDispatch" else obj.interface
        member = typeinfo.member(interface, name) if isinstance(name, str) else None
        if member is None:
            return fail(codes.DISP_E_MEMBERNOTFOUND)
        if isinstance(member, Method):
            if kind != "call":
                return fail(codes.DISP_E_MEMBERNOTFOUND)
            if len(args) != len(typeinfo.in_params(member)):
                return fail(codes.DISP_E_BADPARAMCOUNT)
        else:
            if kind == "call" or kind not in member.accessors_declared:
                return fail(codes.DISP_E_MEMBERNOTFOUND)
            if member.index is not None and index is None:
                return fail(codes.DISP_E_PARAMNOTOPTIONAL)
            if member.index is None and index is not None:
                return fail(codes.DISP_E_BADPARAMCOUNT)
            args = ((index,) if member.index is not None else ()) + args
        return getattr(target, f"{kind}_{member.name}")(*args)

    # -- the Party contract -----------------------------------------------------------------------

    def create(self, coclass: str) -> Outcome:
        def run() -> Outcome:
            name = typeinfo.coclass_name(coclass) if isinstance(coclass, str) else None
            factory = CREATABLE.get(name or "")
            if factory is None:
                return fail(codes.REGDB_E_CLASSNOTREG)
            return ok(factory(self).ref())
        return self._run(f"create({coclass!r})", run)

    def query_interface(self, obj: ObjRef, interface: str) -> Outcome:
        def run() -> Outcome:
            target = self._target(obj)
            if isinstance(target, Outcome):
                return target
            name = typeinfo.interface_name(interface) if isinstance(interface, str) else None
            if name is None or not target.answers(name):
                return fail(codes.E_NOINTERFACE)
            return ok(target.ref(name))
        return self._run(f"query_interface({interface!r})", run)

    def call(self, obj: ObjRef, method: str, args: Sequence[Any] = ()) -> Outcome:
        return self._run(f"call {method}", lambda: self._dispatch(obj, method, "call", tuple(args)))

    def get(self, obj: ObjRef, prop: str, index: Any = None) -> Outcome:
        return self._run(f"get {prop}", lambda: self._dispatch(obj, prop, "get", (), index))

    def put(self, obj: ObjRef, prop: str, value: Any, index: Any = None) -> Outcome:
        return self._run(f"put {prop}", lambda: self._dispatch(obj, prop, "put", (value,), index))

    def connect(self, obj: ObjRef, dispinterface: str) -> Outcome:
        def run() -> Outcome:
            target = self._target(obj)
            if isinstance(target, Outcome):
                return target
            name = typeinfo.dispinterface_name(dispinterface) if isinstance(dispinterface, str) else None
            if name is None or name != target.event_interface:
                return fail(codes.CONNECT_E_NOCONNECTION)
            cookie = next(self._cookies)
            target.sinks[cookie] = name
            target.on_connect(cookie)
            return ok(cookie)
        return self._run(f"connect({dispinterface!r})", run)

    def disconnect(self, obj: ObjRef, cookie: int) -> Outcome:
        def run() -> Outcome:
            target = self._target(obj)
            if isinstance(target, Outcome):
                return target
            if target.sinks.pop(cookie, None) is None:
                return fail(codes.CONNECT_E_NOCONNECTION)
            return ok()
        return self._run("disconnect", run)

    def events(self) -> list[EventRecord]:
        with self.world.lock:
            found, self._queue = self._queue, []
        return found

    def contact(self, signin: str) -> Outcome:
        def run() -> Outcome:
            if not isinstance(signin, str) or not signin.strip():
                return fail(codes.E_INVALIDARG)
            return ok(self.contact_object(signin).ref())
        return self._run(f"contact({signin!r})", run)

    def type_info(self, name: str) -> Outcome:
        return self._run(f"type_info({name!r})", lambda: typeinfo.type_info(name))

    def launch(self, invitation: ObjRef) -> Outcome:
        def run() -> Outcome:
            session = self.resolve(invitation)
            if not isinstance(session, Session):
                return fail(codes.E_INVALIDARG)
            if not session.launchable():
                return fail(codes.E_FAIL)
            process_id = self.world.new_process_id()
            self.launches[process_id] = session
            return ok(process_id)
        return self._run("launch", run)

    # -- beyond the contract: going offline and back ------------------------------------------------

    def sign_out(self) -> Outcome:
        """Take the party offline (no Party operation of the contract does this yet)."""
        with self.world.lock:
            if not self.signed_on:
                return ok(hr=codes.S_FALSE)
            self.signed_on = False
            return ok()

    def sign_in(self) -> Outcome:
        """Bring the party back online: a new sign-in session, so every lock starts over."""
        with self.world.lock:
            if self.signed_on:
                return ok(hr=codes.S_FALSE)
            self.signed_on = True
            for obj in list(self.objects.values()):
                if isinstance(obj, Lockable):
                    obj.relock()
            return ok()

    def output(self) -> str:
        with self.world.lock:
            text, self._log = "".join(self._log), []
        return text


class ReferenceWorld(contract.World):
    """Two parties and a registry; nothing here is seen by another world (except a shared SQLite store)."""

    SERVICE_ID = "{8C8C8C8C-5EC5-4D2B-9A3C-6D7370656331}"
    SERVICE_NAME = "msgrspec reference service"

    def __init__(self, registry: Registry, owns_registry: bool, *, features: frozenset[str],
                 lock_id: str | None, lock_key: str | None, lock_enabled: bool = True):
        self.registry = registry
        self._owns_registry = owns_registry
        self.lock = threading.RLock()
        self.lock_enforced = "lock-enforced" in features
        self.lock_enabled = lock_enabled
        self.lock_id, self.lock_key = lock_id, lock_key
        self.service_id, self.service_name = self.SERVICE_ID, self.SERVICE_NAME
        self._ids = itertools.count(1)
        self._pids = itertools.count(4100, 4)
        self._local = ReferenceParty(self, "local", "alice@msgrspec.example", "Alice", "192.0.2.10")
        self._peer = ReferenceParty(self, "peer", "bob@msgrspec.example", "Bob", "192.0.2.20") \
            if "peer" in features else None
        self._closed = False

    @property
    def local(self) -> ReferenceParty:
        return self._local

    @property
    def peer(self) -> ReferenceParty | None:
        return self._peer

    def parties(self) -> list[ReferenceParty]:
        return [p for p in (self._local, self._peer) if p is not None]

    def signed_in(self, signin: str) -> ReferenceParty | None:
        """The party signed in under this name, if any."""
        for party in self.parties():
            if party.signed_on and party.signin.lower() == signin.lower():
                return party
        return None

    def new_object_id(self, role: str, kind: str) -> str:
        return f"{role}/{kind}/{next(self._ids)}"

    def new_process_id(self) -> int:
        return next(self._pids)

    def close(self) -> None:
        with self.lock:
            if self._closed:
                return
            self._closed = True
            for party in self.parties():
                for manager in party.managers():
                    manager.fire("OnAppShutdown")
            if self._owns_registry:
                self.registry.close()
