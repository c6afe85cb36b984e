"""What the protocol tests share: how to name the adapters and run `msgrspec test` in a subprocess."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from msgrspec.adapter import installed_adapters

#: the adapters by entry-point name once installed, by module:attribute before
PROCESS = "process" if "process" in installed_adapters() else "msgrspec.protocol:ProcessAdapter"
TCP = "tcp" if "tcp" in installed_adapters() else "msgrspec.protocol:TcpAdapter"
SERVE = [sys.executable, "-m", "msgrspec.protocol.serve"]
FAULT_SERVER = str(Path(__file__).with_name("protocol_fault_server.py"))


def msgrspec_test(tmp_path: Path, *args: str, env: dict | None = None, timeout: float = 600
                  ) -> tuple[subprocess.CompletedProcess, dict | None, float]:
    """Run `msgrspec test ARGS --report ...`; the run, its report (None if none was written) and its wall time."""
    report = tmp_path / f"report-{time.monotonic_ns()}.json"
    options, tail = list(args), []
    if "--" in options:
        at = options.index("--")
        options, tail = options[:at], options[at:]
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "msgrspec", "test", "--report", str(report), *options, *tail],
                         cwd=tmp_path, capture_output=True, text=True, timeout=timeout, env=env)
    elapsed = time.monotonic() - started
    return run, (json.loads(report.read_text()) if report.exists() else None), elapsed


def outcomes(report: dict) -> dict[str, str]:
    return {key: test["outcome"] for key, test in report["tests"].items()}
