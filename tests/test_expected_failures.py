"""Expected-failures files are checked against their schema, with located errors."""
from __future__ import annotations

import pytest

from msgrspec import SpecError
from msgrspec.expectations import load_expected_failures, stale_entries


def test_a_valid_file(tmp_path):
    path = tmp_path / "xfail.yaml"
    path.write_text("spec_sha256: " + "a" * 64 + "\nimplementation: demo 1.0\nexpected_failures:\n"
                    "  - id: IMsgrSession.State#access\n    reason: not done yet\n"
                    "    issue: https://example.invalid/issues/1\n")
    loaded = load_expected_failures(path)
    assert loaded.entries["IMsgrSession.State#access"].issue == "https://example.invalid/issues/1"
    assert stale_entries(loaded, {"IMsgrSession.State#access"}) == []
    assert stale_entries(loaded, set()) == ["IMsgrSession.State#access"]


@pytest.mark.parametrize("text, expected", [
    ("expected_failures:\n  - id: X#y\n", r"xfail.yaml:2:5: expected_failures[0]: 'reason' is a required property"),
    ("expected_failures:\n  - {id: X#y, reason: r, colour: red}\n", "xfail.yaml:2:26: expected_failures[0]: unknown key 'colour'"),
    ("expected_failures:\n  - {id: X#y, reason: r}\n  - {id: X#y, reason: s}\n", "xfail.yaml:3:10: X#y is listed twice"),
    ("spec_sha256: nope\nexpected_failures: []\n", "xfail.yaml:1:14: spec_sha256: 'nope' is not a sha256 digest"),
    ("expected_failures:\n  - {id: X#y, reason: r, issue: 'not a url'}\n", "xfail.yaml:2:33: expected_failures[0].issue: 'not a url' is not an http(s) URL"),
    ("[]\n", "xfail.yaml:1:1: [] is not of type 'object'"),
])
def test_bad_files_are_located(tmp_path, text, expected):
    path = tmp_path / "xfail.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        load_expected_failures(path)
    assert any(expected in str(p) for p in info.value.problems), [str(p) for p in info.value.problems]
