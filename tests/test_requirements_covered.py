"""Every requirement of the spec is either marked untestable or checked by a conformance test.

The conformance suite is collected (not run) in a separate pytest process,
with a small plugin that reports the requirement ids each collected test
checks: the ids its `requirement` marker names, or those of its generated case.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
import yaml

from msgrspec import load_spec

ROOT = Path(__file__).resolve().parents[1]
CONFORMANCE = ROOT / "conformance"
SPEC = ROOT / "spec"

_COLLECTOR = """
import json, sys
import pytest
from msgrspec.plugin import requirements_of

class Collector:
    def __init__(self):
        self.found = {}

    def pytest_collection_finish(self, session):
        for item in session.items:
            self.found[item.nodeid] = list(requirements_of(item))

collector = Collector()
args = ["--collect-only", "-q", "-p", "no:cacheprovider", sys.argv[1]] + sys.argv[3:]
code = pytest.main(args, plugins=[collector])
with open(sys.argv[2], "w", encoding="utf-8") as out:
    json.dump({"exit": int(code), "items": collector.found}, out)
"""


def collected_requirements(tmp_path: Path, spec_dir: Path | None = None) -> dict[str, list[str]]:
    """nodeid -> requirement ids, for every test of the conformance suite."""
    result = tmp_path / "collected.json"
    extra = ["--msgrspec-spec", str(spec_dir)] if spec_dir else []
    run = subprocess.run([sys.executable, "-c", _COLLECTOR, str(CONFORMANCE), str(result), *extra],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.exists(), f"collecting the conformance suite failed:\n{run.stdout}\n{run.stderr}"
    data = json.loads(result.read_text(encoding="utf-8"))
    assert data["exit"] == 0, f"collecting the conformance suite failed (exit {data['exit']}):\n{run.stdout}"
    return data["items"]


def uncovered(requirements: dict, collected: dict[str, list[str]]) -> list[str]:
    """Ids of requirements that are not untestable and that no collected test names."""
    named = {rid for ids in collected.values() for rid in ids}
    return sorted(rid for rid, req in requirements.items() if not req.untestable and rid not in named)


def unknown(requirements: dict, collected: dict[str, list[str]]) -> dict[str, list[str]]:
    """Tests naming requirement ids the spec does not have (a typo hides a missing test)."""
    found = {}
    for nodeid, ids in collected.items():
        strays = [rid for rid in ids if rid not in requirements]
        if strays:
            found[nodeid] = strays
    return found


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> dict[str, list[str]]:
    return collected_requirements(tmp_path_factory.mktemp("collect"))


def test_every_testable_requirement_has_a_test(collected):
    missing = uncovered(load_spec().requirements, collected)
    assert not missing, "requirements without a conformance test (write one or mark them untestable):\n  " + \
        "\n  ".join(missing)


def test_tests_name_only_requirements_the_spec_has(collected):
    strays = unknown(load_spec().requirements, collected)
    assert not strays, f"tests name requirement ids the spec lacks: {strays}"


def test_every_behaviour_test_names_a_requirement(collected):
    bare = sorted(nodeid for nodeid, ids in collected.items() if not ids)
    assert not bare, f"conformance tests that check no requirement: {bare}"


def test_a_requirement_without_a_test_is_reported(tmp_path):
    """A spec with one more requirement, which no test names: the check must name it."""
    spec_dir = tmp_path / "spec"
    shutil.copytree(SPEC, spec_dir)
    path = spec_dir / "requirements.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["requirements"]["fake.never-tested"] = {
        "statement": "A requirement that exists only to show that an untested one is found.",
        "level": "must",
        "applies_to": ["IMsgrSessionManager.CreateSession"],
        "source": {"pages": ["im-imsgrsessionmanager-createsession-method.md"], "origin": "pages"},
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    collected = collected_requirements(tmp_path, spec_dir)
    requirements = load_spec(spec_dir).requirements
    before = set(uncovered(load_spec().requirements, collected))
    assert set(uncovered(requirements, collected)) - before == {"fake.never-tested"}
    marked = {**requirements, "fake.never-tested": attrs.evolve(requirements["fake.never-tested"],
                                                                untestable="No test can reach it.")}
    assert "fake.never-tested" not in uncovered(marked, collected), "an untestable requirement was reported"


def test_a_misspelt_requirement_id_is_reported():
    requirements = load_spec().requirements
    assert unknown(requirements, {"conformance/test_x.py::test_y": ["session.invite.sendz"]}) == \
        {"conformance/test_x.py::test_y": ["session.invite.sendz"]}


def test_no_untestable_requirement_is_tested(collected):
    """A requirement marked untestable that a test checks is a contradiction in the spec."""
    named = {rid for ids in collected.values() for rid in ids}
    both = sorted(rid for rid, req in load_spec().requirements.items() if req.untestable and rid in named)
    assert not both, f"marked untestable, yet tested: {both}"
