"""The client side: an Adapter that drives an implementation through the protocol.

`ProcessAdapter` starts the implementation as a child process and speaks over
its stdin/stdout; `TcpAdapter` connects to one listening on a TCP port. Both
enforce a per-call timeout and turn every fault of the implementation (a
crash, a hang, a malformed message, an early exit) into an
`ImplementationFault` raised from the operation that met it. The guard of the
conformance suite turns that into a failed test with its message; the
connection is dropped (the process killed) and the next world starts afresh.
"""
from __future__ import annotations

import collections
import json
import os
import select
import shlex
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..adapter import Adapter, AdapterNotFound, EventRecord, ObjRef, Outcome, Party, Profile, World
from . import codec, processes
from .codec import MessageError

ENV_COMMAND = "MSGRSPEC_PROCESS_COMMAND"
ENV_ADDRESS = "MSGRSPEC_TCP_ADDRESS"
ENV_CALL_TIMEOUT = "MSGRSPEC_CALL_TIMEOUT"
DEFAULT_CALL_TIMEOUT = 10.0
#: consecutive failed starts after which the adapter stops trying for the rest of the run
MAX_FAILED_STARTS = 3
STDERR_TAIL = 20


class ImplementationFault(RuntimeError):
    """The implementation crashed, hung, broke the protocol or went away."""


class RemoteError(RuntimeError):
    """The server answered a request with an error response (a protocol-level refusal, not an HRESULT)."""

    def __init__(self, op: str, code: str, message: str):
        super().__init__(f"the implementation refused {op} ({code}): {message}")
        self.op, self.code = op, code


class _Closed(Exception):
    pass


class ChannelTimeout(Exception):
    pass


# -- channels: a line stream to the implementation -------------------------------------------------


class Channel:
    """Lines to and from an implementation. Receiving waits with select() in the calling thread, so a
    timeout (or the suite's alarm) interrupts it, and no thread hand-off sits in the round trip."""

    description = "the implementation"

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._scanned = 0  # how much of the buffer is known to hold no line feed
        self._eof = False

    def _read_some(self, timeout: float) -> bytes | None:
        """Some bytes; b"" at end of stream; None if nothing came within timeout."""
        raise NotImplementedError

    def _wait_readable(self, fd: int, timeout: float) -> bool:
        readable, _, _ = select.select([fd], [], [], timeout)
        return bool(readable)

    def send(self, data: bytes, timeout: float) -> None:
        """Write data; ChannelTimeout if the implementation does not take it within timeout seconds."""
        raise NotImplementedError

    def receive(self, timeout: float) -> bytes | None:
        """The next line; None at end of stream; ChannelTimeout after timeout seconds; codec.OverLimit
        once more than codec.MAX_LINE bytes arrived without a line feed (the stream is then out of step)."""
        deadline = time.monotonic() + timeout
        while True:
            end = self._buffer.find(b"\n", self._scanned)
            if end >= 0 or (self._eof and self._buffer):
                end = end + 1 if end >= 0 else len(self._buffer)
                line = bytes(self._buffer[:end])
                del self._buffer[:end]
                self._scanned = 0
                if len(line.rstrip(b"\n")) > codec.MAX_LINE:
                    raise codec.OverLimit(f"a line of {len(line)} bytes is longer than the limit ({codec.MAX_LINE})")
                return line
            self._scanned = len(self._buffer)
            if len(self._buffer) > codec.MAX_LINE:
                raise codec.OverLimit(f"more than {codec.MAX_LINE} bytes without a line feed: a line longer "
                                      f"than the limit")
            if self._eof:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChannelTimeout()
            chunk = self._read_some(remaining)
            if chunk == b"":
                self._eof = True
            elif chunk:
                self._buffer += chunk

    def ended(self) -> str | None:
        """Why the implementation is gone (exit status), if it is known to be gone."""
        return None

    def stderr_tail(self) -> list[str]:
        return []

    def take_output(self) -> str:
        return ""

    def close(self, grace: float = 0.0) -> None:
        raise NotImplementedError


def _signal_name(status: int) -> str:
    try:
        return f" ({signal.Signals(-status).name})"
    except ValueError:
        return ""


class ProcessChannel(Channel):
    def __init__(self, command: Sequence[str], *, cwd: str | None = None, env: dict | None = None):
        self.command = list(command)
        self.description = f"the implementation ({shlex.join(self.command)})"
        try:
            self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, cwd=cwd, env=env, start_new_session=True)
        except OSError as exc:
            raise ImplementationFault(f"{self.description} could not be started: {exc}") from None
        self._tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL)
        self._pending: list[str] = []
        self._pending_size = 0
        self._err_lock = threading.Lock()
        self._err_thread = threading.Thread(target=self._drain, daemon=True, name="msgrspec-stderr")
        self._err_thread.start()
        super().__init__()
        self._out = self.process.stdout.fileno()
        self._in = self.process.stdin.fileno()
        self._pipes = processes.pipe_names(self._in, self._out, self.process.stderr.fileno())
        self._began = processes.start_time(self.process.pid)
        os.set_blocking(self._in, False)  # a server that stops reading cannot block the suite

    def _read_some(self, timeout: float) -> bytes | None:
        if not self._wait_readable(self._out, timeout):
            return None
        try:
            return os.read(self._out, 65536)
        except OSError:
            return b""

    def send(self, data: bytes, timeout: float) -> None:
        fd = self._in
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        try:
            while view:
                _, writable, _ = select.select([], [fd], [], max(deadline - time.monotonic(), 0.0))
                if not writable:
                    raise ChannelTimeout()
                written = os.write(fd, view[:65536])
                view = view[written:]
        except OSError as exc:
            raise _Closed(f"writing to it failed ({type(exc).__name__}: {exc})") from None

    def _drain(self) -> None:
        stream = self.process.stderr
        try:
            for raw in iter(lambda: stream.readline(65536), b""):
                text = raw.decode("utf-8", "replace").rstrip("\n")
                with self._err_lock:
                    self._tail.append(text)
                    if self._pending_size < 1_000_000:
                        self._pending.append(text + "\n")
                        self._pending_size += len(text) + 1
        except (OSError, ValueError):
            pass

    def ended(self) -> str | None:
        status = self.process.poll()
        if status is None:
            return None
        return f"exited with status {status}{_signal_name(status)}" if status >= 0 else \
            f"was killed by signal {-status}{_signal_name(status)}"

    def wait_ended(self, timeout: float) -> str | None:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._err_thread.join(timeout=1.0)  # let the last stderr lines arrive
        return self.ended()

    def stderr_tail(self) -> list[str]:
        with self._err_lock:
            return list(self._tail)

    def take_output(self) -> str:
        with self._err_lock:
            text, self._pending, self._pending_size = "".join(self._pending), [], 0
        return text

    def close(self, grace: float = 0.0) -> None:
        """End the server (after grace seconds to exit by itself) and everything it started
        (`processes` says how they are found)."""
        started = processes.started_by(self.process.pid, self._pipes, self._began) \
            if self.process.poll() is None else {}
        try:
            self.process.stdin.close()
        except OSError:
            pass
        if grace:
            self.wait_ended(grace)
        running = self.process.poll() is None
        processes.kill_all(self.process.pid if running else None, self._pipes, started, self._began)
        if running:
            if self.process.poll() is None:
                self.process.kill()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._err_thread.join(timeout=1.0)


class TcpChannel(Channel):
    def __init__(self, host: str, port: int, *, connect_timeout: float = 10.0):
        self.description = f"the implementation at {host}:{port}"
        try:
            self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        except OSError as exc:
            raise ImplementationFault(f"cannot connect to {host}:{port}: {exc}") from None
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__()

    def _read_some(self, timeout: float) -> bytes | None:
        if not self._wait_readable(self.sock.fileno(), timeout):
            return None
        try:
            return self.sock.recv(65536)
        except OSError:
            return b""

    def send(self, data: bytes, timeout: float) -> None:
        try:
            self.sock.settimeout(timeout)
            self.sock.sendall(data)
        except socket.timeout:
            raise ChannelTimeout() from None
        except OSError as exc:
            raise _Closed(f"writing to it failed ({type(exc).__name__}: {exc})") from None
        finally:
            self.sock.settimeout(None)

    def close(self, grace: float = 0.0) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


# -- one connection: handshake and request/response -------------------------------------------------

class Connection:
    """A live, handshaken channel; any fault breaks it for good (`broken` says why)."""

    def __init__(self, channel: Channel, *, call_timeout: float, validate: bool = True):
        self.channel = channel
        self.call_timeout = call_timeout
        self.validate = validate
        self.broken: str | None = None
        self.hello: dict = {}
        self._ids = 0

    def handshake(self, timeout: float) -> dict:
        self.hello = self.request("hello", timeout=timeout, protocol=codec.PROTOCOL_NAME,
                                  versions=list(codec.PROTOCOL_VERSIONS), client=f"msgrspec {__version__}")
        if self.hello["version"] not in codec.PROTOCOL_VERSIONS:
            self._break(f"{self.channel.description} chose protocol version {self.hello['version']}, which this "
                        f"client does not speak (it speaks {list(codec.PROTOCOL_VERSIONS)})")
        return self.hello

    def request(self, op: str, *, timeout: float | None = None, what: str | None = None, **fields: Any) -> dict:
        """Send one request and return its result; ImplementationFault on any fault, RemoteError on an error."""
        if self.broken:
            raise ImplementationFault(self.broken)
        what = what or op
        self._ids += 1
        request_id = self._ids
        message = {"id": request_id, "op": op, **fields}
        data = codec.dump(message)
        limit = self.call_timeout if timeout is None else timeout
        try:
            deadline = time.monotonic() + limit
            try:
                self.channel.send(data, limit)
            except ChannelTimeout:
                self._break(f"{self.channel.description} did not read the request {what} within {limit:g} s "
                            f"(the per-call timeout); it was stopped")
            while True:
                remaining = deadline - time.monotonic()
                try:
                    line = self.channel.receive(max(remaining, 0.0))
                except ChannelTimeout:
                    self._break(f"{self.channel.description} did not answer {what} within {limit:g} s "
                                f"(the per-call timeout); it was stopped")
                except MessageError as exc:
                    self._break(f"{self.channel.description} sent a malformed message in answer to {what}: {exc}")
                if line is None:
                    self._break(self._gone(f"before answering {what}"))
                if not line.strip():
                    continue
                break
            try:
                answer = codec.parse(line)
                if self.validate:
                    codec.check_response(answer, op)
                elif "error" not in answer and "result" not in answer:
                    raise MessageError("neither 'result' nor 'error'")
            except MessageError as exc:
                self._break(f"{self.channel.description} sent a malformed message in answer to {what}: {exc}; "
                            f"the line was {codec.shorten(line)}")
            if answer.get("id") not in (request_id, None) or ("result" in answer and answer.get("id") != request_id):
                self._break(f"{self.channel.description} answered request {answer.get('id')} while request "
                            f"{request_id} ({what}) was waiting")
        except _Closed as exc:
            self._break(self._gone(f"while {what} was being sent: {exc}"))
        except ImplementationFault:
            raise
        except BaseException:  # a test timeout or an interrupt in mid-call: the stream is out of step
            self._drop(f"the call {what} was interrupted before {self.channel.description} answered")
            raise
        if "error" in answer:
            error = answer["error"]
            if op == "hello":
                self._break(f"{self.channel.description} refused the handshake ({error['code']}): {error['message']}")
            raise RemoteError(what, error["code"], error["message"])
        return answer["result"]

    def _gone(self, when: str) -> str:
        wait = getattr(self.channel, "wait_ended", None)
        status = wait(2.0) if wait else self.channel.ended()
        if status:
            return f"{self.channel.description} {status} {when}"
        return f"{self.channel.description} closed its output {when}"

    def _drop(self, reason: str) -> str:
        """Drop the connection for good (the process is killed); the reason, with its last stderr lines."""
        self.channel.close()
        tail = [line for line in self.channel.stderr_tail() if line.strip()]
        if tail:
            reason += "; its last stderr lines:\n    " + "\n    ".join(tail[-10:])
        self.broken = reason
        return reason

    def _break(self, reason: str) -> None:
        raise ImplementationFault(self._drop(reason))

    def close(self, grace: float = 2.0) -> None:
        if self.broken is None:
            try:
                self.request("shutdown", timeout=grace)
            except (ImplementationFault, RemoteError):
                pass
            self.broken = "the connection was closed"
        self.channel.close(grace=grace)


# -- the adapter ----------------------------------------------------------------------------------

def _describe_call(op: str, fields: dict) -> str:
    if op == "call":
        return f"call {fields['object']['interface']}.{fields['method']}"
    if op in ("get", "put"):
        return f"{op} {fields['object']['interface']}.{fields['property']}"
    return op


class RemoteAdapter(Adapter):
    """An implementation on the other side of the protocol; subclasses say how to reach it."""

    name = "remote"

    def __init__(self, *, call_timeout: float | None = None, start_timeout: float | None = None,
                 validate: bool = True, max_failed_starts: int = MAX_FAILED_STARTS):
        call_timeout = _env_seconds(ENV_CALL_TIMEOUT, DEFAULT_CALL_TIMEOUT) if call_timeout is None else \
            positive_seconds(call_timeout, "call_timeout")
        self.call_timeout = call_timeout
        self.start_timeout = max(call_timeout, 5.0) if start_timeout is None else \
            positive_seconds(start_timeout, "start_timeout")
        self.validate = validate
        self.max_failed_starts = max_failed_starts
        self.starts = 0
        self._failed_starts = 0
        self._last_start_failure: str | None = None
        self._connection: Connection | None = None
        self._profile: Profile | None = None
        self._lock = threading.RLock()

    # subclasses
    def _open_channel(self) -> Channel:
        raise NotImplementedError

    def describe(self) -> str:
        return self.name

    # -- connecting -----------------------------------------------------------------------------------

    def connection(self) -> Connection:
        """The live connection, starting (or restarting) the implementation if there is none."""
        with self._lock:
            if self._connection is not None and self._connection.broken is None:
                return self._connection
            if self._failed_starts >= self.max_failed_starts:
                raise ImplementationFault(f"{self.describe()} failed to start {self._failed_starts} times in a row; "
                                          f"not trying again in this run. Last failure: {self._last_start_failure}")
            self._connection = None
            try:
                channel = self._open_channel()
                connection = Connection(channel, call_timeout=self.call_timeout, validate=self.validate)
                connection.handshake(self.start_timeout)
                if self._profile is None:
                    self._profile = _profile_from(connection.request("profile", timeout=self.start_timeout))
            except (ImplementationFault, RemoteError) as exc:
                self._failed_starts += 1
                self._last_start_failure = str(exc)
                raise ImplementationFault(f"starting {self.describe()} failed: {exc}") from None
            self._failed_starts = 0
            self.starts += 1
            self._connection = connection
            return connection

    def profile(self) -> Profile:
        if self._profile is None:
            try:
                self.connection()
            except ImplementationFault as exc:
                # every test then fails in open_world with the reason; the run itself goes on
                return Profile(implementation=f"{self.describe()} (unreachable: {str(exc).splitlines()[0]})",
                               unreachable=str(exc))
        assert self._profile is not None
        return self._profile

    def open_world(self) -> RemoteWorld:
        connection = self.connection()
        result = connection.request("open_world")
        return RemoteWorld(self, connection, result)

    def stderr_output(self, connection: Connection) -> str:
        return connection.channel.take_output()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _profile_from(data: dict) -> Profile:
    return Profile(implementation=data["implementation"], product=data["product"],
                   features=frozenset(data["features"]), lock_id=data.get("lock_id"), lock_key=data.get("lock_key"))


def positive_seconds(value: Any, what: str) -> float:
    """value as a finite, positive number of seconds; AdapterNotFound (a usage error) naming `what` if not."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise AdapterNotFound(f"{what}={value!r} is not a number of seconds") from None
    if not 0 < seconds < float("inf"):
        raise AdapterNotFound(f"{what}={value!r}: a timeout must be a positive number of seconds")
    return seconds


def _env_seconds(name: str, default: float) -> float:
    text = os.environ.get(name)
    return positive_seconds(text, name) if text else default


class RemoteWorld(World):
    def __init__(self, adapter: RemoteAdapter, connection: Connection, opened: dict):
        self.adapter = adapter
        self.connection = connection
        self.world_id: str = opened["world"]
        parties = opened["parties"]
        self._local = RemoteParty(self, "local", parties["local"]["signin"])
        peer = parties.get("peer")
        self._peer = RemoteParty(self, "peer", peer["signin"]) if peer else None

    @property
    def local(self) -> RemoteParty:
        return self._local

    @property
    def peer(self) -> RemoteParty | None:
        return self._peer

    def request(self, op: str, **fields: Any) -> dict:
        if self.connection.broken:
            raise ImplementationFault(f"this world is gone: {self.connection.broken}")
        return self.connection.request(op, what=_describe_call(op, fields), world=self.world_id, **fields)

    def close(self) -> None:
        if self.connection.broken is None:
            self.connection.request("close_world", world=self.world_id)


class RemoteParty(Party):
    def __init__(self, world: RemoteWorld, role: str, signin: str):
        self.world = world
        self.role = role
        self.signin = signin

    def _outcome(self, op: str, **fields: Any) -> Outcome:
        return codec.decode_outcome(self.world.request(op, party=self.role, **fields))

    @staticmethod
    def _ref(obj: Any, what: str) -> dict:
        if not isinstance(obj, ObjRef):
            raise TypeError(f"{what} must be an ObjRef to cross the protocol, not {type(obj).__name__} {obj!r:.60}")
        return codec.encode_value(obj)

    def create(self, coclass: str) -> Outcome:
        return self._outcome("create", coclass=coclass)

    def query_interface(self, obj: ObjRef, interface: str) -> Outcome:
        return self._outcome("query_interface", object=self._ref(obj, "the object"), interface=interface)

    def call(self, obj: ObjRef, method: str, args: Sequence[Any] = ()) -> Outcome:
        return self._outcome("call", object=self._ref(obj, "the object"), method=method,
                             args=[codec.encode_value(a) for a in args])

    def get(self, obj: ObjRef, prop: str, index: Any = None) -> Outcome:
        fields = {"object": self._ref(obj, "the object"), "property": prop}
        if index is not None:
            fields["index"] = codec.encode_value(index)
        return self._outcome("get", **fields)

    def put(self, obj: ObjRef, prop: str, value: Any, index: Any = None) -> Outcome:
        fields = {"object": self._ref(obj, "the object"), "property": prop, "value": codec.encode_value(value)}
        if index is not None:
            fields["index"] = codec.encode_value(index)
        return self._outcome("put", **fields)

    def connect(self, obj: ObjRef, dispinterface: str) -> Outcome:
        return self._outcome("connect", object=self._ref(obj, "the object"), dispinterface=dispinterface)

    def disconnect(self, obj: ObjRef, cookie: int) -> Outcome:
        return self._outcome("disconnect", object=self._ref(obj, "the object"), cookie=cookie)

    def events(self) -> list[EventRecord]:
        found = self.world.request("events", party=self.role)
        return [codec.decode_event(e) for e in found["events"]]

    def contact(self, signin: str) -> Outcome:
        return self._outcome("contact", signin=signin)

    def type_info(self, name: str) -> Outcome:
        return self._outcome("type_info", name=name)

    def launch(self, invitation: ObjRef) -> Outcome:
        return self._outcome("launch", invitation=self._ref(invitation, "the invitation"))

    def output(self) -> str:
        """The server's log for this party, then the stderr lines that arrived since the last call."""
        connection = self.world.connection
        parts = []
        if connection.broken is None:
            try:
                parts.append(connection.request("output", world=self.world.world_id, party=self.role)["text"])
            except (ImplementationFault, RemoteError) as exc:
                parts.append(f"(output unavailable: {exc})\n")
        stderr = self.world.adapter.stderr_output(connection) if self.role == "local" else ""
        if stderr:
            parts.append(f"-- stderr of {connection.channel.description} --\n{stderr}")
        return "".join(parts)


class ProcessAdapter(RemoteAdapter):
    """An implementation run as a child process, speaking the protocol on its stdin/stdout.

    command: the program and its arguments; None reads MSGRSPEC_PROCESS_COMMAND (a JSON array, or a
    command line split like a POSIX shell would). A fault kills the process; the next world starts a
    new one. Its stderr is kept: the last lines go into fault messages, the rest into Party.output().
    """

    name = "process"

    def __init__(self, command: Sequence[str] | str | None = None, *, cwd: str | None = None,
                 env: dict | None = None, **options: Any):
        if command is None:
            command = os.environ.get(ENV_COMMAND)
            if not command:
                raise AdapterNotFound("the process adapter needs the implementation's command line: "
                                      "msgrspec test --adapter process -- COMMAND [ARGS...] "
                                      f"(or set {ENV_COMMAND})")
        self.command = parse_command(command)
        self.cwd, self.env = cwd, env
        super().__init__(**options)

    def describe(self) -> str:
        return f"the implementation ({shlex.join(self.command)})"

    def _open_channel(self) -> Channel:
        return ProcessChannel(self.command, cwd=self.cwd, env=self.env)


class TcpAdapter(RemoteAdapter):
    """An implementation listening on a TCP port (HOST:PORT, or MSGRSPEC_TCP_ADDRESS).

    A fault drops the connection; the next world connects afresh. Whatever the
    remote process writes to its own stderr stays on its machine.
    """

    name = "tcp"

    def __init__(self, address: str | tuple[str, int] | None = None, **options: Any):
        if address is None:
            address = os.environ.get(ENV_ADDRESS)
            if not address:
                raise AdapterNotFound("the tcp adapter needs the implementation's address: "
                                      f"msgrspec test --adapter tcp --connect HOST:PORT (or set {ENV_ADDRESS})")
        self.host, self.port = parse_address(address) if isinstance(address, str) else address
        super().__init__(**options)

    def describe(self) -> str:
        return f"the implementation at {self.host}:{self.port}"

    def _open_channel(self) -> Channel:
        return TcpChannel(self.host, self.port, connect_timeout=self.start_timeout)


def parse_command(command: Sequence[str] | str) -> list[str]:
    if isinstance(command, str):
        text = command.strip()
        if text.startswith("["):
            try:
                found = json.loads(text)
            except ValueError as exc:
                raise AdapterNotFound(f"the command {text!r} is not a JSON array: {exc}") from None
        else:
            found = shlex.split(text)
    else:
        found = list(command)
    if not found or not all(isinstance(part, str) and part for part in found):
        raise AdapterNotFound(f"{command!r} is not a command line (a program and its arguments)")
    return found


def parse_address(text: str) -> tuple[str, int]:
    """HOST:PORT (an IPv6 host in brackets: [::1]:4711) as (host, port)."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host or not port.isdigit():
        raise AdapterNotFound(f"{text!r} is not an address of the form HOST:PORT")
    if int(port) > 65535:
        raise AdapterNotFound(f"{text!r}: the port {port} is not a TCP port (0 to 65535)")
    return host.strip("[]"), int(port)


def format_address(host: str, port: int) -> str:
    """(host, port) as parse_address reads it back."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
