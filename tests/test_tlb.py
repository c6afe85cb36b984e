"""`msgrspec tlb`: widl's type library of the spec read back (pure Python) and checked against the model.

The win64 and win32 libraries pass with no difference; the library that the IDL gave before the widl 8.0
workaround is caught by its LIBID; spec copies changed in one place are caught at that place; a PE file's
TYPELIB resource is read; broken files give one located line and exit status 1.
"""
from __future__ import annotations

import json
import random
import struct
import subprocess
import sys
from pathlib import Path

import jsonschema
import jsonschema_rs
import pytest
import yaml

import upstream as up
from msgrspec import load_spec
from msgrspec.idl import generate_idl
from msgrspec.resources import schema
from msgrspec.tlbcheck import check
from msgrspec.typelib import MAX_BYTES, TypelibError, read_typelib
from toolchain import require_module
from typelib_build import BREAKS, assert_caught, broken_spec, expected_location, idl_before_the_fix, pe_file, spec_tlb, widl_tlb

require_module("pycomtypelib")


def msgrspec(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "msgrspec", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module", params=["win64", "win32"])
def tlb(request, tmp_path_factory) -> Path:
    return spec_tlb(tmp_path_factory.mktemp(request.param), win32=request.param == "win32")


def test_widl_type_library_passes_the_check(tlb, spec):
    dump = read_typelib(tlb)
    jsonschema.validate(dump, schema("typelib-dump"))
    result = check(spec, dump)
    assert result.differences == ()
    assert result.facts > 800  # every typeinfo, member, parameter and value was looked at
    run = msgrspec("tlb", "check", str(tlb))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 differences" in run.stdout


def test_win32_and_win64_differ_only_in_bytes_per_slot(tmp_path):
    win64, win32 = (read_typelib(spec_tlb(tmp_path / k, win32=k == "win32")) for k in ("win64", "win32"))
    assert (win64["library"]["syskind"], win32["library"]["syskind"]) == ("win64", "win32")
    lock64, lock32 = (next(t for t in d["typeinfos"] if t["name"] == "IMsgrLock") for d in (win64, win32))
    assert (lock64["cbSizeVft"], lock32["cbSizeVft"]) == (6 * 8, 6 * 4)


def test_the_idl_before_the_fix_is_reported_with_its_corrupted_libid(tmp_path, spec):
    tlb = widl_tlb(idl_before_the_fix(generate_idl(spec)), tmp_path)
    run = msgrspec("tlb", "check", str(tlb), "--format", "json")
    assert run.returncode == 1, run.stdout + run.stderr
    report = json.loads(run.stdout)
    libid = [d for d in report["differences"] if d["fact"] == "libid"]
    assert len(libid) == 1, report["differences"]
    assert libid[0]["spec"] == spec.library.libid and libid[0]["binary"] != spec.library.libid
    assert libid[0]["binary"][:-3] == spec.library.libid[:-3]  # only the last byte is overwritten
    assert libid[0]["where"] == str(spec.library.loc) and libid[0]["erratum"] is None


@pytest.mark.parametrize("name", BREAKS)
def test_a_changed_spec_is_caught_at_the_right_place(name, tlb, tmp_path):
    folder, broken = broken_spec(tmp_path, name)
    result = check(broken, read_typelib(tlb))
    assert_caught(result.differences, broken, name)
    run = msgrspec("tlb", "check", str(tlb), "--spec-dir", str(folder))
    assert run.returncode == 1 and expected_location(broken, name) in run.stdout, run.stdout + run.stderr


def test_an_erratum_that_records_the_binary_reading_covers_the_difference(tlb, spec, tmp_path):
    """IMsgrSession.Cancel: a library that types hr as HRESULT is the reading erratum cancel-hr-type records."""
    dump = read_typelib(tlb)
    session = next(t for t in dump["typeinfos"] if t["name"] == "IMsgrSession")
    for half in (session, session["vtable_half"]):
        cancel = next(f for f in half["functions"] if f["name"] == "Cancel")
        cancel["params"][0]["type"] = "HRESULT"
    result = check(spec, dump)
    assert {(d.fact, d.erratum) for d in result.differences} == {
        ("func param hr type", "cancel-hr-type"), ("func (dispatch half) param hr type", "cancel-hr-type")}
    assert result.uncovered == ()


def test_a_pe_file_with_the_typelib_resource_passes(tlb, tmp_path):
    exe = pe_file(tmp_path, tlb)
    run = msgrspec("tlb", "check", str(exe), "--resource", "1")
    assert run.returncode == 0 and "0 differences" in run.stdout, run.stdout + run.stderr
    assert read_typelib(exe) == read_typelib(tlb)
    missing = msgrspec("tlb", "dump", str(exe), "--resource", "2")
    assert missing.returncode == 1 and "no TYPELIB resource 2 (it has: 1)" in missing.stderr


def test_facts_agree_with_the_reference_extract_on_guids_dispids_and_slots(tmp_path):
    if not up.TYPELIB.is_file():
        pytest.skip(f"the type-library extract is not at {up.TYPELIB}: the shared folder must sit beside the repo")
    reference = yaml.safe_load(up.TYPELIB.read_text(encoding="utf-8"))
    tlb = spec_tlb(tmp_path)
    run = msgrspec("tlb", "facts", str(tlb))
    assert run.returncode == 0, run.stderr
    got = yaml.safe_load(run.stdout)
    compared = 0
    assert got["library"]["libid"] == reference["library"]["libid"]
    for section, key in (("coclasses", "clsid"), ("interfaces", "iid"), ("dispinterfaces", "diid")):
        for name, body in reference[section].items():
            assert got[section][name][key] == body[key], f"{name} {key}"
            compared += 1
    for name, body in reference["interfaces"].items():
        have = got["interfaces"][name]["members"]
        assert [(m["name"], m["kind"]) for m in have] == [(m["name"], m["kind"]) for m in body["members"]], name
        assert [m.get("dispid") for m in have] == [m.get("dispid") for m in body["members"]], name
        compared += 2 * len(have)
    for name, body in reference["dispinterfaces"].items():
        have = got["dispinterfaces"][name]["events"]
        assert [(e["name"], e["dispid"]) for e in have] == [(e["name"], e["dispid"]) for e in body["events"]], name
        compared += len(have)
    for name, body in reference["enums"].items():
        assert got["enums"][name]["values"] == body["values"], name
        compared += len(body["values"])
    assert compared > 100


# -- broken files ------------------------------------------------------------------------------------


def _huge_count(data: bytes) -> bytes:
    changed = bytearray(data)
    struct.pack_into("<i", changed, 0x20, 0x7FFFFFF0)  # the header's typeinfo count
    return bytes(changed)


BAD_FILES = {
    "empty": lambda data: b"",
    "truncated in the header": lambda data: data[:40],
    "truncated in the tables": lambda data: data[:3000],
    "truncated near the end": lambda data: data[: len(data) - 40],
    "random bytes": lambda data: bytes((i * 7919 + 13) % 251 for i in range(len(data))),
    "random bytes behind the signature": lambda data: b"MSFT" + bytes((i * 31 + 7) % 253 for i in range(4000)),
    "a huge typeinfo count": _huge_count,
}


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory) -> bytes:
    return spec_tlb(tmp_path_factory.mktemp("good")).read_bytes()


def assert_one_located_line(run: subprocess.CompletedProcess, path: Path) -> None:
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}:"), run.stderr
    assert run.stdout == ""


@pytest.mark.parametrize("name", BAD_FILES)
@pytest.mark.parametrize("command", ["dump", "check", "facts"])
def test_a_broken_file_gives_one_located_line(name, command, good_bytes, tmp_path):
    path = tmp_path / "bad.tlb"
    path.write_bytes(BAD_FILES[name](good_bytes))
    assert_one_located_line(msgrspec("tlb", command, str(path)), path)


def test_corrupted_fields_are_read_or_refused_never_escape(good_bytes, tmp_path):
    """200 copies of the good library with counts, offsets and bytes overwritten (a fixed seed): each one is
    either read into a dump that fits the schema or refused with TypelibError, never another exception."""
    rng = random.Random(17)
    path = tmp_path / "corrupt.tlb"
    outcomes = {"read": 0, "refused": 0}
    validator = jsonschema_rs.validator_for(schema("typelib-dump"))  # thousands of times faster here
    for _ in range(200):
        data = bytearray(good_bytes)
        for _ in range(rng.choice((1, 2, 4))):
            offset = rng.randrange(0, len(data) - 4)
            if rng.random() < 0.5:
                struct.pack_into("<i", data, offset & ~3, rng.choice((0x7FFFFFFF, -1, -2, 0xFFFF, 1 << 20)))
            else:
                data[offset] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            validator.validate(read_typelib(path))
            outcomes["read"] += 1
        except TypelibError as exc:
            assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
            outcomes["refused"] += 1
    assert outcomes["read"] and outcomes["refused"], outcomes


def test_a_pe_file_without_the_resource_gives_one_located_line(tmp_path):
    exe = pe_file(tmp_path)
    run = msgrspec("tlb", "check", str(exe))
    assert_one_located_line(run, exe)
    assert "without a TYPELIB resource" in run.stderr


def test_an_oversized_file_is_refused_unread(tmp_path):
    path = tmp_path / "huge.tlb"
    with open(path, "wb") as out:  # sparse: the size without the disk space
        out.write(b"MSFT")
        out.truncate(MAX_BYTES + 1)
    run = msgrspec("tlb", "dump", str(path))
    assert_one_located_line(run, path)
    assert "more than any type library" in run.stderr


def test_a_file_that_is_not_there_gives_one_located_line(tmp_path):
    assert_one_located_line(msgrspec("tlb", "dump", str(tmp_path / "absent.tlb")), tmp_path / "absent.tlb")
