"""Hostile input to the command: reports from someone else never choose the code that runs, and every bad
input is one clear line and a non-zero exit."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from msgrspec import load_spec

#: a one-step reproducer the reference answers like any implementation would
_CREATE = {"party": "local", "op": "create", "args": ["MsgrSessionManager"],
           "result": {"hr": "0x00000000", "value": {"object": "o1", "interface": "IMsgrSessionManager"}, "outs": []}}


def msgrspec(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m msgrspec ARGS` run in `cwd`, which is therefore first on sys.path."""
    return subprocess.run([sys.executable, "-m", "msgrspec", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def write_report(folder: Path, adapter: str, steps: list | None = None) -> Path:
    path = folder / "report.json"
    path.write_text(json.dumps({"format": "msgrspec-report", "version": 1, "adapter": adapter,
                                "tests": {"X#y": {"outcome": "failed", "reproducer": steps or [_CREATE]}}}))
    return path


@pytest.mark.parametrize("named", ["evilmod:Adapter", "evilmod", "os:abort"])
def test_replay_never_runs_the_adapter_a_report_names(tmp_path, named):
    marker = tmp_path / "ran"
    (tmp_path / "evilmod.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('imported')\n"
        "def Adapter():\n    raise SystemExit('evil adapter called')\n")
    report = write_report(tmp_path, named)
    run = msgrspec("replay", str(report), "X#y", cwd=tmp_path)
    assert not marker.exists(), "replay imported the module the report names"
    assert run.returncode >= 0, f"replay was killed by signal {-run.returncode}"
    assert "evil adapter called" not in run.stderr
    assert f"the report was made with adapter {named!r}" in run.stderr, run.stderr
    assert "replaying against 'reference'" in run.stderr, run.stderr


def test_replay_uses_the_adapter_given_on_the_command_line(tmp_path):
    marker = tmp_path / "ran"
    (tmp_path / "mine.py").write_text(
        "from pathlib import Path\nfrom msgrspec.reference.adapter import ReferenceAdapter\n"
        f"Path({str(marker)!r}).write_text('imported')\nAdapter = ReferenceAdapter\n")
    report = write_report(tmp_path, "evilmod:Adapter")
    run = msgrspec("replay", str(report), "X#y", "--adapter", "mine:Adapter", cwd=tmp_path)
    assert marker.exists(), run.stderr
    assert "1. local.create('MsgrSessionManager')" in run.stdout, run.stdout + run.stderr


@pytest.mark.parametrize("content, expected", [
    pytest.param(b"[1, 2]", r"report\.json: not a msgrspec report: a JSON array, not an object", id="list"),
    pytest.param(b'{"tests": "X#y"}', r"report\.json: tests: a JSON string, not an object of assertions",
                 id="tests-a-string"),
    pytest.param(json.dumps({"tests": {"X#y": {"reproducer": [{k: v for k, v in _CREATE.items() if k != "party"}]}}})
                 .encode(), r"report\.json: tests\.X#y\.reproducer\[0\]\.party: missing, not a JSON string",
                 id="step-without-party"),
    pytest.param(json.dumps({"tests": {"X#y": {"reproducer": [{**_CREATE, "args": []}]}}}).encode(),
                 r"report\.json: step 1 \(local\.create\) cannot be performed as recorded: TypeError",
                 id="step-without-arguments"),
    pytest.param(json.dumps({"tests": {"X#y": {"reproducer": "create"}}}).encode(),
                 r"report\.json: tests\.X#y\.reproducer: a JSON string, not an array of steps", id="steps-a-string"),
    pytest.param(b'{"tests":\n {"X#y": "caf\xe9"}}', r"report\.json:2:14: the file is not UTF-8: byte 0xe9",
                 id="not-utf8"),
    pytest.param(b'{"tests":\n {"X#y": }}', r"report\.json:2:10: not JSON: Expecting value", id="not-json"),
    pytest.param(b"[" * 100_000, r"report\.json: not JSON this reader can take: nested too deeply",
                 id="nested-too-deeply"),
])
def test_replay_of_a_malformed_report_is_one_line_and_could_not_run(tmp_path, content, expected):
    report = tmp_path / "report.json"
    report.write_bytes(content)
    run = msgrspec("replay", str(report), "X#y", cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert re.search(expected, run.stderr), run.stderr


def test_replay_exit_status_tells_reproduced_from_not_reproduced(tmp_path):
    reproduced = msgrspec("replay", str(write_report(tmp_path, "reference")), "X#y", cwd=tmp_path)
    assert reproduced.returncode == 1 and "reproduced: all 1 steps" in reproduced.stdout, reproduced.stdout
    gone = {**_CREATE, "result": {**_CREATE["result"], "hr": "0x80004005"}}
    not_reproduced = msgrspec("replay", str(write_report(tmp_path, "reference", [gone])), "X#y", cwd=tmp_path)
    assert not_reproduced.returncode == 0 and "not reproduced: step(s) 1" in not_reproduced.stdout
    missing = msgrspec("replay", str(write_report(tmp_path, "reference")), "X#y", "--adapter", "nothing-such",
                       cwd=tmp_path)
    assert missing.returncode == 2 and "no adapter called 'nothing-such'" in missing.stderr
    assert "Exit status:" in msgrspec("replay", "--help", cwd=tmp_path).stdout


def test_replay_warns_when_the_report_was_made_against_another_spec(tmp_path):
    report = write_report(tmp_path, "reference")
    document = json.loads(report.read_text())
    document["spec_sha256"] = load_spec().digest
    report.write_text(json.dumps(document))
    same = msgrspec("replay", str(report), "X#y", cwd=tmp_path)
    assert "another spec" not in same.stderr and "note:" not in same.stderr, same.stderr
    document["spec_sha256"] = "0123456789ab" + "0" * 52
    report.write_text(json.dumps(document))
    other = msgrspec("replay", str(report), "X#y", cwd=tmp_path)
    assert other.returncode == 1, other.stdout + other.stderr
    assert "the report was made against spec '0123456789ab', this is spec" in other.stderr, other.stderr


@pytest.mark.parametrize("where, expected", [
    ("missing/report.json", "the folder missing does not exist"),
    ("a-file/report.json", "the folder a-file does not exist"),
    ("a-folder", "a folder, not a file"),
])
def test_an_unusable_report_path_is_refused_before_the_run(tmp_path, where, expected):
    (tmp_path / "a-file").write_text("kept\n")
    (tmp_path / "a-folder").mkdir()
    run = msgrspec("test", "--report", where, cwd=tmp_path)
    assert run.returncode == 4, run.stdout[-2000:] + run.stderr
    assert run.stderr.strip().splitlines() == [f"Error: --report {where}: {expected}"], run.stderr
    assert run.stdout == "", "the run started"
    assert (tmp_path / "a-file").read_text() == "kept\n"
