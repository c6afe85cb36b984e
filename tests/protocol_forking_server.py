"""A protocol server that leaves processes behind: the reference behind the protocol, after starting
two sleeping processes, a child in its own process group and a grandchild that calls setsid().

    python tests/protocol_forking_server.py PIDFILE

Each sleeper appends its pid to PIDFILE. A grandchild that called setsid() is in neither the server's
process group nor its session, so killing the group alone leaves it running.
"""
from __future__ import annotations

import os
import sys
import time

from msgrspec.protocol.serve import main


def sleeper(pidfile: str, *, own_session: bool) -> None:
    if os.fork():
        return
    if own_session:
        if os.fork():  # the grandchild: its parent (the child) exits, it calls setsid()
            os._exit(0)
        os.setsid()
    with open(pidfile, "a") as out:
        out.write(f"{os.getpid()}\n")
    time.sleep(600)
    os._exit(0)


if __name__ == "__main__":
    sleeper(sys.argv[1], own_session=False)
    sleeper(sys.argv[1], own_session=True)
    sys.exit(main([]))
