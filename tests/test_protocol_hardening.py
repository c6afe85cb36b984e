"""The protocol against a hostile or broken peer: framing, nesting, resource limits, the serve command line."""
from __future__ import annotations

import io
import json
import socket
import threading

from msgrspec.protocol import TcpServer, codec, serve_stream
from msgrspec.reference import ReferenceAdapter

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
