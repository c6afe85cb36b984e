"""The compiled schema validator (jsonschema_rs) never vouches for data that jsonschema rejects.

`load_spec` asks the fast validator first and runs jsonschema only when it does
not answer "valid"; the spec problems reported are jsonschema's. So the one
thing that must hold is: fast-valid implies valid. Checked on the shipped
files and on some thousands of seeded mutations of them.
"""
from __future__ import annotations

import copy
import datetime
import random
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from msgrspec import resources
from msgrspec.loader import _surely_valid, _uses_format, fast_validator, spec_files, validator
from msgrspec.yamlfile import read_yaml
from toolchain import require_module

jsonschema_rs = require_module("jsonschema_rs")

MUTATIONS_PER_FILE = 80


def _shipped() -> list[tuple[str, object]]:
    root = resources.spec_dir()
    return [(str(p.relative_to(root)), read_yaml(p).data) for p in spec_files(Path(root))]


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _paths(value, prefix + (i,))


_REPLACEMENTS = ["", " ", "x", "X\n", "{305d86c6-6896-4099-91f5-cb7ba7733563}", "IMsgr Session", "a.b", "A-B",
                 "im-x.md", "IMsgrSession*", "SAFEARRAY(BSTR)", "in,out", "read-write", "method", 0, -1, 1.0, 1.5,
                 2**32, 2**31, -2**31 - 1, True, False, None, [], {}, ["x"], {"x": 1}, datetime.date(2004, 1, 1)]


def _mutate(data, rng: random.Random):
    data = copy.deepcopy(data)
    paths = [p for p in _paths(data) if p]
    path = rng.choice(paths)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    action = rng.randrange(4)
    if action == 0:  # drop the value (a missing required key, a shorter list)
        del parent[last]
    elif action == 1 and isinstance(parent, dict):  # an unknown key beside it
        parent[f"{last}_extra" if isinstance(last, str) else "extra"] = parent[last]
    elif action == 2 and isinstance(parent[last], str):  # a string edited
        value = parent[last]
        parent[last] = rng.choice([value.lower(), value.upper(), value + " ", value[:-1], value + "\n", value * 2])
    else:
        parent[last] = copy.deepcopy(rng.choice(_REPLACEMENTS))
    return data


@pytest.mark.parametrize("name, data", _shipped(), ids=lambda v: v if isinstance(v, str) else "")
def test_fast_valid_implies_valid(name, data):
    assert fast_validator() is not None, "jsonschema_rs is installed but the fast validator is not used"
    assert _surely_valid(data, "spec") and validator().is_valid(data)
    rng = random.Random(name)
    vouched = 0
    for _ in range(MUTATIONS_PER_FILE):
        mutated = _mutate(data, rng)
        if _surely_valid(mutated, "spec"):
            vouched += 1
            assert validator().is_valid(mutated), f"the fast validator accepts what jsonschema rejects: {mutated!r}"
    assert vouched < MUTATIONS_PER_FILE  # the mutations do reach invalid data


def test_a_schema_with_formats_keeps_to_jsonschema():
    # format checks differ between the two libraries: such a schema is never given to the fast validator
    assert _uses_format({"properties": {"issue": {"type": "string", "format": "uri"}}})
    assert not _uses_format({"properties": {"format": {"enum": ["format"]}}})
    assert not _uses_format(resources.schema("spec"))


def _anchored_patterns(node) -> set[str]:
    """Every `pattern` of a schema that is meant to match a whole string (it ends in `$`, guarded or not)."""
    found = set()
    if isinstance(node, dict):
        pattern = node.get("pattern")
        if isinstance(pattern, str) and pattern.startswith("^") and pattern.removesuffix("(?!\\n)").endswith("$"):
            found.add(pattern)
        for value in node.values():
            found |= _anchored_patterns(value)
    elif isinstance(node, list):
        for value in node:
            found |= _anchored_patterns(value)
    return found


_WHOLE_STRING_PATTERNS = sorted(set().union(*(_anchored_patterns(resources.schema(name))
                                              for name in ("spec", "export", "expected-failures", "protocol", "report", "typelib-dump"))))


@pytest.mark.parametrize("pattern", _WHOLE_STRING_PATTERNS)
@settings(max_examples=25, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_both_validators_refuse_a_trailing_newline(pattern, data):
    """Python's re lets `$` match before a final newline, jsonschema_rs does not: the patterns must make the
    two agree, so that "State\\n" is refused whichever validator decides."""
    schema = {"type": "string", "pattern": pattern}
    slow, fast = jsonschema.Draft202012Validator(schema), jsonschema_rs.validator_for(schema)
    text = data.draw(st.from_regex(pattern.removesuffix("(?!\\n)"), fullmatch=True))
    assert slow.is_valid(text) and fast.is_valid(text)
    assert not fast.is_valid(text + "\n")
    assert not slow.is_valid(text + "\n"), f"{pattern} lets {text + chr(10)!r} through in jsonschema"
