"""The outside tools some tests need (widl, Wine, mingw-w64, ...), and a Wine prefix to run Windows programs in.

A test that needs a tool asks `require(...)`: where the tool is missing it skips, naming the tool and the
Debian package that brings it, except under CI (`CI=true`), whose set-up installs every one of them, so
there a missing tool fails the test instead of hiding it behind a skip.

Wine runs in a prefix of its own under the repository's `build/wine/` (never the user's `~/.wine`), with a
persistent wineserver while the tests run: a warm `wine` start then takes a tenth of a second instead of
seconds. Every command on the prefix shares one environment (the wineserver's socket lives under TMPDIR,
so a second TMPDIR would start a second server on the same prefix).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest

REPO = Path(__file__).resolve().parent.parent
WINE_INCLUDE = Path("/usr/include/wine/wine/windows")

#: tool -> the Debian package that installs it
PACKAGES = {
    "widl": "wine64-tools",
    "wine": "wine64",
    "wineboot": "wine64",
    "wineserver": "wine64",
    "x86_64-w64-mingw32-gcc": "gcc-mingw-w64-x86-64",
    "x86_64-w64-mingw32-windres": "binutils-mingw-w64-x86-64",
    "i686-w64-mingw32-gcc": "gcc-mingw-w64-i686",
    "gcc": "gcc",
    "make": "make",
    "chromium": "chromium",
}
#: pseudo-tools: files that must exist
FILES = {"wine-headers": (WINE_INCLUDE / "oaidl.idl", "libwine-dev")}


def missing(*tools: str) -> list[str]:
    """The named tools (keys of PACKAGES or FILES) that this machine lacks."""
    absent = []
    for tool in tools:
        if tool in FILES:
            if not FILES[tool][0].exists():
                absent.append(tool)
        elif shutil.which(tool) is None:
            absent.append(tool)
    return absent


def _package(tool: str) -> str:
    return FILES[tool][1] if tool in FILES else PACKAGES.get(tool, tool)


def require(*tools: str) -> None:
    """Skip the calling test (fail it under CI) unless every tool is installed."""
    absent = missing(*tools)
    if not absent:
        return
    packages = " ".join(dict.fromkeys(_package(tool) for tool in absent))
    message = f"needs {', '.join(absent)} (Debian: apt-get install {packages})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}: .ci/run installs it, so under CI its absence is a failure", pytrace=False)
    pytest.skip(message)


def mingw_gcc(arch: str = "x86_64") -> str:
    """The mingw-w64 C compiler for `arch` (x86_64 or i686), after `require`-ing it."""
    tool = f"{arch}-w64-mingw32-gcc"
    require(tool)
    return tool


class WinePrefix:
    """A Wine prefix of the tests' own, started once and shared by every test that runs Windows programs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.prefix = root / "prefix"
        tmp = root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env.update(WINEPREFIX=str(self.prefix), WINEARCH="win64", WINEDEBUG="-all", TMPDIR=str(tmp),
                   WINEDLLOVERRIDES="mscoree,mshtml=")
        self.env = env

    def _tool(self, *args: str, timeout: float = 300) -> tuple[int, str]:
        """Run a Wine tool; its output goes through a file, not a pipe.

        wineboot and wineserver leave a wineserver behind that inherits their standard streams: through a
        pipe, waiting for their output would wait for that server to end.
        """
        log = self.root / "tool.log"
        with open(log, "w+", encoding="utf-8", errors="replace") as out:
            code = subprocess.run(list(args), env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=timeout).returncode
            out.seek(0)
            return code, out.read()

    def start(self) -> None:
        """Make the prefix if it is new, let it settle, keep its wineserver running, and warm it up.

        A leftover server of this prefix is ended first (`wineserver -w` would wait for it forever). A local
        COM server cannot be activated in a prefix that has not settled (RpcSs does not start), hence the
        `-w` after `wineboot -i`. The first program in a fresh server starts Wine's services, which inherit
        that program's standard streams: run through a file here, so that no test's pipe is held open by them.
        """
        self._tool("wineserver", "-k", timeout=60)
        if not (self.prefix / "system.reg").exists():
            code, output = self._tool("wineboot", "-i")
            if code != 0:
                raise RuntimeError(f"wineboot -i failed ({code}): {output[-2000:]}")
        self._tool("wineserver", "-w")
        self._tool("wineserver", "-p")
        code, output = self._tool("wine", "cmd", "/c", "exit", "0")
        if code != 0:
            raise RuntimeError(f"wine cannot run a program in {self.prefix} ({code}): {output[-2000:]}")

    def stop(self) -> None:
        """End the prefix's wineserver and every Windows process in it."""
        self._tool("wineserver", "-k", timeout=60)

    def windows_path(self, path: Path) -> str:
        """`path` as Windows programs in the prefix see it (through the Z: drive)."""
        return "Z:" + str(PurePosixPath(Path(path).resolve())).replace("/", "\\")

    def run(self, program: str | Path, *args: str, timeout: float = 120,
            stdin: str | None = None) -> subprocess.CompletedProcess:
        """Run a Windows program (a path or a name Wine finds, such as `cscript`) and wait for it."""
        command = ["wine", str(program), *args]
        return subprocess.run(command, env=self.env, input=stdin, capture_output=True, text=True,
                              timeout=timeout)

    def popen(self, program: str | Path, *args: str, **kwargs) -> subprocess.Popen:
        """Start a Windows program that the caller talks to (for instance over pipes)."""
        return subprocess.Popen(["wine", str(program), *args], env=self.env, **kwargs)


def wine_root() -> Path:
    """Where the tests' Wine prefix lives: `MSGRSPEC_WINE_ROOT`, or build/wine in the repository."""
    return Path(os.environ.get("MSGRSPEC_WINE_ROOT") or REPO / "build" / "wine")
