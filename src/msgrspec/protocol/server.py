"""Serving any Adapter over the protocol: the loop behind stdio and TCP servers.

`Session` holds what one connection knows (the handshake, its open worlds)
and turns one request into one response; `serve_stream` runs it over a pair
of binary streams until the client says shutdown or goes away; `TcpServer`
accepts connections, each its own session over one shared adapter.
"""
from __future__ import annotations

import itertools
import queue
import socket
import socketserver
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

from .. import __version__
from ..adapter import Adapter, ObjRef, Party, World
from . import codec
from .codec import MessageError


class RequestFailed(Exception):
    """A request the server answers with an error response."""

    def __init__(self, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


#: worlds one connection may hold open at once
MAX_WORLDS = 64


class Session:
    """One connection's state: handshake, worlds; `handle` answers one request."""

    def __init__(self, adapter: Adapter, *, validate: bool = True, log: Callable[[str], None] | None = None,
                 max_worlds: int = MAX_WORLDS):
        self.adapter = adapter
        self.validate = validate
        self.max_worlds = max_worlds
        self.version: int | None = None
        self.worlds: dict[str, World] = {}
        self.finished = False
        self._ids = itertools.count(1)
        self._log = log or (lambda text: None)

    # -- one line in, one line out ------------------------------------------------------------------

    def handle_line(self, line: bytes) -> bytes:
        try:
            message = codec.parse(line)
        except codec.OverLimit as exc:
            return codec.dump(_error(None, "bad-message", str(exc)))
        except MessageError as exc:
            return codec.dump(_error(None, "bad-json", str(exc)))
        return codec.dump(self.handle(message))

    def handle(self, message: dict) -> dict:
        raw_id = message.get("id")
        request_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) and raw_id >= 0 else None
        try:
            if self.validate:
                try:
                    codec.check_request(message)
                except MessageError as exc:
                    raise RequestFailed("bad-message", str(exc)) from None
            elif not isinstance(message.get("op"), str) or message["op"] not in codec.OPERATIONS:
                raise RequestFailed("bad-message", f"unknown operation {message.get('op')!r}")
            op = message["op"]
            if op != "hello" and self.version is None:
                raise RequestFailed("no-handshake", f"{op} before hello: the first message must be a hello")
            result = getattr(self, f"op_{op}")(message)
        except RequestFailed as failed:
            return _error(request_id, failed.code, failed.message, **failed.extra)
        except Exception as exc:  # noqa: BLE001 - the served adapter broke its contract
            self._log(f"{message.get('op')} raised inside the adapter:\n{traceback.format_exc()}")
            return _error(request_id, "adapter-fault", f"the served adapter raised {type(exc).__name__}: {exc}")
        return {"id": request_id, "result": result}

    # -- connection-level operations ----------------------------------------------------------------

    def op_hello(self, message: dict) -> dict:
        self.finished = True  # until a version is agreed: a failed handshake ends the conversation
        if message.get("protocol") != codec.PROTOCOL_NAME:
            raise RequestFailed("version-mismatch", f"this server speaks {codec.PROTOCOL_NAME!r}, not "
                                f"{message.get('protocol')!r}", versions=list(codec.PROTOCOL_VERSIONS))
        common = set(message.get("versions", ())) & set(codec.PROTOCOL_VERSIONS)
        if not common:
            raise RequestFailed("version-mismatch", f"no common protocol version: the client speaks "
                                f"{sorted(message.get('versions', ()))}, this server "
                                f"{list(codec.PROTOCOL_VERSIONS)}", versions=list(codec.PROTOCOL_VERSIONS))
        self.version = max(common)
        self.finished = False
        return {"protocol": codec.PROTOCOL_NAME, "version": self.version,
                "implementation": self._profile().implementation,
                "server": f"msgrspec {__version__} ({self.adapter.name})"}

    def _profile(self):
        return self.adapter.profile()

    def op_profile(self, message: dict) -> dict:
        profile = self._profile()
        return {"implementation": profile.implementation, "product": profile.product,
                "features": sorted(profile.features), "lock_id": profile.lock_id, "lock_key": profile.lock_key}

    def op_open_world(self, message: dict) -> dict:
        if len(self.worlds) >= self.max_worlds:
            raise RequestFailed("bad-message", f"this connection already holds {len(self.worlds)} open worlds, "
                                f"the most it may; close one (close_world) before opening another")
        world = self.adapter.open_world()
        world_id = f"w{next(self._ids)}"
        self.worlds[world_id] = world
        peer = world.peer
        return {"world": world_id, "parties": {"local": {"signin": world.local.signin},
                                               "peer": {"signin": peer.signin} if peer is not None else None}}

    def op_close_world(self, message: dict) -> dict:
        world = self.worlds.pop(message["world"], None)
        if world is None:
            raise RequestFailed("unknown-world", f"no open world {message['world']!r}")
        world.close()
        return {}

    def op_shutdown(self, message: dict) -> dict:
        self.finished = True
        return {}

    def close(self) -> None:
        """Close every world still open (the client went away)."""
        for world in list(self.worlds.values()):
            try:
                world.close()
            except Exception:  # noqa: BLE001
                self._log(f"closing a world raised:\n{traceback.format_exc()}")
        self.worlds.clear()

    # -- party operations -----------------------------------------------------------------------------

    def _party(self, message: dict) -> Party:
        world = self.worlds.get(message["world"])
        if world is None:
            raise RequestFailed("unknown-world", f"no open world {message['world']!r}")
        if message["party"] == "local":
            return world.local
        peer = world.peer
        if peer is None:
            raise RequestFailed("no-peer", "this world has no peer party (the profile lacks the 'peer' feature)")
        return peer

    @staticmethod
    def _ref(data: Any) -> ObjRef:
        return ObjRef(data["object"], data["interface"])

    def op_create(self, m: dict) -> dict:
        return codec.encode_outcome(self._party(m).create(m["coclass"]))

    def op_query_interface(self, m: dict) -> dict:
        return codec.encode_outcome(self._party(m).query_interface(self._ref(m["object"]), m["interface"]))

    def op_call(self, m: dict) -> dict:
        args = tuple(codec.decode_value(a) for a in m["args"])
        return codec.encode_outcome(self._party(m).call(self._ref(m["object"]), m["method"], args))

    def op_get(self, m: dict) -> dict:
        return codec.encode_outcome(self._party(m).get(self._ref(m["object"]), m["property"],
                                                       codec.decode_value(m.get("index"))))

    def op_put(self, m: dict) -> dict:
        return codec.encode_outcome(self._party(m).put(self._ref(m["object"]), m["property"],
                                                       codec.decode_value(m["value"]),
                                                       codec.decode_value(m.get("index"))))

    def op_connect(self, m: dict) -> dict:
        return codec.encode_outcome(self._party(m).connect(self._ref(m["object"]), m["dispinterface"]))

    def op_disconnect(self, m: dict) -> dict:
        return codec.encode_outcome(self._party(m).disconnect(self._ref(m["object"]), m["cookie"]))

    def op_events(self, m: dict) -> dict:
        found = self._party(m).events()
        if not isinstance(found, list):
            raise codec.EncodeError(f"the adapter's events() gave {type(found).__name__}, not a list")
        return {"events": [codec.encode_event(e) for e in found]}

    def op_contact(self, m: dict) -> dict:
        return codec.encode_outcome(self._party(m).contact(m["signin"]))

    def op_type_info(self, m: dict) -> dict:
        return codec.encode_outcome(self._party(m).type_info(m["name"]))

    def op_launch(self, m: dict) -> dict:
        return codec.encode_outcome(self._party(m).launch(self._ref(m["invitation"])))

    def op_output(self, m: dict) -> dict:
        text = self._party(m).output()
        return {"text": text if isinstance(text, str) else repr(text)}


def _error(request_id: int | None, code: str, message: str, **extra: Any) -> dict:
    return {"id": request_id, "error": {"code": code, "message": message, **extra}}


def serve_stream(adapter: Adapter, rfile: BinaryIO, wfile: BinaryIO, *, validate: bool = True,
                 log: Callable[[str], None] | None = None, max_worlds: int = MAX_WORLDS) -> None:
    """Answer requests read from rfile on wfile until shutdown, end of input, a failed version handshake
    or (on a socket with a timeout) silence for longer than the timeout."""
    session = Session(adapter, validate=validate, log=log, max_worlds=max_worlds)
    try:
        while not session.finished:
            try:
                line = codec.read_line(rfile)
            except codec.OverLimit as exc:
                answer = codec.dump(_error(None, "bad-message", str(exc)))
            else:
                if not line:
                    break
                if not line.strip():
                    continue
                answer = session.handle_line(line)
            wfile.write(answer)
            wfile.flush()
    except TimeoutError:
        session._log("closed a connection that stayed silent for longer than its idle timeout")
    except (BrokenPipeError, ConnectionError):
        pass
    finally:
        session.close()


#: connections a TCP server serves at once; more wait, accepted, until one ends
MAX_CONNECTIONS = 32
#: seconds a TCP connection may stay silent before the server closes it
IDLE_TIMEOUT = 600.0


class TcpServer(socketserver.TCPServer):
    """Serves one adapter to every client that connects; each connection is its own session.

    A fixed pool of `max_connections` worker threads serves the connections; a connection that
    says nothing for `idle_timeout` seconds is closed. The protocol has no authentication:
    listen on a loopback address only (docs/protocol.md).
    """

    allow_reuse_address = True
    request_queue_size = socket.SOMAXCONN

    def __init__(self, address: tuple[str, int], adapter: Adapter, *, validate: bool = True,
                 log: Callable[[str], None] | None = None, max_connections: int = MAX_CONNECTIONS,
                 idle_timeout: float = IDLE_TIMEOUT, max_worlds: int = MAX_WORLDS):
        if max_connections < 1 or not idle_timeout > 0 or max_worlds < 1:
            raise ValueError("max_connections, idle_timeout and max_worlds must be positive")
        self.adapter = adapter
        self.validate = validate
        self.log = log or (lambda text: sys.stderr.write(text.rstrip("\n") + "\n"))
        self.idle_timeout, self.max_worlds = idle_timeout, max_worlds
        self.connections = 0
        self._count = threading.Lock()
        self._waiting: queue.SimpleQueue = queue.SimpleQueue()
        self._workers = [threading.Thread(target=self._work, daemon=True, name=f"msgrspec-tcp-{n}")
                         for n in range(max_connections)]
        host, port = address
        # the family that the host resolves to (socketserver assumes IPv4); OSError if it resolves to none
        self.address_family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        super().__init__(address, _TcpHandler)
        for worker in self._workers:
            worker.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server_address[:2]
        return str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        self._waiting.put((request, client_address))

    def serve_one(self) -> None:
        """Accept one connection and serve it in this thread, to its end."""
        request, client_address = self.get_request()
        self._serve(request, client_address)

    def _work(self) -> None:
        while (item := self._waiting.get()) is not None:
            self._serve(*item)

    def _serve(self, request: Any, client_address: Any) -> None:
        with self._count:
            self.connections += 1
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - one broken connection never stops the server
            self.log(f"the connection from {client_address} failed:\n{traceback.format_exc()}")
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        for _ in self._workers:
            self._waiting.put(None)


class _TcpHandler(socketserver.StreamRequestHandler):
    server: TcpServer

    def setup(self) -> None:
        self.timeout = self.server.idle_timeout
        super().setup()

    def handle(self) -> None:
        serve_stream(self.server.adapter, self.rfile, self.wfile, validate=self.server.validate,
                     log=self.server.log, max_worlds=self.server.max_worlds)
