"""Serve an adapter over the protocol: ``python -m msgrspec.protocol.serve [ADAPTER] [--tcp [HOST:]PORT]``.

ADAPTER is an installed adapter name or module:attribute (default: reference).
Without --tcp the server speaks on its stdin/stdout, which is what
``msgrspec test --adapter process -- python -m msgrspec.protocol.serve`` starts;
anything the served code prints goes to stderr, so stdout carries only
protocol messages. With --tcp it listens (on 127.0.0.1 unless a host is
given; port 0: any free port), prints ``listening on HOST:PORT`` on stdout,
and serves every connection until interrupted (or, with --once, the first one
only). The protocol has no authentication, so a host that is not a loopback
address gets a warning.
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import sys

from ..adapter import AdapterNotFound, load_adapter
from .client import format_address, parse_address
from .server import IDLE_TIMEOUT, TcpServer, serve_stream


def _log(text: str) -> None:
    sys.stderr.write(text.rstrip("\n") + "\n")
    sys.stderr.flush()


def serve_stdio(adapter, *, validate: bool = True) -> None:
    """Speak on the real stdout; whatever else writes to fd 1 lands on stderr instead."""
    protocol_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        serve_stream(adapter, sys.stdin.buffer, protocol_out, validate=validate, log=_log)
    finally:
        try:
            adapter.close()
        finally:
            protocol_out.close()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m msgrspec.protocol.serve",
                                     description="Serve a msgrspec adapter over the adapter protocol.")
    parser.add_argument("adapter", nargs="?", default="reference",
                        help="an installed adapter name or module:attribute (default: reference)")
    parser.add_argument("--tcp", metavar="[HOST:]PORT",
                        help="listen on this address (host 127.0.0.1 unless given) instead of using stdin/stdout")
    parser.add_argument("--once", action="store_true", help="with --tcp: serve one connection, then exit")
    parser.add_argument("--idle-timeout", type=float, default=IDLE_TIMEOUT, metavar="SECONDS",
                        help=f"with --tcp: close a connection silent for this long (default {IDLE_TIMEOUT:g})")
    parser.add_argument("--no-validate", action="store_true",
                        help="do not check incoming requests against the protocol schema")
    options = parser.parse_args(argv)
    try:
        adapter = load_adapter(options.adapter)
    except AdapterNotFound as exc:
        _log(f"msgrspec serve: {exc}")
        return 2
    validate = not options.no_validate
    if options.tcp is None:
        serve_stdio(adapter, validate=validate)
        return 0
    if not options.idle_timeout > 0 or options.idle_timeout == float("inf"):
        _log(f"msgrspec serve: --idle-timeout must be a positive number of seconds, not {options.idle_timeout:g}")
        return 2
    try:
        host, port = parse_address(options.tcp if ":" in options.tcp else f"127.0.0.1:{options.tcp}")
    except AdapterNotFound as exc:
        _log(f"msgrspec serve: {exc}")
        return 2
    try:
        server = TcpServer((host, port), adapter, validate=validate, log=_log, idle_timeout=options.idle_timeout)
    except OSError as exc:
        _log(f"msgrspec serve: cannot listen on {format_address(host, port)}: {exc.strerror or exc}")
        return 2
    with server:
        if not _is_loopback(server.address[0]):
            _log(f"msgrspec serve: warning: {format_address(*server.address)} is not a loopback address; the "
                 f"protocol has no authentication, so anyone who can reach it can drive {adapter.name}")
        print(f"listening on {format_address(*server.address)}", flush=True)
        try:
            if options.once:
                server.serve_one()
            else:
                server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            adapter.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
