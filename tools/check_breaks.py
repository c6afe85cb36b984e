"""Apply each break of issue 18 to a copy of the repository and show that a test fails because of it.

    .venv/bin/python tools/check_breaks.py [--only NAME ...] [--list]

Every break is a small edit of one file (or, for a few, a changed environment, or a broken variant the
tests already hold); for each one the script copies the repository's files (those git tracks, as they are
in the work tree) into a temporary folder that has no ../shared beside it, runs the break's tests there
once unbroken (they must pass: else a failure would prove nothing) and once broken (they must fail, with
the named test in the output). The copy's own sources are imported (PYTHONPATH=<copy>/src), so the
installed msgrspec is not what is tested. It prints one line per break and exits 1 if any break went
unnoticed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Break:
    name: str
    what: str
    tests: tuple[str, ...]  # pytest arguments, run in the copy
    expect: str  # text the failing run's output contains (the test that catches it)
    edit: tuple[str, str, str] | None = None  # (file, text, replacement); the text must occur once
    env: dict[str, str] = field(default_factory=dict)  # for the broken run only


BREAKS = [
    Break("dispid-in-spec", "IMsgrSession.Invite's DISPID 2 -> 99 in the spec, on a copy without ../shared",
          ("tests/test_typelib_facts.py",), "FAILED tests/test_typelib_facts.py::test_member_dispid[IMsgrSession#3",
          ("spec/interfaces/IMsgrSession.yaml", "      - name: Invite\n        kind: method\n        dispid: 2\n",
           "      - name: Invite\n        kind: method\n        dispid: 99\n")),
    Break("export-dispid", "export.py writes every interface member's DISPID + 1",
          ("tests/test_export_facts.py",), "FAILED tests/test_export_facts.py::test_member[",
          ("src/msgrspec/export.py", '        exported["slots"] = list(slots.get(member.name, ()))\n',
           '        exported["slots"] = list(slots.get(member.name, ()))\n'
           '        if exported.get("dispid") is not None:\n            exported["dispid"] += 1\n')),
    Break("export-diid", "export.py writes the LIBID for every DIID",
          ("tests/test_export_facts.py",), "FAILED tests/test_export_facts.py::test_dispinterface[",
          ("src/msgrspec/export.py",
           '"dispinterfaces": {name: _plain(d) for name, d in spec.dispinterfaces.items()},',
           '"dispinterfaces": {name: {**_plain(d), "diid": spec.library.libid} '
           'for name, d in spec.dispinterfaces.items()},')),
    Break("docs-direction", "member_idl prints [out] for every [in] (the docs' Syntax blocks)",
          ("tests/test_docs_facts.py",), "FAILED tests/test_docs_facts.py::test_member_syntax[IMsgrSessionManager.RegisterApplication]",
          ("src/msgrspec/idl.py",
           '    direction = ", ".join(part.strip() for part in param.dir.split(","))\n',
           '    direction = ", ".join(part.strip() for part in param.dir.split(",")).replace("in", "out")\n')),
    Break("idl-id", "idl.py writes every method's id() + 1",
          ("tests/test_docs_facts.py",), "FAILED tests/test_docs_facts.py::test_member_syntax[IMsgrSession.Invite]",
          ("src/msgrspec/idl.py", 'attrs = [f"id({member.dispid})"] if dispatch',
           'attrs = [f"id({member.dispid + 1})"] if dispatch')),
    Break("context-data-e-fail", "the reference refuses 250 to 300 characters of context data with E_FAIL",
          ("conformance", "--msgrspec-interface", "IMsgrSession"),
          "FAILED conformance/test_structure.py::test_constraint[IMsgrSession.SendContextData.bstrData#max-length:at-limit]",
          ("src/msgrspec/reference/session.py",
           "        if utf16_units(text) > CONTEXT_DATA_MAX_CHARS:\n            return fail(codes.SR_CONTEXT_DATA_OVER_LIMIT)\n",
           "        if 250 <= utf16_units(text) <= CONTEXT_DATA_MAX_CHARS:\n            return fail(codes.E_FAIL)\n"
           "        if utf16_units(text) > CONTEXT_DATA_MAX_CHARS:\n            return fail(codes.SR_CONTEXT_DATA_OVER_LIMIT)\n")),
    Break("unregister-not-registered", "UnRegisterApplication answers SR_APP_NOT_REGISTERED for registered GUIDs",
          ("conformance", "-k", "UnRegisterApplication and at-limit"),
          "FAILED conformance/test_structure.py::test_constraint[IMsgrSessionManager.UnRegisterApplication.bstrAppGUID",
          ("src/msgrspec/reference/manager.py",
           "        try:\n            removed = self.world.registry.unregister(self.party.machine, guid)\n",
           "        if len(guid) == 38:\n            return fail(codes.SR_APP_NOT_REGISTERED)\n"
           "        try:\n            removed = self.world.registry.unregister(self.party.machine, guid)\n")),
    Break("stray-event", "a stray OnInvitation 0.5 s after a refused self-invite, through the process adapter "
          "(the broken variant stray_invitation_after_self_invite)",
          ("tests/test_fault_detection.py", "-k", "late_stray"),
          "test_a_late_stray_event_is_caught_through_the_protocol"),
    Break("suite-without-peer", "the reference drops its 'peer' feature: no test fails, 50-odd are not applicable",
          ("tests/test_suite_runner.py", "-k", "whole_suite"),
          "FAILED tests/test_suite_runner.py::test_whole_suite_passes_against_the_reference",
          ("src/msgrspec/reference/adapter.py", 'DEFAULT_FEATURES = frozenset({"lock-enforced", "peer", "registry"})',
           'DEFAULT_FEATURES = frozenset({"lock-enforced", "registry"})')),
    Break("stale-expected-failure", "the C implementation's expected-failures file lists an assertion that passes",
          ("tests/test_protocol_c.py", "-k", "expected_failures_file"),
          "FAILED tests/test_protocol_c.py::test_expected_failures_file_is_valid_and_current",
          ("examples/c-session-manager/expected-failures.yaml", "expected_failures: []\n",
           "expected_failures:\n  - {id: MsgrSessionManager#create, reason: listed though it passes}\n")),
    Break("variant-profile", "a broken variant's report does not name its fault",
          ("tests/test_fault_detection.py", "-k", "test_suite_catches_the_fault and wrong_dispid"),
          "the report does not name the fault it ran with",
          ("tests/broken_variants.py", 'implementation=f"msgrspec reference implementation, broken: {self.fault}"',
           'implementation="msgrspec reference implementation, broken"')),
    Break("marker-only", "a behaviour test keeps its requirement marker but checks nothing",
          ("tests/test_requirements_covered.py", "-k", "every_testable"), "session-manager.unregister.unknown-guid",
          ("conformance/test_session_manager.py",
           '    assert_hr(local.call(manager, "UnRegisterApplication", new_guid()), v.SR_APP_NOT_REGISTERED,\n'
           '              "UnRegisterApplication of a GUID nobody registered")\n', "    pass\n")),
    Break("bare-skip", "a conformance test skips on an implementation's answer without a verdict",
          ("conformance", "--msgrspec-interface", "IMsgrLock"),
          "FAILED conformance/test_lock.py::test_disabled_lock_refuses_requests",
          ("conformance/test_lock.py", 'pytest.skip("not applicable: the implementation enables Lock and Key',
           'pytest.skip("the implementation enables Lock and Key')),
    Break("locks-up-early", "the reference's locks are initialized before any sink connects",
          ("conformance", "--msgrspec-interface", "IMsgrLock"),
          "FAILED conformance/test_lock.py::test_nothing_can_be_requested_before_on_lock_enable",
          ("src/msgrspec/reference/lock.py", "        self.lock_status = codes.LOCK_NOTINITIALIZED\n",
           "        self.lock_status = codes.LOCK_INITIALIZED\n")),
    Break("chromium-cannot-start", "the Chromium the browser test finds is installed but does not start",
          ("tests/test_docs_browser.py", "-k", "home_page"), "is installed but does not start",
          env={"MSGRSPEC_CHROMIUM": "/bin/false"}),
    Break("shared-absent-in-ci", "no shared folder (upstream pages, shared extract) under CI=true",
          ("tests/test_upstream_facts.py", "tests/test_typelib_facts.py", "-k", "copy_holds or page_is_listed"),
          "needs the upstream reference pages", env={"CI": "true", "MSGRSPEC_SHARED": "/nonexistent"}),
    Break("tool-absent-in-ci", "widl missing from PATH with --strict-skips",
          ("tests/test_idl.py", "--strict-skips"), "needs widl (Debian: apt-get install wine64-tools)",
          env={"PATH": "/nonexistent"}),
]


def copy_repository(target: Path) -> None:
    files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, text=True,
                           check=True).stdout.split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def apply(copy: Path, edit: tuple[str, str, str]) -> None:
    path, old, new = edit
    text = (copy / path).read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise SystemExit(f"tools/check_breaks.py: {path}: the text to replace occurs {text.count(old)} times, "
                         f"not once: {old!r:.80}")
    (copy / path).write_text(text.replace(old, new), encoding="utf-8")


def run(copy: Path, brk: Break, broken: bool) -> tuple[int, str, float]:
    env = {key: value for key, value in os.environ.items() if key not in ("MSGRSPEC_SHARED", "CI")}
    env["PYTHONPATH"] = os.pathsep.join([str(copy / "src"), str(copy / "tests")])
    if broken:
        env.update(brk.env)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *brk.tests]
    started = time.monotonic()
    done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=1800)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def check(brk: Break, root: Path) -> tuple[bool, str]:
    copy = root / brk.name / "repo"  # root/<name> has no shared folder beside the copy
    copy.mkdir(parents=True)
    copy_repository(copy)
    code, output, seconds = run(copy, brk, broken=False)
    if code != 0:
        return False, f"the unbroken copy fails its tests (exit {code}, {seconds:.0f} s):\n{output[-2000:]}"
    if brk.edit is None and not brk.env:  # the break is a broken variant the tests already apply
        return True, f"unbroken run passed ({seconds:.0f} s); the break lives in tests/broken_variants.py"
    if brk.edit is not None:
        apply(copy, brk.edit)
    code, output, broken_seconds = run(copy, brk, broken=True)
    if code == 0 or brk.expect not in output:
        return False, f"not caught (exit {code}, {broken_seconds:.0f} s): {brk.expect!r} not in:\n{output[-2000:]}"
    failed = [line for line in output.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return True, f"unbroken: passed ({seconds:.0f} s); broken: exit {code} ({broken_seconds:.0f} s), " \
                 f"{len(failed)} failed, e.g. {failed[0] if failed else brk.expect}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], help="check only this break (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the breaks and exit")
    options = parser.parse_args()
    chosen = [b for b in BREAKS if not options.only or b.name in options.only]
    if options.list or not chosen:
        for brk in BREAKS:
            print(f"{brk.name}: {brk.what}")
        return 0 if chosen else 2
    missed = 0
    with tempfile.TemporaryDirectory(prefix="msgrspec-breaks-") as tmp:
        for brk in chosen:
            caught, detail = check(brk, Path(tmp))
            missed += not caught
            print(f"{'caught' if caught else 'MISSED'} {brk.name}: {brk.what}\n    {detail}", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
