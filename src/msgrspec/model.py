"""The validated, resolved spec: small frozen classes that generators and tests read.

Nothing here reads YAML; `msgrspec.loader` builds these objects once the files
have passed the schema and the semantic checks.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Union

import attrs

from .errors import Location

#: vtable entries every interface inherits from its base
BASE_SLOTS = {
    "IUnknown": ("QueryInterface", "AddRef", "Release"),
    "IDispatch": ("QueryInterface", "AddRef", "Release",
                  "GetTypeInfoCount", "GetTypeInfo", "GetIDsOfNames", "Invoke"),
}


def frozen_map(items) -> Mapping:
    """An immutable name -> item mapping, in the order given."""
    return MappingProxyType(dict(items))


_NOWHERE = Location("<unknown>")


def _loc():
    return attrs.field(default=_NOWHERE, eq=False, repr=False)


@attrs.frozen
class Source:
    origin: str
    pages: tuple[str, ...] = ()
    note: str | None = None


@attrs.frozen
class Support:
    """One requirements row: the client and server versions, product, header, IDL and DLL."""

    min_client: str | None = None
    min_server: str | None = None
    end_client: str | None = None
    end_server: str | None = None
    product: str | None = None
    header: str | None = None
    idl: str | None = None
    dll: str | None = None

    ROWS = {
        "min_client": "Minimum supported client", "min_server": "Minimum supported server",
        "end_client": "End of client support", "end_server": "End of server support",
        "product": "Product", "header": "Header", "idl": "IDL", "dll": "DLL",
    }

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) for every row that has a value, in the order of the upstream tables."""
        return [(label, getattr(self, key)) for key, label in self.ROWS.items() if getattr(self, key) is not None]


@attrs.frozen
class Constraint:
    kind: str  # max_length | max_bytes | equals | format
    value: int | str
    error: str | None = None
    source: Source | None = None


@attrs.frozen
class Param:
    name: str
    type: str
    dir: str
    summary: str | None = None
    default: object = None
    constraints: tuple[Constraint, ...] = ()
    loc: Location = _loc()

    @property
    def is_retval(self) -> bool:
        return self.dir == "out,retval"


@attrs.frozen
class ReturnCode:
    code: str
    meaning: str
    untestable: str | None = None


@attrs.frozen
class Slot:
    """One vtable entry of an interface: its index, the member and how it is reached."""

    index: int
    name: str
    accessor: str  # method | propget | propput | base


@attrs.frozen(kw_only=True)
class Documented:
    """What every documented item of the library carries: its words, its source, its support row."""

    summary: str
    source: Source
    support: Support
    remarks: str | None = None
    links: tuple[str, ...] = ()
    untestable: str | None = None
    loc: Location = _loc()


@attrs.frozen(kw_only=True)
class Method(Documented):
    interface: str
    name: str
    params: tuple[Param, ...]
    dispid: int | None = None
    returns: tuple[ReturnCode, ...] = ()
    kind = "method"

    @property
    def qualname(self) -> str:
        return f"{self.interface}.{self.name}"

    @property
    def accessors(self) -> tuple[str, ...]:
        return ("method",)


@attrs.frozen(kw_only=True)
class Property(Documented):
    interface: str
    name: str
    type: str
    access: str  # read-only | write-only | read-write | not-implemented
    accessors_declared: tuple[str, ...]  # get / put, in vtable order
    dispid: int | None = None
    get_param: str | None = None
    put_param: str | None = None
    index: Param | None = None
    constraints: tuple[Constraint, ...] = ()
    returns: tuple[ReturnCode, ...] = ()
    kind = "property"

    @property
    def qualname(self) -> str:
        return f"{self.interface}.{self.name}"

    @property
    def accessors(self) -> tuple[str, ...]:
        return tuple("prop" + a for a in self.accessors_declared)

    @property
    def readable(self) -> bool:
        return self.access in ("read-only", "read-write")

    @property
    def writable(self) -> bool:
        return self.access in ("write-only", "read-write")

    def accessor_params(self, accessor: str) -> tuple[Param, ...]:
        """The parameters of one accessor (`get` or `put`) as the IDL declares them: the index, then the value."""
        if accessor == "get":
            value = Param(self.get_param or "pVal", self.type + "*", "out,retval")
        else:
            value = Param(self.put_param or "newVal", self.type, "in")
        return (self.index, value) if self.index else (value,)

    @property
    def params(self) -> tuple[Param, ...]:
        """The parameters of the property as a whole: the index (if any) and the value."""
        value = Param(self.put_param or self.get_param or "value", self.type, "in" if self.writable else "out,retval")
        return (self.index, value) if self.index else (value,)


Member = Union[Method, Property]


@attrs.frozen(kw_only=True)
class Interface(Documented):
    name: str
    iid: str
    base: str
    flags: tuple[str, ...]
    members: tuple[Member, ...]
    external_library: str | None = None
    external_libid: str | None = None
    kind = "interface"

    @property
    def qualname(self) -> str:
        return self.name

    @property
    def is_external(self) -> bool:
        return self.external_library is not None

    def member(self, name: str) -> Member:
        for m in self.members:
            if m.name == name:
                return m
        raise KeyError(f"{self.name} has no member {name}")

    @property
    def vtable(self) -> tuple[Slot, ...]:
        """Every vtable entry, the inherited ones first, each with its index."""
        slots = [Slot(i, name, "base") for i, name in enumerate(BASE_SLOTS[self.base])]
        for member in self.members:
            for accessor in member.accessors:
                slots.append(Slot(len(slots), member.name, accessor))
        return tuple(slots)


@attrs.frozen(kw_only=True)
class Event(Documented):
    dispinterface: str
    name: str
    dispid: int
    params: tuple[Param, ...]
    kind = "event"

    @property
    def qualname(self) -> str:
        return f"{self.dispinterface}.{self.name}"


@attrs.frozen(kw_only=True)
class Dispinterface(Documented):
    name: str
    diid: str
    events: tuple[Event, ...]
    kind = "dispinterface"

    @property
    def qualname(self) -> str:
        return self.name

    def event(self, name: str) -> Event:
        for e in self.events:
            if e.name == name:
                return e
        raise KeyError(f"{self.name} has no event {name}")


@attrs.frozen
class EnumValue:
    enum: str
    name: str
    value: int
    summary: str
    source: Source
    support: Support
    loc: Location = _loc()
    kind = "enum-value"

    @property
    def qualname(self) -> str:
        return f"{self.enum}.{self.name}"


@attrs.frozen(kw_only=True)
class Enum(Documented):
    name: str
    in_typelib: bool
    hresult: bool
    values: tuple[EnumValue, ...]
    kind = "enum"

    @property
    def qualname(self) -> str:
        return self.name


@attrs.frozen
class HResult:
    name: str
    value: int
    summary: str
    source: Source
    enum: str | None = None  # the HRESULT enumeration that defines it, if any
    loc: Location = _loc()
    kind = "hresult"

    @property
    def hex(self) -> str:
        return f"0x{self.value:08X}"

    @property
    def qualname(self) -> str:
        return self.name


@attrs.frozen(kw_only=True)
class Coclass(Documented):
    name: str
    clsid: str
    default_interface: str
    creatable: bool
    event_interface: str | None = None
    other_interfaces: tuple[str, ...] = ()
    helpstring: str | None = None
    kind = "coclass"

    @property
    def qualname(self) -> str:
        return self.name

    @property
    def interfaces(self) -> tuple[str, ...]:
        """Every interface the object answers QueryInterface for (not its event interface)."""
        return (self.default_interface,) + self.other_interfaces


@attrs.frozen
class ExternalType:
    name: str
    library: str
    summary: str
    source: Source
    loc: Location = _loc()
    kind = "type"

    @property
    def qualname(self) -> str:
        return self.name


@attrs.frozen
class Requirement:
    id: str
    statement: str
    level: str
    applies_to: tuple[str, ...]
    source: Source
    codes: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    profile: str | None = None
    erratum: str | None = None
    untestable: str | None = None
    loc: Location = _loc()


@attrs.frozen
class Reading:
    id: str
    says: str
    sources: tuple[str, ...]


@attrs.frozen
class Erratum:
    id: str
    title: str
    kind: str
    subjects: tuple[str, ...]
    readings: tuple[Reading, ...]
    adopted: str
    rationale: str
    loc: Location = _loc()

    @property
    def adopted_reading(self) -> Reading:
        return next(r for r in self.readings if r.id == self.adopted)


@attrs.frozen
class Page:
    name: str
    title: str
    documents: str | None = None
    absent: bool = False  # linked to by the upstream pages but not among them


@attrs.frozen
class Library:
    name: str
    libid: str
    version: str
    summary: str
    support: Support
    source: Source
    helpstring: str | None = None
    lcid: int = 0
    imports: tuple[str, ...] = ()
    withdrawn_in: str | None = None
    remarks: str | None = None
    links: tuple[str, ...] = ()
    loc: Location = _loc()


@attrs.frozen
class MachineEvent:
    """An event a transition raises: `Dispinterface.Event` (bare names are on the machine's objects' event
    interfaces) and its leading arguments where they are checked: enumeration value names, TRUE, FALSE or *."""

    name: str
    args: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.name}({', '.join(self.args)})" if self.args else self.name


@attrs.frozen
class Operation:
    """What a party can do to an object of a machine: call a member (with a class of arguments) or an action of
    the adapter contract (`connect`: listen to the object's event interface)."""

    name: str  # the key the cells use: Accept, SendResponse[right]
    member: str | None = None
    accessor: str | None = None  # get | put, for a property
    action: str | None = None
    arguments: str = "default"


@attrs.frozen
class Effect:
    """What a call does to the other party's object: the state it must be in (None: it may not exist yet),
    the states it passes through, the state it ends in (None: unchanged) and the events it raises there."""

    before: str | None = None
    through: tuple[str, ...] = ()
    after: str | None = None
    events: tuple[MachineEvent, ...] = ()


@attrs.frozen
class Transition:
    """One decided outcome of an operation in a state: the code, the states passed and reached, the events.

    An `answer` of the spec is a transition that stays in its state and raises nothing."""

    from_state: str
    operation: str
    role: str | None
    code: str
    to_state: str
    through: tuple[str, ...] = ()
    events: tuple[MachineEvent, ...] = ()
    peer: Effect | None = None
    condition: str | None = None  # of one of several outcomes the environment chooses between
    requirements: tuple[str, ...] = ()
    erratum: str | None = None
    source: Source | None = None
    answer: bool = False  # written as an answer: no change of state, no event
    loc: Location = _loc()


@attrs.frozen
class Cell:
    """One (state, operation, role) of a machine: its possible outcomes, or why it is left unspecified."""

    machine: str
    state: str
    operation: str
    role: str | None
    outcomes: tuple[Transition, ...] = ()
    unspecified: str | None = None
    erratum: str | None = None

    @property
    def id(self) -> str:
        return f"{self.machine}@{self.state}:{self.operation}" + (f"/{self.role}" if self.role else "")

    @property
    def moves(self) -> bool:
        return any(t.to_state != t.from_state or t.events or t.peer for t in self.outcomes)


@attrs.frozen
class Role:
    name: str
    summary: str


@attrs.frozen
class NotState:
    """A value of the enumeration that is not a state of the machine, and why."""

    value: str
    reason: str


def parties_of(roles: tuple[Role, ...], initial_role: str | None) -> tuple[str | None, ...]:
    """The role of each party of a machine, the initial role first; (None,) for a machine of one party."""
    names = [r.name for r in roles]
    if initial_role in names:
        names.remove(initial_role)
        names.insert(0, initial_role)
    return tuple(names) or (None,)


@attrs.frozen(kw_only=True)
class StateMachine:
    """A life cycle keyed by its enumeration: states, operations, transitions and every cell decided."""

    name: str  # the enumeration
    summary: str
    source: Source
    objects: tuple[str, ...]
    state_property: str
    initial: str
    states: tuple[str, ...]
    operations: tuple[Operation, ...]
    transitions: tuple[Transition, ...]
    cells: tuple[Cell, ...]
    roles: tuple[Role, ...] = ()
    initial_role: str | None = None
    not_states: tuple[NotState, ...] = ()
    remarks: str | None = None
    loc: Location = _loc()
    kind = "state-machine"

    @property
    def qualname(self) -> str:
        return self.name

    @property
    def parties(self) -> tuple[str | None, ...]:
        return parties_of(self.roles, self.initial_role)

    def operation(self, name: str) -> Operation:
        return next(o for o in self.operations if o.name == name)

    def cell(self, state: str, operation: str, role: str | None = None) -> Cell:
        for cell in self.cells:
            if (cell.state, cell.operation, cell.role) == (state, operation, role):
                return cell
        raise KeyError(f"{self.name} has no cell ({state}, {operation}, {role})")


Item = Union[Interface, Method, Property, Dispinterface, Event, Enum, EnumValue, HResult, Coclass, ExternalType]


@attrs.frozen
class Spec:
    """The whole library. Mappings are read-only and keep the order of the files."""

    library: Library
    pages: Mapping[str, Page]
    hresults: Mapping[str, HResult]
    coclasses: Mapping[str, Coclass]
    interfaces: Mapping[str, Interface]
    dispinterfaces: Mapping[str, Dispinterface]
    enums: Mapping[str, Enum]
    types: Mapping[str, ExternalType]
    requirements: Mapping[str, Requirement]
    errata: Mapping[str, Erratum]
    state_machines: Mapping[str, StateMachine] = attrs.field(factory=lambda: frozen_map({}))
    digest: str = attrs.field(default="", eq=False)  # sha256 of the files the spec was read from
    _index: Mapping[str, Item] = attrs.field(factory=dict, eq=False, repr=False, alias="index")
    #: reverse indexes (name -> errata, requirements), made on first use
    _lookups: dict = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def items(self) -> Iterator[Item]:
        """Every named item, top-level items followed by their members, events and values."""
        for group in (self.interfaces, self.dispinterfaces, self.coclasses, self.enums, self.types, self.hresults):
            for item in group.values():
                yield item
                yield from getattr(item, "members", ())
                yield from getattr(item, "events", ())
                if isinstance(item, Enum):
                    yield from item.values

    def resolve(self, name: str) -> Item:
        """The item called `name` (`IMsgrSession`, `IMsgrSession.Invite`, `SESSION_STATE.SS_READY`, `S_OK`)."""
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"the spec has no item named {name!r}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._index

    def _lookup(self, kind: str) -> tuple[tuple, dict[str, list[int]], dict[str, list[int]]]:
        """(entries, name -> positions of the entries that name it, name -> positions of those naming a member).

        Built once, so that asking for every item of a large spec costs linear, not quadratic, time.
        """
        found = self._lookups.get(kind)
        if found is None:
            entries = tuple(self.errata.values() if kind == "errata" else self.requirements.values())
            exact: dict[str, list[int]] = {}
            below: dict[str, list[int]] = {}
            for position, entry in enumerate(entries):
                for name in (entry.subjects if kind == "errata" else entry.applies_to):
                    exact.setdefault(name, []).append(position)
                    dot = name.find(".")
                    while dot != -1:  # every parent: "A.B.C" is a member of "A" and of "A.B"
                        below.setdefault(name[:dot], []).append(position)
                        dot = name.find(".", dot + 1)
            found = self._lookups[kind] = (entries, exact, below)
        return found

    def errata_for(self, name: str) -> list[Erratum]:
        """The errata whose subjects include `name` or one of its parents or members."""
        entries, exact, below = self._lookup("errata")
        positions = set(exact.get(name, ())) | set(below.get(name, ()))
        dot = name.find(".")
        while dot != -1:
            positions.update(exact.get(name[:dot], ()))
            dot = name.find(".", dot + 1)
        return [entries[i] for i in sorted(positions)]

    def requirements_for(self, name: str) -> list[Requirement]:
        """The requirements that apply to `name` or to one of its members."""
        entries, exact, below = self._lookup("requirements")
        return [entries[i] for i in sorted(set(exact.get(name, ())) | set(below.get(name, ())))]

    def requirements_naming(self, name: str) -> list[Requirement]:
        """The requirements whose applies_to names `name` itself."""
        entries, exact, _ = self._lookup("requirements")
        return [entries[i] for i in sorted(set(exact.get(name, ())))]
