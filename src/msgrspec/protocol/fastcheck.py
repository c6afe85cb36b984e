"""A quick yes/no check of JSON data against the protocol schema, compiled to closures.

jsonschema takes about a millisecond for one protocol message, which would
dwarf the call it carries. The schema uses a small set of keywords; this
module compiles exactly those into Python closures (the schema file stays the
only definition of a valid message) and refuses to compile a schema that uses
any other keyword, so a richer schema cannot be checked more loosely by
mistake. A message the quick check refuses is then run through jsonschema
for the explanation; tests/test_protocol.py checks that both agree.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_IGNORED = {"$schema", "$id", "$comment", "title", "description", "version", "$defs", "examples", "default", "format"}
_TYPES: dict[str, Check] = {
    "null": lambda x: x is None,
    "boolean": lambda x: isinstance(x, bool),
    "integer": lambda x: (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer()),
    "number": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
    "string": lambda x: isinstance(x, str),
    "array": lambda x: isinstance(x, list),
    "object": lambda x: isinstance(x, dict),
}


class UnsupportedSchema(ValueError):
    pass


def _equal(a: Any, b: Any) -> bool:
    """Equality as JSON Schema sees it: true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return a == b


class Compiler:
    def __init__(self, root: dict):
        self.root = root
        self._refs: dict[str, Check] = {}

    def ref(self, pointer: str) -> Check:
        if pointer in self._refs:
            return self._refs[pointer]
        if not pointer.startswith("#/$defs/"):
            raise UnsupportedSchema(f"only local $defs references are supported, not {pointer!r}")
        target = self.root["$defs"][pointer[len("#/$defs/"):]]
        slot: list[Check] = []
        self._refs[pointer] = lambda x: slot[0](x)  # recursion (value inside value) goes through the slot
        compiled = self.compile(target)
        slot.append(compiled)
        self._refs[pointer] = compiled
        return compiled

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda x: True
        if schema is False:
            return lambda x: False
        checks: list[Check] = []
        unknown = set(schema) - _IGNORED - set(_KEYWORDS) - {"then", "else"}
        if unknown:
            raise UnsupportedSchema(f"keywords the quick check does not know: {sorted(unknown)}")
        for keyword, build in _KEYWORDS.items():
            if keyword in schema:
                checks.append(build(self, schema[keyword], schema))
        if len(checks) == 1:
            return checks[0]
        checks_t = tuple(checks)

        def every(x: Any) -> bool:
            for check in checks_t:
                if not check(x):
                    return False
            return True
        return every

    def declared_types(self, schema: Any) -> frozenset[str] | None:
        """The JSON types a schema can accept, when its own `type` (or its $ref's) says; None if unknown."""
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and "type" not in schema and seen < 10:
            schema = self.root["$defs"].get(schema["$ref"][len("#/$defs/"):], {})
            seen += 1
        if not isinstance(schema, dict) or "type" not in schema:
            return None
        names = {schema["type"]} if isinstance(schema["type"], str) else set(schema["type"])
        if "number" in names:
            names.add("integer")
        return frozenset(names)


def json_type(x: Any) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "boolean"
    if isinstance(x, int):
        return "integer"
    if isinstance(x, float):
        return "integer" if x.is_integer() else "number"
    if isinstance(x, str):
        return "string"
    if isinstance(x, list):
        return "array"
    if isinstance(x, dict):
        return "object"
    return "unknown"


def _type(c: Compiler, value: Any, schema: dict) -> Check:
    names = [value] if isinstance(value, str) else list(value)
    tests = [_TYPES[n] for n in names]
    return tests[0] if len(tests) == 1 else (lambda x: any(t(x) for t in tests))


def _const(c: Compiler, value: Any, schema: dict) -> Check:
    if isinstance(value, str):
        return lambda x: isinstance(x, str) and x == value
    return lambda x: _equal(x, value)


def _enum(c: Compiler, values: list, schema: dict) -> Check:
    if all(isinstance(v, str) for v in values):
        allowed = frozenset(values)
        return lambda x: isinstance(x, str) and x in allowed
    return lambda x: any(_equal(x, v) for v in values)


def _properties(c: Compiler, props: dict, schema: dict) -> Check:
    compiled = {name: c.compile(sub) for name, sub in props.items()}

    def check(x: Any) -> bool:
        if not isinstance(x, dict):
            return True
        for name, sub in compiled.items():
            if name in x and not sub(x[name]):
                return False
        return True
    return check


def _additional(c: Compiler, extra: Any, schema: dict) -> Check:
    known = frozenset(schema.get("properties", {}))
    if schema.get("patternProperties"):
        raise UnsupportedSchema("patternProperties")
    if extra is False:
        return lambda x: not isinstance(x, dict) or x.keys() <= known
    sub = c.compile(extra)
    return lambda x: not isinstance(x, dict) or all(sub(v) for k, v in x.items() if k not in known)


def _required(c: Compiler, names: list, schema: dict) -> Check:
    wanted = tuple(names)
    return lambda x: not isinstance(x, dict) or all(n in x for n in wanted)


def _max_properties(c: Compiler, limit: int, schema: dict) -> Check:
    return lambda x: not isinstance(x, dict) or len(x) <= limit


def _items(c: Compiler, sub: Any, schema: dict) -> Check:
    item = c.compile(sub)
    return lambda x: not isinstance(x, list) or all(item(v) for v in x)


def _min_items(c: Compiler, limit: int, schema: dict) -> Check:
    return lambda x: not isinstance(x, list) or len(x) >= limit


def _unique(c: Compiler, flag: bool, schema: dict) -> Check:
    if not flag:
        return lambda x: True
    return lambda x: not isinstance(x, list) or all(not _equal(a, b) for i, a in enumerate(x) for b in x[i + 1:])


def _number(test: Callable[[Any, Any], bool]) -> Callable[[Compiler, Any, dict], Check]:
    def build(c: Compiler, limit: Any, schema: dict) -> Check:
        return lambda x: not _TYPES["number"](x) or test(x, limit)
    return build


def _length(test: Callable[[int, int], bool]) -> Callable[[Compiler, Any, dict], Check]:
    def build(c: Compiler, limit: int, schema: dict) -> Check:
        return lambda x: not isinstance(x, str) or test(len(x), limit)
    return build


def _pattern(c: Compiler, pattern: str, schema: dict) -> Check:
    regex = re.compile(pattern)
    return lambda x: not isinstance(x, str) or regex.search(x) is not None


def _ref(c: Compiler, pointer: str, schema: dict) -> Check:
    return c.ref(pointer)


def _one_of(c: Compiler, subs: list, schema: dict) -> Check:
    compiled = [(c.declared_types(s), c.compile(s)) for s in subs]
    # only the branches whose declared type admits the instance's type can match
    by_type = {t: tuple(check for types, check in compiled if types is None or t in types or
                        (t == "integer" and "number" in types))
               for t in ("null", "boolean", "integer", "number", "string", "array", "object", "unknown")}

    def check(x: Any) -> bool:
        matched = 0
        for branch in by_type[json_type(x)]:
            if branch(x):
                matched += 1
                if matched > 1:
                    return False
        return matched == 1
    return check


def _any_of(c: Compiler, subs: list, schema: dict) -> Check:
    compiled = [c.compile(s) for s in subs]
    return lambda x: any(s(x) for s in compiled)


def _all_of(c: Compiler, subs: list, schema: dict) -> Check:
    compiled = [c.compile(s) for s in subs]
    return lambda x: all(s(x) for s in compiled)


def _not(c: Compiler, sub: Any, schema: dict) -> Check:
    compiled = c.compile(sub)
    return lambda x: not compiled(x)


def _if(c: Compiler, sub: Any, schema: dict) -> Check:
    condition = c.compile(sub)
    then = c.compile(schema.get("then", True))
    otherwise = c.compile(schema.get("else", True))
    return lambda x: then(x) if condition(x) else otherwise(x)


_KEYWORDS: dict[str, Callable[[Compiler, Any, dict], Check]] = {
    "type": _type, "const": _const, "enum": _enum, "required": _required, "properties": _properties,
    "additionalProperties": _additional, "maxProperties": _max_properties, "items": _items,
    "minItems": _min_items, "uniqueItems": _unique,
    "minimum": _number(lambda x, n: x >= n), "maximum": _number(lambda x, n: x <= n),
    "minLength": _length(lambda n, m: n >= m), "maxLength": _length(lambda n, m: n <= m),
    "pattern": _pattern, "$ref": _ref, "oneOf": _one_of, "anyOf": _any_of, "allOf": _all_of, "not": _not,
    "if": _if,
}


def compile_definition(root: dict, name: str) -> Check:
    """A check for $defs/<name> of root."""
    return Compiler(root).ref(f"#/$defs/{name}")
