"""`msgrspec diff`: added, removed and changed items and assertions, breaking changes, stale expectations."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from msgrspec import load_spec, resources
from msgrspec.diff import diff_specs, to_markdown


@pytest.fixture
def modified(tmp_path):
    """The shipped spec with one DISPID moved, one limit lowered and one summary reworded."""
    copy = tmp_path / "spec"
    shutil.copytree(resources.spec_dir(), copy)
    path = copy / "interfaces" / "IMsgrSessionManager.yaml"
    text = path.read_text()
    text = text.replace("        dispid: 3\n", "        dispid: 33\n", 1)
    text = text.replace("{kind: max_length, value: 260, error: E_INVALIDARG}",
                        "{kind: max_length, value: 259, error: E_INVALIDARG}", 1)
    text = text.replace("Takes an application off the Messenger", "Removes an application from the Messenger", 1)
    path.write_text(text)
    return copy


def test_identical_specs_have_no_difference():
    spec = load_spec()
    result = diff_specs(spec, spec)
    assert result["breaking"] == [] and result["items"]["changed"] == [] and result["assertions"]["added"] == []


def test_changes_are_found_and_classified(modified):
    result = diff_specs(load_spec(), load_spec(modified), {"IMsgrSessionManager.RegisterApplication.bstrPath"
                                                           "#max-length:over", "IMsgrGone#signature"})
    changed = {c["name"]: c for c in result["items"]["changed"]}
    fields = changed["IMsgrSessionManager.UnRegisterApplication"]["fields"]
    assert [(f["path"], f["breaking"]) for f in fields] == [("dispid", True), ("summary", False)]
    assert (fields[0]["old"], fields[0]["new"]) == (3, 33)
    assert fields[1]["new"].startswith("Removes an application from the Messenger")
    assert changed["IMsgrSessionManager.UnRegisterApplication"]["breaking"]
    assert "changed: IMsgrSessionManager.UnRegisterApplication (dispid: 3 -> 33)" in result["breaking"]
    assert "IMsgrSessionManager" not in changed, "a member's change is listed on the interface too"
    assert "IMsgrSessionManager.RegisterApplication.bstrPath#max-length:over" in result["assertions"]["changed"]
    assert "IMsgrSessionManager.RegisterApplication.bstrAppName#max-length:over" not in \
        result["assertions"]["changed"]
    assert result["expected_failures"] == {
        "no_longer_apply": ["IMsgrGone#signature"],
        "changed": ["IMsgrSessionManager.RegisterApplication.bstrPath#max-length:over"]}


def test_wording_alone_is_not_breaking(tmp_path):
    copy = tmp_path / "spec"
    shutil.copytree(resources.spec_dir(), copy)
    path = copy / "interfaces" / "IMsgrSessionManager.yaml"
    path.write_text(path.read_text().replace("Takes an application off", "Removes an application from", 1))
    result = diff_specs(load_spec(), load_spec(copy))
    assert [c["name"] for c in result["items"]["changed"]] == ["IMsgrSessionManager.UnRegisterApplication"]
    assert result["breaking"] == [] and result["assertions"]["changed"] == []


def test_removed_requirement_and_new_assertions(tmp_path):
    copy = tmp_path / "spec"
    shutil.copytree(resources.spec_dir(), copy)
    path = copy / "requirements.yaml"
    text = path.read_text()
    start = text.index("  session-manager.register.duplicate-guid:")
    end = text.index("\n  session-manager.register.", start + 10)
    path.write_text(text[:start] + text[end + 1:])
    result = diff_specs(load_spec(), load_spec(copy))
    assert "requirement session-manager.register.duplicate-guid" in result["items"]["removed"]
    assert "session-manager.register.duplicate-guid" in result["assertions"]["removed"]
    back = diff_specs(load_spec(copy), load_spec())
    assert "new assertion: session-manager.register.duplicate-guid" in back["breaking"]


def test_command_prints_markdown_and_json(modified, tmp_path):
    expected = tmp_path / "xfail.yaml"
    expected.write_text("expected_failures:\n  - {id: 'IMsgrGone#signature', reason: gone}\n")
    shipped = str(resources.spec_dir())
    markdown = subprocess.run([sys.executable, "-m", "msgrspec", "diff", shipped, str(modified),
                               "--expected-failures", str(expected)], capture_output=True, text=True)
    assert markdown.returncode == 0, markdown.stderr
    assert "## Breaking changes" in markdown.stdout and "- IMsgrGone#signature" in markdown.stdout
    assert "- IMsgrSessionManager.UnRegisterApplication (breaking): dispid: 3 -> 33; summary: " in markdown.stdout
    as_json = subprocess.run([sys.executable, "-m", "msgrspec", "diff", shipped, str(modified), "--format", "json"],
                             capture_output=True, text=True)
    assert json.loads(as_json.stdout)["new_spec"] == load_spec(modified).digest


def test_markdown_lists_every_section():
    spec = load_spec()
    text = to_markdown(diff_specs(spec, spec, set()))
    for title in ("Breaking changes", "Items added", "Items removed", "Items changed", "Assertions added",
                  "Assertions removed", "Assertions changed", "Expected failures that no longer apply"):
        assert f"## {title} (0)" in text


def test_reordered_members_are_one_change_of_the_interface(tmp_path):
    copy = tmp_path / "spec"
    shutil.copytree(resources.spec_dir(), copy)
    path = copy / "interfaces" / "IMsgrSessionManager.yaml"
    old = load_spec().interfaces["IMsgrSessionManager"]
    first, second = old.members[0].name, old.members[1].name
    text = path.read_text()
    a, b = text.index(f"\n      - name: {first}\n") + 1, text.index(f"\n      - name: {second}\n") + 1
    c = text.index("\n      - name: ", b) + 1
    path.write_text(text[:a] + text[b:c] + text[a:b] + text[c:])
    result = diff_specs(load_spec(), load_spec(copy))
    changes = [(c["name"], f["path"]) for c in result["items"]["changed"] for f in c["fields"]]
    assert ("IMsgrSessionManager", "members") in changes
    entry = next(c for c in result["items"]["changed"] if c["name"] == "IMsgrSessionManager")
    assert entry["fields"][0]["old"][:2] == [first, second] and entry["fields"][0]["new"][:2] == [second, first]
    assert entry["breaking"]


@pytest.mark.parametrize("flag, status", [((), 0), (("--fail-on-breaking",), 3)])
def test_fail_on_breaking_sets_the_exit_status(modified, flag, status):
    run = subprocess.run([sys.executable, "-m", "msgrspec", "diff", str(resources.spec_dir()), str(modified), *flag],
                         capture_output=True, text=True)
    assert run.returncode == status, run.stderr
    same = subprocess.run([sys.executable, "-m", "msgrspec", "diff", str(resources.spec_dir()),
                           str(resources.spec_dir()), *flag], capture_output=True, text=True)
    assert same.returncode == 0, same.stderr


def test_a_changed_cell_of_a_state_machine_is_a_changed_assertion(tmp_path):
    """A new code for one cell changes that cell's assertion and the machine; an unspecified cell that gets
    decided is a new assertion, and the other cells stay as they were."""
    copy = tmp_path / "spec"
    shutil.copytree(resources.spec_dir(), copy)
    path = copy / "state-machines.yaml"
    text = path.read_text()
    text = text.replace("        code: MSGR_E_API_PENDING_UNLOCK\n", "        code: MSGR_E_API_LOCKED\n", 1)
    text = text.replace("        states: [SS_READY, SS_CANCELLED, SS_DECLINED]\n        reason:",
                        "        states: [SS_CANCELLED, SS_DECLINED]\n        reason:", 1)
    text = text.replace("      - operation: SendContextData\n        roles: [inviter]\n",
                        "      - {operation: Cancel, roles: [inviter], states: [SS_READY], code: E_FAIL,\n"
                        "         source: {pages: [im-imsgrsession-cancel-method.md], origin: spec}}\n"
                        "      - operation: SendContextData\n        roles: [inviter]\n", 1)
    path.write_text(text)
    result = diff_specs(load_spec(), load_spec(copy))
    assert result["assertions"]["changed"] == ["LockStatus@LOCK_PENDINGRESULT:RequestChallenge"]
    assert result["assertions"]["added"] == ["SESSION_STATE@SS_READY:Cancel/inviter"]
    changed = {c["name"] for c in result["items"]["changed"]}
    assert {"state machine LockStatus", "state machine SESSION_STATE"} <= changed
    assert "new assertion: SESSION_STATE@SS_READY:Cancel/inviter" in result["breaking"]
