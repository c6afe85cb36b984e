"""The whole suite through COM: `make -C examples/c-session-manager check-bridge` (the example's COM server,
in-process and local, driven by msgrspec-com-bridge under Wine) passes, and its verdicts are those of the
same implementation through the process adapter, but for the differences its expected-failures files
explain, each of them a real difference."""
from __future__ import annotations

import json

import pytest

from msgrspec.expectations import load_expected_failures

from bridge_build import EXAMPLE, EXAMPLE_BUILD, make_example
from protocol_helpers import PROCESS, msgrspec_test, outcomes
from toolchain import require

FILES = {"inproc": EXAMPLE / "expected-failures-com.yaml", "local": EXAMPLE / "expected-failures-com-local.yaml"}


@pytest.fixture(scope="module")
def check_bridge():
    require("wine", "wineboot", "wineserver")
    run = make_example("check-bridge", timeout=3000)
    reports = EXAMPLE_BUILD / "bridge-wine"
    found = {context: json.loads((reports / f"{context}.json").read_text()) for context in FILES
             if (reports / f"{context}.json").exists()}
    return run, found


@pytest.fixture(scope="module")
def through_process(tmp_path_factory):
    run = make_example("all")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    _, report, _ = msgrspec_test(tmp_path_factory.mktemp("c-process"), "-q", "--adapter", PROCESS, "--",
                                 str(EXAMPLE_BUILD / "c-session-manager"))
    assert report is not None
    return outcomes(report)


def test_check_bridge_passes(check_bridge):
    run, reports = check_bridge
    assert run.returncode == 0 and "check: PASS" in run.stdout, run.stdout[-4000:] + run.stderr[-3000:]
    assert set(reports) == set(FILES)
    for context, report in reports.items():
        summary = report["summary"]
        wrong = {key: (test["outcome"], test["message"]) for key, test in report["tests"].items()
                 if test["outcome"] in ("failed", "blocked", "xpass")}
        assert summary["failed"] == summary["blocked"] == summary["xpass"] == 0, (context, summary, wrong)
        assert summary["passed"] >= 200, (context, summary)
        assert report["features"] == ["lock-enforced", "registry"]


@pytest.mark.parametrize("context", sorted(FILES))
def test_verdicts_match_the_process_adapter_but_for_the_explained_differences(context, check_bridge,
                                                                            through_process):
    _, reports = check_bridge
    com = outcomes(reports[context])
    assert set(com) == set(through_process), "the two runs have different assertions"
    differ = {key for key in com if com[key] != through_process[key]}
    explained = set(load_expected_failures(FILES[context]).entries)
    unexplained = {key: (through_process[key], com[key], reports[context]["tests"][key]["message"])
                   for key in differ - explained}
    assert unexplained == {}, "verdicts that differ from the process adapter's without a reason in " + \
        FILES[context].name + " (through process, through COM, the message through COM)"
    assert sorted(explained - differ) == [], "listed in " + FILES[context].name + " but not a difference"
    assert all(through_process[key] == "passed" and com[key] == "xfail" for key in explained)
