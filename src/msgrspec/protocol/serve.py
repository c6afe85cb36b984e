"""Serve an adapter over the protocol: ``python -m msgrspec.protocol.serve [ADAPTER] [--tcp HOST:PORT]``.

ADAPTER is an installed adapter name or module:attribute (default: reference).
Without --tcp the server speaks on its stdin/stdout, which is what
``msgrspec test --adapter process -- python -m msgrspec.protocol.serve`` starts;
anything the served code prints goes to stderr, so stdout carries only
protocol messages. With --tcp it listens (port 0: any free port), prints
``listening on HOST:PORT`` on stdout, and serves every connection until
interrupted (or, with --once, the first one only).
"""
from __future__ import annotations

import argparse
import os
import sys

from ..adapter import AdapterNotFound, load_adapter
from .client import parse_address
from .server import TcpServer, serve_stream


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m msgrspec.protocol.serve",
                                     description="Serve a msgrspec adapter over the adapter protocol.")
    parser.add_argument("adapter", nargs="?", default="reference",
                        help="an installed adapter name or module:attribute (default: reference)")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on this address instead of using stdin/stdout")
    parser.add_argument("--once", action="store_true", help="with --tcp: serve one connection, then exit")
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
    try:
        host, port = parse_address(options.tcp)
    except AdapterNotFound as exc:
        _log(f"msgrspec serve: {exc}")
        return 2
    with TcpServer((host, port), adapter, validate=validate, log=_log) as server:
        bound_host, bound_port = server.address
        print(f"listening on {bound_host}:{bound_port}", flush=True)
        try:
            if options.once:
                server.handle_request()
            else:
                server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            adapter.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
