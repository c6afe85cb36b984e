"""A protocol server that hands its standard streams to a process that was running before it, as a Windows
program under Wine hands them to the wineserver: the reference behind the protocol, after sending its stdin,
stdout and stderr over the Unix socket SOCKET (SCM_RIGHTS) to the keeper listening there.

    python tests/protocol_fd_passing_server.py SOCKET
"""
from __future__ import annotations

import socket
import sys

from msgrspec.protocol.serve import main

if __name__ == "__main__":
    with socket.socket(socket.AF_UNIX) as keeper:
        keeper.connect(sys.argv[1])
        socket.send_fds(keeper, [b"fds"], [0, 1, 2])
        keeper.recv(1)  # the keeper holds them now
    sys.exit(main([]))
