"""A msgrspec adapter for your implementation of the Messenger session API: a skeleton to fill in.

Run the conformance suite from this folder:

    msgrspec test --adapter my_adapter:MyAdapter

Every operation answers E_NOTIMPL until you fill it in, so at first every case fails (or is blocked by
the creation it needs) and says which requirement it checks. Fill in one method, run again, repeat.
The contract is msgrspec.adapter (values: BSTR -> str, LONG/HRESULT -> int, VARIANT_BOOL -> bool,
an object -> ObjRef); the docs page "Testing your implementation" walks through it.
"""
from __future__ import annotations

from msgrspec.adapter import E_NOTIMPL, Adapter, EventRecord, ObjRef, Outcome, Party, Profile, World

NOT_YET = Outcome(E_NOTIMPL)


class MyParty(Party):
    """One signed-in user's side: every call goes to your implementation and comes back as an Outcome."""

    signin = "me@example.invalid"

    def create(self, coclass: str) -> Outcome:
        """CoCreateInstance by coclass name or CLSID; value: ObjRef(your object id, its default interface)."""
        return NOT_YET

    def query_interface(self, obj: ObjRef, interface: str) -> Outcome:
        """QueryInterface by name or IID; value: ObjRef(the same object id, the interface asked for)."""
        return NOT_YET

    def call(self, obj: ObjRef, method: str, args=()) -> Outcome:
        """A method of obj.interface with its [in] and [in,out] arguments; value: the [out,retval] value."""
        return NOT_YET

    def get(self, obj: ObjRef, prop: str, index=None) -> Outcome:
        return NOT_YET

    def put(self, obj: ObjRef, prop: str, value, index=None) -> Outcome:
        return NOT_YET

    def connect(self, obj: ObjRef, dispinterface: str) -> Outcome:
        """Advise a sink on the object's events; value: the cookie. Record what it receives for events()."""
        return NOT_YET

    def disconnect(self, obj: ObjRef, cookie: int) -> Outcome:
        return NOT_YET

    def events(self) -> list[EventRecord]:
        """The events your sinks received since the last call, oldest first."""
        return []

    def contact(self, signin: str) -> Outcome:
        """An IMessengerContact object for a user, as the Messenger API would hand it out."""
        return NOT_YET

    def type_info(self, name: str) -> Outcome:
        """What your type library says of an interface, dispinterface or enumeration. Without a type
        library of your own, answer from the spec: `return msgrspec.typeinfo.type_info(SPEC, name)`
        with SPEC = msgrspec.load_spec()."""
        return NOT_YET


class MyWorld(World):
    """The parties of one test; nothing in one world may be seen from another."""

    def __init__(self) -> None:
        self._local = MyParty()

    @property
    def local(self) -> MyParty:
        return self._local

    def close(self) -> None:
        """Release whatever the world holds."""


class MyAdapter(Adapter):
    name = "my-implementation"

    def profile(self) -> Profile:
        """Who you are; `features` names what you can do (lock-enforced, peer, registry)."""
        return Profile(implementation="my implementation", version="0.0", product="Messenger 4.5")

    def open_world(self) -> MyWorld:
        return MyWorld()
