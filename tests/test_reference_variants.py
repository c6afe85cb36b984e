"""The conformance suite against the reference in its other configurations: every test passes or is
reported not applicable, never failed, and the profile decides which."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"


def run_suite(tmp_path: Path, adapter: str) -> dict:
    report = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "pytest", str(CONFORMANCE), "-q", "-p", "no:cacheprovider",
                          "--msgrspec-adapter", adapter, "--msgrspec-report", str(report)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return json.loads(report.read_text(encoding="utf-8"))


@pytest.mark.parametrize("adapter, applicable, not_applicable", [
    ("msgrspec.reference:without_lock", ["lock.enable.disabled"], ["lock.gate.opens", "lock.request.challenge"]),
    ("msgrspec.reference:single_party", ["lock.gate.opens", "session-manager.register.success"],
     ["session.invite.sends", "session-manager.launching.returns-session"]),
])
def test_suite_follows_the_profile(tmp_path, adapter, applicable, not_applicable):
    report = run_suite(tmp_path, adapter)
    assert report["summary"]["failed"] == 0
    statuses = report["requirements"]
    for rid in applicable:
        assert statuses[rid]["status"] == "passed", (rid, statuses[rid])
    for rid in not_applicable:
        assert statuses[rid]["status"] == "not-applicable", (rid, statuses[rid])
