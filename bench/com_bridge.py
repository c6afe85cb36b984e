"""Calls per second and per-call latency through msgrspec-com-bridge, against the C implementation over stdio.

    python bench/com_bridge.py [--calls 1000] [--repeat 3] [--build DIR]

Every figure comes from the same run on the same machine: the C session manager
(examples/c-session-manager) over a child's stdin/stdout, then the same objects
as a COM server behind the bridge under Wine: the in-process DLL, then the
local server (every call marshalled across processes by the typelib
marshaller). The workloads are those of bench/protocol_overhead.py (one
IMsgrLock.Status read; a mixed cycle of five operations). Each figure is the
median of --repeat timed runs after a warm-up, and the ratio is to the C
implementation over stdio.

It builds what it needs with make into --build (default build/bench-com), makes
a Wine prefix there, registers the DLL and the EXE, and ends the prefix's
wineserver at the end. Needs gcc, widl, mingw-w64 and Wine.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from protocol_overhead import measure, print_figures

from msgrspec.adapter import Adapter
from msgrspec.protocol import ProcessAdapter
from msgrspec.protocol.com import ComAdapter, windows_path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "c-session-manager"
WINE_INCLUDE = "/usr/include/wine/wine/windows"


def make(*args: str) -> None:
    subprocess.run(["make", "-s", *args, f"MSGRSPEC={sys.executable} -m msgrspec", f"PYTHON={sys.executable}",
                    f"WINE_INCLUDE={WINE_INCLUDE}"], check=True, timeout=1800)


def wine_environment(root: Path) -> dict:
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(WINEPREFIX=str(root / "prefix"), WINEARCH="win64", WINEDEBUG="-all", TMPDIR=str(root / "tmp"),
               WINEDLLOVERRIDES="mscoree,mshtml=")
    return env


def wine(env: dict, *args: str, timeout: float = 300) -> None:
    """A Wine command, its output to a file: Wine's services inherit the streams of the first program."""
    with open(Path(env["TMPDIR"]) / "wine.log", "a") as log:
        subprocess.run(list(args), env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=timeout,
                       check=args[0] != "wineserver")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="operations per timed run (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure; the median is shown")
    parser.add_argument("--build", type=Path, default=REPO / "build" / "bench-com", help="build folder")
    options = parser.parse_args()
    build = options.build.resolve()

    make("-C", str(EXAMPLE), "all", "com", f"BUILD={build}", "CC=gcc")
    make("-C", str(REPO / "bridge"), "x86_64", f"BUILD={build}/bridge")
    bridge = build / "bridge" / "x86_64" / "msgrspec-com-bridge.exe"
    dll, exe = build / "win64" / "msgrsc.dll", build / "win64" / "msgrsc-server.exe"
    env = wine_environment(build / "wine")
    wine(env, "wineserver", "-k")
    if not (build / "wine" / "prefix" / "system.reg").exists():
        wine(env, "wineboot", "-i")
    wine(env, "wineserver", "-w")
    wine(env, "wineserver", "-p")
    profile = str(EXAMPLE / "com-profile.txt")

    def bridged(context: str) -> Adapter:
        return ComAdapter(bridge, arguments=["--profile", profile, "--context", context], env=env)

    # the DLL and the EXE name the same CLSIDs: one registered at a time
    registrations = {
        "inproc": (("wine", "regsvr32", "/s", windows_path(dll)), ("wine", "regsvr32", "/s", "/u", windows_path(dll))),
        "local": (("wine", windows_path(exe), "/RegServer"), ("wine", windows_path(exe), "/UnregServer")),
    }
    transports = [("C over stdio", None, lambda: ProcessAdapter([str(build / "c-session-manager")])),
                  ("bridge, in-process DLL", "inproc", lambda: bridged("inproc")),
                  ("bridge, local server", "local", lambda: bridged("local"))]
    results: dict[str, dict] = {}
    try:
        for name, context, make_adapter in transports:
            if context:
                wine(env, *registrations[context][0])
            adapter = make_adapter()
            try:
                results[name] = measure(adapter, options.calls, options.repeat)
            finally:
                adapter.close()
                if context:
                    wine(env, *registrations[context][1])
    finally:
        wine(env, "wineserver", "-k")

    print_figures(results, "C over stdio", options)

if __name__ == "__main__":
    main()
