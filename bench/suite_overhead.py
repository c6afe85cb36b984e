"""Conformance suite time against a bare pytest run of as many trivial parametrized tests, side by side.

    python bench/suite_overhead.py [--adapter reference] [--repeat 3]

Prints the test count, the median wall time of each run and the per-test
overhead ratio. Both runs are subprocesses of the same interpreter, in the same
conditions, so the ratio holds on a shared, noisy machine where seconds do not.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from msgrspec.resources import conformance_dir


def timed(args: list[str], cwd: str) -> tuple[float, str]:
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", *args], capture_output=True, text=True, cwd=cwd)
    elapsed = time.perf_counter() - started
    if run.returncode not in (0, 1):
        sys.exit(f"pytest failed ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return elapsed, run.stdout


def count_tests(adapter: str, workdir: str) -> int:
    report = Path(workdir) / "report.json"
    timed([str(conformance_dir()), "-q", "-p", "no:cacheprovider", "--msgrspec-adapter", adapter,
           "--msgrspec-report", str(report)], workdir)
    return len(json.loads(report.read_text())["tests"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", default="reference")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        n = count_tests(options.adapter, workdir)
        bare = Path(workdir) / "test_bare.py"
        bare.write_text(f"import pytest\n\n@pytest.mark.parametrize('i', range({n}))\ndef test_trivial(i):\n"
                        f"    assert i >= 0\n")
        suite_times, bare_times = [], []
        for _ in range(options.repeat):
            suite_times.append(timed([str(conformance_dir()), "-q", "-p", "no:cacheprovider",
                                      "--msgrspec-adapter", options.adapter], workdir)[0])
            bare_times.append(timed([str(bare), "-q", "-p", "no:cacheprovider"], workdir)[0])
    suite, base = statistics.median(suite_times), statistics.median(bare_times)
    figures = {"tests": n, "suite_seconds": round(suite, 3), "bare_seconds": round(base, 3),
               "suite_ms_per_test": round(1000 * suite / n, 3), "bare_ms_per_test": round(1000 * base / n, 3),
               "ratio": round(suite / base, 2)}
    print(f"{'tests':<22}{n}")
    print(f"{'conformance suite':<22}{suite:.2f} s  ({figures['suite_ms_per_test']:.2f} ms/test)")
    print(f"{'bare pytest':<22}{base:.2f} s  ({figures['bare_ms_per_test']:.2f} ms/test)")
    print(f"{'ratio suite/bare':<22}{figures['ratio']:.2f}x  (median of {options.repeat})")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
