"""Binary type libraries (MSFT format) read into a plain dump: what ITypeLib and ITypeInfo report.

The file is decoded by `pycomtypelib` (an optional dependency: `pip install msgrspec[tlb]`); this
module turns its view of the file into the view a COM runtime gives, so that the dump of this reader
and the dump that `tests/native/tlbdump.c` prints from Wine's oleaut32 have one shape
(`schema/typelib-dump.schema.json`) and, for the same file, the same content. What oleaut32 makes of
the file, as observed with Wine 8.0 and mirrored here:

- a dual interface is two typeinfos: the dispatch half (TKIND_DISPATCH, FUNC_DISPATCH members whose
  [out, retval] parameter becomes the return type, TYPEFLAG_FOLEAUTOMATION cleared) and the vtable half
  (TKIND_INTERFACE, reached through GetRefTypeOfImplType(-1), the members as declared). The dispatch half
  also lists the members of IUnknown and IDispatch; the dump gives only their number;
- a dispinterface names IDispatch as its base; every dispatch typeinfo has the vtable size of IDispatch;
- oVft is given as a 64-bit process sees it (8 bytes a slot) whatever the library's syskind, while
  cbSizeVft of an interface stays as the file has it;
- ITypeInfo::GetNames is keyed by member id and answers for the first function with that id, so a later
  accessor of the same property has no parameter names.

A file that is not a readable type library raises `TypelibError` with one located sentence.
"""
from __future__ import annotations

import struct
import uuid
from pathlib import Path
from typing import Any

#: bytes per vtable slot in the dump's oVft values (a 64-bit process)
OVFT_UNIT = 8
#: bytes per slot of the library's own cbSizeVft, by syskind
POINTER_SIZE = {"win16": 2, "win32": 4, "mac": 4, "win64": 8}
#: vtable slots of IDispatch, the size oleaut32 gives every dispatch typeinfo
IDISPATCH_SLOTS = 7
#: larger files are refused before decoding (no type library comes near it)
MAX_BYTES = 64 * 1024 * 1024

TYPEFLAGS = (("appobject", 0x1), ("cancreate", 0x2), ("licensed", 0x4), ("predeclid", 0x8), ("hidden", 0x10),
             ("control", 0x20), ("dual", 0x40), ("nonextensible", 0x80), ("oleautomation", 0x100),
             ("restricted", 0x200), ("aggregatable", 0x400), ("replaceable", 0x800), ("dispatchable", 0x1000),
             ("reversebind", 0x2000), ("proxy", 0x4000))
IMPLTYPEFLAGS = (("default", 0x1), ("source", 0x2), ("restricted", 0x4), ("defaultvtable", 0x8))
PARAMFLAGS = (("in", 0x1), ("out", 0x2), ("lcid", 0x4), ("retval", 0x8), ("optional", 0x10), ("hasdefault", 0x20),
              ("hascustdata", 0x40))
TYPEKINDS = ("enum", "record", "module", "interface", "dispatch", "coclass", "alias", "union")
FUNCKINDS = ("virtual", "purevirtual", "nonvirtual", "static", "dispatch")
VARKINDS = ("perinstance", "static", "const", "dispatch")
SYSKINDS = ("win16", "win32", "mac", "win64")
INVOKEKINDS = {1: "func", 2: "propget", 4: "propput", 8: "propputref"}
#: VARTYPE -> the name the spec uses for it
BASE_TYPES = {0: "EMPTY", 1: "NULL", 2: "SHORT", 3: "LONG", 4: "FLOAT", 5: "DOUBLE", 6: "CURRENCY", 7: "DATE",
              8: "BSTR", 9: "IDispatch*", 10: "SCODE", 11: "VARIANT_BOOL", 12: "VARIANT", 13: "IUnknown*",
              14: "DECIMAL", 16: "CHAR", 17: "BYTE", 18: "USHORT", 19: "ULONG", 20: "LONGLONG", 21: "ULONGLONG",
              22: "INT", 23: "UINT", 24: "void", 25: "HRESULT", 30: "LPSTR", 31: "LPWSTR"}
VT_PTR, VT_SAFEARRAY, VT_USERDEFINED = 26, 27, 29
#: the base oleaut32 gives every dispatch typeinfo (stdole's IDispatch)
IDISPATCH = ("IDispatch", "{00020400-0000-0000-C000-000000000046}")

_MSFT = b"MSFT"
_HEADER = struct.Struct("<4sIIIIIIIi")  # magic, format version, GUID offset, lcid, lcid2, varflags, version, flags, count
_RT_TYPELIB = 11


class TypelibError(Exception):
    """The file cannot be read as a type library; the message names the file and the place."""


def flag_names(bits: int, table: tuple[tuple[str, int], ...]) -> list[str]:
    """The names of the bits set in `bits`, in the table's order; bits it does not know as hex."""
    names = [name for name, bit in table if bits & bit]
    rest = bits & ~sum(bit for _, bit in table)
    return names + ([f"0x{rest:x}"] if rest else [])


def guid_text(value: uuid.UUID | None) -> str:
    return "{" + str(value or uuid.UUID(int=0)).upper() + "}"


# -- finding the MSFT bytes ----------------------------------------------------------------------


def typelib_resources(path: Path, data: bytes) -> dict[int | str, bytes]:
    """The TYPELIB resources of a PE file, by resource id (or name)."""
    import pefile

    try:
        pe = pefile.PE(data=data, fast_load=True)
        pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_RESOURCE"]])
    except pefile.PEFormatError as exc:
        raise TypelibError(f"{path}: not a readable PE file: {exc}") from None
    found: dict[int | str, bytes] = {}
    for kind in getattr(getattr(pe, "DIRECTORY_ENTRY_RESOURCE", None), "entries", ()):
        if kind.id != _RT_TYPELIB and str(kind.name or "").upper() != "TYPELIB":
            continue
        for entry in getattr(getattr(kind, "directory", None), "entries", ()):
            for language in getattr(getattr(entry, "directory", None), "entries", ()):
                data_entry = getattr(language, "data", None)
                if data_entry is not None:
                    key = entry.id if entry.name is None else str(entry.name)
                    found.setdefault(key, pe.get_data(data_entry.struct.OffsetToData, data_entry.struct.Size))
    return found


def msft_bytes(path: Path, resource: int | None = None) -> bytes:
    """The MSFT type library in `path`: the file itself, or one TYPELIB resource of a DLL or EXE."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise TypelibError(f"{path}: {size} bytes, more than any type library ({MAX_BYTES}); not read")
        data = path.read_bytes()
    except OSError as exc:
        raise TypelibError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if data[:2] == b"MZ":
        resources = typelib_resources(path, data)
        if not resources:
            raise TypelibError(f"{path}: a PE file without a TYPELIB resource")
        if resource is None:
            return resources[min(resources, key=lambda key: (isinstance(key, str), key))]
        if resource not in resources:
            have = ", ".join(str(key) for key in resources)
            raise TypelibError(f"{path}: no TYPELIB resource {resource} (it has: {have})")
        return resources[resource]
    if resource is not None:
        raise TypelibError(f"{path}: --resource applies to a DLL or EXE; this is not a PE file")
    return data


def _check_header(path: Path, data: bytes) -> None:
    """The header checks that come before decoding: a short file or a wild count is named at its offset."""
    if len(data) < _HEADER.size:
        raise TypelibError(f"{path}: offset 0: {len(data)} bytes, shorter than the {_HEADER.size}-byte MSFT header")
    magic, *_, count = _HEADER.unpack_from(data)
    if magic != _MSFT:
        raise TypelibError(f"{path}: offset 0: no MSFT signature (found {magic!r}): not a type library in the "
                           "MSFT format")
    if count < 0 or 0x54 + 4 * count > len(data):
        raise TypelibError(f"{path}: offset 0x20: the header announces {count} typeinfos, which cannot fit in a "
                           f"file of {len(data)} bytes")


def read_typelib(path: str | Path, resource: int | None = None) -> dict[str, Any]:
    """The dump of the type library in `path` (a .tlb, or a PE file's TYPELIB resource `resource`)."""
    path = Path(path)
    try:
        from pycomtypelib import load_typelib_bytes
    except ImportError:
        raise TypelibError("reading type libraries needs pycomtypelib and pefile: pip install 'msgrspec[tlb]'") \
            from None
    data = msft_bytes(path, resource)
    _check_header(path, data)
    try:
        library = load_typelib_bytes(data)
    except Exception as exc:  # a third-party decoder meeting a broken file: any of its errors is "broken"
        raise TypelibError(f"{path}: not a readable MSFT type library: {exc}") from None
    try:
        return _dump(library)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError, RecursionError) as exc:
        raise TypelibError(f"{path}: the type library's tables do not hold together: {exc}") from None


# -- the runtime's view --------------------------------------------------------------------------


def _type(desc) -> str:
    vt = desc.vt & 0xFFF
    if vt == VT_PTR:
        return _type(desc.pointee) + "*" if desc.pointee else "<unresolved>*"
    if vt == VT_SAFEARRAY:
        return f"SAFEARRAY({_type(desc.pointee) if desc.pointee else '<unresolved>'})"
    if vt == VT_USERDEFINED:
        return _reference(desc.ref, desc.external)[0] or "<unresolved>"
    return BASE_TYPES.get(vt, f"VT_0x{vt:x}")


def _reference(ref, external) -> tuple[str | None, str | None]:
    """(name, GUID) of a typeinfo that another one names, in this library or in an imported one."""
    if ref is not None:
        return ref.name, guid_text(ref.guid)
    if external is not None and external.guid is not None:
        from pycomtypelib.wellknown import lookup

        return lookup(external.guid), guid_text(external.guid)
    return None, None


class _RuntimeView:
    """Turns the decoded file into what oleaut32 reports; `pointer` is the file's bytes per vtable slot."""

    def __init__(self, pointer: int) -> None:
        self.pointer = pointer

    def function(self, func, *, named: bool, dispatch: bool) -> dict[str, Any]:
        params = list(func.params)
        returns = _type(func.ret)
        if dispatch:  # a dual interface's member seen through its dispatch half
            retval = [p for p in params if p.flags & 0x8]
            params = [p for p in params if not p.flags & 0x8]
            if retval and retval[0].tdesc.pointee is not None:
                returns = _type(retval[0].tdesc.pointee)
            elif returns == "HRESULT":
                returns = "void"
        return {"name": func.name, "memid": func.memid, "invkind": INVOKEKINDS.get(int(func.invkind), "unknown"),
                "funckind": "dispatch" if dispatch else FUNCKINDS[func.funckind.value],
                "oVft": func.vtable_offset // self.pointer * OVFT_UNIT,
                "returns": returns,
                "params": [{"name": p.name if named else None, "type": _type(p.tdesc),
                            "flags": flag_names(int(p.flags), PARAMFLAGS)} for p in params]}

    def functions(self, info, *, dispatch: bool) -> list[dict[str, Any]]:
        seen: set[int] = set()
        out = []
        for func in info.funcs:
            out.append(self.function(func, named=func.memid not in seen, dispatch=dispatch))
            seen.add(func.memid)
        return out

    def entry(self, info) -> dict[str, Any]:
        kind = TYPEKINDS[info.typekind.value]
        flags = int(info.flags)
        dispatch_size = IDISPATCH_SLOTS * OVFT_UNIT
        idispatch = [dict(zip(("name", "guid"), IDISPATCH))]
        if kind == "dispatch" and flags & 0x40:  # dual: the dispatch half, and the vtable half behind it
            half = _typeinfo(info, kind="interface", flags=flags, size_vft=info.size_vft,
                             bases=_impltypes(info, False), functions=self.functions(info, dispatch=False))
            entry = _typeinfo(info, kind="dispatch", flags=flags & ~0x100, size_vft=dispatch_size, bases=idispatch,
                              functions=self.functions(info, dispatch=True),
                              inherited=info.size_vft // self.pointer - len(info.funcs))
            entry["vtable_half"] = half
            return entry
        if kind == "dispatch":
            entry = _typeinfo(info, kind=kind, flags=flags, size_vft=dispatch_size, bases=idispatch,
                              functions=self.functions(info, dispatch=False))
        else:
            entry = _typeinfo(info, kind=kind, flags=flags, size_vft=info.size_vft,
                              bases=_impltypes(info, kind == "coclass"), functions=self.functions(info, dispatch=False))
        entry["vtable_half"] = None
        return entry


def _typeinfo(info, *, kind: str, flags: int, size_vft: int, bases: list, functions: list,
              inherited: int = 0) -> dict[str, Any]:
    return {"name": info.name, "helpstring": info.doc_string, "guid": guid_text(info.guid), "typekind": kind,
            "typeflags": flag_names(flags, TYPEFLAGS), "cbSizeVft": size_vft, "impltypes": bases,
            "inherited_functions": inherited, "functions": functions,
            "variables": [{"name": var.name, "memid": var.memid, "varkind": VARKINDS[var.varkind.value],
                           "value": var.value if var.varkind.value == 2 else None} for var in info.vars],
            "alias": _type(info.alias) if info.alias is not None else None}


def _impltypes(info, coclass: bool) -> list[dict[str, Any]]:
    out = []
    for impl in info.impltypes:
        name, guid = _reference(impl.ref, impl.external)
        entry = {"name": name, "guid": guid}
        if coclass:
            entry["flags"] = flag_names(int(impl.flags), IMPLTYPEFLAGS)
        out.append(entry)
    return out


def _dump(library) -> dict[str, Any]:
    syskind = SYSKINDS[int(library.syskind)] if 0 <= int(library.syskind) < len(SYSKINDS) else "unknown"
    view = _RuntimeView(POINTER_SIZE.get(syskind, 4))
    return {"library": {"name": library.name, "helpstring": library.doc_string, "libid": guid_text(library.guid),
                        "version": f"{library.version_major}.{library.version_minor}", "lcid": library.set_lcid,
                        "syskind": syskind},
            "typeinfos": [view.entry(info) for info in library.typeinfos]}
