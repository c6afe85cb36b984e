"""Hostile input to the command: reports from someone else never choose the code that runs, and every bad
input is one clear line and a non-zero exit."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
