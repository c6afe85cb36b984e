"""A protocol server that misbehaves once, on purpose: the reference implementation behind the protocol,
with one fault injected at the Nth request.

    python tests/protocol_fault_server.py MODE N MARKER

MODE is crash (killed by SIGSEGV), hang (never answers), garbage (answers with a line that is not JSON),
exit (exits with status 0 instead of answering), bad-version (answers the hello with version 99) or
dead (exits before reading anything, every time). The fault happens at request N of the first process
only: MARKER is created when it fires, and a restarted server behaves. tests/test_protocol_faults.py
runs the suite against each mode.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from msgrspec.protocol.server import Session
from msgrspec.reference import ReferenceAdapter


def main() -> None:
    mode, trigger, marker = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    if mode == "dead":
        sys.stderr.write("fault server: refusing to start\n")
        sys.exit(7)
    armed = not marker.exists()
    session = Session(ReferenceAdapter())
    out = sys.stdout.buffer
    count = 0
    for line in sys.stdin.buffer:
        count += 1
        if armed and count == trigger:
            marker.write_text(mode)
            sys.stderr.write(f"fault server: {mode} at request {count}\n")
            sys.stderr.flush()
            if mode == "crash":
                os.kill(os.getpid(), signal.SIGSEGV)
            if mode == "hang":
                time.sleep(3600)
            if mode == "exit":
                sys.exit(0)
            if mode == "garbage":
                out.write(b"%%% this is not JSON %%%\n")
                out.flush()
                continue
        answer = session.handle_line(line)
        if mode == "bad-version" and count == 1:
            answer = answer.replace(b'"version":1', b'"version":99')
        out.write(answer)
        out.flush()
        if session.finished:
            break


if __name__ == "__main__":
    main()
