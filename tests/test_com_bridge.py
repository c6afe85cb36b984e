"""msgrspec-com-bridge under Wine: the protocol on its streams and over TCP, its profile, the `com` adapter,
and what happens to a run when the COM server behind it dies or hangs."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from msgrspec.adapter import AdapterNotFound
from msgrspec.protocol.com import ComAdapter, bridge_command, windows_path

from bridge_build import EXAMPLE, build_bridge, com_server
from protocol_helpers import msgrspec_test
from toolchain import WinePrefix, require, wine_root

HELLO = {"id": 0, "op": "hello", "protocol": "msgrspec-adapter", "versions": [1]}
W = {"world": "w1", "party": "local"}


@pytest.fixture(scope="module")
def bridge() -> Path:
    return build_bridge("x86_64")


@pytest.fixture(scope="module")
def typelib(bridge) -> Path:
    """The spec's type library (widl -t), for runs that need no registered server."""
    path = bridge.parent.parent / "msgrpriv.tlb"
    subprocess.run(["widl", "-I/usr/include/wine/wine/windows", "-t", "-o", str(path),
                    str(bridge.parent.parent / "msgrpriv.idl")], check=True, timeout=120)
    return path


def talk(wine, bridge: Path, *requests, args=()) -> tuple[list[dict], subprocess.CompletedProcess]:
    lines = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in requests)
    run = wine.run(bridge, *args, stdin=lines, timeout=60)
    return [json.loads(line) for line in run.stdout.splitlines()], run


def test_protocol_refusals_and_the_profile_from_a_file(wine, bridge, typelib, tmp_path):
    profile = tmp_path / "profile.txt"
    profile.write_text("# a comment\nproduct = Messenger 4.7\nfeatures = lock-enforced , registry\n"
                       "lock_id = an-id\nsignin = me@example.invalid\n")
    answers, run = talk(wine, bridge, {"id": 1, "op": "open_world"}, HELLO, "not json", "[1]",
                        {"id": 2, "op": "profile"}, {"id": 3, "op": "open_world"},
                        {"id": 4, "op": "events", "world": "w9", "party": "local"},
                        {"id": 5, "op": "events", "world": "w1", "party": "peer"},
                        {"id": 6, "op": "create", **W}, {"id": 7, "op": "frobnicate", **W},
                        {"id": 8, "op": "create", **W, "coclass": "NoSuchClass"},
                        {"id": 9, "op": "type_info", **W, "name": "NoSuchType"},
                        {"id": 10, "op": "shutdown"},
                        args=("--profile", wine.windows_path(profile), "--typelib", wine.windows_path(typelib),
                              "--lock-key", "a-key"))
    assert run.returncode == 0, run.stderr
    codes = [a.get("error", {}).get("code") for a in answers]
    assert codes == ["no-handshake", None, "bad-json", "bad-message", None, None, "unknown-world", "no-peer",
                     "bad-message", "bad-message", None, None, None], answers
    profile_answer = answers[4]["result"]
    assert profile_answer["product"] == "Messenger 4.7"
    assert profile_answer["features"] == ["lock-enforced", "registry"]
    assert (profile_answer["lock_id"], profile_answer["lock_key"]) == ("an-id", "a-key")  # the option wins
    assert answers[5]["result"]["parties"] == {"local": {"signin": "me@example.invalid"}, "peer": None}
    assert answers[10]["result"] == {"hr": 0x80040154}  # REGDB_E_CLASSNOTREG
    assert answers[11]["result"] == {"hr": 0x8002802B}  # TYPE_E_ELEMENTNOTFOUND
    answers, _ = talk(wine, bridge, {**HELLO, "versions": [2]}, args=("--typelib", wine.windows_path(typelib)))
    assert answers[0]["error"]["code"] == "version-mismatch" and answers[0]["error"]["versions"] == [1]


def test_a_bad_profile_line_is_located(wine, bridge, tmp_path):
    profile = tmp_path / "profile.txt"
    profile.write_text("product = Messenger 4.5\n\nflavour = vanilla\n")
    run = wine.run(bridge, "--profile", wine.windows_path(profile), timeout=60)
    assert run.returncode == 2
    assert re.search(r"profile\.txt:3: unknown key 'flavour'", run.stderr), run.stderr
    profile.write_text("context = sideways\n")
    run = wine.run(bridge, "--profile", wine.windows_path(profile), timeout=60)
    assert run.returncode == 2 and "profile.txt:1: context must be" in run.stderr, run.stderr
    run = wine.run(bridge, "--no-such-option", timeout=60)
    assert run.returncode == 2 and "bad argument '--no-such-option'" in run.stderr, run.stderr


def test_type_information_is_read_from_the_type_library(wine, bridge, typelib):
    answers, run = talk(wine, bridge, HELLO, {"id": 1, "op": "open_world"},
                        {"id": 2, "op": "type_info", **W, "name": "IMsgrLock"},
                        {"id": 3, "op": "type_info", **W, "name": "SESSION_STATE"},
                        {"id": 4, "op": "type_info", **W, "name": "MsgrSessionManager"},
                        args=("--typelib", wine.windows_path(typelib)))
    lock = answers[2]["result"]["value"]["record"]
    assert lock["guid"] == "{36602AFA-4859-4DF5-820B-BF35ACAA16CA}" and lock["base"] == "IUnknown"
    status = lock["members"][0]["record"]
    assert (status["name"], status["kind"], status["dispid"]) == ("Status", "propget", None)
    assert status["params"] == [{"record": {"name": "peStatus", "type": "LockStatus*", "dir": "out,retval"}}]
    assert answers[3]["result"]["value"]["record"]["values"]["record"]["SS_READY"] == 1
    coclass = answers[4]["result"]["value"]["record"]
    assert coclass["interfaces"] == ["IMsgrSessionManager", "IMsgrLock"]
    assert coclass["events"] == "DMsgrSessionManagerEvents" and coclass["creatable"] is True


def test_tcp_serves_one_connection_after_another(wine, bridge, typelib):
    import socket

    server = wine.popen(bridge, "--tcp", "127.0.0.1:0", "--typelib", wine.windows_path(typelib),
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        banner = server.stderr.readline()
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", banner)
        assert found, banner
        for _ in range(2):
            with socket.create_connection(("127.0.0.1", int(found[1])), timeout=30) as sock:
                reader = sock.makefile("r", encoding="utf-8")
                for request in (HELLO, {"id": 1, "op": "open_world"}, {"id": 2, "op": "shutdown"}):
                    sock.sendall((json.dumps(request) + "\n").encode())
                    answer = json.loads(reader.readline())
                    assert answer["id"] == request["id"] and "result" in answer, answer
                assert answer["result"] == {}
    finally:
        server.kill()
        server.wait(timeout=30)


def test_the_com_adapter_says_what_it_lacks(tmp_path, monkeypatch):
    monkeypatch.delenv("MSGRSPEC_BRIDGE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AdapterNotFound, match="needs the bridge program"):
        ComAdapter()
    with pytest.raises(AdapterNotFound, match="does not exist"):
        ComAdapter(tmp_path / "nowhere.exe")
    program = tmp_path / "msgrspec-com-bridge.exe"
    program.write_bytes(b"MZ")
    with pytest.raises(AdapterNotFound, match="wine is not installed"):
        ComAdapter(program, under_wine=True)
    adapter = ComAdapter(program, arguments='["--context", "local"]', under_wine=False)
    assert adapter.command == [str(program), "--context", "local"]


def test_the_bridge_command_under_wine_names_files_as_wine_sees_them(tmp_path):
    profile = tmp_path / "p.txt"
    profile.write_text("")
    command = bridge_command("/x/bridge.exe", ["--profile", str(profile), "--signin", "/not/a/file"],
                             under_wine=True)
    assert command == ["wine", "/x/bridge.exe", "--profile", windows_path(profile), "--signin", "/not/a/file"]
    assert windows_path(profile).startswith("Z:\\") and "/" not in windows_path(profile)


# -- the COM server dying or hanging under a run ------------------------------------------------------

def _local_servers(wine) -> list[int]:
    """Process ids of the example's local server running in the tests' prefix."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"msgrsc-server.exe" not in (entry / "cmdline").read_bytes():
                continue
            if f"WINEPREFIX={wine.env['WINEPREFIX']}".encode() not in (entry / "environ").read_bytes():
                continue
        except OSError:
            continue
        found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def fault_prefix():
    """A prefix of these tests' own: a local server killed under Wine 8.0 leaves its class registered, and
    every later activation in that prefix answers RPC_S_SERVER_UNAVAILABLE, so the shared one stays clean."""
    require("wine", "wineboot", "wineserver")
    prefix = WinePrefix(wine_root().parent / "wine-faults")
    prefix.start()
    yield prefix
    prefix.stop()


@pytest.fixture
def local_server(fault_prefix):
    """The example's local server, registered afresh for each test (its prefix restarted after it)."""
    dll, exe = com_server()
    run = fault_prefix.run(fault_prefix.windows_path(exe), "/RegServer", timeout=120)  # LocalServer32 names it so
    assert run.returncode == 0, run.stderr
    yield fault_prefix
    fault_prefix.run(fault_prefix.windows_path(exe), "/UnregServer", timeout=120)
    fault_prefix.start()  # ends the wineserver, and with it whatever the test left behind


def _run_while(wine, bridge, tmp_path, act) -> tuple[dict, float, list[int]]:
    """The lock tests through the local server, with `act(pid)` done to the server once it is up."""
    acted: list[int] = []

    def watch() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not acted:
            pids = _local_servers(wine)
            if pids:
                time.sleep(1.0)  # let some tests pass first
                for pid in pids:
                    try:
                        act(pid)
                    except ProcessLookupError:  # it exited meanwhile
                        continue
                    acted.append(pid)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    env = {**wine.env, "MSGRSPEC_BRIDGE": str(bridge)}
    run, report, elapsed = msgrspec_test(
        tmp_path, "--adapter", "com", "--call-timeout", "3", "-q", "-p", "no:cacheprovider", "-k", "test_lock",
        "--", "--profile", str(EXAMPLE / "com-profile.txt"), "--context", "local", env=env, timeout=900)
    watcher.join(timeout=5)
    assert report is not None, run.stdout[-3000:] + run.stderr[-3000:]
    return report, elapsed, acted


def _selection(tmp_path: Path) -> set[str]:
    """The assertion ids that the fault tests' selection (`-k test_lock`) runs, as a run of the reference says."""
    _, report, _ = msgrspec_test(tmp_path, "-q", "-p", "no:cacheprovider", "-k", "test_lock")
    assert report is not None and report["tests"], "the reference ran nothing for -k test_lock"
    return set(report["tests"])


def _assert_failed_not_stuck(report: dict, elapsed: float, acted: list[int], selection: set[str]) -> None:
    assert acted, "the local server never started"
    verdicts = [test["outcome"] for test in report["tests"].values()]
    assert set(report["tests"]) == selection, verdicts  # every test of the selection got its verdict
    reasons = [test.get("message") or "" for test in report["tests"].values() if test["outcome"] in ("failed", "blocked")]
    assert reasons, verdicts
    # RPC errors (0x8007..., 0x8001...) and the per-call timeout are what a dead or frozen server gives (after a
    # hang the bridge is restarted; the prefix's wineserver, older than the bridge, is spared, so the restarted
    # bridge still finds the type library registered)
    explained = re.compile(r"0x8007[0-9A-F]{4}|0x8001[0-9A-F]{4}|within 3 s \(the per-call timeout\)",
                           re.IGNORECASE | re.DOTALL)
    unexplained = [r for r in reasons if not explained.search(r)]
    assert not unexplained, unexplained
    assert elapsed < 600


def test_a_query_of_a_killed_com_server_answers_its_transport_error(local_server, bridge):
    """Wine's proxy answers a QueryInterface whose RemQueryInterface failed with E_NOINTERFACE (combase's
    ClientIdentity_QueryMultipleInterfaces keeps its local answer): the bridge must not pass that on as the
    implementation lacking the interface, but say the server is gone, as Windows' proxy does."""
    wine = local_server
    server = wine.popen(bridge, "--context", "local", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)

    def ask(request: dict) -> dict:
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        answer = json.loads(server.stdout.readline())
        assert answer["id"] == request["id"] and "result" in answer, answer
        return answer["result"]

    try:
        ask(HELLO)
        ask({"id": 1, "op": "open_world"})
        created = ask({"id": 2, "op": "create", **W, "coclass": "MsgrSessionManager"})
        assert created["hr"] == 0, created
        pids = _local_servers(wine)
        assert pids, "the local server did not start"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _local_servers(wine) and time.monotonic() < deadline:
            time.sleep(0.1)
        manager = created["value"]
        queried = ask({"id": 3, "op": "query_interface", **W, "object": manager, "interface": "IMsgrLock"})
        read = ask({"id": 4, "op": "get", **W, "object": {**manager, "interface": "IMsgrLock"}, "property": "Status"})
        connected = ask({"id": 5, "op": "connect", **W, "object": manager, "dispinterface": "DMsgrSessionManagerEvents"})
        disconnected = ask({"id": 6, "op": "disconnect", **W, "object": manager, "cookie": 12345})
        ask({"id": 7, "op": "shutdown"})
    finally:
        server.kill()
        _, diagnostics = server.communicate(timeout=60)
    transport = re.compile(r"0x800(?:706|101)[0-9A-F]{2}")  # RPC_S_* and RPC_E_* as HRESULTs
    for answer in (queried, read, connected, disconnected):
        assert transport.fullmatch(f"0x{answer['hr']:08X}"), (answer, diagnostics[-2000:])
    assert "E_NOINTERFACE" in diagnostics and "no longer answers" in diagnostics, diagnostics[-2000:]


def test_a_killed_com_server_fails_tests_and_the_run_goes_on(local_server, bridge, tmp_path):
    report, elapsed, killed = _run_while(local_server, bridge, tmp_path, lambda pid: os.kill(pid, signal.SIGKILL))
    _assert_failed_not_stuck(report, elapsed, killed, _selection(tmp_path))


def test_a_hung_com_server_fails_tests_by_the_call_timeout(local_server, bridge, tmp_path):
    stopped: list[int] = []

    def stop(pid: int) -> None:
        os.kill(pid, signal.SIGSTOP)
        stopped.append(pid)

    try:
        report, elapsed, _ = _run_while(local_server, bridge, tmp_path, stop)
    finally:
        for pid in stopped:  # the server this test froze: end it
            try:
                os.kill(pid, signal.SIGKILL)
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
    _assert_failed_not_stuck(report, elapsed, stopped, _selection(tmp_path))
