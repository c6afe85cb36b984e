"""The adapter protocol: its schema, the codec, the server loop, and the process and TCP adapters."""
from __future__ import annotations

import json
import subprocess
import sys
import threading

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msgrspec.adapter import EventRecord, ObjRef, Outcome
from msgrspec.protocol import (
    ImplementationFault, ProcessAdapter, RemoteError, TcpAdapter, TcpServer, codec,
)
from msgrspec.protocol.server import Session
from msgrspec.reference import ReferenceAdapter, single_party
from msgrspec.resources import schema

from protocol_helpers import FAULT_SERVER, PROCESS, SERVE, TCP, msgrspec_test, outcomes

SCHEMA = schema("protocol")
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
FUZZ = settings(derandomize=True, max_examples=300, deadline=None, database=None)
REF = {"object": "w1.o1", "interface": "IMsgrSessionManager"}
W = {"world": "w1", "party": "local"}

VALID_REQUESTS = [
    {"id": 0, "op": "hello", "protocol": "msgrspec-adapter", "versions": [1], "client": "tests"},
    {"id": 1, "op": "profile"},
    {"id": 2, "op": "open_world"},
    {"id": 3, "op": "close_world", "world": "w1"},
    {"id": 4, "op": "create", **W, "coclass": "{E3A3B1D9-5675-43C0-BF04-37BE11939FB7}"},
    {"id": 5, "op": "query_interface", **W, "object": REF, "interface": "IMsgrLock"},
    {"id": 6, "op": "call", **W, "object": REF, "method": "RegisterApplication",
     "args": ["{X}", None, "url", "C:\\x.exe", 0, True, 1.5, [1, [2, "x"]], REF, {"record": {"a": [REF]}}]},
    {"id": 7, "op": "get", "world": "w1", "party": "peer", "object": REF, "property": "PhoneNumber", "index": 2},
    {"id": 8, "op": "put", **W, "object": REF, "property": "Blocked", "value": False},
    {"id": 9, "op": "connect", **W, "object": REF, "dispinterface": "DMsgrSessionManagerEvents"},
    {"id": 10, "op": "disconnect", **W, "object": REF, "cookie": 3},
    {"id": 11, "op": "events", **W},
    {"id": 12, "op": "contact", **W, "signin": "bob@msgrspec.example"},
    {"id": 13, "op": "type_info", **W, "name": "LockStatus"},
    {"id": 14, "op": "launch", **W, "invitation": REF},
    {"id": 15, "op": "output", **W},
    {"id": 16, "op": "shutdown"},
]
VALID_RESPONSES = [
    ("hello", {"id": 0, "result": {"protocol": "msgrspec-adapter", "version": 1, "implementation": "x"}}),
    ("profile", {"id": 1, "result": {"implementation": "x", "product": "Messenger 4.5", "features": ["peer"],
                                     "lock_id": None, "lock_key": "k"}}),
    ("open_world", {"id": 2, "result": {"world": "w1", "parties": {"local": {"signin": "a@b.c"}, "peer": None}}}),
    ("close_world", {"id": 3, "result": {}}),
    ("create", {"id": 4, "result": {"hr": 0, "value": REF}}),
    ("call", {"id": 6, "result": {"hr": 2147942487}}),
    ("call", {"id": 6, "result": {"hr": -2147024809, "outs": [[1, 2]]}}),
    ("type_info", {"id": 13, "result": {"hr": 0, "value": {"record": {"values": {"record": {"A": 1}}}}}}),
    ("events", {"id": 11, "result": {"events": [{"cookie": 1, "dispinterface": "D", "name": "OnX",
                                                 "args": [REF, "x", True, 7]}]}}),
    ("output", {"id": 15, "result": {"text": "log\n"}}),
    ("shutdown", {"id": 16, "result": {}}),
    ("call", {"id": None, "error": {"code": "bad-json", "message": "not JSON"}}),
    ("hello", {"id": 0, "error": {"code": "version-mismatch", "message": "no", "versions": [1]}}),
]
INVALID_REQUESTS = [
    ({"op": "profile"}, "no id"),
    ({"id": -1, "op": "profile"}, "negative id"),
    ({"id": 1, "op": "frobnicate"}, "unknown operation"),
    ({"id": 1, "op": ["call"]}, "op not a string"),
    ({"id": 1, "op": "profile", "extra": 1}, "unknown key"),
    ({"id": 1, "op": "hello", "protocol": "other", "versions": [1]}, "another protocol"),
    ({"id": 1, "op": "hello", "protocol": "msgrspec-adapter", "versions": []}, "no versions"),
    ({"id": 1, "op": "create", "world": "w1", "party": "third", "coclass": "X"}, "a third party"),
    ({"id": 1, "op": "create", "party": "local", "coclass": "X"}, "no world"),
    ({"id": 1, "op": "call", **W, "object": REF, "method": "M"}, "no args"),
    ({"id": 1, "op": "call", **W, "object": {"object": "o"}, "method": "M", "args": []}, "objref without interface"),
    ({"id": 1, "op": "call", **W, "object": REF, "method": "M", "args": [{"a": 1}]}, "a bare JSON object"),
    ({"id": 1, "op": "call", **W, "object": REF, "method": "M", "args": [{**REF, "x": 1}]}, "objref with extra key"),
    ({"id": 1, "op": "disconnect", **W, "object": REF, "cookie": 2**40}, "cookie beyond 32 bits"),
    ({"id": 1, "op": "put", **W, "object": REF, "property": "P"}, "put without value"),
]
INVALID_RESPONSES = [
    ("create", {"id": 4, "result": {"value": REF}}, "no hr"),
    ("create", {"id": 4, "result": {"hr": 2**32}}, "hr beyond 32 bits"),
    ("create", {"id": 4, "result": {"hr": 0}, "error": {"code": "bad-json", "message": ""}}, "both"),
    ("events", {"id": 4, "result": {"events": [{"cookie": 1, "dispinterface": "D", "name": "E"}]}}, "no args"),
    ("open_world", {"id": 2, "result": {"world": "w1"}}, "no parties"),
    ("hello", {"id": 0, "result": {"protocol": "msgrspec-adapter", "version": 0, "implementation": "x"}}, "v0"),
    ("call", {"id": 6, "error": {"code": "teapot", "message": "x"}}, "unknown error code"),
    ("close_world", {"id": 3, "result": {"hr": 0}}, "close_world with an outcome"),
]


# -- the schema ------------------------------------------------------------------------------------

def test_schema_is_a_valid_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_defines_every_operation_both_ways():
    defs = SCHEMA["$defs"]
    for op in codec.OPERATIONS:
        assert f"{op}-request" in defs and f"{op}-response" in defs, op
    assert set(defs["request"]["properties"]["op"]["enum"]) == set(codec.OPERATIONS)
    assert defs["error-response"]["properties"]["error"]["properties"]["code"]["enum"] == list(codec.ERROR_CODES)


@pytest.mark.parametrize("message", VALID_REQUESTS, ids=[m["op"] for m in VALID_REQUESTS])
def test_valid_requests_pass(message):
    assert not list(VALIDATOR.iter_errors(message))
    codec.check_request(message)


@pytest.mark.parametrize("op,message", VALID_RESPONSES, ids=[f"{op}-{i}" for i, (op, _) in enumerate(VALID_RESPONSES)])
def test_valid_responses_pass(op, message):
    assert not list(VALIDATOR.iter_errors(message))
    codec.check_response(message, op)


@pytest.mark.parametrize("message,why", INVALID_REQUESTS, ids=[why for _, why in INVALID_REQUESTS])
def test_invalid_requests_are_refused(message, why):
    with pytest.raises(codec.MessageError):
        codec.check_request(message)
    if isinstance(message.get("op"), str) and message["op"] in codec.OPERATIONS:
        assert not jsonschema.Draft202012Validator(
            {"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{message['op']}-request"}).is_valid(message)


@pytest.mark.parametrize("op,message,why", INVALID_RESPONSES, ids=[why for _, _, why in INVALID_RESPONSES])
def test_invalid_responses_are_refused(op, message, why):
    with pytest.raises(codec.MessageError):
        codec.check_response(message, op)


def test_refusals_name_the_problem():
    with pytest.raises(codec.MessageError, match="'args' is a required property"):
        codec.check_request({"id": 1, "op": "call", **W, "object": REF, "method": "M"})


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**64, max_value=2**65), st.text(max_size=5),
                      st.floats(allow_nan=False, allow_infinity=False))
json_data = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["object", "interface", "record", "x"]), inner,
                                                  max_size=3)), max_leaves=8)


@FUZZ
@given(data=json_data, where=st.sampled_from(["args", "result", "event", "whole"]))
def test_quick_check_never_accepts_what_jsonschema_refuses(data, where):
    """On arbitrary data in every position: what jsonschema_rs accepts jsonschema accepts, and codec.check
    (jsonschema_rs first, jsonschema for what it refuses) refuses exactly what jsonschema refuses."""
    if where == "args":
        message, definition = {"id": 1, "op": "call", **W, "object": REF, "method": "M", "args": [data]}, \
            "call-request"
    elif where == "result":
        message, definition = {"id": 1, "result": {"hr": 0, "value": data}}, "call-response"
    elif where == "event":
        message, definition = {"id": 1, "result": {"events": [{"cookie": 1, "dispinterface": "D", "name": "E",
                                                                "args": [data]}]}}, "events-response"
    else:
        message, definition = data, "request"
    full = jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{definition}"}).is_valid(message)
    quick = jsonschema_rs.validator_for({"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{definition}"}).is_valid(message)
    assert full or not quick, (message, definition)
    try:
        codec.check(message, definition)
        checked = True
    except codec.MessageError:
        checked = False
    assert checked == full, (message, definition)


# -- the codec ---------------------------------------------------------------------------------------

def test_values_round_trip():
    value = [None, True, 0, -1, 2**32 - 1, "é\U0001F600", 1.5, ObjRef("o1", "IMsgrSession"),
             {"guid": "{X}", "members": [{"name": "A", "params": [ObjRef("o2", "IDispatch")]}]}, (1, 2)]
    wire = json.loads(codec.dump({"v": codec.encode_value(value)}))["v"]
    assert codec.decode_value(wire) == value[:-1] + [[1, 2]]
    outcome = Outcome(0x81000752, ObjRef("o1", "IMsgrLock"), ([3, 4], "x"))
    assert codec.decode_outcome(codec.encode_outcome(outcome)) == outcome
    event = EventRecord(3, "DMsgrSessionEvents", "OnTermination", (0x81000606, ""))
    assert codec.decode_event(codec.encode_event(event)) == event


@pytest.mark.parametrize("value", [object(), {1: "x"}, float("nan"), b"bytes"])
def test_values_without_a_wire_form_are_refused(value):
    with pytest.raises(codec.EncodeError):
        codec.encode_value(value)


def test_outcomes_are_checked_before_they_go_out():
    with pytest.raises(codec.EncodeError, match="not an Outcome"):
        codec.encode_outcome("S_OK")
    with pytest.raises(codec.EncodeError, match="does not fit 32 bits"):
        codec.encode_outcome(Outcome(2**40))


@pytest.mark.parametrize("line,why", [(b"garbage\n", "not JSON"), (b"[1, 2]\n", "not an object"),
                                      (b'{"a": 1, "a": 2}\n', "appears twice"), (b'{"a": NaN}\n', "not JSON"),
                                      (b"\xff\xfe\n", "not UTF-8"), (b"\n", "empty line")])
def test_lines_that_are_not_messages(line, why):
    with pytest.raises(codec.MessageError, match=why):
        codec.parse(line)


def test_a_message_is_one_line():
    line = codec.dump({"id": 1, "text": "two\nlines\u2028", "e": "é"})
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and line.isascii()


# -- the server loop --------------------------------------------------------------------------------------

def hello(session: Session, versions=(1,)) -> dict:
    return session.handle({"id": 0, "op": "hello", "protocol": "msgrspec-adapter", "versions": list(versions)})


def test_server_wants_a_handshake_first():
    session = Session(ReferenceAdapter())
    answer = session.handle({"id": 1, "op": "open_world"})
    assert answer["error"]["code"] == "no-handshake"
    assert hello(session)["result"]["version"] == 1
    assert "world" in session.handle({"id": 2, "op": "open_world"})["result"]


def test_server_refuses_a_version_it_does_not_speak():
    answer = hello(Session(ReferenceAdapter()), versions=(2, 3))
    assert answer["error"]["code"] == "version-mismatch" and answer["error"]["versions"] == [1]
    assert "no common protocol version" in answer["error"]["message"]
    codec.check_response(answer, "hello")


def test_server_answers_bad_lines_and_keeps_going():
    session = Session(ReferenceAdapter())
    bad = json.loads(session.handle_line(b"{not json\n"))
    assert bad["id"] is None and bad["error"]["code"] == "bad-json"
    hello(session)
    wrong = session.handle({"id": 5, "op": "create", "world": "w1", "party": "local"})
    assert wrong == {"id": 5, "error": {"code": "bad-message", "message": wrong["error"]["message"]}}
    assert "'coclass' is a required property" in wrong["error"]["message"]
    assert session.handle({"id": 6, "op": "events", "world": "nope", "party": "local"})["error"]["code"] == \
        "unknown-world"


def test_server_reports_a_missing_peer():
    session = Session(single_party())
    hello(session)
    world = session.handle({"id": 1, "op": "open_world"})["result"]
    assert world["parties"]["peer"] is None
    answer = session.handle({"id": 2, "op": "events", "world": world["world"], "party": "peer"})
    assert answer["error"]["code"] == "no-peer"


def test_server_turns_a_raising_adapter_into_an_error_response():
    class Raising(ReferenceAdapter):
        def open_world(self):
            raise RuntimeError("boom")
    logged = []
    session = Session(Raising(), log=logged.append)
    hello(session)
    answer = session.handle({"id": 1, "op": "open_world"})
    assert answer["error"] == {"code": "adapter-fault", "message": "the served adapter raised RuntimeError: boom"}
    assert "Traceback" in logged[0]


@FUZZ
@given(op=st.sampled_from(sorted(codec.OPERATIONS) + ["nonsense"]),
       fields=st.dictionaries(st.sampled_from(["id", "world", "party", "object", "args", "method", "coclass",
                                               "versions", "protocol", "cookie", "value", "index", "name"]),
                              json_data, max_size=6))
def test_server_answers_anything_with_a_valid_response(op, fields):
    """Whatever arrives, the answer is a well-formed response (a result or an error), never an exception."""
    session = Session(ReferenceAdapter())
    hello(session)
    session.handle({"id": 1, "op": "open_world"})
    answer = session.handle({"op": op, **fields})
    assert VALIDATOR.is_valid(answer), answer
    if "result" in answer:
        codec.check_response(answer, op)


def test_server_drives_the_reference_end_to_end():
    session = Session(ReferenceAdapter())
    hello(session)
    world = session.handle({"id": 1, "op": "open_world"})["result"]["world"]
    w = {"world": world, "party": "local"}
    created = session.handle({"id": 2, "op": "create", **w, "coclass": "MsgrSessionManager"})["result"]
    assert created["hr"] == 0 and created["value"]["interface"] == "IMsgrSessionManager"
    connected = session.handle({"id": 3, "op": "connect", **w, "object": created["value"],
                                "dispinterface": "DMsgrSessionManagerEvents"})
    codec.check_response(connected, "connect")
    events = session.handle({"id": 4, "op": "events", **w})
    codec.check_response(events, "events")
    assert [e["name"] for e in events["result"]["events"]] == ["OnLockStatusChanged", "OnLockEnable"]
    described = session.handle({"id": 5, "op": "type_info", **w, "name": "IMsgrLock"})
    codec.check_response(described, "type_info")
    assert codec.decode_outcome(described["result"]).value["guid"] == "{36602AFA-4859-4DF5-820B-BF35ACAA16CA}"
    assert session.handle({"id": 6, "op": "close_world", "world": world}) == {"id": 6, "result": {}}
    assert session.handle({"id": 7, "op": "shutdown"}) == {"id": 7, "result": {}} and session.finished


# -- the adapters, against real servers ----------------------------------------------------------------------

def exercise(adapter) -> None:
    """Every kind of operation once, through the adapter, against the reference behind the protocol."""
    profile = adapter.profile()
    assert profile.implementation == "msgrspec reference implementation" and "peer" in profile.features
    world = adapter.open_world()
    local, peer = world.local, world.peer
    assert local.signin == "alice@msgrspec.example" and peer.signin == "bob@msgrspec.example"
    manager = local.create("MsgrSessionManager")
    assert manager.ok and isinstance(manager.value, ObjRef)
    lock = local.query_interface(manager.value, "IMsgrLock").value
    cookie = local.connect(manager.value, "DMsgrSessionManagerEvents").value
    assert local.call(lock, "RequestChallenge", [7]).ok
    events = local.events()
    assert all(isinstance(e, EventRecord) for e in events) and events[-1].name == "OnLockChallenge"
    assert events[-1].args[0] == 7 and isinstance(events[-1].args, tuple)
    assert local.call(manager.value, "CreateSession").hr == 0x81000752  # MSGR_E_API_LOCKED
    assert local.get(lock, "Status").value == 3 and local.put(lock, "Status", 1).hr == 0x80020003
    assert local.disconnect(manager.value, cookie).ok
    contact = local.contact(peer.signin).value
    assert local.get(contact, "PhoneNumber", 0).hr == 0x80004005
    assert local.type_info("LockStatus").value["values"]["LOCK_UNLOCKED"] == 4
    assert local.launch(manager.value).hr == 0x80070057
    assert isinstance(local.output(), str)
    world.close()


def test_process_adapter_drives_the_reference_server():
    adapter = ProcessAdapter(SERVE, call_timeout=10)
    try:
        exercise(adapter)
        assert adapter.starts == 1
    finally:
        adapter.close()
    adapter.close()  # closing twice is harmless


def test_tcp_adapter_drives_a_tcp_server():
    with TcpServer(("127.0.0.1", 0), ReferenceAdapter()) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        host, port = server.address
        first, second = TcpAdapter(f"{host}:{port}"), TcpAdapter((host, port))
        try:
            exercise(first)
            exercise(second)
            assert server.connections == 2
        finally:
            first.close()
            second.close()
            server.shutdown()


def test_process_adapter_stderr_reaches_the_output():
    script = ("import sys; sys.stderr.write('hello from the server\\n'); sys.stderr.flush(); "
              "from msgrspec.protocol.serve import main; main([])")
    adapter = ProcessAdapter([sys.executable, "-c", script])
    try:
        world = adapter.open_world()
        text = world.local.output()
        assert "hello from the server" in text and "-- stderr of the implementation" in text
        world.close()
    finally:
        adapter.close()


def test_a_server_choosing_another_version_is_refused(tmp_path):
    adapter = ProcessAdapter([sys.executable, FAULT_SERVER, "bad-version", "1", str(tmp_path / "marker")])
    with pytest.raises(ImplementationFault, match="chose protocol version 99, which this client does not speak"):
        adapter.open_world()
    adapter.close()


def test_a_server_refusing_our_version_is_reported(tmp_path):
    script = tmp_path / "old_server.py"
    script.write_text("import sys, json\nline = sys.stdin.readline()\n"
                      "print(json.dumps({'id': 1, 'error': {'code': 'version-mismatch', 'message': 'I speak 7',"
                      " 'versions': [7]}}), flush=True)\n")
    adapter = ProcessAdapter([sys.executable, str(script)])
    with pytest.raises(ImplementationFault, match=r"refused the handshake \(version-mismatch\): I speak 7"):
        adapter.open_world()
    adapter.close()


def test_a_server_that_stops_reading_cannot_block_the_client(tmp_path):
    script = tmp_path / "deaf_server.py"
    script.write_text("import sys, time\nfrom msgrspec.protocol.server import Session\n"
                      "from msgrspec.reference import ReferenceAdapter\n"
                      "session = Session(ReferenceAdapter())\n"
                      "for _ in range(3):\n"
                      "    sys.stdout.buffer.write(session.handle_line(sys.stdin.buffer.readline()))\n"
                      "    sys.stdout.flush()\n"
                      "time.sleep(600)\n")
    adapter = ProcessAdapter([sys.executable, str(script)], call_timeout=1)
    try:
        world = adapter.open_world()
        with pytest.raises(ImplementationFault, match="did not read the request call IMsgrSession.X within 1 s"):
            world.local.call(ObjRef("o", "IMsgrSession"), "X", ["x" * 4_000_000])
    finally:
        adapter.close()


def test_a_refused_request_is_a_remote_error_and_the_connection_survives():
    adapter = ProcessAdapter(SERVE)
    try:
        world = adapter.open_world()
        connection = adapter.connection()
        with pytest.raises(RemoteError, match="unknown-world"):
            connection.request("events", world="w999", party="local")
        assert world.local.create("MsgrSessionManager").ok and adapter.starts == 1
    finally:
        adapter.close()


def test_profile_of_an_unreachable_implementation(tmp_path):
    adapter = ProcessAdapter([str(tmp_path / "no-such-program")], max_failed_starts=2)
    profile = adapter.profile()
    assert "unreachable" in profile.implementation and not profile.features
    with pytest.raises(ImplementationFault, match="could not be started"):
        adapter.open_world()
    with pytest.raises(ImplementationFault, match="failed to start 2 times in a row; not trying again"):
        adapter.open_world()


def assert_in_process_verdicts(tmp_path, report: dict, *selection: str) -> None:
    """The report has exactly the verdicts of the in-process reference for the same selection, all of them
    passed or not applicable."""
    _, expected, _ = msgrspec_test(tmp_path, "-q", *selection)
    assert outcomes(report) == outcomes(expected)
    assert expected["tests"] and set(outcomes(expected).values()) <= {"passed", "not-applicable"}


# -- the command line -------------------------------------------------------------------------------------------

def test_msgrspec_test_runs_a_process(tmp_path):
    run, report, _ = msgrspec_test(tmp_path, "-q", "--adapter", PROCESS, "--interface", "IMsgrLock",
                                   "--interface", "LockStatus", "--", *SERVE)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert_in_process_verdicts(tmp_path, report, "--interface", "IMsgrLock", "--interface", "LockStatus")
    assert report["implementation"] == "msgrspec reference implementation"


def test_msgrspec_test_connects_over_tcp(tmp_path):
    server = subprocess.Popen([*SERVE, "--tcp", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        banner = server.stdout.readline()
        assert banner.startswith("listening on 127.0.0.1:"), banner + server.stderr.read()
        address = banner.split()[-1]
        run, report, _ = msgrspec_test(tmp_path, "-q", "--adapter", TCP, "--connect", address, "--interface",
                                       "IMsgrSessionManager")
        assert run.returncode == 0, run.stdout[-3000:]
        assert_in_process_verdicts(tmp_path, report, "--interface", "IMsgrSessionManager")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_process_adapter_without_a_command_is_a_usage_error(tmp_path):
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("MSGRSPEC_")}
    run, report, _ = msgrspec_test(tmp_path, "--adapter", PROCESS, env=env)
    assert run.returncode != 0 and report is None
    assert "needs the implementation's command line" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_dashes_still_pass_pytest_arguments_to_the_reference(tmp_path):
    run, report, _ = msgrspec_test(tmp_path, "--interface", "IMsgrLock", "--interface", "LockStatus", "--", "-q",
                                   "-x")
    assert run.returncode == 0, run.stdout[-2000:]
    assert_in_process_verdicts(tmp_path, report, "--interface", "IMsgrLock", "--interface", "LockStatus")
