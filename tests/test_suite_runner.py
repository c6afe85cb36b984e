"""`msgrspec test`: runs the installed suite from anywhere, selects, reports, and handles expected failures."""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from expected_verdicts import REFERENCE_NOT_APPLICABLE, id_problems, reference_problems


def msgrspec_test(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    report = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "msgrspec", "test", "--report", str(report), *args],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    return run, (json.loads(report.read_text()) if report.exists() else None)


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("full")
    junit = tmp / "junit.xml"
    run, report = msgrspec_test(tmp, "-q", "--junitxml", str(junit))
    return run, report, junit


def test_whole_suite_passes_against_the_reference(full_run):
    from msgrspec import load_spec

    run, report, _ = full_run
    assert run.returncode == 0, run.stdout[-3000:]
    assert not id_problems(load_spec(), report), id_problems(load_spec(), report)
    assert not reference_problems(report), reference_problems(report)
    assert report["summary"]["passed"] == len(report["tests"]) - len(REFERENCE_NOT_APPLICABLE)
    assert "msgrspec conformance: msgrspec reference implementation" in run.stdout
    assert "IMsgrSessionManager" in run.stdout  # the per-interface summary


def test_the_expected_verdicts_can_fail(full_run):
    """Negative controls: a report with one assertion missing, one more, or one verdict changed is not the
    expected one."""
    from msgrspec import load_spec

    spec = load_spec()
    _, report, _ = full_run
    first = sorted(report["tests"])[0]
    missing = {**report, "tests": {k: v for k, v in report["tests"].items() if k != first}}
    assert id_problems(spec, missing) == [f"the generated case {first} is not in the report"]
    extra = {**report, "tests": {**report["tests"], "no.such-requirement": report["tests"][first]}}
    assert id_problems(spec, extra) == ["no.such-requirement names requirements the spec lacks"]
    changed = {**report, "tests": {**report["tests"], first: {**report["tests"][first], "outcome": "skipped"}}}
    assert reference_problems(changed) == [f"{first}: skipped ({report['tests'][first]['message']})"]
    lost = {**report, "tests": {k: v for k, v in report["tests"].items() if k not in REFERENCE_NOT_APPLICABLE}}
    assert reference_problems(lost) == [f"{key} did not run" for key in REFERENCE_NOT_APPLICABLE]


def test_report_covers_every_requirement(full_run):
    from msgrspec import load_spec

    _, report, _ = full_run
    spec = load_spec()
    assert report["format"] == "msgrspec-report" and report["spec_sha256"] == spec.digest
    assert set(report["requirements"]) == set(spec.requirements)
    for rid, entry in report["requirements"].items():
        if spec.requirements[rid].untestable:
            assert entry["status"] == "untestable", rid
        else:
            assert entry["status"] in ("passed", "not-applicable"), (rid, entry)
            assert entry["tests"], rid
    for key, test in report["tests"].items():
        assert test["requirements"], key


def test_report_validates_against_its_schema(full_run):
    import jsonschema

    from msgrspec.resources import schema

    _, report, _ = full_run
    validator = jsonschema.Draft202012Validator(schema("report"),
                                                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(report)]
    assert not errors, errors[:5]
    assert report["manifest"]["implementation"]["name"] == report["implementation"]


def test_junit_xml_is_written(full_run):
    _, report, junit = full_run
    cases = ET.parse(junit).getroot().iter("testcase")
    assert sum(1 for _ in cases) == len(report["tests"])


def test_selection_by_interface_and_requirement(tmp_path):
    run, report = msgrspec_test(tmp_path, "-q", "--interface", "IMsgrLock")
    assert run.returncode == 0, run.stdout[-2000:]
    assert report["tests"] and all(t["item"].startswith("IMsgrLock") for t in report["tests"].values())
    run, report = msgrspec_test(tmp_path, "-q", "--requirement", "session-manager.register.duplicate-guid")
    assert run.returncode == 0, run.stdout[-2000:]
    assert all("session-manager.register.duplicate-guid" in t["requirements"] for t in report["tests"].values())
    assert report["requirements"]["session-manager.register.duplicate-guid"]["status"] == "passed"


def test_expected_failure_that_passes_is_flagged(tmp_path):
    expected = tmp_path / "xfail.yaml"
    expected.write_text("expected_failures:\n  - id: MsgrSessionManager#create\n    reason: pretend it is broken\n")
    run, report = msgrspec_test(tmp_path, "-q", "--interface", "MsgrSessionManager",
                                "--expected-failures", str(expected))
    assert report["tests"]["MsgrSessionManager#create"]["outcome"] == "xpass"
    assert "expected failures that now pass: MsgrSessionManager#create" in run.stdout


def test_expected_failure_matching_nothing_is_an_error(tmp_path):
    expected = tmp_path / "xfail.yaml"
    expected.write_text("expected_failures:\n  - id: IMsgrNothing.Foo#signature\n    reason: gone\n")
    run, _ = msgrspec_test(tmp_path, "-q", "--expected-failures", str(expected))
    assert run.returncode != 0
    assert "match no assertion: IMsgrNothing.Foo#signature" in run.stdout + run.stderr


def test_unknown_adapter_is_a_clear_error(tmp_path):
    run, report = msgrspec_test(tmp_path, "--adapter", "no-such-adapter")
    assert run.returncode != 0 and report is None
    assert "no adapter called 'no-such-adapter' is installed (installed: " in run.stdout + run.stderr
    assert "reference" in (run.stdout + run.stderr).split("installed: ")[1]
    assert "Traceback" not in run.stdout + run.stderr


def test_xdist_gives_the_same_verdicts(tmp_path, full_run):
    _, serial, _ = full_run
    run, parallel = msgrspec_test(tmp_path, "-q", "-n", "2")
    assert run.returncode == 0, run.stdout[-2000:]
    assert {k: v["outcome"] for k, v in parallel["tests"].items()} == \
           {k: v["outcome"] for k, v in serial["tests"].items()}


def test_adapters_lists_the_reference(tmp_path):
    run = subprocess.run([sys.executable, "-m", "msgrspec", "adapters"], capture_output=True, text=True, cwd=tmp_path)
    assert "reference\tmsgrspec.reference:ReferenceAdapter" in run.stdout
