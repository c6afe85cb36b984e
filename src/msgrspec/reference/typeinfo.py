"""The reference implementation's type information, built from the shipped spec.

A real implementation's type library is compiled from its IDL; the reference's
is read from the spec msgrspec ships, once per process. Everything the
dispatcher needs to know about members (which accessors exist, how many
arguments a method takes) comes from here too.
"""
from __future__ import annotations

import functools
from typing import Any

from ..loader import load_spec
from ..model import Method, Param, Property, Spec

#: interfaces every object answers besides the ones its coclass lists
UNIVERSAL = ("IUnknown", "IDispatch")


@functools.lru_cache(maxsize=1)
def spec() -> Spec:
    """The shipped spec, loaded on first use."""
    return load_spec()


def normalize_guid(text: str) -> str:
    return text.strip().strip("{}").upper()


def interface_name(key: str) -> str | None:
    """The interface called `key` (a name or an IID), or None."""
    found = spec().interfaces
    if key in found or key in UNIVERSAL:
        return key
    wanted = normalize_guid(key)
    for interface in found.values():
        if normalize_guid(interface.iid) == wanted:
            return interface.name
    if wanted == "00000000-0000-0000-C000-000000000046":
        return "IUnknown"
    if wanted == "00020400-0000-0000-C000-000000000046":
        return "IDispatch"
    return None


def dispinterface_name(key: str) -> str | None:
    found = spec().dispinterfaces
    if key in found:
        return key
    wanted = normalize_guid(key)
    for dispinterface in found.values():
        if normalize_guid(dispinterface.diid) == wanted:
            return dispinterface.name
    return None


def coclass_name(key: str) -> str | None:
    found = spec().coclasses
    if key in found:
        return key
    wanted = normalize_guid(key)
    for coclass in found.values():
        if normalize_guid(coclass.clsid) == wanted:
            return coclass.name
    return None


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


def _param(param: Param) -> dict[str, Any]:
    return {"name": param.name, "type": param.type, "dir": param.dir}


def _entries(prop: Property) -> list[dict[str, Any]]:
    entries = []
    index = [_param(prop.index)] if prop.index else []
    for accessor in prop.accessors_declared:
        if accessor == "get":
            value = {"name": prop.get_param or "pVal", "type": prop.type + "*", "dir": "out,retval"}
        else:
            value = {"name": prop.put_param or "newVal", "type": prop.type, "dir": "in"}
        entries.append({"name": prop.name, "kind": "prop" + accessor, "dispid": prop.dispid,
                        "params": index + [value]})
    return entries


@functools.lru_cache(maxsize=None)
def describe(key: str) -> dict[str, Any] | None:
    """What the type information says of an interface, dispinterface, enumeration or coclass."""
    model = spec()
    name = interface_name(key)
    if name in model.interfaces:
        interface = model.interfaces[name]
        members: list[dict[str, Any]] = []
        for item in interface.members:
            if isinstance(item, Method):
                members.append({"name": item.name, "kind": "method", "dispid": item.dispid,
                                "params": [_param(p) for p in item.params]})
            else:
                members.extend(_entries(item))
        return {"guid": interface.iid, "base": interface.base, "members": members}
    name = dispinterface_name(key)
    if name is not None:
        dispinterface = model.dispinterfaces[name]
        return {"guid": dispinterface.diid,
                "members": [{"name": e.name, "kind": "event", "dispid": e.dispid,
                             "params": [_param(p) for p in e.params]} for e in dispinterface.events]}
    if key in model.enums:
        return {"values": {v.name: v.value for v in model.enums[key].values}}
    name = coclass_name(key)
    if name is not None:
        coclass = model.coclasses[name]
        return {"guid": coclass.clsid, "interfaces": list(coclass.interfaces),
                "default_interface": coclass.default_interface, "events": coclass.event_interface,
                "creatable": coclass.creatable}
    return None
