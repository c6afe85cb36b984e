"""Building msgrspec-com-bridge (bridge/) for the tests that use it, once per run."""
from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

from toolchain import REPO, WINE_INCLUDE, mingw_gcc, require

BRIDGE_SOURCE = REPO / "bridge"
BUILD = REPO / "build" / "bridge"


def build_bridge(arch: str, folder: Path = BUILD) -> Path:
    """The bridge for `arch` (x86_64 or i686), built with make in `folder` (after `require`-ing its tools).

    Parallel test workers share the folder, one at a time (make is incremental)."""
    mingw_gcc(arch)
    require("widl", "make", "wine-headers")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run = subprocess.run(["make", "-C", str(BRIDGE_SOURCE), arch, f"BUILD={folder}",
                              f"MSGRSPEC={sys.executable} -m msgrspec", f"WINE_INCLUDE={WINE_INCLUDE}"],
                             capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return folder / arch / "msgrspec-com-bridge.exe"


EXAMPLE = REPO / "examples" / "c-session-manager"
EXAMPLE_BUILD = REPO / "build" / "c-session-manager-com"


def make_example(*targets: str, folder: Path = EXAMPLE_BUILD, timeout: float = 1800,
                 **variables: str) -> subprocess.CompletedProcess:
    """`make -C examples/c-session-manager TARGETS` with its build in `folder` (one make at a time)."""
    require("widl", "make", "wine-headers", "gcc", "x86_64-w64-mingw32-windres")
    mingw_gcc("x86_64")
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"BUILD": str(folder), "MSGRSPEC": f"{sys.executable} -m msgrspec", "PYTHON": sys.executable,
                "WINE_INCLUDE": str(WINE_INCLUDE), "CC": "gcc", **variables}
    with open(folder.parent / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return subprocess.run(["make", "-C", str(EXAMPLE), *targets, *(f"{k}={v}" for k, v in settings.items())],
                              capture_output=True, text=True, timeout=timeout)


def com_server(folder: Path = EXAMPLE_BUILD) -> tuple[Path, Path]:
    """The example's COM server, built: (the in-process DLL, the local server EXE)."""
    run = make_example("com", folder=folder)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return folder / "win64" / "msgrsc.dll", folder / "win64" / "msgrsc-server.exe"
