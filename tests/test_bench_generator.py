"""The synthetic specs of the benchmarks (bench/synth.py) load and hold what they should."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from msgrspec import load_spec
from toolchain import require_path

SYNTH = Path(__file__).resolve().parent.parent / "bench" / "synth.py"


@pytest.fixture(scope="module")
def synth():
    require_path(SYNTH, "bench/synth.py", "it is part of the repository checkout")
    spec = importlib.util.spec_from_file_location("msgrspec_bench_synth", SYNTH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("factor", [1, 10])
def test_scaled_spec_loads_with_the_expected_counts(synth, tmp_path, factor):
    spec = load_spec(synth.write_scaled(factor, tmp_path / f"spec-{factor}x"))
    expected = synth.expected_counts(factor)
    counts = {section: len(getattr(spec, section)) for section in
              ("pages", "hresults", "coclasses", "interfaces", "dispinterfaces", "enums", "types", "requirements",
               "errata", "state_machines")}
    counts["enum_values"] = sum(len(e.values) for e in spec.enums.values())
    counts["members"] = sum(len(i.members) for i in spec.interfaces.values())
    counts["events"] = sum(len(d.events) for d in spec.dispinterfaces.values())
    counts["items"] = sum(1 for _ in spec.items())
    assert counts == expected
    shipped = load_spec()
    assert counts["interfaces"] == factor * len(shipped.interfaces)
    assert counts["requirements"] == factor * len(shipped.requirements)


def test_clones_are_renamed_with_fresh_guids_and_point_into_their_own_copy(synth, tmp_path):
    spec = load_spec(synth.write_scaled(3, tmp_path / "spec"))
    original, clone = spec.interfaces["IMsgrSession"], spec.interfaces["IMsgrSession_C3"]
    assert clone.iid != original.iid
    assert [m.name for m in clone.members] == [m.name for m in original.members]
    assert [m.dispid for m in clone.members] == [m.dispid for m in original.members]
    assert spec.coclasses["MsgrSession_C3"].default_interface == "IMsgrSession_C3"
    shared = set(load_spec().hresults) | set(load_spec().types)  # what every copy shares with the original
    for req in (r for r in spec.requirements.values() if r.id.endswith("-c3")):
        assert all("_C3" in name or name in shared for name in req.applies_to), req
        assert not req.erratum or req.erratum.endswith("-c3")
    assert {e.id for e in spec.errata_for("IMsgrSession_C3")} == {
        f"{e.id}-c3" for e in spec.errata_for("IMsgrSession")}
