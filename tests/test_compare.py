"""`msgrspec compare`: reports made by running the suite, side by side; a seeded fix and a seeded regression."""
from __future__ import annotations

import json
import subprocess

import jsonschema
import pytest

from msgrspec.resources import schema
from suite_reports import COMMAND

#: the assertion the seeded fault (broken_variants.wrong_enum_value) breaks
SEEDED_ID = "SESSION_STATE.SS_CONNECTED#value"


@pytest.fixture(scope="module")
def reports(suite_reports):
    return suite_reports


def compare(*args) -> subprocess.CompletedProcess:
    return subprocess.run([COMMAND, "compare", *map(str, args)], capture_output=True, text=True, timeout=120)


def compare_json(*args) -> dict:
    run = compare("--format", "json", *args)
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    jsonschema.Draft202012Validator(schema("compare")).validate(document)
    return document


def test_the_compare_schema_is_a_schema():
    jsonschema.Draft202012Validator.check_schema(schema("compare"))


def test_a_seeded_fix_lists_exactly_that_change(reports):
    result = compare_json(reports["before"], reports["after"])
    assert [run["label"] for run in result["runs"]] == ["my implementation 1.0 [seeded:before]",
                                                        "my implementation 1.0 [seeded:after]"]
    [change] = result["changes"]
    assert (change["from"], change["to"]) == (0, 1)
    assert change["fixes"] == [{"id": SEEDED_ID, "from": "failed", "to": "passed"}]
    assert change["new_failures"] == change["known_failures"] == change["other"] == []
    changed = [row for row in result["assertions"] if row["changed"]]
    assert changed == [{"id": SEEDED_ID, "outcomes": ["failed", "passed"], "changed": True}]
    assert len(result["assertions"]) > 300  # every assertion is a row


def test_fail_on_new_exits_3_on_a_seeded_regression_and_0_without_one(reports):
    regression = compare("--fail-on-new", reports["after"], reports["before"])
    assert regression.returncode == 3, regression.stdout + regression.stderr
    assert "### New failures (1)" in regression.stdout and f"- `{SEEDED_ID}`: passed -> failed" in regression.stdout
    fix = compare("--fail-on-new", reports["before"], reports["after"])
    assert fix.returncode == 0, fix.stdout + fix.stderr
    assert "### Fixes (1)" in fix.stdout and "### New failures (0)" in fix.stdout


def test_an_unchanged_failure_is_a_known_failure_not_a_new_one(reports):
    result = compare_json(reports["before"], reports["after"], reports["before"])
    assert [(c["from"], c["to"]) for c in result["changes"]] == [(0, 1), (1, 2)]
    again = compare_json(reports["before"], reports["before"])
    assert [run["label"] for run in again["runs"]] == ["my implementation 1.0 [seeded:before] (run 1)",
                                                       "my implementation 1.0 [seeded:before] (run 2)"]
    [change] = again["changes"]
    assert change["known_failures"] == [{"id": SEEDED_ID, "from": "failed", "to": "failed"}]
    assert change["new_failures"] == change["fixes"] == []
    assert compare("--fail-on-new", reports["before"], reports["before"]).returncode == 0


def test_other_implementations_are_side_by_side_without_changes(reports):
    result = compare_json("--only-changed", reports["reference"], reports["no_lock"], reports["after"])
    assert result["changes"] == []  # three implementations, no two runs of one
    rows = {row["id"]: row["outcomes"] for row in result["assertions"]}
    assert rows and all(len(set(outcomes)) > 1 for outcomes in rows.values())
    assert all(outcomes[0] == outcomes[2] != outcomes[1] and outcomes[1] in ("failed", "blocked")
               for outcomes in rows.values()), rows
    assert any(aid.startswith("IMsgrLock") for aid in rows)
    markdown = compare("--only-changed", reports["reference"], reports["no_lock"]).stdout
    assert markdown.count("\n| `") == len(rows)


def test_reports_of_different_specs_are_compared_on_the_ids_they_share(reports, tmp_path):
    other = json.loads(reports["after"].read_text(encoding="utf-8"))
    other["spec_sha256"] = other["manifest"]["spec_sha256"] = "0" * 64
    removed = sorted(other["tests"])[:2]
    for aid in removed:
        del other["tests"][aid]
    other["tests"]["IMsgrNew.Thing#signature"] = {**other["tests"][SEEDED_ID], "item": "IMsgrNew.Thing"}
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(other), encoding="utf-8")
    result = compare_json(reports["before"], newer)
    assert result["same_spec"] is False
    assert result["only_in"] == [{"run": 0, "ids": removed}, {"run": 1, "ids": ["IMsgrNew.Thing#signature"]}]
    ids = {row["id"] for row in result["assertions"]}
    assert not ids & {*removed, "IMsgrNew.Thing#signature"}
    assert result["changes"][0]["fixes"] == [{"id": SEEDED_ID, "from": "failed", "to": "passed"}]
    assert "compared on the assertions they all have" in compare(reports["before"], newer).stdout


@pytest.mark.parametrize("text, says", [
    ('{"format": "msgrspec-report",\n  "version": 2,\n  "tests": [}', "bad.json:3:13: not JSON"),
    ('{"format": "something else"}', 'bad.json: not a msgrspec conformance report'),
    ('{"format": "msgrspec-report", "version": 2, "tests": {"a#b": {"outcome": "exploded"}}}',
     "bad.json: test a#b: unknown outcome 'exploded'"),
    ('{"format": "msgrspec-report", "version": 2, "manifest": {"implementation": "x"}}',
     "bad.json: manifest.implementation: a JSON string, not an object"),
])
def test_a_malformed_report_is_one_located_line(reports, tmp_path, text, says):
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    run = compare(reports["after"], bad)
    assert run.returncode == 1 and run.stdout == ""
    [line] = run.stderr.splitlines()
    assert line.startswith(f"{tmp_path}/{says}"), line
