"""An implementation that crashes, hangs, writes garbage or exits in mid-run: the run goes on.

Each case runs the IMsgrLock and LockStatus part of the suite through the process adapter
against tests/protocol_fault_server.py, which injects one fault at its 40th request (the first
process only). The test that meets the fault fails with a reason naming it and quoting the
server's stderr; the server is restarted and every other test passes; the report is written.
A fault met inside a step another assertion owns (a prerequisite) is reported "blocked", with
the same reason; both verdicts count as failures here.
"""
from __future__ import annotations

import sys

import pytest

from protocol_helpers import FAULT_SERVER, PROCESS, msgrspec_test

FAILED = ("failed", "blocked")
CASES = {
    "crash": "was killed by signal 11 (SIGSEGV)",
    "hang": "did not answer",
    "garbage": "sent a malformed message in answer to",
    "exit": "exited with status 0",
}


@pytest.mark.parametrize("mode", sorted(CASES))
def test_one_fault_fails_one_test_and_the_run_goes_on(tmp_path, mode):
    marker = tmp_path / "fired"
    run, report, elapsed = msgrspec_test(
        tmp_path, "-q", "--adapter", PROCESS, "--interface", "IMsgrLock", "--interface", "LockStatus",
        "--call-timeout", "2",
        "--", sys.executable, FAULT_SERVER, mode, "40", str(marker), timeout=300)
    assert report is not None, run.stdout[-3000:] + run.stderr[-3000:]
    assert marker.read_text() == mode, "the fault never fired"
    failed = {k: t for k, t in report["tests"].items() if t["outcome"] in FAILED}
    assert len(failed) == 1, failed
    (test,) = failed.values()
    assert CASES[mode] in test["message"], test["message"]
    assert f"fault server: {mode} at request 40" in test["message"]  # the server's last stderr lines
    assert "ImplementationFault" in test["message"]
    passed = [k for k, t in report["tests"].items() if t["outcome"] == "passed"]
    assert len(passed) >= 20, "the server was not restarted for the tests after the fault"
    assert run.returncode == 1
    assert elapsed < 120


def test_hang_is_cut_at_the_call_timeout(tmp_path):
    run, report, elapsed = msgrspec_test(
        tmp_path, "-q", "--adapter", PROCESS, "--requirement", "lock.interface.objects", "--call-timeout", "1",
        "--", sys.executable, FAULT_SERVER, "hang", "5", str(tmp_path / "fired"))
    (test,) = report["tests"].values()
    assert test["outcome"] in FAILED and "within 1 s (the per-call timeout)" in test["message"]
    assert elapsed < 60


def test_an_implementation_that_never_starts_fails_every_test_quickly(tmp_path):
    run, report, elapsed = msgrspec_test(
        tmp_path, "-q", "--adapter", PROCESS, "--interface", "IMsgrSessionManager",
        "--", sys.executable, FAULT_SERVER, "dead", "1", str(tmp_path / "fired"))
    assert report is not None and run.returncode == 1
    assert "unreachable" in report["implementation"]
    outcomes = {t["outcome"] for t in report["tests"].values()}
    assert "passed" not in outcomes and "failed" in outcomes
    messages = " ".join(t["message"] or "" for t in report["tests"].values())
    assert "exited with status 7" in messages and "fault server: refusing to start" in messages
    assert "not trying again in this run" in messages
    assert elapsed < 120
