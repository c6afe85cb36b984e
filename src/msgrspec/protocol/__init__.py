"""The adapter protocol: the adapter contract as JSON lines, for implementations outside this process.

- `codec`: values and messages on the wire, framing, checks against
  msgrspec/schema/protocol.schema.json;
- `server`: serves any Adapter over a stream or TCP (`serve_stream`, `TcpServer`);
- `client`: `ProcessAdapter` (a child process on stdin/stdout) and `TcpAdapter`,
  with per-call timeouts and restarts after a fault;
- `serve`: ``python -m msgrspec.protocol.serve [ADAPTER] [--tcp HOST:PORT]``.

docs/protocol.md describes the protocol.
"""
from .client import (
    ENV_ADDRESS, ENV_CALL_TIMEOUT, ENV_COMMAND, ImplementationFault, ProcessAdapter, RemoteAdapter, RemoteError,
    TcpAdapter,
)
from .codec import PROTOCOL_NAME, PROTOCOL_VERSION, PROTOCOL_VERSIONS, MessageError
from .server import Session, TcpServer, serve_stream

__all__ = ["ENV_ADDRESS", "ENV_CALL_TIMEOUT", "ENV_COMMAND", "PROTOCOL_NAME", "PROTOCOL_VERSION", "PROTOCOL_VERSIONS",
           "ImplementationFault", "MessageError", "ProcessAdapter", "RemoteAdapter", "RemoteError", "Session",
           "TcpAdapter", "TcpServer", "serve_stream"]
