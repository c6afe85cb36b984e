"""Every requirement of the spec is either marked untestable or checked by a conformance test.

The conformance suite is collected in a separate pytest process, with a small
plugin that reports the requirement ids each collected test checks: the ids
its `requirement` marker names, or those of its generated case. A marker alone
does not make a requirement covered: the suite is also run against the
reference (in its configurations), and a behaviour test counts for its
requirements only when it passes and its trace (the adapter operations it made and the events it read)
touches an item the requirement applies to.
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


_RUNNER = """
import json, sys
import pytest
from msgrspec.plugin import _TRACE, requirements_of

class Recorder:
    def __init__(self):
        self.found = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = (yield).get_result()
        if call.when == "call" or report.failed or report.skipped:
            trace = item.stash.get(_TRACE, None)
            self.found[item.nodeid] = {"requirements": list(requirements_of(item)), "outcome": report.outcome,
                                       "generated": hasattr(item, "callspec") and "[" in item.nodeid,
                                       "steps": trace.steps if trace else []}

recorder = Recorder()
code = pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:xdist", sys.argv[1]] + sys.argv[3:],
                   plugins=[recorder])
with open(sys.argv[2], "w", encoding="utf-8") as out:
    json.dump({"exit": int(code), "tests": recorder.found}, out)
"""


def run_traces(tmp_path: Path, suite: Path = CONFORMANCE, spec_dir: Path | None = None,
               adapter: str = "reference") -> dict[str, dict]:
    """nodeid -> requirements, outcome, whether generated, trace steps: the suite run against `adapter`."""
    result = tmp_path / f"run-{adapter.replace(':', '-')}.json"
    extra = ["--msgrspec-adapter", adapter] + (["--msgrspec-spec", str(spec_dir)] if spec_dir else [])
    run = subprocess.run([sys.executable, "-c", _RUNNER, str(suite), str(result), *extra],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.exists(), f"running the conformance suite failed:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}"
    return json.loads(result.read_text(encoding="utf-8"))["tests"]


def touched(steps: list[dict]) -> set[str]:
    """The items a trace reached: coclasses created, members called or read or written (Interface.Member),
    interfaces asked for, sinks connected, type information asked for, events received (Dispinterface.Event)."""
    found: set[str] = set()
    for step in steps:
        op, args, result = step["op"], step["args"], step["result"]
        if op in ("create", "type_info") and args:
            found.add(str(args[0]))
        elif op in ("call", "get", "put") and len(args) > 1 and isinstance(args[0], dict):
            found.add(f"{args[0]['interface']}.{args[1]}")
        elif op in ("query_interface", "connect") and len(args) > 1:
            found.add(str(args[1]))
        elif op == "events" and isinstance(result, list):
            found.update(e["event"] for e in result if isinstance(e, dict) and "event" in e)
    return found


def reaches(spec, rid: str, items: set[str]) -> bool:
    """Whether a trace that touched `items` reached something requirement `rid` applies to (an interface is
    reached through its members, a coclass through its interfaces)."""
    wanted = set()
    for name in spec.requirements[rid].applies_to:
        wanted.add(name)
        coclass = spec.coclasses.get(name)
        if coclass is not None:
            wanted.update(filter(None, (coclass.default_interface, coclass.event_interface, *coclass.other_interfaces)))
    return any(item in wanted or item.split(".")[0] in wanted for item in items)


def exercised(spec, tests: dict[str, dict]) -> set[str]:
    """Requirements checked for real: named by a generated case, or by a behaviour test that passed against the
    reference and whose trace reached an item the requirement applies to."""
    found = set()
    for test in tests.values():
        if test["generated"]:
            found.update(test["requirements"])
        elif test["outcome"] == "passed":
            items = touched(test["steps"])
            found.update(rid for rid in test["requirements"] if rid in spec.requirements and reaches(spec, rid, items))
    return found


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


def uncovered(requirements: dict, checked: set[str]) -> list[str]:
    """Ids of requirements that are not untestable and that no test checks (see `exercised`)."""
    return sorted(rid for rid, req in requirements.items() if not req.untestable and rid not in checked)


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


#: the reference's configurations: by default, and without Lock and Key (where the disabled lock is tested)
CONFIGURATIONS = ("reference", "msgrspec.reference:without_lock")


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> set[str]:
    spec, root = load_spec(), tmp_path_factory.mktemp("run")
    return {rid for adapter in CONFIGURATIONS for rid in exercised(spec, run_traces(root, adapter=adapter))}


def test_every_testable_requirement_has_a_test(checked):
    missing = uncovered(load_spec().requirements, checked)
    assert not missing, "requirements without a conformance test (write one or mark them untestable):\n  " + \
        "\n  ".join(missing)


def test_tests_name_only_requirements_the_spec_has(collected):
    strays = unknown(load_spec().requirements, collected)
    assert not strays, f"tests name requirement ids the spec lacks: {strays}"


def test_every_behaviour_test_names_a_requirement(collected):
    bare = sorted(nodeid for nodeid, ids in collected.items() if not ids)
    assert not bare, f"conformance tests that check no requirement: {bare}"


def test_a_requirement_without_a_real_test_is_reported(tmp_path):
    """Three more requirements on IMsgrSessionManager.CreateSession: one no test names, one named by a test
    that never calls CreateSession, one by a test that does. Only the last is covered."""
    spec_dir = tmp_path / "spec"
    shutil.copytree(SPEC, spec_dir)
    path = spec_dir / "requirements.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for rid in ("fake.never-tested", "fake.named-only", "fake.exercised"):
        data["requirements"][rid] = {
            "statement": "A requirement that exists only to show how coverage is counted.", "level": "must",
            "applies_to": ["IMsgrSessionManager.CreateSession"],
            "source": {"pages": ["im-imsgrsessionmanager-createsession-method.md"], "origin": "pages"},
        }
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    suite = tmp_path / "suite"
    shutil.copytree(CONFORMANCE, suite, ignore=shutil.ignore_patterns("__pycache__"))
    (suite / "test_fake.py").write_text(
        "import pytest\nfrom msgrspec.suite import unlocked\n\n"
        "@pytest.mark.requirement('fake.named-only')\n"
        "def test_names_it_only(local):\n    local.create('MessengerPriv')\n\n"
        "@pytest.mark.requirement('fake.exercised')\n"
        "def test_calls_it(local, profile):\n"
        "    assert local.call(unlocked(local, 'MsgrSessionManager', profile), 'CreateSession').ok\n")
    spec = load_spec(spec_dir)
    checked = exercised(spec, run_traces(tmp_path, suite, spec_dir))
    before = set(uncovered(load_spec().requirements, checked))
    assert set(uncovered(spec.requirements, checked)) - before == {"fake.never-tested", "fake.named-only"}
    marked = {**spec.requirements, "fake.never-tested": attrs.evolve(spec.requirements["fake.never-tested"],
                                                                     untestable="No test can reach it.")}
    assert "fake.never-tested" not in uncovered(marked, checked), "an untestable requirement was reported"


def test_a_misspelt_requirement_id_is_reported():
    requirements = load_spec().requirements
    assert unknown(requirements, {"conformance/test_x.py::test_y": ["session.invite.sendz"]}) == \
        {"conformance/test_x.py::test_y": ["session.invite.sendz"]}


def test_no_untestable_requirement_is_tested(collected):
    """A requirement marked untestable that a test checks is a contradiction in the spec."""
    named = {rid for ids in collected.values() for rid in ids}
    both = sorted(rid for rid, req in load_spec().requirements.items() if req.untestable and rid in named)
    assert not both, f"marked untestable, yet tested: {both}"
