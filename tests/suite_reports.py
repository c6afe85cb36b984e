"""Conformance reports made for a test by running the suite (`msgrspec test --report`) in subprocesses.

The runs start together and are waited for together. The adapters are the
reference, the broken variants (tests/broken_variants.py) and `seeded`: one
implementation, "my implementation", before and after a fix of one fault.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
#: the installed command, as a user runs it
COMMAND = shutil.which("msgrspec", path=str(Path(sys.executable).parent))

#: "my implementation": the reference with the fault of one broken variant (before) and without it (after);
#: both runs carry the same implementation name, so `msgrspec compare` tells the changes between them
SEEDED = '''\
import types

import attrs
import broken_variants
from msgrspec.reference import ReferenceAdapter


def _mine(adapter):
    def profile(self):
        return attrs.evolve(ReferenceAdapter.profile(self), implementation="my implementation", version="1.0")
    adapter.profile = types.MethodType(profile, adapter)
    return adapter


def before():
    return _mine(broken_variants.{variant}())


def after():
    return _mine(ReferenceAdapter())
'''


def make_reports(folder: Path, adapters: dict[str, str], seeded_variant: str = "wrong_enum_value") -> dict[str, Path]:
    """Run the suite once per adapter (report name -> adapter), together; the report files by name."""
    assert COMMAND, "the msgrspec command is not installed next to this Python"
    (folder / "seeded.py").write_text(SEEDED.format(variant=seeded_variant), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "MSGRSPEC_PROCESS_COMMAND"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), str(folder), os.environ.get("PYTHONPATH")]))
    runs = {name: subprocess.Popen([COMMAND, "test", "--adapter", adapter, "--report", f"{name}.json", "-q"],
                                   cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for name, adapter in adapters.items()}
    reports = {}
    for name, run in runs.items():
        output, _ = run.communicate(timeout=600)
        report = folder / f"{name}.json"
        assert run.returncode in (0, 1) and report.is_file(), f"{name}: exit {run.returncode}\n{output[-3000:]}"
        reports[name] = report
    return reports
