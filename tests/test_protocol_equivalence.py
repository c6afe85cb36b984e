"""The reference implementation gives the same verdicts in-process and behind the protocol (stdio and TCP)."""
from __future__ import annotations

import subprocess

import pytest

from expected_verdicts import id_problems, reference_problems
from msgrspec import load_spec
from protocol_helpers import PROCESS, SERVE, TCP, msgrspec_test, outcomes
from toolchain import require_module


@pytest.fixture(scope="module")
def in_process(tmp_path_factory) -> dict:
    run, report, _ = msgrspec_test(tmp_path_factory.mktemp("in-process"), "-q")
    assert run.returncode == 0, run.stdout[-3000:]
    assert not reference_problems(report) and not id_problems(load_spec(), report)
    return report


def test_same_verdicts_over_stdio(in_process, tmp_path):
    run, report, _ = msgrspec_test(tmp_path, "-q", "--adapter", PROCESS, "--", *SERVE, "reference")
    assert run.returncode == 0, run.stdout[-3000:]
    assert outcomes(report) == outcomes(in_process)
    assert report["summary"] == in_process["summary"]
    assert report["requirements"] == in_process["requirements"]
    assert (report["implementation"], report["features"]) == (in_process["implementation"], in_process["features"])


def test_same_verdicts_over_tcp(in_process, tmp_path):
    server = subprocess.Popen([*SERVE, "reference", "--tcp", "127.0.0.1:0"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        address = server.stdout.readline().split()[-1]
        run, report, _ = msgrspec_test(tmp_path, "-q", "--adapter", TCP, "--connect", address)
        assert run.returncode == 0, run.stdout[-3000:]
        assert outcomes(report) == outcomes(in_process)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_same_verdicts_over_stdio_with_xdist(in_process, tmp_path):
    """Each xdist worker starts its own server."""
    require_module("xdist")
    run, report, _ = msgrspec_test(tmp_path, "-q", "-n", "2", "--adapter", PROCESS, "--", *SERVE)
    assert run.returncode == 0, run.stdout[-3000:]
    assert outcomes(report) == outcomes(in_process)
