"""What every object of the reference implementation shares: identity, the
interfaces it answers, connection points, and the argument checks its members use.

Members are plain methods named after the spec: ``call_<Method>``,
``get_<Property>`` and ``put_<Property>``, one for every accessor the spec
declares (an accessor the product never implemented answers E_NOTIMPL itself);
the party's dispatcher reaches them only through an interface the spec says has
that member.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..adapter import EventRecord, ObjRef, Outcome
from . import codes

if TYPE_CHECKING:
    from .world import ReferenceParty, ReferenceWorld

GUID_FORM = re.compile(r"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}")


def ok(value: Any = None, hr: int = codes.S_OK, outs: tuple = ()) -> Outcome:
    return Outcome(hr, value, outs)


def fail(hr: int) -> Outcome:
    return Outcome(hr)


def is_long(value: Any) -> bool:
    """A value that fits a LONG (bool is VARIANT_BOOL, not LONG)."""
    return isinstance(value, int) and not isinstance(value, bool) and -2**31 <= value < 2**32


def is_bstr(value: Any) -> bool:
    """A BSTR argument: a string, or None for a NULL BSTR."""
    return value is None or isinstance(value, str)


def utf16_units(text: str) -> int:
    """Length as a BSTR counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def bstr_bytes(text: str | None) -> int:
    return 2 * utf16_units(text or "")


class RefObject:
    """One COM object of a party."""

    coclass: str | None = None
    default_interface: str = "IUnknown"
    interfaces: tuple[str, ...] = ()
    event_interface: str | None = None

    def __init__(self, party: ReferenceParty):
        self.party = party
        self.world: ReferenceWorld = party.world
        self.id = self.world.new_object_id(party.role, type(self).__name__)
        self.sinks: dict[int, str] = {}
        party.adopt(self)

    def ref(self, interface: str | None = None) -> ObjRef:
        return ObjRef(self.id, interface or self.default_interface)

    def answers(self, interface: str) -> bool:
        return interface in self.interfaces or interface in ("IUnknown", "IDispatch")

    def fire(self, event: str, *args: Any) -> None:
        """Raise an event into every sink connected to this object, in the order they connected."""
        for cookie in sorted(self.sinks):
            self.party.deliver(EventRecord(cookie, self.sinks[cookie], event, tuple(args)))

    def on_connect(self, cookie: int) -> None:
        """Called after a sink has been connected."""
