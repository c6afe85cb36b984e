"""The native C implementation (examples/c-session-manager), built from the header that `msgrspec idl`
and widl generate, driven through the process adapter."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expected_verdicts import id_problems
from msgrspec import load_spec
from msgrspec.expectations import load_expected_failures
from msgrspec.resources import schema

from protocol_helpers import PROCESS, msgrspec_test
from toolchain import WINE_INCLUDE, require, unavailable

VALIDATOR = jsonschema.Draft202012Validator({"$defs": schema("protocol")["$defs"], "$ref": "#/$defs/response"})
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "c-session-manager"


def build(folder: Path, cflags: str = "-O2 -g") -> tuple[Path, subprocess.CompletedProcess]:
    require("gcc", "make", "widl", "wine-headers")
    run = subprocess.run(["make", "-C", str(EXAMPLE), f"BUILD={folder}", "CC=gcc", f"CFLAGS={cflags}",
                          f"MSGRSPEC={sys.executable} -m msgrspec", f"PYTHON={sys.executable}",
                          f"WINE_INCLUDE={WINE_INCLUDE}"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return folder / "c-session-manager", run


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One build for the whole run: xdist workers share the folder, one at a time (make is incremental)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "c-session-manager"
    folder.mkdir(exist_ok=True)
    with open(folder.parent / "c-session-manager.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        first = not (folder / "c-session-manager").exists()
        server, run = build(folder)
        if first:
            (folder / "first-build.log").write_text(run.stdout + run.stderr)
    return server, subprocess.CompletedProcess(run.args, 0, (folder / "first-build.log").read_text(), "")


@pytest.fixture(scope="module")
def server(built) -> Path:
    return built[0]


@pytest.fixture(scope="module")
def full_run(server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("c-run")
    return msgrspec_test(tmp, "-q", "--adapter", PROCESS, "--expected-failures",
                         str(EXAMPLE / "expected-failures.yaml"), "--", str(server))


def test_builds_from_the_generated_header_without_warnings(built):
    server, run = built
    assert server.is_file() and os.access(server, os.X_OK)
    assert "warning:" not in run.stdout + run.stderr, run.stdout + run.stderr
    folder = server.parent
    assert "IMsgrSessionManagerVtbl" in (folder / "msgrpriv.h").read_text()
    assert "IID_IMsgrLock" in (folder / "msgrpriv_i.c").read_text()
    assert not [p for p in EXAMPLE.rglob("*") if p.name in ("msgrpriv.h", "msgrpriv_i.c", "typeinfo_tables.c")], \
        "generated files are in the source tree"


@pytest.fixture(scope="module")
def single_party_run(tmp_path_factory):
    """The reference with the C implementation's features (no second party): the verdicts to expect."""
    return msgrspec_test(tmp_path_factory.mktemp("single-party"), "-q", "--adapter", "msgrspec.reference:single_party")


def verdicts(report: dict) -> dict[str, str]:
    return {key: test["outcome"] for key, test in report["tests"].items()}


def test_whole_suite_passes_within_its_profile(full_run, single_party_run):
    """Every assertion the spec calls for ran, each with the verdict the reference gives with the same
    features (lock-enforced and registry, no peer), not a count of passes."""
    run, report, _ = full_run
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert report["implementation"] == "msgrspec C session manager (examples/c-session-manager)"
    assert report["features"] == ["lock-enforced", "registry"]
    assert not id_problems(load_spec(), report), id_problems(load_spec(), report)
    _, expected, _ = single_party_run
    assert expected["features"] == report["features"] and expected["product"] == report["product"]
    mine, theirs = verdicts(report), verdicts(expected)
    assert mine == theirs, {key: (mine.get(key), theirs.get(key)) for key in mine.keys() | theirs.keys()
                            if mine.get(key) != theirs.get(key)}
    for key, test in report["tests"].items():
        if test["outcome"] == "not-applicable":
            assert "'peer' feature" in test["message"] or "enables Lock and Key" in test["message"] \
                or "LockStatus@LOCK_NOTINITIALIZED:Listen took the outcome for which the service offers Lock and Key" \
                in test["message"], key


def expected_failure_problems(path: Path, report: dict) -> list[str]:
    """How an expected-failures file is out of date for a report: an entry for another implementation, for
    an assertion that did not run or did not fail, or an assertion that fails without an entry."""
    expected = load_expected_failures(path)
    problems = [] if expected.implementation == report["implementation"] else \
        [f"the file is for {expected.implementation}, the report for {report['implementation']}"]
    for key in sorted(expected.entries):
        outcome = report["tests"].get(key, {}).get("outcome", "absent")
        if outcome != "xfail":
            problems.append(f"{key} is listed as failing, but is {outcome}")
    problems += [f"{key} fails and is not listed" for key, test in sorted(report["tests"].items())
                 if test["outcome"] in ("failed", "blocked")]
    return problems


def test_expected_failures_file_is_valid_and_current(full_run):
    _, report, _ = full_run
    assert expected_failure_problems(EXAMPLE / "expected-failures.yaml", report) == []
    assert isinstance(yaml.safe_load((EXAMPLE / "expected-failures.yaml").read_text())["expected_failures"], list)


def test_a_stale_expected_failure_is_found(server, tmp_path):
    """Negative control for the check above, whose list is empty: an entry for an assertion that passes is
    reported (xpass), and so is one for an assertion that did not run."""
    stale = tmp_path / "stale.yaml"
    stale.write_text("implementation: msgrspec C session manager (examples/c-session-manager)\n"
                     "expected_failures:\n  - {id: MsgrSessionManager#create, reason: pretend it fails}\n"
                     "  - {id: IMsgrSessionManager.CreateSession#signature, reason: not in this run}\n")
    _, report, _ = msgrspec_test(tmp_path, "-q", "--adapter", PROCESS, "--interface", "MsgrSessionManager",
                                 "--expected-failures", str(stale), "--", str(server))
    assert expected_failure_problems(stale, report) == [
        "IMsgrSessionManager.CreateSession#signature is listed as failing, but is absent",
        "MsgrSessionManager#create is listed as failing, but is xpass"]


def talk(server: Path, *requests: dict, env: dict | None = None) -> tuple[list[dict], subprocess.CompletedProcess]:
    lines = "".join(json.dumps(r) + "\n" for r in requests)
    run = subprocess.run([str(server)], input=lines, capture_output=True, text=True, timeout=30, env=env)
    return [json.loads(line) for line in run.stdout.splitlines()], run


HELLO = {"id": 0, "op": "hello", "protocol": "msgrspec-adapter", "versions": [1]}


def test_every_object_is_released(server):
    """A world with objects, sinks, queued events and contacts in it; on close every COM object is freed."""
    w = {"world": "w1", "party": "local"}
    mgr = {"object": "w1.o1", "interface": "IMsgrSessionManager"}
    answers, run = talk(
        server, HELLO, {"id": 1, "op": "open_world"},
        {"id": 2, "op": "create", **w, "coclass": "MsgrSessionManager"},
        {"id": 3, "op": "connect", **w, "object": mgr, "dispinterface": "DMsgrSessionManagerEvents"},
        {"id": 4, "op": "create", **w, "coclass": "MessengerPriv"},
        {"id": 5, "op": "contact", **w, "signin": "bob@msgrspec.example"},
        {"id": 6, "op": "query_interface", **w, "object": mgr, "interface": "IMsgrLock"},
        {"id": 7, "op": "open_world"},
        {"id": 8, "op": "close_world", "world": "w1"},
        {"id": 9, "op": "shutdown"})
    assert [a["id"] for a in answers] == list(range(10)) and all("result" in a for a in answers), answers
    assert run.returncode == 0 and "still alive" not in run.stderr, run.stderr


def test_an_object_handed_out_again_keeps_its_reference(server):
    """docs/protocol.md: the same object gets the same string every time it is handed out. Bob, the world's
    first object, and Carol, a later one, are each asked for twice."""
    w = {"world": "w1", "party": "local"}
    answers, run = talk(
        server, HELLO, {"id": 1, "op": "open_world"},
        *({"id": i, "op": "contact", **w, "signin": signin}
          for i, signin in ((2, "bob@msgrspec.example"), (3, "carol@msgrspec.example"), (4, "bob@msgrspec.example"),
                            (5, "carol@msgrspec.example"))),
        {"id": 6, "op": "shutdown"})
    objects = [a["result"]["value"]["object"] for a in answers[2:6]]
    assert objects[0] == objects[2] and objects[1] == objects[3] and objects[0] != objects[1], objects
    assert run.returncode == 0, run.stderr


def test_a_contact_property_it_does_not_declare_is_not_found(server):
    """docs/protocol.md: get and put of an accessor the interface does not declare answer DISP_E_MEMBERNOTFOUND,
    on a contact (IMessengerContact, outside the suite's generated access cases) as on the API's objects."""
    w = {"world": "w1", "party": "local"}
    answers, run = talk(
        server, HELLO, {"id": 1, "op": "open_world"}, {"id": 2, "op": "contact", **w, "signin": "bob@msgrspec.example"},
        *({"id": i, "op": op, **w, "object": {"object": "w1.o1", "interface": "IMessengerContact"},
           "property": "NoSuchProperty", **extra} for i, op, extra in ((3, "get", {}), (4, "put", {"value": 1}))),
        {"id": 5, "op": "shutdown"})
    assert answers[2]["result"]["value"]["object"] == "w1.o1", answers[2]
    assert [a["result"]["hr"] for a in answers[3:5]] == [0x80020003] * 2, answers[3:5]
    assert run.returncode == 0, run.stderr


def test_protocol_errors(server):
    answers, run = talk(server, {"id": 1, "op": "open_world"}, HELLO,
                        {"id": 2, "op": "events", "world": "w9", "party": "local"},
                        {"id": 3, "op": "open_world"}, {"id": 4, "op": "events", "world": "w1", "party": "peer"},
                        {"id": 5, "op": "create", "world": "w1", "party": "local"})
    codes = [a.get("error", {}).get("code") for a in answers]
    assert codes == ["no-handshake", None, "unknown-world", None, "no-peer", "bad-message"]
    answers, _ = talk(server, {**HELLO, "versions": [2]})
    assert answers[0]["error"]["code"] == "version-mismatch" and answers[0]["error"]["versions"] == [1]


def test_a_native_crash_fails_the_tests_and_the_run_completes(server, tmp_path):
    """CSM_FAULT=crash:CreateSession makes the server kill itself with SIGSEGV in every CreateSession."""
    env = {**os.environ, "CSM_FAULT": "crash:CreateSession"}
    run, report, elapsed = msgrspec_test(tmp_path, "-q", "--adapter", PROCESS, "--interface", "IMsgrSessionManager",
                                         "--", str(server), env=env)
    assert report is not None and run.returncode == 1
    broken = [t for t in report["tests"].values() if t["outcome"] in ("failed", "blocked")]
    assert broken and all("SIGSEGV" in t["message"] for t in broken), broken[:2]
    assert "CSM_FAULT asks for a crash in CreateSession" in broken[0]["message"]
    assert report["summary"]["passed"] > 0, "tests that never call CreateSession should still pass"
    assert elapsed < 120


def test_a_native_hang_is_cut_by_the_call_timeout(server, tmp_path):
    env = {**os.environ, "CSM_FAULT": "hang:CreateSession"}
    run, report, elapsed = msgrspec_test(tmp_path, "-q", "--adapter", PROCESS, "--call-timeout", "1",
                                         "--requirement", "session-manager.create.ready-state", "--", str(server),
                                         env=env)
    (test,) = report["tests"].values()
    assert test["outcome"] == "failed" and "did not answer call IMsgrSessionManager.CreateSession within 1 s" \
        in test["message"]
    assert elapsed < 60


def test_no_memory_errors_under_valgrind(server, tmp_path):
    """The lock and registry parts of the suite with the server under valgrind's memcheck: no error, no leak."""
    require("valgrind")
    logs = tmp_path / "valgrind"
    logs.mkdir()
    wrapper = [shutil.which("valgrind"), "-q", "--leak-check=full", "--show-leak-kinds=definite,indirect",
               f"--log-file={logs}/%p.log", str(server)]
    run, report, _ = msgrspec_test(tmp_path, "-q", "--adapter", PROCESS, "--interface", "IMsgrLock",
                                   "--interface", "LockStatus",
                                   "--interface", "MsgrSessionManager", "--call-timeout", "30", "--", *wrapper)
    assert run.returncode == 0, run.stdout[-3000:]
    assert report["summary"]["failed"] == 0
    found = sorted(logs.glob("*.log"))
    assert found, "valgrind wrote no log"
    assert all(not log.read_text().strip() for log in found), "\n".join(log.read_text() for log in found)[:4000]


def test_no_memory_errors_under_address_sanitizer(tmp_path, full_run):
    """The suite against a build with AddressSanitizer and UBSan: nothing reported, no leak at exit."""
    require("gcc")
    probe = subprocess.run(["gcc", "-fsanitize=address,undefined", "-x", "c", "-", "-o", str(tmp_path / "probe")],
                           input="int main(void){return 0;}", capture_output=True, text=True)
    if probe.returncode != 0:
        unavailable("needs gcc's AddressSanitizer and UBSan runtimes, which cannot build -fsanitize=address,undefined "
                    f"here (Debian: apt-get install libasan8 libubsan1): {probe.stderr.strip()[-300:]}")
    sanitized, _ = build(tmp_path / "asan", "-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer")
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {**os.environ, "ASAN_OPTIONS": f"detect_leaks=1:log_path={logs}/asan",
           "UBSAN_OPTIONS": f"print_stacktrace=1:log_path={logs}/ubsan"}
    run, report, _ = msgrspec_test(tmp_path, "-q", "--adapter", PROCESS, "--", str(sanitized), env=env)
    assert run.returncode == 0, run.stdout[-3000:]
    assert verdicts(report) == verdicts(full_run[1]), "the sanitized build gives other verdicts"
    found = sorted(logs.iterdir())
    assert not found, "\n".join(p.read_text() for p in found)[:4000]


@pytest.mark.parametrize("fault,reason", [("garbage:create", "sent a malformed message in answer to create"),
                                          ("exit:create", "exited with status 3 before answering create")])
def test_native_garbage_and_early_exit_fail_the_test(server, tmp_path, fault, reason):
    env = {**os.environ, "CSM_FAULT": fault}
    run, report, _ = msgrspec_test(tmp_path, "-q", "--adapter", PROCESS, "--requirement",
                                   "session-manager.create.ready-state", "--", str(server), env=env)
    (test,) = report["tests"].values()
    assert test["outcome"] in ("failed", "blocked") and reason in test["message"], test["message"]


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**63, max_value=2**64),
                      st.text(max_size=8), st.floats(allow_nan=False, allow_infinity=False))
json_data = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["object", "interface", "record", "x"]), inner,
                                                  max_size=3)), max_leaves=6)
OPS = ["profile", "open_world", "close_world", "create", "query_interface", "call", "get", "put", "connect",
       "disconnect", "events", "contact", "type_info", "launch", "output", "nonsense"]
REFS = st.fixed_dictionaries({"object": st.sampled_from(["w1.o1", "w1.o2", "w1.o3", "w2.o1", "x"]),
                              "interface": st.sampled_from(["IMsgrSessionManager", "IMsgrLock", "IMsgrSession",
                                                            "IDispatch", "IMessengerContact", "IUnknown", "X"])})
message = st.builds(
    lambda op, world, party, fields: {"id": 5, "op": op, "world": world, "party": party, **fields},
    st.sampled_from(OPS), st.sampled_from(["w1", "w2"]), st.sampled_from(["local", "local", "peer"]),
    st.fixed_dictionaries({}, optional={
        "coclass": st.sampled_from(["MsgrSessionManager", "MessengerPriv", "MsgrSession", "x"]),
        "object": REFS, "interface": st.sampled_from(["IMsgrLock", "IMsgrSession", "IDispatch", "IUnknown", "x"]),
        "method": st.sampled_from(["CreateSession", "RegisterApplication", "RequestChallenge", "SendResponse",
                                   "EnableAlertEvents", "AddContact", "Invite", "Cancel", "x"]),
        "property": st.sampled_from(["Status", "SessionID", "Application", "Blocked", "Property", "State", "x"]),
        "args": st.lists(st.one_of(json_data, REFS), max_size=5), "value": st.one_of(json_data, REFS),
        "index": json_data, "dispinterface": st.sampled_from(["DMsgrSessionManagerEvents", "DMsgrSessionEvents",
                                                              "DMessengerPrivateEvents", "x"]),
        "cookie": st.integers(min_value=-5, max_value=2**33), "signin": st.text(max_size=10),
        "name": st.sampled_from(["IMsgrLock", "LockError", "MsgrSession", "{36602AFA-4859-4DF5-820B-BF35ACAA16CA}",
                                 "x"])}))
line = st.one_of(message.map(json.dumps), st.text(max_size=30).filter(lambda t: "\n" not in t and t.strip()),
                 json_data.map(json.dumps))


@settings(derandomize=True, max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=st.lists(line, min_size=10, max_size=60))
def test_native_server_answers_any_input(server, lines):
    """Arbitrary requests and garbage: one valid response per line, no crash, every object released."""
    setup = [json.dumps(HELLO), json.dumps({"id": 1, "op": "open_world"}),
             json.dumps({"id": 2, "op": "create", "world": "w1", "party": "local", "coclass": "MsgrSessionManager"}),
             json.dumps({"id": 3, "op": "call", "world": "w1", "party": "local",
                         "object": {"object": "w1.o1", "interface": "IMsgrSessionManager"}, "method": "CreateSession",
                         "args": []})]
    text = "".join(item + "\n" for item in setup + lines)
    run = subprocess.run([str(server)], input=text, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, (run.returncode, run.stderr[-2000:])
    answers = run.stdout.splitlines()
    assert len(answers) == len(setup) + len(lines)
    for answer in answers:
        VALIDATOR.validate(json.loads(answer))
