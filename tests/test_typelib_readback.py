"""The type library read back by a real COM runtime: Wine's oleaut32 loads widl's .tlb with LoadTypeLibEx
(tests/native/tlbdump.c, built with mingw-w64) and its report is compared with the spec model by the same
comparison as `msgrspec tlb check`, for the win64 and the win32 library. It is also compared with the
pure-Python reader's dump of the same file, which must be identical: the cross-check of that reader."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from msgrspec import load_spec
from msgrspec.idl import generate_idl
from msgrspec.resources import schema
from msgrspec.tlbcheck import check
from toolchain import REPO, mingw_gcc, require_module
from typelib_build import BREAKS, assert_caught, broken_spec, idl_before_the_fix, spec_tlb, widl_tlb

SOURCE = REPO / "tests" / "native" / "tlbdump.c"


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def tlbdump(tmp_path_factory) -> Path:
    exe = tmp_path_factory.mktemp("tlbdump") / "tlbdump.exe"
    run = subprocess.run([mingw_gcc(), "-municode", "-O1", "-Wall", "-Werror", "-o", str(exe), str(SOURCE),
                          "-loleaut32", "-lole32", "-luuid"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return exe


def oleaut32_dump(wine, tlbdump: Path, tlb: Path) -> dict:
    run = wine.run(wine.windows_path(tlbdump), wine.windows_path(tlb), timeout=120)
    assert run.returncode == 0, f"tlbdump exited {run.returncode}: {run.stderr[-2000:]}"
    dump = json.loads(run.stdout)
    jsonschema.validate(dump, schema("typelib-dump"))
    return dump


@pytest.fixture(scope="module", params=["win64", "win32"])
def readback(request, wine, tlbdump, tmp_path_factory) -> tuple[Path, dict]:
    tlb = spec_tlb(tmp_path_factory.mktemp(request.param), win32=request.param == "win32")
    return tlb, oleaut32_dump(wine, tlbdump, tlb)


def test_oleaut32_reads_back_what_the_spec_says(readback, spec):
    tlb, dump = readback
    result = check(spec, dump)
    assert result.differences == (), "\n".join(str(d) for d in result.differences)
    assert result.facts > 800
    assert dump["library"]["syskind"] == ("win32" if "win32" in tlb.parent.name else "win64")


def test_the_python_reader_agrees_with_oleaut32(readback):
    require_module("pycomtypelib")
    from msgrspec.typelib import read_typelib

    tlb, dump = readback
    assert read_typelib(tlb) == dump


@pytest.mark.parametrize("name", BREAKS)
def test_a_changed_spec_fails_the_readback(name, readback, tmp_path):
    _, broken = broken_spec(tmp_path, name)
    result = check(broken, readback[1])
    assert result.uncovered
    assert_caught(result.differences, broken, name)


def test_the_idl_before_the_fix_reads_back_wrong(wine, tlbdump, spec, tmp_path):
    """What issue 11 found: the LIBID's last byte overwritten, and stdole's GUID as the base of the duals."""
    tlb = widl_tlb(idl_before_the_fix(generate_idl(spec)), tmp_path)
    differences = check(spec, oleaut32_dump(wine, tlbdump, tlb)).differences
    facts = {(d.subject, d.fact, str(d.binary)) for d in differences}
    assert ("library", "libid", spec.library.libid) not in facts
    assert any(d.subject == "library" and d.fact == "libid" for d in differences)
    duals = [i.name for i in spec.interfaces.values() if "dual" in i.flags and not i.is_external]
    for name in duals:
        assert (name, "base", "['GUID']") in facts, sorted(facts)
