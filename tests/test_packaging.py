"""The wheel carries the spec and the schemas, so an installed msgrspec works outside the repository."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from toolchain import require_module

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_spec_and_schemas(tmp_path):
    require_module("hatchling")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w",
                          str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    wheel = next(tmp_path.glob("msgrspec-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(ROOT / "spec").as_posix() for p in (ROOT / "spec").rglob("*.yaml")}
    assert shipped and {f"msgrspec/spec/{n}" for n in shipped} <= names
    assert {"msgrspec/schema/spec.schema.json", "msgrspec/schema/export.schema.json",
            "msgrspec/schema/report.schema.json"} <= names
