"""The coverage ledger: every method, limit, access type, return code and event is checked or excused."""
from __future__ import annotations

from conftest import MINI_SPEC, write_spec
from msgrspec import load_spec
from msgrspec.ledger import build_ledger, gaps

REQUIREMENT = """\
requirements:
  mini.ping.works:
    statement: Ping answers S_OK.
    level: must
    applies_to: [IMini.Ping]
    codes: [S_OK]
    source: {pages: [mini.md], origin: pages}
"""


def test_nothing_in_the_shipped_spec_is_left_without_an_assertion_or_a_reason():
    missing = gaps(load_spec())
    assert not missing, "add an assertion (a requirement naming it, with a test) or an `untestable:` reason:\n  " + \
        "\n  ".join(f"{e.kind}: {e.subject}" for e in missing)


def test_the_ledger_lists_every_kind():
    kinds = {entry.kind for entry in build_ledger(load_spec())}
    assert kinds == {"method", "constraint", "access", "return-code", "event"}


def subjects(root) -> set[str]:
    return {e.subject for e in gaps(load_spec(root))}


def test_a_code_is_a_gap_until_checked_or_excused(tmp_path):
    bare = write_spec(tmp_path / "bare", MINI_SPEC)
    assert {"IMini.Ping", "IMini.Ping#S_OK"} <= subjects(bare)
    checked = write_spec(tmp_path / "checked", {**MINI_SPEC, "requirements.yaml": REQUIREMENT})
    assert not {"IMini.Ping", "IMini.Ping#S_OK"} & subjects(checked)
    excused_text = MINI_SPEC["interfaces/IMini.yaml"].replace(
        "{code: S_OK, meaning: Fine.}", "{code: S_OK, meaning: Fine., untestable: Nothing can observe it.}")
    excused = write_spec(tmp_path / "excused", {**MINI_SPEC, "interfaces/IMini.yaml": excused_text})
    assert "IMini.Ping#S_OK" not in subjects(excused) and "IMini.Ping" in subjects(excused)


def test_a_state_machine_cell_covers_the_code_it_expects():
    """The cells check return codes too: a code only a cell expects is covered by that cell alone."""
    ledger = {entry.subject: entry for entry in build_ledger(load_spec())}
    accept = ledger["IMsgrSession.Accept#SR_SESSION_STATE_INVALID"].covered_by
    assert "SESSION_STATE@SS_READY:Accept/inviter" in accept
    assert "LockStatus@LOCK_PENDINGRESULT:RequestChallenge" in \
        ledger["IMsgrLock.RequestChallenge#MSGR_E_API_PENDING_UNLOCK"].covered_by
    assert not any("@" in c for c in ledger["IMsgrSession.Invite#MSGR_E_NOT_LOGGED_ON"].covered_by)
