"""The `com` adapter: the suite through real COM, by way of msgrspec-com-bridge.

The bridge (bridge/ in the repository, a Windows console program) speaks the protocol on its standard
streams and drives whatever COM server is registered for the spec's library. This adapter is the
process adapter with the bridge as its command: the per-call timeouts, the handling of crashes and
hangs and the restarts are the process adapter's own. On Windows the bridge runs as it is; elsewhere
it runs under Wine, in the prefix given (`--wine-prefix`, or MSGRSPEC_WINE_PREFIX, or Wine's default).
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from ..adapter import AdapterNotFound
from .client import ProcessAdapter

ENV_BRIDGE = "MSGRSPEC_BRIDGE"
ENV_BRIDGE_ARGS = "MSGRSPEC_BRIDGE_ARGS"
ENV_WINE_PREFIX = "MSGRSPEC_WINE_PREFIX"
BRIDGE_NAME = "msgrspec-com-bridge.exe"
#: what Wine is told unless the environment says otherwise: no debug channels, no Mono/Gecko prompts
WINE_DEFAULTS = {"WINEDEBUG": "-all", "WINEDLLOVERRIDES": "mscoree,mshtml="}


def windows_path(path: str | Path) -> str:
    """An absolute POSIX path as a program under Wine sees it (the Z: drive maps the root)."""
    return "Z:" + str(PurePosixPath(Path(path).resolve())).replace("/", "\\")


def _split(arguments: Sequence[str] | str | None) -> list[str]:
    if arguments is None:
        return []
    if not isinstance(arguments, str):
        return list(arguments)
    text = arguments.strip()
    if text.startswith("["):
        try:
            found = json.loads(text)
        except ValueError as exc:
            raise AdapterNotFound(f"{ENV_BRIDGE_ARGS}={text!r} is not a JSON array: {exc}") from None
        if not isinstance(found, list) or not all(isinstance(a, str) for a in found):
            raise AdapterNotFound(f"{ENV_BRIDGE_ARGS}={text!r} is not an array of strings")
        return found
    return shlex.split(text)


def bridge_command(bridge: str | Path, arguments: Sequence[str] = (), *, under_wine: bool) -> list[str]:
    """The command line that runs the bridge; under Wine, arguments naming existing files become Z: paths."""
    if not under_wine:
        return [str(bridge), *arguments]
    converted = [windows_path(a) if a.startswith("/") and Path(a).exists() else a for a in arguments]
    return ["wine", str(bridge), *converted]


class ComAdapter(ProcessAdapter):
    """A registered COM implementation, reached through the bridge.

    bridge: the bridge program (None: MSGRSPEC_BRIDGE, then `msgrspec-com-bridge.exe` on PATH);
    arguments: the bridge's own options, such as ``["--profile", FILE]`` (None: MSGRSPEC_BRIDGE_ARGS, a
    JSON array or a shell-split line); wine_prefix: the Wine prefix where the implementation is
    registered (None: MSGRSPEC_WINE_PREFIX, else Wine's default); under_wine: None runs it under Wine
    everywhere but on Windows. env: the environment of the bridge (default: this process's).
    """

    name = "com"

    def __init__(self, bridge: str | Path | None = None, *, arguments: Sequence[str] | str | None = None,
                 wine_prefix: str | Path | None = None, under_wine: bool | None = None, env: dict | None = None,
                 **options: Any):
        bridge = bridge or os.environ.get(ENV_BRIDGE) or shutil.which(BRIDGE_NAME)
        if not bridge:
            raise AdapterNotFound("the com adapter needs the bridge program: msgrspec test --adapter com "
                                  f"--bridge PATH (or set {ENV_BRIDGE}); bridge/ in the repository builds it "
                                  "(make -C bridge)")
        if not Path(bridge).is_file():
            raise AdapterNotFound(f"the bridge {bridge} does not exist: build it with make -C bridge")
        if arguments is None:
            arguments = os.environ.get(ENV_BRIDGE_ARGS)
        self.under_wine = os.name != "nt" if under_wine is None else under_wine
        environment = dict(os.environ if env is None else env)
        if self.under_wine:
            if shutil.which("wine", path=environment.get("PATH")) is None:
                raise AdapterNotFound("the com adapter runs the bridge under Wine here, and wine is not installed "
                                      "(Debian: apt-get install wine64)")
            prefix = wine_prefix or os.environ.get(ENV_WINE_PREFIX)
            if prefix:
                environment["WINEPREFIX"] = str(Path(prefix).resolve())
            for key, value in WINE_DEFAULTS.items():
                environment.setdefault(key, value)
        self.bridge = Path(bridge)
        super().__init__(bridge_command(self.bridge, _split(arguments), under_wine=self.under_wine),
                         env=environment, **options)

    def describe(self) -> str:
        where = f" under Wine ({self.env.get('WINEPREFIX', 'the default prefix')})" if self.under_wine else ""
        return f"the COM bridge {self.bridge}{where}"
