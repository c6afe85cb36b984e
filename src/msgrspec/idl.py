"""The library as MIDL/widl-compatible IDL, generated from the model.

Interfaces and the enumerations the type library carries are declared at file
level (so that a C header gets them); dispinterfaces and coclasses go inside the
library block. Enumerations that the real header has as plain constants become
`#define`s through cpp_quote. Interfaces of other libraries are not declared.
"""
from __future__ import annotations

import re
import textwrap

from .model import Dispinterface, Enum, Event, Interface, Method, Param, Property, Spec

_IDL_FLAGS = ("dual", "oleautomation", "hidden", "nonextensible")


def _uuid(guid: str) -> str:
    return guid.strip("{}")


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _declarator(param: Param) -> str:
    """`[in] BSTR name`, `[out, retval] IDispatch **name`.

    Parameter defaults are not emitted: the pages give them in C++ syntax, the
    binary type library has none.
    """
    match = re.match(r"^(.*?)(\**)$", param.type)
    base, stars = match.group(1), match.group(2)
    direction = ", ".join(part.strip() for part in param.dir.split(","))
    return f"[{direction}] {base} {stars}{param.name}"


def _method(member: Method, dispatch: bool) -> str:
    attrs = [f"id({member.dispid})"] if dispatch and member.dispid is not None else []
    params = ", ".join(_declarator(p) for p in member.params)
    prefix = f"[{', '.join(attrs)}] " if attrs else ""
    return f"    {prefix}HRESULT {member.name}({params});"


def _property(member: Property, dispatch: bool) -> list[str]:
    lines = []
    index = [_declarator(member.index)] if member.index else []
    for accessor in member.accessors_declared:
        attrs = ([f"id({member.dispid})"] if dispatch and member.dispid is not None else []) + [f"prop{accessor}"]
        if accessor == "get":
            value = Param(member.get_param or "pVal", member.type + "*", "out,retval")
        else:
            value = Param(member.put_param or "newVal", member.type, "in")
        params = ", ".join(index + [_declarator(value)])
        lines.append(f"    [{', '.join(attrs)}] HRESULT {member.name}({params});")
    return lines


def _event(event: Event) -> str:
    params = ", ".join(_declarator(p) for p in event.params)
    return f"[id({event.dispid})] void {event.name}({params});"


def member_idl(member: Method | Property | Event, dispatch: bool = True) -> str:
    """The IDL declaration of one member as `generate_idl` writes it, without indentation.

    A property gives one line per accessor, in vtable order. `dispatch` says whether the
    interface derives from IDispatch (only then do methods and properties carry `id(...)`);
    events always do.
    """
    if isinstance(member, Event):
        return _event(member)
    lines = [_method(member, dispatch)] if isinstance(member, Method) else _property(member, dispatch)
    return "\n".join(line.strip() for line in lines)


def _interface(interface: Interface) -> list[str]:
    attrs = ["object", f"uuid({_uuid(interface.iid)})"]
    attrs += [flag for flag in _IDL_FLAGS if flag in interface.flags]
    attrs.append(f"helpstring({_string(interface.summary.split('. ')[0].rstrip('.'))})")
    dispatch = interface.base == "IDispatch"
    body = []
    for member in interface.members:
        if isinstance(member, Method):
            body.append(_method(member, dispatch))
        else:
            body.extend(_property(member, dispatch))
    return ["[", ",\n".join(f"    {a}" for a in attrs), "]", f"interface {interface.name} : {interface.base}",
            "{", *body, "}", ""]


def _dispinterface(dispinterface: Dispinterface) -> list[str]:
    body = [f"        {_event(event)}" for event in dispinterface.events]
    return ["    [", f"        uuid({_uuid(dispinterface.diid)}),",
            f"        helpstring({_string(dispinterface.summary.split('. ')[0].rstrip('.'))})", "    ]",
            f"    dispinterface {dispinterface.name}", "    {", "    properties:", "    methods:", *body, "    };", ""]


def _enum(enum: Enum) -> list[str]:
    if enum.in_typelib:
        values = ",\n".join(f"    {v.name} = {v.value}" for v in enum.values)
        return ["typedef [public] enum", "{", values, f"}} {enum.name};", ""]
    kind = "HRESULT" if enum.hresult else "LONG"
    lines = [f'cpp_quote("/* {enum.name}: constants of the header, not in the type library */")']
    lines += [f'cpp_quote("#define {v.name} (({kind})0x{v.value & 0xFFFFFFFF:08X})")' for v in enum.values]
    return lines + [""]


def interface_idl(item: Interface | Dispinterface) -> str:
    """The whole declaration of one interface or dispinterface as `generate_idl` writes it, unindented."""
    lines = _interface(item) if isinstance(item, Interface) else _dispinterface(item)
    return textwrap.dedent("\n".join(lines)).strip() + "\n"


def generate_idl(spec: Spec) -> str:
    """The IDL text of the whole library."""
    library = spec.library
    local = [i for i in spec.interfaces.values() if not i.is_external]
    out = [f"/* {library.name}: generated by msgrspec from the spec; do not edit. */", "",
           'import "oaidl.idl";', 'import "ocidl.idl";', ""]
    out += [f"interface {i.name};" for i in local] + [""]
    for enum in spec.enums.values():
        out += _enum(enum)
    for interface in local:
        out += _interface(interface)
    out += ["[", f"    uuid({_uuid(library.libid)}),", f"    version({library.version}),",
            f"    helpstring({_string(library.helpstring or library.name)})", "]", f"library {library.name}", "{"]
    out += [f'    importlib("{name}");' for name in library.imports] + [""]
    # widl 8.0 mis-writes the type library when a dispinterface comes before the first IDispatch-derived
    # interface in this block: an import entry at GUID offset -1 overwrites the LIBID's last byte, and
    # oleaut32 then reads stdole's GUID as the base of every dual interface and dispinterface. Naming the
    # interfaces here, before the dispinterfaces, keeps it from happening.
    out += [f"    interface {i.name};" for i in local] + [""]
    for dispinterface in spec.dispinterfaces.values():
        out += _dispinterface(dispinterface)
    for coclass in spec.coclasses.values():
        attrs = [f"uuid({_uuid(coclass.clsid)})"]
        if coclass.helpstring:
            attrs.append(f"helpstring({_string(coclass.helpstring)})")
        if not coclass.creatable:
            attrs.append("noncreatable")
        out += ["    [", ",\n".join(f"        {a}" for a in attrs), "    ]", f"    coclass {coclass.name}", "    {",
                f"        [default] interface {coclass.default_interface};"]
        out += [f"        interface {name};" for name in coclass.other_interfaces]
        if coclass.event_interface:
            out.append(f"        [default, source] dispinterface {coclass.event_interface};")
        out += ["    };", ""]
    out.append("}")
    return "\n".join(out) + "\n"
