"""Running the installed conformance suite: the pytest arguments, and repeated runs that expose flaky results."""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .resources import conformance_dir


def suite_args(adapter: str, *, options: Sequence[tuple[str, object]] = (), flags: Sequence[str] = (),
               extra: Sequence[str] = ()) -> list[str]:
    """The pytest command line that runs the shipped suite against `adapter`; `options` are plugin options
    (name, value) given when value is not None, `flags` plugin flags, `extra` anything for pytest itself."""
    suite = conformance_dir()
    args = [str(suite), "-c", str(suite / "pytest.ini"), "--rootdir", str(suite), "--msgrspec-adapter", adapter]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "msgrspec.plugin"]
    for name, value in options:
        if value is not None:
            args += [name, str(value)]
    return args + list(flags) + list(extra)


def merge_repeats(reports: list[dict]) -> dict:
    """One report from N runs of the suite: the last run's, each test with the outcomes of every run, and
    the tests whose outcome varied marked flaky."""
    merged = json.loads(json.dumps(reports[-1]))
    for key, test in merged["tests"].items():
        outcomes = [report["tests"].get(key, {}).get("outcome", "missing") for report in reports]
        test["outcomes"] = outcomes
        test["flaky"] = len(set(outcomes)) > 1
    merged["summary"]["flaky"] = sum(1 for test in merged["tests"].values() if test["flaky"])
    merged["runs"] = len(reports)
    return merged


def run(args: list[str], report: Path | None, repeat: int = 1) -> int:
    """Run pytest with `args` `repeat` times; write the (merged) report; the exit status of the worst run."""
    import pytest

    if repeat <= 1:
        return int(pytest.main(args + (["--msgrspec-report", str(report)] if report else [])))
    statuses, reports = [], []
    with tempfile.TemporaryDirectory(prefix="msgrspec-repeat-") as folder:
        for i in range(repeat):
            path = Path(folder) / f"run{i}.json"
            statuses.append(int(pytest.main(args + ["--msgrspec-report", str(path)])))
            if not path.exists():
                return statuses[-1]
            reports.append(json.loads(path.read_text(encoding="utf-8")))
    merged = merge_repeats(reports)
    flaky = sorted(key for key, test in merged["tests"].items() if test["flaky"])
    print(f"msgrspec: {repeat} runs; {len(flaky)} flaky assertion(s)" + (f": {', '.join(flaky)}" if flaky else ""))
    if report:
        report.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    return max(statuses) if not flaky else max(max(statuses), 1)
