"""Single-point mutants of the reference implementation that the conformance suite must kill.

Each mutant is one textual change to a copy of the msgrspec package (src/msgrspec, with the
checkout's spec and conformance suite beside it); the suite, run against the mutated reference,
must fail the assertion named. The unmutated copy passes the same assertions, so a failure is the
mutant's doing. These are mutants that no case killed before the cases named were extended.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from msgrspec import resources

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from mutation import copy_checkout, snapshot  # noqa: E402

CHECKOUT = Path(__file__).resolve().parent.parent
PACKAGE = CHECKOUT / "src" / "msgrspec"

#: name -> (file in the package, text, its replacement, the assertion that must fail)
MUTANTS = {
    "a service object that is not a MessengerService is accepted": (
        "reference/private.py", "            return False  # this implementation has no MessengerService objects to accept",
        "            return True", "private.add-contact.service-forms"),
    "type information is not found by IID": (
        "typeinfo.py", "        if normalize_guid(interface.iid) == wanted:\n            return interface.name\n",
        "        if normalize_guid(interface.iid) == wanted:\n            return None\n", "clients.same-interfaces"),
    "type information by IID describes another interface": (
        "typeinfo.py", "        return {\"guid\": interface.iid, \"base\": interface.base, \"members\": members}",
        "        return {\"guid\": interface.iid, \"base\": interface.base, \"members\": members[:-1] if key != name "
        "else members}", "clients.same-interfaces"),
    # survivors of the mutation run (tools/mutation.py) named in issue 16
    "reading ContextData answers E_UNEXPECTED": (
        "reference/session.py", "        return ok(self.context_data)\n", "        return fail(codes.E_UNEXPECTED)\n",
        "structure.property-values"),
    "reading CanPage answers E_UNEXPECTED": (
        "reference/contact.py", "        return ok(False)\n", "        return fail(codes.E_UNEXPECTED)\n",
        "structure.property-values"),
    "launching an object that is not a session succeeds": (
        "reference/world.py", "                return fail(codes.E_INVALIDARG)\n            if not session.launchable",
        "                return ok(1)\n            if not session.launchable", "structure.unknown-object"),
    "disconnecting a connected sink fails": (
        "reference/world.py", "                return fail(codes.CONNECT_E_NOCONNECTION)\n            return ok()\n",
        "                return fail(codes.CONNECT_E_NOCONNECTION)\n            return fail(codes.E_UNEXPECTED)\n",
        "structure.event-connections"),
    "a disconnected sink stays connected": (
        "reference/world.py", "if target.sinks.pop(cookie, None) is None:", "if target.sinks.get(cookie) is None:",
        "structure.event-connections"),
    "a cookie that is no number makes RequestChallenge answer E_UNEXPECTED": (
        "reference/lock.py", "            return fail(codes.E_INVALIDARG)\n        refused = _REQUEST_REFUSED",
        "            return None\n        refused = _REQUEST_REFUSED", "structure.argument-types"),
    "Property reads an index outside MCONTACTPROPERTY as the groups": (
        "reference/contact.py", "if prop == codes.MCONTACTPROP_GROUPS_PROPERTY:",
        "if prop != codes.MCONTACTPROP_GROUPS_PROPERTY:", "contact.property.out-of-range"),
    "a locked session manager answers Applications with E_NOTIMPL": (
        "reference/manager.py", "            return refused\n        return fail(codes.E_NOTIMPL)",
        "            pass\n        return fail(codes.E_NOTIMPL)", "lock.gate.session-manager"),
    "a sink connects for an event interface the object does not source": (
        "reference/world.py", "if name is None or name != target.event_interface:", "if name is None:",
        "structure.event-connections"),
    "an integer wider than 32 bits passes for a LONG": (
        "reference/objects.py", "-2**31 <= value < 2**32", "-2**31 <= value < 2**33", "structure.long-range"),
    "an indexed property read without its index answers E_UNEXPECTED": (
        "reference/world.py", "                return fail(codes.DISP_E_PARAMNOTOPTIONAL)\n", "                return None\n",
        "structure.property-values"),
}


def _copy(tmp_path: Path, mutant: tuple[str, str, str, str] | None) -> Path:
    root = tmp_path / "checkout"
    edits = {}
    if mutant is not None:
        name, text, replacement, _ = mutant
        original = (PACKAGE / name).read_text(encoding="utf-8")
        assert original.count(text) == 1, f"the mutation site is not unique in {name}: {text!r}"
        edits[name] = original.replace(text, replacement)
    copy_checkout(root, snapshot(tmp_path / "snapshot", None), edits)
    return root


def _outcomes(tmp_path: Path, root: Path, assertion: str) -> dict[str, str]:
    report = tmp_path / "report.json"
    suite = root / "conformance"
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "MSGRSPEC_NO_CACHE": "1"}
    run = subprocess.run([sys.executable, "-m", "pytest", str(suite), "-c", str(suite / "pytest.ini"), "--rootdir",
                          str(suite), "-q", "--msgrspec-requirement", assertion, "--msgrspec-report", str(report)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert report.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    found = json.loads(report.read_text())
    assert found["implementation"] == "msgrspec reference implementation"
    return {key: test["outcome"] for key, test in found["tests"].items()}


@pytest.fixture(scope="module", autouse=True)
def _editable_checkout():
    if resources.conformance_dir() != CHECKOUT / "conformance":
        pytest.skip("needs the checkout (an editable install), not an installed wheel")


@pytest.mark.parametrize("assertion", sorted({m[3] for m in MUTANTS.values()}))
def test_the_unmutated_copy_passes(tmp_path, assertion):
    assert _outcomes(tmp_path, _copy(tmp_path, None), assertion) == {assertion: "passed"}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_the_suite_kills_the_mutant(tmp_path, name):
    mutant = MUTANTS[name]
    assert _outcomes(tmp_path, _copy(tmp_path, mutant), mutant[3]) == {mutant[3]: "failed"}
