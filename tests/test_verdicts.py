"""Results people can act on: blocked is not failed, every failure replays, output travels with it,
ids do not depend on positions, and the profile decides what applies."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from msgrspec import load_spec, resources
from msgrspec.cases import all_cases

TESTS = Path(__file__).resolve().parent


def suite(tmp_path: Path, adapter: str, *args: str, suite_dir: Path | None = None) -> dict:
    """Run the conformance suite (the shipped one, or a copy) and return its JSON report."""
    report = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
    folder = suite_dir or resources.conformance_dir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-m", "pytest", str(folder), "-c", str(folder / "pytest.ini"),
                          "--rootdir", str(folder), "-q", "--msgrspec-adapter", adapter,
                          "--msgrspec-report", str(report), *args], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=900)
    assert report.exists(), run.stdout[-3000:] + run.stderr[-2000:]
    return json.loads(report.read_text())


def replay(report: Path, assertion: str, adapter: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    return subprocess.run([sys.executable, "-m", "msgrspec", "replay", str(report), assertion, "--adapter", adapter],
                          capture_output=True, text=True, env=env, timeout=300)


def test_a_missing_basic_function_gives_one_failure_and_the_rest_blocked(tmp_path):
    report = suite(tmp_path, "broken_variants:cannot_create_session_manager")
    failed = [k for k, t in report["tests"].items() if t["outcome"] == "failed"]
    blocked = [t for t in report["tests"].values() if t["outcome"] == "blocked"]
    assert failed == ["MsgrSessionManager#create"]
    assert len(blocked) > 50 and report["summary"]["blocked"] == len(blocked) and report["summary"]["failed"] == 1
    assert all("prerequisite MsgrSessionManager#create failed" in t["message"] for t in blocked)
    statuses = {r["status"] for r in report["requirements"].values()}
    assert "blocked" in statuses


def test_every_failure_replays_into_the_same_failure(tmp_path):
    variant = "broken_variants:reregister_answers_e_fail_noisily"
    report = suite(tmp_path, variant, "--msgrspec-interface", "IMsgrSessionManager")
    failed = [k for k, t in report["tests"].items() if t["outcome"] == "failed"]
    assert failed, "the variant must fail something"
    path = tmp_path / "failures.json"
    path.write_text(json.dumps(report))
    for key in failed:
        test = report["tests"][key]
        assert test["reproducer"], f"{key} carries no reproducer"
        assert "noisy implementation: wrote a log line" in test["output"], f"{key} lost the implementation's output"
        again = replay(path, key, variant)
        assert again.returncode == 1 and "reproduced: all" in again.stdout, again.stdout[-2000:] + again.stderr
    fixed = replay(path, "session-manager.register.duplicate-guid", "reference")
    assert fixed.returncode == 0 and "not reproduced" in fixed.stdout, fixed.stdout[-2000:]


def test_replay_explains_what_it_cannot_do(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"adapter": "reference", "tests": {"X#y": {"outcome": "passed", "reproducer": []}}}))
    run = replay(path, "X#y", "reference")
    assert run.returncode == 2 and "X#y has no reproducer: its outcome was passed" in run.stderr
    run = replay(path, "X#z", "reference")
    assert run.returncode == 2 and "the report has no assertion 'X#z'" in run.stderr


def test_ids_do_not_depend_on_positions(tmp_path):
    """Reverse every mapping and list of the spec but parameter lists (members, values, requirements, errata)
    and rename and reorder the test modules: the assertion ids stay the same."""
    copy = tmp_path / "spec"
    shutil.copytree(resources.spec_dir(), copy)
    import yaml

    for path in copy.rglob("*.yaml"):
        text = path.read_text()
        head = text.splitlines()[0]
        data = yaml.safe_load(text)

        def reverse(node, key=None):
            if isinstance(node, dict):
                return {k: reverse(v, k) for k, v in reversed(list(node.items()))}
            if isinstance(node, list) and key != "params":  # a parameter's position is what it is
                return [reverse(v) for v in reversed(node)]
            return node
        path.write_text(head + "\n" + yaml.safe_dump(reverse(data), sort_keys=False, allow_unicode=True))
    original, reordered = load_spec(), load_spec(copy)
    assert sorted(c.id for c in all_cases(original)) == sorted(c.id for c in all_cases(reordered))
    assert [c.id for c in all_cases(original)] != [c.id for c in all_cases(reordered)]  # the order did change

    suite_copy = tmp_path / "suite"
    shutil.copytree(resources.conformance_dir(), suite_copy)
    for number, module in enumerate(sorted(suite_copy.glob("test_*.py"), reverse=True)):
        module.rename(suite_copy / f"test_{number:02d}_{module.stem[5:]}.py")
    (suite_copy / "conftest.py").write_text(
        "def pytest_collection_modifyitems(items):\n    items.reverse()\n")
    before = suite(tmp_path, "reference", "--msgrspec-interface", "IMsgrLock")
    after = suite(tmp_path, "reference", "--msgrspec-interface", "IMsgrLock", suite_dir=suite_copy)
    assert sorted(before["tests"]) == sorted(after["tests"])
    assert [t["nodeid"] for t in before["tests"].values()] != [t["nodeid"] for t in after["tests"].values()]


def test_items_of_a_later_product_are_not_applicable(tmp_path):
    report = suite(tmp_path, "msgrspec.reference:ReferenceAdapter", "--msgrspec-interface", "IMsgrSessionManager",
                   "--msgrspec-interface", "MsgrSession")
    older = suite(tmp_path, "test_verdicts:messenger_4_0", "--msgrspec-interface", "IMsgrSessionManager",
                  "--msgrspec-interface", "MsgrSession")
    assert report["summary"]["not-applicable"] == 0
    spec = load_spec()
    for key, test in older["tests"].items():
        product = spec.resolve(test["item"]).support.product if test["item"] in spec else None
        if product == "Messenger 4.5":
            assert test["outcome"] == "not-applicable", (key, test)
            assert "arrived in Messenger 4.5; the implementation is Messenger 4.0" in test["message"]
        elif product == "Messenger 4.0":
            assert test["outcome"] == "passed", (key, test)


def messenger_4_0():
    """The reference, declaring that it implements Messenger 4.0."""
    from msgrspec.reference import ReferenceAdapter

    return ReferenceAdapter(product="Messenger 4.0")


def test_default_runs_are_deterministic(tmp_path):
    first = suite(tmp_path, "reference", "--msgrspec-interface", "IMsgrSession")
    second = suite(tmp_path, "reference", "--msgrspec-interface", "IMsgrSession")
    assert {k: t["outcome"] for k, t in first["tests"].items()} == {k: t["outcome"] for k, t in second["tests"].items()}


def test_repeat_flags_flaky_results(tmp_path):
    """A test whose outcome changes between runs is reported flaky by --repeat."""
    flaky_suite = tmp_path / "suite"
    flaky_suite.mkdir()
    shutil.copy(resources.conformance_dir() / "pytest.ini", flaky_suite)
    marker = tmp_path / "state"
    (flaky_suite / "test_flaky.py").write_text(
        "import pytest\nfrom pathlib import Path\n\n"
        "@pytest.mark.requirement('session-manager.register.success')\n"
        f"def test_flips(local):\n    state = Path({str(marker)!r})\n"
        "    first = not state.exists()\n    state.write_text('x')\n    assert first\n")
    from msgrspec.runner import merge_repeats

    reports = [suite(tmp_path, "reference", suite_dir=flaky_suite) for _ in range(2)]
    merged = merge_repeats(reports)
    assert merged["summary"]["flaky"] == 1
    assert merged["tests"]["session-manager.register.success"]["outcomes"] == ["passed", "failed"]
    import jsonschema

    jsonschema.Draft202012Validator(resources.schema("report")).validate(merged)  # a merged report is one too


def one_file_suite(tmp_path: Path, source: str) -> Path:
    """A conformance suite of one test file (with the shipped suite's pytest.ini)."""
    folder = tmp_path / "suite"
    folder.mkdir()
    shutil.copy(resources.conformance_dir() / "pytest.ini", folder)
    (folder / "test_one.py").write_text(source)
    return folder


def test_a_skip_without_a_verdict_fails(tmp_path):
    """A conformance test that skips without saying why it does not apply is failed, never a green skip;
    one that says "not applicable" is reported so."""
    skipping = one_file_suite(tmp_path,
        "import pytest\n\n"
        "@pytest.mark.requirement('session-manager.register.success')\n"
        "def test_bare(local):\n    pytest.skip('the implementation answered something odd')\n\n"
        "@pytest.mark.requirement('session-manager.unregister.success')\n"
        "def test_explained(local):\n    pytest.skip('not applicable: the profile leaves it out')\n")
    report = suite(tmp_path, "reference", suite_dir=skipping)
    bare = report["tests"]["session-manager.register.success"]
    assert bare["outcome"] == "failed" and "skipped without a verdict" in bare["message"], bare
    assert "the implementation answered something odd" in bare["message"]
    assert report["tests"]["session-manager.unregister.success"]["outcome"] == "not-applicable"
    assert report["summary"]["skipped"] == 0


def test_launch_not_implemented_is_not_applicable(tmp_path):
    """Party.launch answering E_NOTIMPL (allowed by the contract) makes the launching test not applicable,
    with the implementation named; against the reference the same test passes."""
    rid = "session-manager.launching.returns-session"
    report = suite(tmp_path, "broken_variants:launch_not_implemented", "--msgrspec-requirement", rid)
    (test,) = report["tests"].values()
    assert test["outcome"] == "not-applicable", test
    assert "Party.launch answers E_NOTIMPL" in test["message"] and "not applicable" in test["message"]
    assert suite(tmp_path, "reference", "--msgrspec-requirement", rid)["tests"][rid]["outcome"] == "passed"


def test_exploration_shrinks_a_four_step_fault_to_a_reproducer_replay_runs(tmp_path):
    """A fault no single cell shows (tests/broken_variants.py: context_data_one_way): the stateful exploration
    finds it, shrinks the walk to the four steps it needs, and `msgrspec replay` runs that walk again."""
    variant, assertion = "broken_variants:context_data_one_way", "lifecycle.cells+session.state.values"
    report = suite(tmp_path, variant, "--msgrspec-interface", "SESSION_STATE", "--msgrspec-timeout", "300")
    failed = sorted(k for k, t in report["tests"].items() if t["outcome"] == "failed")
    assert failed == [assertion], failed
    test = report["tests"][assertion]
    assert "step 4 of the walk [Invite/inviter, Accept/invitee, SendContextData/inviter, SendContextData/invitee]" \
        in test["message"], test["message"]
    walked = [step["args"][1] for step in test["reproducer"] if step["op"] == "call"
              and step["args"][1] in ("Invite", "Accept", "Decline", "Cancel", "SendContextData")]
    assert walked == ["Invite", "Accept", "SendContextData", "SendContextData"], walked
    path = tmp_path / "exploration.json"
    path.write_text(json.dumps(report))
    again = replay(path, assertion, variant)
    assert again.returncode == 1 and "reproduced: all" in again.stdout, again.stdout[-2000:] + again.stderr
    fixed = replay(path, assertion, "reference")
    assert fixed.returncode == 0 and "not reproduced" in fixed.stdout, fixed.stdout[-2000:]


def test_a_failure_inside_an_exception_group_reports_its_assertion(tmp_path):
    """hypothesis raises a group of errors when an implementation answers differently on a replay (as a dying
    one does): the failure's message is the first failed assertion in it, not the group's own summary."""
    grouped = one_file_suite(tmp_path,
        "import pytest\n\n"
        "@pytest.mark.requirement('session-manager.register.success')\n"
        "def test_grouped(local):\n"
        "    raise ExceptionGroup('two tries answered differently', [ValueError('noise'),\n"
        "                         AssertionError('RegisterApplication: expected S_OK, got 0x800706BA')])\n")
    report = suite(tmp_path, "reference", suite_dir=grouped)
    test = report["tests"]["session-manager.register.success"]
    assert test["outcome"] == "failed", test
    assert test["message"] == "RegisterApplication: expected S_OK, got 0x800706BA", test["message"]


@pytest.mark.parametrize("variant, first_failure", [
    ("dies_during_the_run", "the adapter raised ConnectionError in "),
    ("dies_during_the_run_answering", "step "),
])
def test_an_implementation_dying_during_an_exploration_is_reported_as_such(tmp_path, variant, first_failure):
    """A server that dies in the middle of a random walk makes hypothesis's replay of the failing walk fail
    sooner, before the draws the first run made, and hypothesis then reports its own complaint (the data
    generation was inconsistent). The report names the walk's first failure instead, the thing an implementer
    can act on: the fault (a peer that is gone), or the step that got the dead server's RPC error."""
    assertion = "lifecycle.cells+session.state.values"
    report = suite(tmp_path, f"broken_variants:{variant}", "-k", "test_sessions_explored")
    test = report["tests"][assertion]
    assert test["outcome"] == "failed", test
    assert test["message"].startswith(first_failure), test["message"]
    gone = "the implementation's process is gone" if variant == "dies_during_the_run" else "0x800706BA"
    assert gone in test["message"], test["message"]
