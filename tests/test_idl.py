"""The generated IDL compiles with Wine's widl, and the C header it yields keeps the spec's vtable order."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from msgrspec import load_spec
from msgrspec.idl import generate_idl
from toolchain import WINE_INCLUDE, require, require_module


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def compiled(spec, tmp_path_factory) -> Path:
    """The IDL compiled to a header and a type library in one folder."""
    require("widl", "wine-headers")
    out = tmp_path_factory.mktemp("idl")
    (out / "msgrpriv.idl").write_text(generate_idl(spec), encoding="utf-8")
    for flag, target in (("-h", "msgrpriv.h"), ("-t", "msgrpriv.tlb")):
        run = subprocess.run(["widl", f"-I{WINE_INCLUDE}", flag, "-o", str(out / target), str(out / "msgrpriv.idl")],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    return out


def test_idl_declares_every_item(spec):
    idl = generate_idl(spec)
    for interface in spec.interfaces.values():
        declared = f"interface {interface.name} : {interface.base}" in idl
        assert declared != interface.is_external, interface.name
        if not interface.is_external:
            assert f"uuid({interface.iid.strip('{}')})" in idl
    for dispinterface in spec.dispinterfaces.values():
        assert f"dispinterface {dispinterface.name}\n" in idl
        for event in dispinterface.events:
            assert f"[id({event.dispid})] void {event.name}(" in idl
    for coclass in spec.coclasses.values():
        assert f"coclass {coclass.name}\n" in idl
    assert f"uuid({spec.library.libid.strip('{}')})" in idl and f"library {spec.library.name}\n" in idl


def test_widl_compiles_header_and_type_library(spec, compiled):
    """The header has the vtables; the type library, read back, says what the spec says, fact for fact.

    tests/test_typelib_readback.py reads the same library back through Wine's oleaut32.
    """
    header = (compiled / "msgrpriv.h").read_text()
    assert "IMsgrSessionManagerVtbl" in header
    require_module("pycomtypelib")
    from msgrspec.tlbcheck import check
    from msgrspec.typelib import read_typelib

    result = check(spec, read_typelib(compiled / "msgrpriv.tlb"))
    assert result.differences == (), "\n".join(str(d) for d in result.differences)


def _c_name(slot) -> str:
    return {"propget": "get_", "propput": "put_"}.get(slot.accessor, "") + slot.name


def test_vtables_follow_the_spec_member_order(spec, compiled):
    require("gcc")
    lines = ["#include <stddef.h>", '#include "msgrpriv.h"']
    count = 0
    for interface in spec.interfaces.values():
        if interface.is_external:
            continue
        for slot in interface.vtable:
            lines.append(f"_Static_assert(offsetof({interface.name}Vtbl, {_c_name(slot)}) == {slot.index} * "
                         f'sizeof(void *), "{interface.name}::{_c_name(slot)} is slot {slot.index}");')
            count += 1
        lines.append(f"_Static_assert(sizeof({interface.name}Vtbl) == {len(interface.vtable)} * sizeof(void *), "
                     f'"{interface.name} has {len(interface.vtable)} slots");')
    source = compiled / "vtables.c"
    source.write_text("\n".join(lines) + "\n")
    run = subprocess.run(["gcc", "-fsyntax-only", f"-I{WINE_INCLUDE}", "-I", str(compiled), str(source)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert count > 40


def test_the_static_check_catches_a_wrong_order(spec, compiled):
    """A vtable check that claims the wrong slot must fail to compile: the check above can fail."""
    require("gcc")
    interface = spec.interfaces["IMsgrSessionManager"]
    first = interface.vtable[-2]
    source = compiled / "wrong.c"
    source.write_text(f'#include <stddef.h>\n#include "msgrpriv.h"\n_Static_assert(offsetof(IMsgrSessionManagerVtbl, '
                      f'{_c_name(first)}) == {first.index + 1} * sizeof(void *), "wrong");\n')
    run = subprocess.run(["gcc", "-fsyntax-only", f"-I{WINE_INCLUDE}", "-I", str(compiled), str(source)],
                         capture_output=True, text=True)
    assert run.returncode != 0 and "static assertion failed" in run.stderr
