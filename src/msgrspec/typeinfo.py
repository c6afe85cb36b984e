"""Type information from the spec: what `Party.type_info` answers, for an implementation without a type library.

An implementation compiled from the spec's IDL carries the same facts in its
type library and may read them from there; one that does not (a script, a
protocol server, an early port) answers from the spec instead::

    from msgrspec import load_spec
    from msgrspec.typeinfo import type_info

    SPEC = load_spec()

    class MyParty(Party):
        def type_info(self, name):
            return type_info(SPEC, name)

Names and GUIDs are both accepted (GUIDs with or without braces, any case).
The reference implementation answers with these functions too.
"""
from __future__ import annotations

from typing import Any

from .adapter import Outcome
from .model import Method, Param, Property, Spec

#: the HRESULT ITypeLib::GetTypeInfoOfGuid gives for a GUID the library does not describe
TYPE_E_ELEMENTNOTFOUND = 0x8002802B
#: interfaces every object answers besides the ones its coclass lists, with their IIDs
UNIVERSAL = {"IUnknown": "00000000-0000-0000-C000-000000000046", "IDispatch": "00020400-0000-0000-C000-000000000046"}


def normalize_guid(text: str) -> str:
    """A GUID without braces, upper case: the form two GUIDs are compared in."""
    return text.strip().strip("{}").upper()


def interface_name(spec: Spec, key: str) -> str | None:
    """The interface called `key` (a name or an IID; IUnknown and IDispatch included), or None."""
    if key in spec.interfaces or key in UNIVERSAL:
        return key
    wanted = normalize_guid(key)
    for interface in spec.interfaces.values():
        if normalize_guid(interface.iid) == wanted:
            return interface.name
    return next((name for name, iid in UNIVERSAL.items() if iid == wanted), None)


def dispinterface_name(spec: Spec, key: str) -> str | None:
    """The dispinterface called `key` (a name or a DIID), or None."""
    if key in spec.dispinterfaces:
        return key
    wanted = normalize_guid(key)
    return next((d.name for d in spec.dispinterfaces.values() if normalize_guid(d.diid) == wanted), None)


def coclass_name(spec: Spec, key: str) -> str | None:
    """The coclass called `key` (a name or a CLSID), or None."""
    if key in spec.coclasses:
        return key
    wanted = normalize_guid(key)
    return next((c.name for c in spec.coclasses.values() if normalize_guid(c.clsid) == wanted), None)


def _param(param: Param) -> dict[str, Any]:
    return {"name": param.name, "type": param.type, "dir": param.dir}


def _property_entries(prop: Property) -> list[dict[str, Any]]:
    """One entry per accessor, in vtable order, as a type library lists a property."""
    entries = []
    for accessor in prop.accessors_declared:
        index = [_param(prop.index)] if prop.index else []
        if accessor == "get":
            value = {"name": prop.get_param or "pVal", "type": prop.type + "*", "dir": "out,retval"}
        else:
            value = {"name": prop.put_param or "newVal", "type": prop.type, "dir": "in"}
        entries.append({"name": prop.name, "kind": "prop" + accessor, "dispid": prop.dispid,
                        "params": index + [value]})
    return entries


def describe(spec: Spec, key: str) -> dict[str, Any] | None:
    """What the type information says of an interface, dispinterface, enumeration or coclass (by name or
    GUID), in the shape `Party.type_info` documents; None for anything else."""
    name = interface_name(spec, key)
    if name in spec.interfaces:
        interface = spec.interfaces[name]
        members: list[dict[str, Any]] = []
        for item in interface.members:
            if isinstance(item, Method):
                members.append({"name": item.name, "kind": "method", "dispid": item.dispid,
                                "params": [_param(p) for p in item.params]})
            else:
                members.extend(_property_entries(item))
        return {"guid": interface.iid, "base": interface.base, "members": members}
    name = dispinterface_name(spec, key)
    if name is not None:
        dispinterface = spec.dispinterfaces[name]
        return {"guid": dispinterface.diid,
                "members": [{"name": e.name, "kind": "event", "dispid": e.dispid,
                             "params": [_param(p) for p in e.params]} for e in dispinterface.events]}
    if key in spec.enums:
        return {"values": {v.name: v.value for v in spec.enums[key].values}}
    name = coclass_name(spec, key)
    if name is not None:
        coclass = spec.coclasses[name]
        return {"guid": coclass.clsid, "interfaces": list(coclass.interfaces),
                "default_interface": coclass.default_interface, "events": coclass.event_interface,
                "creatable": coclass.creatable}
    return None


def type_info(spec: Spec, key: Any) -> Outcome:
    """The answer to `Party.type_info(key)`: S_OK with `describe(spec, key)`, made afresh for each call
    (nothing in it is shared, so a caller may change it), or TYPE_E_ELEMENTNOTFOUND for a key the spec
    does not describe."""
    found = describe(spec, key) if isinstance(key, str) else None
    return Outcome(0, found) if found is not None else Outcome(TYPE_E_ELEMENTNOTFOUND)
