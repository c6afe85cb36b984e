"""The reference implementation's type information: the public helpers of msgrspec.typeinfo on the shipped spec.

A real implementation's type library is compiled from its IDL; the reference's
is read from the spec msgrspec ships, once per process. Everything the
dispatcher needs to know about members (which accessors exist, how many
arguments a method takes) comes from here too.
"""
from __future__ import annotations

import functools

from .. import typeinfo as public
from ..adapter import Outcome
from ..loader import load_spec
from ..model import Method, Param, Property, Spec


@functools.lru_cache(maxsize=1)
def spec() -> Spec:
    """The shipped spec, loaded on first use."""
    return load_spec()


def interface_name(key: str) -> str | None:
    """The interface called `key` (a name or an IID), or None."""
    return public.interface_name(spec(), key)


def dispinterface_name(key: str) -> str | None:
    return public.dispinterface_name(spec(), key)


def coclass_name(key: str) -> str | None:
    return public.coclass_name(spec(), key)


def member(interface: str, name: str) -> Method | Property | None:
    """The member `name` of `interface` (IDispatch name lookup ignores case), or None."""
    found = spec().interfaces.get(interface)
    if found is None:
        return None
    for candidate in found.members:
        if candidate.name.lower() == name.lower():
            return candidate
    return None


def in_params(method: Method) -> list[Param]:
    """The parameters a caller supplies: [in] and [in,out]."""
    return [p for p in method.params if p.dir in ("in", "in,out")]


def type_info(name: object) -> Outcome:
    """The reference's answer to Party.type_info."""
    return public.type_info(spec(), name)
