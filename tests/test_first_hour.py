"""An implementer's first hour: their own adapter, run from its own folder, fails in words they can act on;
set-up mistakes stop the run before any test, in one line."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from msgrspec.docs.report import parse_report
from msgrspec.resources import schema

DUPLICATE = "session-manager.register.duplicate-guid"

#: the adapter of issue 14: the reference, except that RegisterApplication accepts a GUID registered already
MY_ADAPTER = '''\
from msgrspec.adapter import Outcome
from msgrspec.reference import ReferenceAdapter

ALREADY_REGISTERED = 0x8100060D


class MyAdapter(ReferenceAdapter):
    def open_world(self):
        world = super().open_world()
        party = world.local
        original = party.call

        def call(obj, method, args=()):
            outcome = original(obj, method, args)
            if method == "RegisterApplication" and outcome.hr & 0xFFFFFFFF == ALREADY_REGISTERED:
                return Outcome(0)
            return outcome

        party.call = call
        return world
'''


#: the installed command (not `python -m msgrspec`, which would put the current folder on sys.path itself)
COMMAND = shutil.which("msgrspec", path=str(Path(sys.executable).parent))


def msgrspec(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """`msgrspec ARGS` run from `folder`, as a user runs it: no PYTHONPATH pointing there."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MSGRSPEC_PROCESS_COMMAND")}
    assert COMMAND, "the msgrspec command is not installed next to this Python"
    return subprocess.run([COMMAND, *args], cwd=folder, capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def my_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("myadapter")
    (folder / "myadapter.py").write_text(MY_ADAPTER, encoding="utf-8")
    run = msgrspec(folder, "test", "--adapter", "myadapter:MyAdapter", "--junitxml", "junit.xml",
                   "--report", "report.json")
    return folder, run


def test_the_failure_names_the_requirement_its_statement_and_the_codes(my_run):
    from msgrspec import load_spec

    _, run = my_run
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-2000:]
    out = run.stdout
    statement = load_spec().requirements[DUPLICATE].statement
    header = out.index(f" {DUPLICATE} _")  # the failure's header is the assertion id
    section = out[header:]
    said = [section.index(DUPLICATE + "\n"), section.index(f"requirement (must): {statement}"),
            section.index("expected SR_APP_ALREADY_REGISTERED (0x8100060D), got S_OK (0x00000000)"),
            section.index("reproducer"), section.index("RegisterApplication"), section.index("implementation output")]
    assert said == sorted(said), "the failure does not lead with id, statement and codes, then the reproducer"
    for noise in ("site-packages", "assert (", "& 4294967295", "PytestAssertRewriteWarning", "def assert_hr"):
        assert noise not in out, noise
    closing = out[out.index("msgrspec requirements"):]
    assert f"{DUPLICATE} (must): {statement}" in closing
    assert "untestable (" in closing and "why: " in closing


def test_the_id_selects_the_test_with_k(my_run):
    folder, _ = my_run
    run = msgrspec(folder, "test", "--adapter", "myadapter:MyAdapter", "-k", DUPLICATE)
    assert "1 failed" in run.stdout and "deselected" in run.stdout, run.stdout[-2000:]
    assert "passed" not in run.stdout.splitlines()[-1]


def test_an_id_that_k_cannot_parse_selects_it_all_the_same(my_run):
    folder, _ = my_run
    run = msgrspec(folder, "test", "--adapter", "myadapter:MyAdapter", "-k", "MsgrSessionManager#create")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.stdout.splitlines()[-1].strip("= ").startswith("1 passed, "), run.stdout[-500:]


def test_junit_names_are_ids_and_the_property_is_json_with_the_reproducer(my_run):
    folder, _ = my_run
    cases = {case.get("name"): case for case in ET.parse(folder / "junit.xml").getroot().iter("testcase")}
    assert DUPLICATE in cases and "MsgrSessionManager#create" in cases
    for name, case in cases.items():
        properties = [p for p in case.iter("property") if p.get("name") == "msgrspec"]
        assert len(properties) == 1, name
        data = json.loads(properties[0].get("value"))
        assert data["id"] == name
    failed = json.loads(next(p for p in cases[DUPLICATE].iter("property")).get("value"))
    assert failed["message"].endswith("got S_OK (0x00000000)")
    calls = [step for step in failed["reproducer"] if step["op"] == "call" and "RegisterApplication" in step["args"]]
    assert len(calls) == 2 and calls[1]["result"]["hr"] == "0x00000000"


def test_the_report_validates_against_its_schema_and_says_what_ran(my_run):
    from msgrspec import __version__, load_spec

    folder, _ = my_run
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema("report"))
    validator = jsonschema.Draft202012Validator(schema("report"),
                                                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert not list(validator.iter_errors(report)), [e.message for e in validator.iter_errors(report)][:3]
    manifest, spec = report["manifest"], load_spec()
    assert manifest["msgrspec"] == __version__ and manifest["adapter"] == "myadapter:MyAdapter"
    assert manifest["spec_sha256"] == spec.digest and manifest["implementation"]["version"] == __version__
    entry = report["requirements"][DUPLICATE]
    assert (entry["status"], entry["statement"], entry["level"]) == ("failed", spec.requirements[DUPLICATE].statement,
                                                                      "must")
    untestable = [e for e in report["requirements"].values() if e["status"] == "untestable"]
    assert untestable and all(e["untestable"] for e in untestable)
    assert all(t["duration"] >= 0 for t in report["tests"].values())
    assert not [k for k in report["summary"] if "_" in k], report["summary"]
    assert parse_report(report).status(DUPLICATE) == "failed"  # the docs read the new version
    broken = {**report, "manifest": {k: v for k, v in manifest.items() if k != "started"}}
    assert list(validator.iter_errors(broken)), "the schema does not require the manifest's start time"


# -- set-up mistakes: one line, a non-zero exit, no test run --------------------------------------------------------

INCOMPLETE_ADAPTER = '''\
from msgrspec.adapter import Adapter, Profile


class Half(Adapter):
    def profile(self):
        return Profile("half")
'''

INCOMPLETE_PARTY = '''\
from msgrspec.adapter import Adapter, Party, Profile, World


class HalfParty(Party):
    signin = "me@example.invalid"

    def create(self, coclass):
        raise NotImplementedError


class HalfWorld(World):
    @property
    def local(self):
        return HalfParty()


class Adapter2(Adapter):
    def profile(self):
        return Profile("half")

    def open_world(self):
        return HalfWorld()
'''

MISTAKES = [
    ("incomplete adapter", ["--adapter", "half:Half"], "Half does not implement open_world"),
    ("incomplete party", ["--adapter", "halfparty:Adapter2"], "HalfParty"),
    ("no such module", ["--adapter", "nowhere:Adapter"], "No module named 'nowhere'"),
    ("missing process command", ["--adapter", "process", "--", "./no-such-implementation"],
     "./no-such-implementation: no such file"),
    ("process command not executable", ["--adapter", "process", "--", "./half.py"], "./half.py: it is not executable"),
    ("forgotten --", ["--adapter", "process", "./impl"], "msgrspec test --adapter process -- ./impl"),
    ("unknown interface", ["--interface", "IMsgrSesion"], "did you mean IMsgrSession"),
    ("unknown requirement", ["--requirement", "session-manager.register.duplicate"],
     f"did you mean {DUPLICATE}"),
]


@pytest.mark.parametrize("args, says", [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_a_setup_mistake_stops_the_run_in_one_line(tmp_path, args, says):
    (tmp_path / "half.py").write_text(INCOMPLETE_ADAPTER, encoding="utf-8")
    (tmp_path / "halfparty.py").write_text(INCOMPLETE_PARTY, encoding="utf-8")
    run = msgrspec(tmp_path, "test", *args)
    assert run.returncode == 4, (run.returncode, run.stdout[-1000:], run.stderr[-1000:])
    assert run.stdout == "", "something ran: " + run.stdout[-1000:]
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and says in lines[0], run.stderr
    if "halfparty:Adapter2" in args:
        assert "query_interface" in lines[0], lines[0]


def test_the_plugin_refuses_an_unknown_selection_too(tmp_path):
    """Run straight through pytest, the same check stops the run as a usage error."""
    from msgrspec.runner import suite_args

    run = subprocess.run([sys.executable, "-m", "pytest",
                          *suite_args("reference", options=[("--msgrspec-interface", "IMsgrSesion")])],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 4 and "did you mean IMsgrSession" in run.stderr, run.stderr[-1000:]
    assert " passed" not in run.stdout


# -- writing an adapter ---------------------------------------------------------------------------------------------

def test_the_skeleton_adapter_runs_and_fails_every_case_honestly(tmp_path):
    made = msgrspec(tmp_path, "new", "adapter", "mine")
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "mine"
    run = msgrspec(folder, "test", "--adapter", "my_adapter:MyAdapter", "--report", "report.json")
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    outcomes = {t["outcome"] for t in report["tests"].values()}
    assert report["summary"]["passed"] == 0 and report["summary"]["failed"] > 0, report["summary"]
    assert outcomes <= {"failed", "blocked", "not-applicable"}, outcomes
    assert "got E_NOTIMPL (0x80004001)" in run.stdout
    again = msgrspec(tmp_path, "new", "adapter", "mine")
    assert again.returncode == 1 and "exists already" in again.stderr


def test_type_info_from_the_spec_answers_as_the_reference_does():
    from msgrspec import load_spec
    from msgrspec.reference import ReferenceAdapter
    from msgrspec.typeinfo import TYPE_E_ELEMENTNOTFOUND, type_info

    spec = load_spec()
    for interface in spec.interfaces.values():
        if interface.is_external:
            continue
        entries = type_info(spec, interface.name).value["members"]
        slots = [(slot.name, slot.accessor) for slot in interface.vtable if slot.accessor != "base"]
        assert [(e["name"], e["kind"]) for e in entries] == slots, interface.name
    for dispinterface in spec.dispinterfaces.values():
        entries = type_info(spec, dispinterface.diid).value["members"]
        assert [(e["name"], e["dispid"]) for e in entries] == [(e.name, e.dispid) for e in dispinterface.events]
    party = ReferenceAdapter().open_world().local  # the reference answers with the same helper
    for name in [*spec.interfaces, *spec.dispinterfaces, *spec.enums, *spec.coclasses]:
        assert type_info(spec, name) == party.type_info(name), name
    manager = spec.interfaces["IMsgrSessionManager"]
    by_iid = type_info(spec, manager.iid.lower().strip("{}"))
    assert by_iid.hr == 0 and [m["name"] for m in by_iid.value["members"]][:1] == [manager.members[0].name]
    assert type_info(spec, "INoSuchInterface").hr == TYPE_E_ELEMENTNOTFOUND
    answer = type_info(spec, "SESSION_STATE")
    answer.value["values"].clear()  # a caller may change its copy; the next answer is whole
    assert type_info(spec, "SESSION_STATE").value["values"]


def test_type_info_follows_the_spec_it_is_given(mini_spec):
    from msgrspec import load_spec
    from msgrspec.typeinfo import type_info

    described = type_info(load_spec(mini_spec), "IMini").value
    assert [(m["name"], m["kind"]) for m in described["members"]] == [("Ping", "method"), ("Name", "propget")]
