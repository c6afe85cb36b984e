"""Conformance suite time against a bare pytest run of as many trivial parametrized tests, side by side.

    python bench/suite_overhead.py [--adapter reference] [--repeat 3]

The suite section of bench/run.py on its own (serial and with -n 2), for any
adapter: prints the figures as a table and as JSON.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from run import bench_suite, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", default="reference")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="msgrspec-bench-"))
    try:
        figures, data = bench_suite(options.repeat, work, options.adapter)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(figures))
    print(json.dumps({"figures": figures, "suite": data}))


if __name__ == "__main__":
    main()
