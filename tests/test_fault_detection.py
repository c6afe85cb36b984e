"""Proof that the conformance suite catches faults.

Every deliberately broken variant of the reference implementation
(tests/broken_variants.py) is run through the conformance suite in a
subprocess; the JSON report must show the assertions expected to catch its
fault FAILED, while the reference itself PASSES those same assertions (one run
of the whole suite against the unbroken reference), so the failure is the
fault's doing.

A run selects part of the suite to stay fast, but never only the assertions
expected to fail: at least a whole interface or a whole requirement family
(structure.signatures, structure.property-access...) or a few neighbouring
requirements, so a variant is checked alongside assertions it does not break.

The runs are started together in a pool when the session begins; under
pytest-xdist the workers share them (see `Runs`).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

import broken_variants

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

TESTS = Path(__file__).resolve().parent
CONFORMANCE = TESTS.parent / "conformance"
RUN_TIMEOUT = 300  # seconds a whole subprocess run may take before the test gives up on it


def requirements(*ids: str) -> tuple[str, ...]:
    return tuple(arg for rid in ids for arg in ("--msgrspec-requirement", rid))


def interfaces(*names: str) -> tuple[str, ...]:
    return tuple(arg for name in names for arg in ("--msgrspec-interface", name))


@dataclass(frozen=True)
class Expect:
    """What must catch a variant: the assertion ids that fail, in a run with these selection options."""

    variant: str
    caught_by: tuple[str, ...]
    select: tuple[str, ...] = ()  # empty: the whole suite
    message: str | None = None  # a text every catching assertion's failure message contains
    timeout: float | None = None  # --msgrspec-timeout for the run
    #: caught_by is every assertion that fails and `blocked` every one blocked; all else as against the reference
    exact: bool = False
    blocked: tuple[str, ...] = ()

    @property
    def adapter(self) -> str:
        return f"broken_variants:{self.variant}"

    @property
    def options(self) -> tuple[str, ...]:
        return self.select + (("--msgrspec-timeout", f"{self.timeout:g}") if self.timeout else ())


SESSION_MANAGER = interfaces("IMsgrSessionManager")
SESSION = interfaces("IMsgrSession", "SESSION_STATE")
LOCK = interfaces("IMsgrLock", "LockStatus")
LIFE_CYCLES = interfaces("SESSION_STATE", "LockStatus")
EXPLORE_SESSIONS = "lifecycle.cells+session.state.values"
EXPLORE_LOCKS = "lifecycle.cells+lock.status-changed.event"
EXPLORE_TIMEOUT = 300  # shrinking a walk replays it many times; on a loaded machine that outlasts 30 s
CANCELLED_CELLS = tuple(f"SESSION_STATE@SS_CANCELLED:{op}/{role}" for role, ops in (
    ("inviter", ("Invite", "Accept", "Decline", "SendContextData", "Application")),
    ("invitee", ("Invite", "Accept", "Decline", "Cancel", "SendContextData", "Application"))) for op in ops)
ACCESS = requirements("structure.property-access")
TYPE_INFO = requirements("structure.signatures", "structure.enum-values")

EXPECTATIONS = [
    # limits
    Expect("app_name_accepts_257", ("IMsgrSessionManager.RegisterApplication.bstrAppName#max-length:over",
                                    "session-manager.register.max-lengths"), SESSION_MANAGER, "E_INVALIDARG (0x80070057)"),
    Expect("context_data_refused_at_300", ("IMsgrSession.SendContextData.bstrData#max-length:at-limit",),
           requirements("session.context-data.over-limit", "session.context-data.delivered"),
           "a value of 300 characters, the limit: expected success, got SR_CONTEXT_DATA_OVER_LIMIT (0x81000611)"),
    Expect("context_data_at_300_answers_e_fail", ("IMsgrSession.SendContextData.bstrData#max-length:at-limit",),
           requirements("session.context-data.over-limit", "session.context-data.delivered"),
           "a value of 300 characters, the limit: expected success, got E_FAIL (0x80004005)"),
    Expect("app_name_at_256_answers_e_fail", ("IMsgrSessionManager.RegisterApplication.bstrAppName#max-length:at-limit",
                                              "session-manager.register.max-lengths"), SESSION_MANAGER, "E_FAIL (0x80004005)"),
    Expect("app_name_257_answers_e_fail", ("IMsgrSessionManager.RegisterApplication.bstrAppName#max-length:over",
                                           "session-manager.register.max-lengths"), SESSION_MANAGER,
           "expected E_INVALIDARG (0x80070057), got E_FAIL (0x80004005)"),
    Expect("unregister_refuses_registered_guids",
           ("IMsgrSessionManager.UnRegisterApplication.bstrAppGUID#max-length:at-limit",
            "session-manager.unregister.success"), SESSION_MANAGER, "got SR_APP_NOT_REGISTERED (0x8100060E)"),
    Expect("nonzero_flags_accepted", ("IMsgrSessionManager.RegisterApplication.ulFlags#equals",
                                      "session-manager.register.flags-zero"), SESSION_MANAGER, "E_INVALIDARG (0x80070057)"),
    # events
    Expect("on_app_registered_never_fired", ("session-manager.register.event",),
           requirements("session-manager.register.event", "session-manager.register.success",
                        "session-manager.register.duplicate-guid"), "OnAppRegistered"),
    Expect("on_accepted_not_delivered", ("session.accept.notifies-inviter",),
           requirements("session.accept.notifies-inviter", "session.decline.notifies-inviter",
                        "session.invite.sends"), "OnAccepted on the inviter"),
    Expect("on_termination_args_swapped", ("session.termination.event",), interfaces("MsgrSession"),
           "OnTermination"),
    Expect("stray_invitation_after_self_invite", ("session.invite.self",), SESSION, "an invitation to oneself arrived"),
    # HRESULTs
    Expect("reregister_answers_e_fail", ("session-manager.register.duplicate-guid", "session-manager.register.event",
                                         "session-manager.register.update-needs-unregister"), SESSION_MANAGER,
           "expected SR_APP_ALREADY_REGISTERED (0x8100060D), got E_FAIL (0x80004005)"),
    Expect("unregister_unknown_answers_s_ok", ("session-manager.unregister.unknown-guid",
                                               "session-manager.unregister.event"), SESSION_MANAGER,
           "expected SR_APP_NOT_REGISTERED (0x8100060E), got S_OK (0x00000000)"),
    Expect("invite_self_allowed", ("session.invite.self",), SESSION, "expected SR_INVITED_SELF (0x81000613), got S_OK (0x00000000)"),
    Expect("cancel_by_invitee_allowed", tuple(f"SESSION_STATE@{state}:Cancel/invitee" for state in
                                              ("SS_INVITATION", "SS_CONNECTED", "SS_CANCELLED", "SS_DECLINED")),
           SESSION, "expected SR_NOT_INVITER (0x8100060C), got S_OK (0x00000000)"),
    Expect("decline_by_inviter_allowed", tuple(f"SESSION_STATE@{state}:Decline/inviter" for state in
                                               ("SS_READY", "SS_INVITATION", "SS_CONNECTED", "SS_CANCELLED",
                                                "SS_DECLINED")),
           SESSION, "expected SR_NOT_INVITEE (0x8100060B), got S_OK (0x00000000)"),
    # Lock and Key
    Expect("lock_opens_twice", ("LockStatus@LOCK_UNLOCKED:RequestChallenge",), LOCK,
           "expected MSGR_E_API_ALREADY_UNLOCKED (0x81000754), got S_OK (0x00000000)"),
    Expect("calls_allowed_while_locked", ("lock.gate.session-manager", "lock.gate.messenger-private",
                                          "lock.gate.opens", "lock.per-object"),
           interfaces("IMsgrLock", "MsgrSessionManager", "MessengerPriv"), "got S_OK (0x00000000)"),
    Expect("lock_accepts_any_response", ("LockStatus@LOCK_PENDINGRESULT:SendResponse[wrong]",), LOCK,
           "State afterwards is LOCK_UNLOCKED, expected LOCK_UNLOCKFAILED"),
    Expect("lock_up_before_any_sink", ("LockStatus@LOCK_NOTINITIALIZED:RequestChallenge",
                                       "LockStatus@LOCK_NOTINITIALIZED:Listen"), LIFE_CYCLES,
           "is in LOCK_INITIALIZED, not in the initial state LOCK_NOTINITIALIZED"),
    # life cycles: each fault fails exactly its cells; a failed step on the way blocks the cells behind it
    # (the stateful explorations walk the same machine and find each fault too)
    Expect("session_accepts_accept_when_ready", ("SESSION_STATE@SS_READY:Accept/inviter", EXPLORE_SESSIONS),
           LIFE_CYCLES, "expected SR_SESSION_STATE_INVALID (0x81000614), got S_OK (0x00000000)", exact=True,
           timeout=EXPLORE_TIMEOUT),
    Expect("lock_reopens_after_failure", ("LockStatus@LOCK_UNLOCKFAILED:RequestChallenge", EXPLORE_LOCKS),
           LIFE_CYCLES, "expected MSGR_E_API_UNLOCK_FAILED (0x81000753), got S_OK (0x00000000)", exact=True,
           timeout=EXPLORE_TIMEOUT),
    Expect("declined_after_termination", ("SESSION_STATE@SS_INVITATION:Decline/invitee", EXPLORE_SESSIONS),
           LIFE_CYCLES, "the other party's events were [OnStateChanged(SS_INVITATION), OnTermination", exact=True,
           timeout=EXPLORE_TIMEOUT),
    Expect("cancel_leaves_invitation", ("SESSION_STATE@SS_INVITATION:Cancel/inviter", EXPLORE_SESSIONS), LIFE_CYCLES,
           "State afterwards is SS_INVITATION, expected SS_CANCELLED", exact=True, blocked=CANCELLED_CELLS,
           timeout=EXPLORE_TIMEOUT),
    # only a walk of four steps shows this one: no cell fails, the exploration does
    Expect("context_data_one_way", (EXPLORE_SESSIONS,), LIFE_CYCLES,
           "step 4 of the walk [Invite/inviter, Accept/invitee, SendContextData/inviter, SendContextData/invitee]",
           exact=True, timeout=EXPLORE_TIMEOUT),
    Expect("no_imsgrlock_interface", ("MsgrSessionManager#qi:IMsgrLock", "MessengerPriv#qi:IMsgrLock",
                                      "lock.interface.objects"),
           requirements("structure.query-interface", "lock.interface.objects"), "E_NOINTERFACE (0x80004002)"),
    # property access
    Expect("read_only_state_writable", ("IMsgrSession.State#access",), ACCESS,
           "put IMsgrSession.State (read-only): expected DISP_E_MEMBERNOTFOUND (0x80020003), got S_OK (0x00000000)"),
    Expect("not_implemented_put_answers_e_notimpl", ("IMsgrSessionManager.Applications#access",), ACCESS,
           "put IMsgrSessionManager.Applications: expected DISP_E_MEMBERNOTFOUND (0x80020003), got E_NOTIMPL (0x80004001)"),
    Expect("not_implemented_get_wrong_code", ("IMsgrSessionManager.Applications#access",), ACCESS,
           "get IMsgrSessionManager.Applications: expected E_NOTIMPL (0x80004001), got DISP_E_MEMBERNOTFOUND (0x80020003)"),
    # type information
    Expect("wrong_dispid", ("IMsgrSession.Invite#signature",), TYPE_INFO, "DISPID"),
    Expect("swapped_vtable_order", ("IMsgrSessionManager.CreateSession#signature",
                                    "IMsgrSessionManager.GetLaunchingSession#signature"), TYPE_INFO, "vtable"),
    Expect("event_params_swapped_in_type_info", ("DMsgrSessionEvents.OnTermination.hr#param",
                                                 "DMsgrSessionEvents.OnTermination.bstrAppData#param"), TYPE_INFO,
           "OnTermination parameter"),
    Expect("wrong_enum_value", ("SESSION_STATE.SS_CONNECTED#value",), TYPE_INFO, "SS_CONNECTED"),
    # sessions
    Expect("create_session_same_object", ("session-manager.create.new-object", "session-manager.create.session-id"),
           SESSION_MANAGER, "share"),
    Expect("session_id_without_braces", ("session-manager.create.session-id",), SESSION_MANAGER,
           "is not a GUID in braces"),
    # breaking the adapter contract; the first two run the whole suite, shared with the whole-run test below
    Expect("raises_in_get_session_id", ("session-manager.create.session-id", "session-manager.create.new-object",
                                        "IMsgrSession.SessionID#access"),
           message="the adapter raised RuntimeError in get("),
    Expect("wrong_type_from_get_state", ("session-manager.create.ready-state", "IMsgrSession.State#access"),
           message="with int"),
    Expect("hangs_in_get_launching_session", ("session-manager.launching.unknown-process",
                                              "session-manager.launching.returns-session"),
           SESSION_MANAGER, "did not answer within 2 s", timeout=2),
    # the hang is also met in a fixture (setup) of the IMessengerPrivate tests: the time limit covers setup
    # too, and those tests are reported blocked by the creation that hung
    Expect("hangs_creating_messenger_priv", ("MessengerPriv#create",),
           interfaces("IMessengerPrivate", "MessengerPriv"), "did not answer within 2 s", timeout=2),
    Expect("cannot_create_session_manager", ("MsgrSessionManager#create",), interfaces("MsgrSessionManager")),
    Expect("reregister_answers_e_fail_noisily", ("session-manager.register.duplicate-guid",), SESSION_MANAGER),
]
BY_VARIANT = {e.variant: e for e in EXPECTATIONS}
#: runs of the whole suite, to show a misbehaving adapter leaves the run intact. The hang gets a roomier
#: per-test limit here: with 2 s a slow machine could time out a sound test as well (four tests meet the hang)
WHOLE_RUNS = [BY_VARIANT["raises_in_get_session_id"], BY_VARIANT["wrong_type_from_get_state"],
              Expect("hangs_in_get_launching_session", ("session-manager.launching.unknown-process",
                                                        "session-manager.launching.returns-session",
                                                        "lock.gate.session-manager", "lock.gate.opens"),
                     message="did not answer within 5 s", timeout=5)]
#: a short run that compiles (and rewrites) everything the runs import, hypothesis included, before they start
WARM_UP = ("reference", requirements("session-manager.register.flags-zero"))
BASELINE = ("reference", ())


# -- running the suite ------------------------------------------------------------------------------------

@dataclass
class Run:
    adapter: str
    options: tuple[str, ...]
    returncode: int | None
    report: dict | None
    output: str
    seconds: float = 0.0

    def why(self) -> str:
        return f"--msgrspec-adapter {self.adapter} {' '.join(self.options)} (exit code {self.returncode}, " \
               f"{self.seconds:.1f} s):\n" \
               f"{self.output[-4000:]}"

    def outcome(self, assertion: str) -> dict[str, Any]:
        assert self.report is not None, f"no report was written by {self.why()}"
        tests = self.report["tests"]
        assert assertion in tests, f"{assertion} did not run in {self.adapter} {' '.join(self.options)}; " \
                                   f"ran: {sorted(tests)}"
        return tests[assertion]


class Runs:
    """Conformance runs in subprocesses, started in a pool and shared by the tests that need them.

    A run's result is kept in `root` under a key made of its adapter and options, behind a lock file:
    pytest-xdist workers given the same root share every run, each run happening once.
    """

    def __init__(self, root: Path, workers: int):
        self.root = root
        self.pycache = root / "pycache"
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="conformance-run")
        self._futures: dict[tuple[str, tuple[str, ...]], Future] = {}
        self._lock = threading.Lock()

    def submit(self, adapter: str, options: tuple[str, ...]) -> Future:
        key = (adapter, options)
        with self._lock:
            if key not in self._futures:
                self._futures[key] = self._pool.submit(self._shared, adapter, options)
            return self._futures[key]

    def get(self, adapter: str, options: tuple[str, ...]) -> Run:
        return self.submit(adapter, options).result()

    def _shared(self, adapter: str, options: tuple[str, ...]) -> Run:
        key = hashlib.sha256(json.dumps([adapter, list(options)]).encode()).hexdigest()[:16]
        folder = self.root / key
        with _claimed(self.root / f"{key}.lock"):
            saved = folder / "run.json"
            if saved.exists():
                data = json.loads(saved.read_text(encoding="utf-8"))
                return Run(**{**data, "options": tuple(data["options"])})
            run = self._run(adapter, options, folder)
            saved.write_text(json.dumps(asdict(run)), encoding="utf-8")
            return run

    def _run(self, adapter: str, options: tuple[str, ...], folder: Path) -> Run:
        folder.mkdir(parents=True, exist_ok=True)
        report = folder / "report.json"
        report.unlink(missing_ok=True)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
                   PYTHONPYCACHEPREFIX=str(self.pycache))
        # compiled (and assertion-rewritten) modules are cached outside the repository and shared by the runs:
        # without the cache every run would compile them again, hypothesis included
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        command = [sys.executable, "-m", "pytest", str(CONFORMANCE), "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                   "--msgrspec-adapter", adapter, "--msgrspec-report", str(report), *options]
        started = time.monotonic()
        try:
            done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            text = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
            return Run(adapter, options, None, None, f"the run did not end within {RUN_TIMEOUT} s\n{text}",
                       time.monotonic() - started)
        found = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
        return Run(adapter, options, done.returncode, found, done.stdout + done.stderr, time.monotonic() - started)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _claimed(path: Path):
    """Hold an exclusive lock on path (shared by processes); without fcntl, no lock (runs are then per process)."""
    if fcntl is None:
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if hasattr(request.config, "workerinput") and fcntl is not None:
        root = tmp_path_factory.getbasetemp().parent / "fault-detection"  # shared by the xdist workers
        root.mkdir(exist_ok=True)
    else:
        root = tmp_path_factory.mktemp("fault-detection")
    pool = Runs(root, workers=max(2, min(8, 2 * (os.cpu_count() or 1))))
    warm = pool.get(*WARM_UP)
    assert warm.returncode == 0, f"the warm-up run failed: {warm.why()}"
    # start every run the selected tests need at once, the slowest first; xdist workers each collect every
    # test and start every run, but a run another worker has started is waited for and shared, not repeated
    pool.submit(*BASELINE)
    wanted = {item.callspec.params["expect"] for item in request.session.items
              if isinstance(getattr(item, "callspec", None) and item.callspec.params.get("expect"), Expect)}
    for expect in sorted(wanted, key=lambda e: (bool(e.select), -(e.timeout or 0), e.variant)):
        pool.submit(expect.adapter, expect.options)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def baseline(runs: Runs) -> Run:
    """The whole suite against the unbroken reference."""
    run = runs.get(*BASELINE)
    assert run.returncode == 0 and run.report is not None, f"the reference does not pass: {run.why()}"
    return run


# -- the proofs -------------------------------------------------------------------------------------------

def test_every_variant_has_an_expectation():
    assert sorted(BY_VARIANT) == sorted(broken_variants.VARIANTS), \
        "each variant in broken_variants.py needs an Expect entry here, and each entry a variant"
    for name, factory in broken_variants.VARIANTS.items():
        assert isinstance(factory(), broken_variants.ReferenceAdapter), name
        assert (factory.__doc__ or "").strip(), f"{name} does not say what its fault is"


@pytest.mark.parametrize("expect", EXPECTATIONS, ids=[e.variant for e in EXPECTATIONS])
def test_suite_catches_the_fault(expect: Expect, runs: Runs, baseline: Run):
    fault = broken_variants.fault_of(expect.variant)
    run = runs.get(expect.adapter, expect.options)
    assert run.report is not None, f"{fault}: no report: {run.why()}"
    assert run.returncode == 1, f"{fault}: the run should end with failed tests: {run.why()}"
    assert run.report["implementation"] == f"msgrspec reference implementation, broken: {fault}", \
        "the report does not name the fault it ran with"
    for assertion in expect.caught_by:
        assert baseline.outcome(assertion)["outcome"] == "passed", \
            f"the reference itself does not pass {assertion}: the failure would prove nothing"
        result = run.outcome(assertion)
        assert result["outcome"] == "failed", f"{fault}: {assertion} did not catch it ({result['outcome']})"
        if expect.message:
            assert expect.message in (result["message"] or ""), \
                f"{fault}: {assertion} failed for another reason: {result['message']}"
        assert result["reproducer"], f"{assertion}: the failure carries no reproducer"
    if expect.exact:
        tests = run.report["tests"]
        by_outcome = {kind: {key for key, result in tests.items() if result["outcome"] == kind}
                      for kind in ("failed", "blocked")}
        assert by_outcome["failed"] == set(expect.caught_by), f"{fault}: failed {sorted(by_outcome['failed'])}"
        assert by_outcome["blocked"] == set(expect.blocked), f"{fault}: blocked {sorted(by_outcome['blocked'])}"
        for key in expect.blocked:
            assert expect.caught_by[0] in tests[key]["message"], f"{key} is blocked by another step: {tests[key]}"
        reference = baseline.report["tests"]
        changed = {key: (reference[key]["outcome"], result["outcome"]) for key, result in tests.items()
                   if key not in by_outcome["failed"] | by_outcome["blocked"]
                   and result["outcome"] != reference[key]["outcome"]}
        assert not changed, f"{fault}: assertions it does not touch changed outcome (reference, broken): {changed}"


@pytest.mark.parametrize("expect", WHOLE_RUNS, ids=[e.variant for e in WHOLE_RUNS])
def test_run_completes_when_the_adapter_misbehaves(expect: Expect, runs: Runs, baseline: Run):
    """An adapter that raises, answers with the wrong type or hangs fails the tests that meet it, with a reason
    naming the fault; the run ends normally (exit code 1), writes its report, and every other test runs as
    against the reference."""
    run = runs.get(expect.adapter, expect.options)
    assert run.returncode == 1, f"the run did not end normally with failed tests: {run.why()}"
    assert run.report is not None, f"no report was written: {run.why()}"
    tests, reference = run.report["tests"], baseline.report["tests"]
    missing, extra = sorted(set(reference) - set(tests)), sorted(set(tests) - set(reference))
    assert not missing and not extra, f"assertions missing from the run: {missing}; not in the reference's: {extra}"
    failed = {key for key, result in tests.items() if result["outcome"] == "failed"}
    assert set(expect.caught_by) <= failed
    assert run.report["summary"]["failed"] == len(failed)
    # a test that only relied on the broken step may be reported blocked instead; either way the fault is named
    touched = failed | {key for key, result in tests.items() if result["outcome"] == "blocked"}
    for key in sorted(touched):
        assert expect.message in (tests[key]["message"] or ""), f"{key} failed for another reason: {tests[key]}"
    changed = {key: (reference[key]["outcome"], tests[key]["outcome"]) for key in tests
               if key not in touched and tests[key]["outcome"] != reference[key]["outcome"]}
    assert not changed, f"assertions the fault does not touch changed outcome (reference, broken): {changed}"


def test_a_late_stray_event_is_caught_through_the_protocol(tmp_path):
    """The stray OnInvitation of a refused self-invite, 0.5 s late, through the process adapter (whose parties
    tell the suite nothing about when their events arrive): the barrier after the refusal still sees it."""
    from protocol_helpers import PROCESS, SERVE, msgrspec_test

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])))
    verdicts = {}
    for adapter in ("reference", "broken_variants:stray_invitation_after_self_invite"):
        run, report, _ = msgrspec_test(tmp_path, "-q", "--adapter", PROCESS, "--requirement", "session.invite.self",
                                       "--", *SERVE, adapter, env=env)
        assert report is not None, run.stdout[-3000:] + run.stderr[-2000:]
        (verdicts[adapter],) = report["tests"].values()
    assert verdicts["reference"]["outcome"] == "passed", verdicts["reference"]
    caught = verdicts["broken_variants:stray_invitation_after_self_invite"]
    assert caught["outcome"] == "failed" and "an invitation to oneself arrived" in caught["message"], caught
