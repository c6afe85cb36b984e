"""The wire form of the adapter protocol: values, messages, framing and schema checks.

One message is one JSON object on one line (UTF-8, ended by a newline). Values
of the adapter contract travel as JSON: str, int, bool, None, float and lists
as themselves, an ObjRef as ``{"object": ID, "interface": NAME}`` and a dict
(a type_info description) wrapped as ``{"record": {...}}``, so that a JSON
object in a value is never ambiguous. Tuples travel as arrays; the contract's
tuple fields (Outcome.outs, EventRecord.args) come back as tuples.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any, BinaryIO

import jsonschema
import jsonschema_rs

from ..adapter import EventRecord, ObjRef, Outcome
from ..resources import schema as load_schema

PROTOCOL_NAME = "msgrspec-adapter"
#: the versions this package speaks, newest last
PROTOCOL_VERSIONS = (1,)
PROTOCOL_VERSION = PROTOCOL_VERSIONS[-1]
#: a line longer than this (not counting its line feed) is refused
MAX_LINE = 16 * 1024 * 1024
#: arrays and objects nested deeper than this are refused (a type_info record needs about ten levels)
MAX_DEPTH = 64

#: every operation and whether it names a world and a party
OPERATIONS = {
    "hello": (False, False), "profile": (False, False), "open_world": (False, False), "close_world": (True, False),
    "create": (True, True), "query_interface": (True, True), "call": (True, True), "get": (True, True),
    "put": (True, True), "connect": (True, True), "disconnect": (True, True), "events": (True, True),
    "contact": (True, True), "type_info": (True, True), "launch": (True, True), "output": (True, True),
    "shutdown": (False, False),
}
OUTCOME_OPERATIONS = frozenset({"create", "query_interface", "call", "get", "put", "connect", "disconnect",
                                "contact", "type_info", "launch"})
ERROR_CODES = ("bad-json", "bad-message", "no-handshake", "version-mismatch", "unknown-world", "no-peer",
               "adapter-fault")


class MessageError(ValueError):
    """A line that is not a valid message of the protocol."""


class OverLimit(MessageError):
    """A line beyond the protocol's limits (length, nesting): a bad message, whether or not it is JSON."""


class EncodeError(TypeError):
    """A value the protocol cannot carry."""


# -- values -------------------------------------------------------------------------------------

def encode_value(value: Any) -> Any:
    """A contract value as JSON data."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise EncodeError(f"{value!r} has no JSON form")
        return value
    if isinstance(value, ObjRef):
        return {"object": value.object_id, "interface": value.interface}
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    if isinstance(value, Mapping):
        record = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise EncodeError(f"a record key must be a string, not {type(key).__name__} {key!r}")
            record[key] = encode_value(item)
        return {"record": record}
    raise EncodeError(f"a {type(value).__name__} ({value!r:.60}) cannot cross the adapter protocol")


def decode_value(data: Any) -> Any:
    """JSON data (already checked against the schema) as a contract value."""
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    if isinstance(data, dict):
        if "record" in data:
            return {k: decode_value(v) for k, v in data["record"].items()}
        return ObjRef(data["object"], data["interface"])
    return data


def encode_outcome(outcome: Outcome) -> dict:
    if not isinstance(outcome, Outcome):
        raise EncodeError(f"the adapter answered with {type(outcome).__name__}, not an Outcome")
    if not isinstance(outcome.hr, int) or isinstance(outcome.hr, bool):
        raise EncodeError(f"the adapter answered with an HRESULT of type {type(outcome.hr).__name__}")
    if not -2**31 <= outcome.hr < 2**32:
        raise EncodeError(f"the HRESULT {outcome.hr} does not fit 32 bits")
    data: dict[str, Any] = {"hr": outcome.hr}
    if outcome.value is not None:
        data["value"] = encode_value(outcome.value)
    if outcome.outs:
        data["outs"] = [encode_value(v) for v in outcome.outs]
    return data


def decode_outcome(data: dict) -> Outcome:
    return Outcome(data["hr"], decode_value(data.get("value")), tuple(decode_value(v) for v in data.get("outs", ())))


def encode_event(event: EventRecord) -> dict:
    if not isinstance(event, EventRecord):
        raise EncodeError(f"the adapter's events() gave {type(event).__name__}, not EventRecord")
    return {"cookie": event.cookie, "dispinterface": event.dispinterface, "name": event.name,
            "args": [encode_value(a) for a in event.args]}


def decode_event(data: dict) -> EventRecord:
    return EventRecord(data["cookie"], data["dispinterface"], data["name"],
                       tuple(decode_value(a) for a in data["args"]))


# -- framing ------------------------------------------------------------------------------------

def dump(message: dict) -> bytes:
    """One message as one line."""
    return json.dumps(message, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode("ascii") + b"\n"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise MessageError(f"the key {key!r} appears twice")
        found[key] = value
    return found


def _no_constants(name: str) -> Any:
    raise MessageError(f"{name} is not JSON")


def read_line(stream: BinaryIO) -> bytes:
    """The next line of a binary stream (b"" at its end).

    A line longer than MAX_LINE is read on to its line feed and dropped, so that nothing of it is
    taken for the next message; OverLimit says so."""
    line = stream.readline(MAX_LINE + 1)
    if len(line) <= MAX_LINE or line.endswith(b"\n"):
        return line
    dropped = len(line)
    while not line.endswith(b"\n"):
        line = stream.readline(65536)
        if not line:
            break
        dropped += len(line)
    raise OverLimit(f"a line of {dropped} bytes or more is longer than the limit ({MAX_LINE}); it was dropped")


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Whether arrays and objects nest deeper than limit (walked without recursion)."""
    pending = [(data, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse(line: bytes | str) -> dict:
    """One line as a JSON object; MessageError if it is not one, OverLimit if it is too long or too deep."""
    if isinstance(line, bytes):
        if len(line.rstrip(b"\n")) > MAX_LINE:
            raise OverLimit(f"a line of {len(line)} bytes is longer than the limit ({MAX_LINE})")
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MessageError(f"not UTF-8: {exc}") from None
    text = line.strip()
    if not text:
        raise MessageError("an empty line")
    too_deep = OverLimit(f"arrays and objects are nested deeper than the limit ({MAX_DEPTH} levels)")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except MessageError:
        raise
    except RecursionError:
        raise too_deep from None
    except ValueError as exc:
        raise MessageError(f"not JSON ({exc}): {shorten(text)}") from None
    if not isinstance(data, dict):
        raise MessageError(f"a JSON {type(data).__name__}, not an object: {shorten(text)}")
    if _depth_exceeds(data, MAX_DEPTH):
        raise too_deep
    return data


def shorten(text: str | bytes, limit: int = 120) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text.rstrip("\n")
    return repr(text if len(text) <= limit else text[:limit] + "...")


# -- schema -------------------------------------------------------------------------------------

def protocol_schema() -> dict:
    """The JSON Schema of every message (msgrspec/schema/protocol.schema.json)."""
    return load_schema("protocol")


def _definition(name: str) -> dict:
    """A schema of its own for $defs/<name> of the protocol schema."""
    whole = protocol_schema()
    return {"$schema": whole["$schema"], "$defs": whole["$defs"], "$ref": f"#/$defs/{name}"}


@functools.cache
def _quick(definition: str):
    return jsonschema_rs.validator_for(_definition(definition))


@functools.cache
def _validator(definition: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_definition(definition))


def _describe(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    return error.message + (f" (at {where})" if where else "")


def check(message: dict, definition: str) -> None:
    """MessageError unless message matches $defs/<definition> of the protocol schema.

    jsonschema_rs (compiled, about a microsecond a message) answers first; a message it refuses goes
    through jsonschema, which has the last word and explains a refusal. Its "valid" can be trusted:
    it never accepts what jsonschema refuses (tests/test_protocol.py), though it refuses some data
    jsonschema accepts (integers beyond 64 bits), which then costs only the slower check."""
    if _quick(definition).is_valid(message):
        return
    errors = list(_validator(definition).iter_errors(message))
    if errors:
        raise MessageError(_describe(jsonschema.exceptions.best_match(errors)))


def check_request(message: dict) -> None:
    op = message.get("op")
    if not isinstance(op, str):
        raise MessageError("no 'op' string")
    if op not in OPERATIONS:
        raise MessageError(f"unknown operation {op!r}")
    check(message, f"{op}-request")


def check_response(message: dict, op: str) -> None:
    """A server's answer to a request of `op`: a result of that operation or an error."""
    if "error" in message:
        check(message, "error-response")
    else:
        check(message, f"{op}-response")
