"""The protocol against a hostile or broken peer: framing, nesting, resource limits, the serve command line."""
from __future__ import annotations

import io
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from msgrspec.adapter import AdapterNotFound
from msgrspec.protocol import ENV_CALL_TIMEOUT, ImplementationFault, ProcessAdapter, TcpAdapter, TcpServer, codec, serve_stream
from msgrspec.reference import ReferenceAdapter

from protocol_helpers import PROCESS, SERVE, msgrspec_test

HELLO = {"id": 0, "op": "hello", "protocol": "msgrspec-adapter", "versions": [1]}


def line(message: dict) -> bytes:
    return json.dumps(message).encode() + b"\n"


def served(data: bytes) -> list[dict]:
    """Every answer serve_stream writes for data read from a stdio-like stream."""
    out = io.BytesIO()
    serve_stream(ReferenceAdapter(), io.BytesIO(data), out)
    return [json.loads(text) for text in out.getvalue().splitlines()]


# -- framing ---------------------------------------------------------------------------------------

def test_a_request_hidden_behind_an_oversized_line_is_not_carried_out():
    hidden = line({"id": 7, "op": "open_world"})
    data = line(HELLO) + b" " * (codec.MAX_LINE + 1) + hidden + line({"id": 9, "op": "open_world"})
    answers = served(data)
    assert [a["id"] for a in answers] == [0, None, 9], answers
    assert answers[1]["error"]["code"] == "bad-message"
    assert "longer than the limit" in answers[1]["error"]["message"]
    assert answers[2]["result"]["world"] == "w1"  # the hidden open_world never made a world


def test_a_line_of_exactly_the_limit_is_read_whole():
    padded = json.dumps({"id": 1, "op": "open_world"}).encode()
    padded = b" " * (codec.MAX_LINE - len(padded)) + padded + b"\n"
    answers = served(line(HELLO) + padded)
    assert [a["id"] for a in answers] == [0, 1] and "result" in answers[1]


def test_deep_nesting_is_one_bad_message_and_the_stdio_server_goes_on():
    deep = b"[" * 2000 + b"\n"
    nested: list = []
    for _ in range(codec.MAX_DEPTH + 10):  # parses fine, but deeper than the limit
        nested = [nested]
    almost = line({"id": 3, "op": "call", "world": "w1", "party": "local", "method": "M",
                   "object": {"object": "w1.o1", "interface": "IMsgrSession"}, "args": [nested]})
    answers = served(line(HELLO) + deep + almost + line({"id": 4, "op": "open_world"}))
    assert [a["id"] for a in answers] == [0, None, None, 4], answers  # id null: the request was not read
    for refused in answers[1:3]:
        assert refused["error"]["code"] == "bad-message"
        assert "nested deeper than" in refused["error"]["message"]
    assert "result" in answers[3]


def test_deep_nesting_over_tcp_is_answered_without_a_traceback():
    logged: list[str] = []
    with TcpServer(("127.0.0.1", 0), ReferenceAdapter(), log=logged.append) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with socket.create_connection(server.address, timeout=10) as sock:
                reader = sock.makefile("rb")
                sock.sendall(line(HELLO) + b"{\"a\":" * 2000 + b"\n" + line({"id": 5, "op": "profile"}))
                answers = [json.loads(reader.readline()) for _ in range(3)]
        finally:
            server.shutdown()
    assert answers[1]["id"] is None and answers[1]["error"]["code"] == "bad-message"
    assert answers[2]["id"] == 5 and "result" in answers[2]
    assert not any("Traceback" in text for text in logged), logged


# -- the serve command line ------------------------------------------------------------------------

def serve_tcp(address: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SERVE, "--tcp", address, "--once", *extra], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def assert_one_line_refusal(run: subprocess.CompletedProcess, *words: str) -> None:
    assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("msgrspec serve: "), run.stderr
    assert "Traceback" not in run.stderr and not run.stdout
    for word in words:
        assert word in lines[0], lines[0]


def test_serving_on_a_port_in_use_is_one_clear_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert_one_line_refusal(serve_tcp(f"127.0.0.1:{port}"), f"cannot listen on 127.0.0.1:{port}", "in use")


@pytest.mark.parametrize("address, words", [
    ("127.0.0.1:99999", ("99999", "0 to 65535")),
    ("no-such-host.invalid:4711", ("cannot listen on no-such-host.invalid:4711",)),
    ("127.0.0.1", ("not an address of the form HOST:PORT",)),
])
def test_serving_on_a_bad_address_is_one_clear_line(address, words):
    assert_one_line_refusal(serve_tcp(address), *words)


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_serving_on_the_ipv6_loopback():
    server = subprocess.Popen([*SERVE, "--tcp", "[::1]:0", "--once"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True)
    try:
        banner = server.stdout.readline()
        if not _has_ipv6_loopback():
            server.wait(timeout=30)
            assert server.returncode == 2 and "Traceback" not in server.stderr.read()
            return
        assert banner.startswith("listening on [::1]:"), banner + server.stderr.read()
        adapter = TcpAdapter(banner.split()[-1])
        try:
            assert adapter.profile().implementation == "msgrspec reference implementation"
        finally:
            adapter.close()
        server.wait(timeout=30)
        assert server.returncode == 0
    finally:
        server.kill()
        server.wait()


# -- TCP server limits -------------------------------------------------------------------------------

class Served:
    """A TcpServer of the reference on 127.0.0.1, serving in a thread; its log is kept."""

    def __init__(self, **options):
        self.log: list[str] = []
        self.server = TcpServer(("127.0.0.1", 0), ReferenceAdapter(), log=self.log.append, **options)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def client(self) -> tuple[socket.socket, io.BufferedReader]:
        sock = socket.create_connection(self.server.address, timeout=10)
        return sock, sock.makefile("rb")


def test_a_silent_connection_is_closed_after_the_idle_timeout():
    with Served(idle_timeout=0.3) as served:
        sock, reader = served.client()
        with sock:
            sock.sendall(line(HELLO))
            assert json.loads(reader.readline())["result"]["version"] == 1
            assert reader.readline() == b""  # the server closed the connection; nothing was asked
    assert any("idle timeout" in text for text in served.log), served.log


def test_a_connection_may_hold_only_so_many_worlds():
    with Served(max_worlds=3) as served:
        sock, reader = served.client()
        with sock:
            sock.sendall(line(HELLO) + b"".join(line({"id": n, "op": "open_world"}) for n in range(1, 5)))
            answers = [json.loads(reader.readline()) for _ in range(5)]
            assert all("result" in a for a in answers[:4]), answers
            refused = answers[4]["error"]
            assert refused["code"] == "bad-message" and "3 open worlds, the most it may" in refused["message"]
            sock.sendall(line({"id": 5, "op": "close_world", "world": "w1"}) + line({"id": 6, "op": "open_world"}))
            assert "result" in json.loads(reader.readline()) and "result" in json.loads(reader.readline())


def test_connections_are_served_by_a_bounded_pool():
    before = threading.active_count()
    with Served(max_connections=2) as served:
        clients = [served.client() for _ in range(3)]
        try:
            for sock, _ in clients:
                sock.sendall(line(HELLO))
            for _, reader in clients[:2]:
                assert "result" in json.loads(reader.readline())
            waiting_sock, waiting = clients[2]
            waiting_sock.settimeout(0.5)
            with pytest.raises(TimeoutError):
                waiting.readline()  # both workers are busy: the third connection waits its turn
            assert threading.active_count() <= before + 3  # two workers and the accepting thread
            clients[0][1].close()
            clients[0][0].close()  # the first connection ends: its worker takes the waiting one
            waiting_sock.settimeout(10)
            fresh = waiting_sock.makefile("rb")
            assert "result" in json.loads(fresh.readline())
        finally:
            for sock, reader in clients:
                reader.close()
                sock.close()


def test_many_clients_connect_at_once_without_waiting_for_accept():
    """The listen backlog holds 50 connections that the server has not accepted yet (a backlog of 5 does not)."""
    server = TcpServer(("127.0.0.1", 0), ReferenceAdapter())  # listening, but never accepting
    sockets = []
    try:
        for _ in range(50):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(server.address)
            sockets.append(sock)
        connected = 0
        for sock in sockets:
            _, writable, _ = select.select([], [sock], [], 2.0)
            connected += bool(writable) and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        assert connected == 50
    finally:
        for sock in sockets:
            sock.close()
        server.server_close()


def test_serve_listens_on_the_loopback_when_given_only_a_port():
    server = subprocess.Popen([*SERVE, "--tcp", "0", "--once"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True)
    try:
        banner = server.stdout.readline()
        assert banner.startswith("listening on 127.0.0.1:"), banner + server.stderr.read()
        adapter = TcpAdapter(banner.split()[-1])
        adapter.profile()
        adapter.close()
        assert server.wait(timeout=30) == 0  # --once: the one connection was served whole, then it exits
    finally:
        server.kill()
        server.wait()
    assert "warning" not in server.stderr.read()


def test_serve_refuses_a_timeout_that_is_not_positive():
    assert_one_line_refusal(serve_tcp("127.0.0.1:0", "--idle-timeout", "0"), "--idle-timeout must be a positive")


# -- timeouts ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("option, value", [("--call-timeout", "-1"), ("--call-timeout", "0"),
                                           ("--call-timeout", "nan"), ("--timeout", "-1")])
def test_msgrspec_test_refuses_a_timeout_that_is_not_positive(tmp_path, option, value):
    run, report, _ = msgrspec_test(tmp_path, "--adapter", PROCESS, option, value, "--interface", "IMsgrLock",
                                   "--", *SERVE)
    assert run.returncode == 2 and report is None, run.stdout[-2000:] + run.stderr[-2000:]
    assert f"Invalid value for '{option}'" in run.stderr and "positive number of seconds" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("options", [{"call_timeout": -1}, {"call_timeout": 0}, {"start_timeout": float("inf")}])
def test_remote_adapters_refuse_a_timeout_that_is_not_positive(options):
    with pytest.raises(AdapterNotFound, match="a timeout must be a positive number of seconds"):
        ProcessAdapter(SERVE, **options)


def test_the_call_timeout_from_the_environment_must_be_positive(monkeypatch):
    monkeypatch.setenv(ENV_CALL_TIMEOUT, "-1")
    with pytest.raises(AdapterNotFound, match="MSGRSPEC_CALL_TIMEOUT='-1': a timeout must be a positive"):
        TcpAdapter("127.0.0.1:1")


# -- an implementation that cannot be reached -------------------------------------------------------

def test_an_unreachable_implementation_fails_the_lock_gate_cases(tmp_path):
    """Its features are unknown, not absent: the cases that need lock-enforced fail, none is not applicable.

    The program exists (a missing one is refused before the run) but exits before it says hello."""
    gated = ("lock.gate.opens", "lock.gate.session-manager", "lock.gate.messenger-private", "lock.per-object")
    run, report, _ = msgrspec_test(tmp_path, "--adapter", PROCESS, *(f"--requirement={r}" for r in gated),
                                   "--", sys.executable, "-c", "raise SystemExit(3)")
    assert run.returncode == 1 and report is not None, run.stdout[-2000:] + run.stderr[-2000:]
    gates = {key: test for key, test in report["tests"].items() if set(test["requirements"]) & set(gated)}
    assert len(gates) >= 4, sorted(report["tests"])
    for key, test in gates.items():
        assert test["outcome"] == "failed", (key, test)
        assert "could not be started" in test["message"] or "failed to start" in test["message"], test["message"]
    assert report["summary"]["not-applicable"] == 0 and report["summary"]["passed"] == 0


# -- the process adapter kills what the server started -------------------------------------------------

FORKING_SERVER = str(Path(__file__).with_name("protocol_forking_server.py"))
FD_PASSING_SERVER = str(Path(__file__).with_name("protocol_fd_passing_server.py"))


def _alive(pid: int) -> bool:
    """Whether pid runs (a zombie waiting for a parent to reap it does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _sleepers(pidfile: Path) -> list[int]:
    for _ in range(100):
        pids = [int(p) for p in pidfile.read_text().split()] if pidfile.exists() else []
        if len(pids) == 2:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"the forking server did not start its sleepers: {pids}")


def _all_gone(pids: list[int]) -> list[int]:
    for _ in range(100):
        if not any(_alive(p) for p in pids):
            return []
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


@pytest.fixture
def leftovers():
    """Kills, after the test, any sleeper the adapter left running."""
    started: list[int] = []
    yield started
    for pid in started:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")


@needs_proc
def test_closing_the_process_adapter_kills_a_setsid_grandchild(tmp_path, leftovers):
    pidfile = tmp_path / "pids"
    adapter = ProcessAdapter([sys.executable, FORKING_SERVER, str(pidfile)])
    try:
        adapter.open_world().close()
        leftovers.extend(_sleepers(pidfile))
    finally:
        adapter.close()  # the server is asked to shut down and exits by itself
    assert _all_gone(leftovers) == []


#: a daemon (double-forked, so no descendant of the test) that keeps whatever descriptors it is sent
KEEPER = """
import os, socket, sys, time
if os.fork():
    os._exit(0)
os.setsid()
listener = socket.socket(socket.AF_UNIX)
listener.bind(sys.argv[1])
listener.listen(1)
print(os.getpid(), flush=True)
os.close(1)
connection, _ = listener.accept()
_, fds, _, _ = socket.recv_fds(connection, 16, 8)
connection.send(b"k")
time.sleep(600)
"""


@needs_proc
def test_closing_the_process_adapter_spares_a_pipe_holder_older_than_the_server(tmp_path, leftovers):
    """A process that was running before the server started cannot be one it started, even when it holds the
    server's pipes (the wineserver holds every Wine program's standard handles): closing leaves it alone."""
    path = str(tmp_path / "keeper.sock")
    starter = subprocess.run([sys.executable, "-c", KEEPER, path], stdout=subprocess.PIPE, text=True, timeout=30)
    keeper = int(starter.stdout.split()[0])
    leftovers.append(keeper)
    time.sleep(0.1)  # start times count in ticks of 10 ms: the server's must be later
    adapter = ProcessAdapter([sys.executable, FD_PASSING_SERVER, path])
    try:
        adapter.open_world().close()
        server_pipes = adapter.connection().channel._pipes
        held = {os.readlink(f"/proc/{keeper}/fd/{fd}") for fd in os.listdir(f"/proc/{keeper}/fd")}
        assert server_pipes & held, "the keeper does not hold the server's pipes: the test shows nothing"
    finally:
        adapter.close()
    time.sleep(0.2)
    assert _alive(keeper), "closing the adapter killed a process older than the server"


@needs_proc
def test_a_restart_after_a_fault_kills_a_setsid_grandchild(tmp_path, leftovers):
    pidfile = tmp_path / "pids"
    adapter = ProcessAdapter([sys.executable, FORKING_SERVER, str(pidfile)], call_timeout=1)
    try:
        world = adapter.open_world()
        leftovers.extend(_sleepers(pidfile))
        server = adapter.connection().channel.process.pid
        os.kill(server, signal.SIGSTOP)  # it hangs: the next call times out and the server is killed
        with pytest.raises(ImplementationFault, match="did not answer"):
            world.local.create("MsgrSessionManager")
        assert _all_gone([server, *leftovers]) == []
        pidfile.unlink()
        adapter.open_world().close()  # a fresh server, with fresh sleepers, which go at the end
        leftovers.extend(_sleepers(pidfile))
    finally:
        adapter.close()
    assert _all_gone(leftovers) == []


# -- the implementation's output attached to a failed test is capped ---------------------------------

LOUD_ADAPTER = '''
from msgrspec.adapter import Outcome
from msgrspec.reference import ReferenceAdapter

class LoudAdapter(ReferenceAdapter):
    """The reference, but type_info fails and the local party has logged 300,008 characters."""

    def open_world(self):
        world = super().open_world()
        world.local.type_info = lambda name: Outcome(0x80004005)
        world.local.output = lambda: "".join(f"line {n:06d}\\n" for n in range(25_000)) + "THE END\\n"
        return world
'''


def test_the_output_of_a_failed_test_is_capped_and_kept_whole_beside_the_report(tmp_path):
    (tmp_path / "loud_adapter.py").write_text(LOUD_ADAPTER)
    run, report, _ = msgrspec_test(tmp_path, "--adapter", "loud_adapter:LoudAdapter",
                                   "--requirement", "clients.same-interfaces")
    assert report is not None, run.stdout[-2000:] + run.stderr[-2000:]
    test = report["tests"]["clients.same-interfaces"]
    assert test["outcome"] == "failed"
    output = test["output"]
    header, _, tail = output.partition("\n")
    assert len(tail) == 64 * 1024 and tail.endswith("THE END\n"), (len(tail), header)
    kept = Path(header.split(" are in ", 1)[1].split(";", 1)[0])
    assert kept.is_absolute() and kept.parent.parent == tmp_path, header
    whole = kept.read_text(encoding="utf-8")
    assert whole.startswith("line 000000\n") and whole.endswith(tail) and len(whole) == 25_000 * 12 + 8
    assert len(run.stdout) < 200_000  # the terminal shows the capped output too


# -- the client against a server that sends too much ----------------------------------------------------

@pytest.mark.parametrize("answer, reason", [
    ("'[' * 2000", "nested deeper than the limit"),
    ("' ' * (16 * 1024 * 1024 + 1)", "longer than the limit"),
    # a well-formed answer hidden behind the padding is never taken for the answer
    ("' ' * (16 * 1024 * 1024 + 1) + '{\"id\": 1, \"result\": {\"protocol\": \"msgrspec-adapter\", \"version\": 1, '"
     "'\"implementation\": \"forged\"}}'", "longer than the limit"),
])
def test_a_server_answering_too_deep_or_too_long_is_a_fault(tmp_path, answer, reason):
    script = tmp_path / "flooding_server.py"
    script.write_text(f"import sys\nsys.stdin.readline()\nsys.stdout.write({answer} + '\\n')\nsys.stdout.flush()\n"
                      "sys.stdin.readline()\n")
    adapter = ProcessAdapter([sys.executable, str(script)])
    try:
        with pytest.raises(ImplementationFault, match=f"sent a malformed message in answer to hello: .*{reason}"):
            adapter.open_world()
    finally:
        adapter.close()


@needs_proc
def test_a_child_of_the_client_that_inherited_the_pipes_is_left_alone(leftovers):
    adapter = ProcessAdapter(SERVE)
    try:
        adapter.open_world().close()
        child = os.fork()  # it holds the client's ends of the server's pipes, but the suite started it
        if child == 0:
            time.sleep(60)
            os._exit(0)
        leftovers.append(child)
    finally:
        adapter.close()
    time.sleep(0.5)  # time for a signal, had one been sent, to take effect
    stat = Path(f"/proc/{child}/stat").read_text()
    assert stat[stat.rindex(")") + 2] in "SR", stat  # running or sleeping: neither stopped nor killed
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
