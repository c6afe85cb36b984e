"""The pytest plugin behind the conformance suite (entry point ``pytest11``: ``msgrspec``).

It is inert in a pytest run that collects no conformance test. For the suite
it loads the spec and the adapter, parametrizes the generated cases, guards
every adapter call, applies the per-test timeout, the expected failures and
the profile (not applicable items), and writes the JSON report.
"""
from __future__ import annotations

import contextlib
import json
import re
import signal
import threading
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from . import cases as case_module
from .adapter import AdapterNotFound, Profile, load_adapter
from .errors import SpecError
from .expectations import load_expected_failures, stale_entries
from .guard import AdapterFault, GuardedParty, Trace
from .suite import PrerequisiteFailed
from .loader import load_spec
from .model import Spec

REPORT_FORMAT = "msgrspec-report"
REPORT_VERSION = 1
_STATE = pytest.StashKey["_RunState"]()
_CASE = pytest.StashKey["case_module.Case"]()
_TRACE = pytest.StashKey[Trace]()
_PARTIES = pytest.StashKey[list]()
_TIMED_OUT = pytest.StashKey[str]()


class AdapterTimeout(AssertionError):
    """The implementation did not answer within the per-test time limit.

    An implementation's own `except Exception` may swallow it; the plugin remembers that the limit
    expired (the `_TIMED_OUT` stash key) and reports the phase failed with this reason all the same.
    """


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("msgrspec", "msgrspec conformance suite")
    group.addoption("--msgrspec-adapter", default="reference",
                    help="adapter to test: an installed name (msgrspec adapters) or module:attribute")
    group.addoption("--msgrspec-spec", default=None, help="spec folder (default: the spec msgrspec ships)")
    group.addoption("--msgrspec-report", default=None, help="write the JSON conformance report here")
    group.addoption("--msgrspec-expected-failures", default=None,
                    help="YAML/JSON file of assertion ids with reasons that are known to fail")
    group.addoption("--msgrspec-requirement", action="append", default=[],
                    help="run only the assertions of this requirement id (repeatable)")
    group.addoption("--msgrspec-interface", action="append", default=[],
                    help="run only the assertions about this interface, dispinterface, coclass or enum (repeatable)")
    group.addoption("--msgrspec-timeout", type=float, default=30.0, help="seconds one test may take (0: no limit)")
    group.addoption("--msgrspec-strict-xfail", action="store_true",
                    help="an expected failure that passes fails the run")
    group.addoption("--msgrspec-explore", action="store_true",
                    help="randomized property-based tests (the default run is derandomized and repeatable)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): the spec requirements a conformance test checks")
    _hypothesis_profile(config.getoption("--msgrspec-explore"))
    state = _RunState(config)
    config.stash[_STATE] = state
    config.pluginmanager.register(state, "msgrspec-run")


def _hypothesis_profile(explore: bool) -> None:
    """Property-based tests are derandomized by default, so that two runs give the same verdicts."""
    try:
        from hypothesis import settings
    except ImportError:  # pragma: no cover - hypothesis is a dependency; tolerate its absence in foreign runs
        return
    settings.register_profile("msgrspec", derandomize=True, max_examples=25, deadline=None, database=None)
    settings.register_profile("msgrspec-explore", derandomize=False, max_examples=200, deadline=None,
                              database=None)
    settings.load_profile("msgrspec-explore" if explore else "msgrspec")


class _RunState:
    """What one run knows: spec, adapter, profile, expected failures and the results so far."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self._spec: Spec | None = None
        self._adapter = None
        self.results: dict[str, dict[str, Any]] = {}
        self.expected: dict[str, str] = {}
        self.notes: list[str] = []

    @property
    def spec(self) -> Spec:
        if self._spec is None:
            try:
                self._spec = load_spec(self.config.getoption("--msgrspec-spec"))
            except SpecError as exc:
                raise pytest.UsageError(f"the spec does not load:\n{exc}") from None
        return self._spec

    @property
    def adapter(self):
        if self._adapter is None:
            name = self.config.getoption("--msgrspec-adapter")
            try:
                self._adapter = load_adapter(name)
            except AdapterNotFound as exc:
                raise pytest.UsageError(str(exc)) from None
        return self._adapter

    @property
    def profile(self) -> Profile:
        return self.adapter.profile()

    # hooks: they run where the reports arrive (the controller of an xdist run, or the one process)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold the phases of each conformance test into one result."""
        data = dict(report.user_properties).get(_RESULT_KEY)
        if data is None:
            return
        status = _status(report)
        previous = self.results.get(data["id"])
        if previous and (previous["outcome"] != "passed" or (report.when != "call" and status == "passed")):
            return
        message = None
        if report.failed:
            message = _short_message(report)
        elif report.skipped and isinstance(report.longrepr, tuple):
            message = report.longrepr[2]
        self.results[data["id"]] = {"outcome": status, "requirements": data["requirements"], "item": data["item"],
                                    "message": message, "nodeid": report.nodeid, "reproducer": data["reproducer"],
                                    "output": data["output"]}


def _state(config: pytest.Config) -> _RunState:
    return config.stash[_STATE]


# -- parametrizing the generated cases -----------------------------------------------------------

def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for argument, generate in case_module.GENERATORS.items():
        if argument in metafunc.fixturenames:
            found = generate(_state(metafunc.config).spec)
            metafunc.parametrize(argument, found, ids=[c.id for c in found])


def assertion_id(item: pytest.Item) -> str:
    """The stable id of a test: its case id, or the requirement ids its marker names."""
    case = item.stash.get(_CASE, None)
    if case is not None:
        return case.id
    marker = item.get_closest_marker("requirement")
    if marker and marker.args:
        return "+".join(marker.args)
    return item.nodeid


def requirements_of(item: pytest.Item) -> tuple[str, ...]:
    case = item.stash.get(_CASE, None)
    if case is not None:
        return case.requirements
    marker = item.get_closest_marker("requirement")
    return tuple(marker.args) if marker else ()


def _subject(item: pytest.Item, spec: Spec) -> str:
    case = item.stash.get(_CASE, None)
    if case is not None:
        return case.item
    for rid in requirements_of(item):
        if rid in spec.requirements:
            return spec.requirements[rid].applies_to[0]
    return ""


def _is_conformance(item: pytest.Item) -> bool:
    return any(name.endswith("_case") for name in getattr(item, "fixturenames", ())) or \
        item.get_closest_marker("requirement") is not None


def _product_tuple(product: str | None) -> tuple[int, ...]:
    numbers = re.findall(r"\d+", product or "")
    return tuple(int(n) for n in numbers)


def _not_applicable(state: _RunState, item: pytest.Item) -> str | None:
    """Why the item does not apply to the implementation's profile, derived from the spec."""
    spec, profile = state.spec, state.profile
    for rid in requirements_of(item):
        requirement = spec.requirements.get(rid)
        if requirement and requirement.profile and requirement.profile not in profile.features:
            return f"not applicable: requirement {rid} needs the '{requirement.profile}' feature, which " \
                   f"{profile.implementation} does not declare"
    subject = _subject(item, spec)
    if subject and subject in spec:
        product = getattr(spec.resolve(subject), "support", None)
        if product and product.product and _product_tuple(product.product) > _product_tuple(profile.product):
            return f"not applicable: {subject} arrived in {product.product}; the implementation is " \
                   f"{profile.product}"
    return None


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    conformance = [item for item in items if _is_conformance(item)]
    if not conformance:
        return
    state = _state(config)
    for item in conformance:
        callspec = getattr(item, "callspec", None)
        if callspec:
            for value in callspec.params.values():
                if isinstance(value, case_module.Case):
                    item.stash[_CASE] = value
    wanted_reqs = set(config.getoption("--msgrspec-requirement"))
    wanted_items = set(config.getoption("--msgrspec-interface"))
    if wanted_reqs or wanted_items:
        keep, drop = [], []
        for item in items:
            chosen = (not wanted_reqs or wanted_reqs & set(requirements_of(item))) and \
                     (not wanted_items or case_module.interface_of(_subject(item, state.spec)) in wanted_items)
            (keep if chosen and _is_conformance(item) else drop).append(item)
        items[:] = keep
        config.hook.pytest_deselected(items=drop)
        conformance = keep
    ids = Counter(assertion_id(item) for item in conformance)
    duplicated = [i for i, n in ids.items() if n > 1]
    if duplicated:
        raise pytest.UsageError(f"assertion ids are not unique: {', '.join(sorted(duplicated))}")
    path = config.getoption("--msgrspec-expected-failures")
    if path:
        try:
            expected = load_expected_failures(path)
        except SpecError as exc:
            raise pytest.UsageError(f"the expected-failures file is not valid:\n{exc}") from None
        state.expected = {key: entry.reason for key, entry in expected.entries.items()}
        unknown = stale_entries(expected, set(ids))
        if unknown and not (wanted_reqs or wanted_items):
            raise pytest.UsageError(f"{path}: these expected failures match no assertion: {', '.join(unknown)}")
        if expected.spec_sha256 and expected.spec_sha256 != state.spec.digest:
            state.notes.append(f"{path} was written against spec {expected.spec_sha256[:12]}; "
                               f"this is spec {state.spec.digest[:12]} (msgrspec diff tells what changed)")
    for item in conformance:
        reason = _not_applicable(state, item)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
        elif assertion_id(item) in state.expected:
            item.add_marker(pytest.mark.xfail(reason=state.expected[assertion_id(item)],
                                              strict=config.getoption("--msgrspec-strict-xfail")))


# -- fixtures the conformance tests use ----------------------------------------------------------

@pytest.fixture(scope="session")
def spec(request: pytest.FixtureRequest) -> Spec:
    """The spec under test."""
    return _state(request.config).spec


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> Profile:
    """The profile of the implementation under test."""
    return _state(request.config).profile


@pytest.fixture
def world(request: pytest.FixtureRequest):
    """A fresh world of the implementation, closed after the test."""
    state = _state(request.config)
    trace = request.node.stash.setdefault(_TRACE, Trace())
    try:
        opened = state.adapter.open_world()
    except Exception as exc:  # noqa: BLE001 - a broken adapter fails the test, never the run
        raise AdapterFault(f"the adapter could not open a world: {type(exc).__name__}: {exc}") from exc
    request.node.stash[_PARTIES] = []
    yield opened
    try:
        opened.close()
    except Exception:  # noqa: BLE001
        pass
    del trace


def _guarded(request: pytest.FixtureRequest, party, role: str) -> GuardedParty:
    guarded = GuardedParty(party, role, request.node.stash.setdefault(_TRACE, Trace()))
    request.node.stash[_PARTIES].append(guarded)
    return guarded


@pytest.fixture
def local(request: pytest.FixtureRequest, world) -> GuardedParty:
    """The party under test, every call guarded and traced."""
    try:
        party = world.local
    except Exception as exc:  # noqa: BLE001
        raise AdapterFault(f"the adapter's world has no local party: {type(exc).__name__}: {exc}") from exc
    return _guarded(request, party, "local")


@pytest.fixture
def peer(request: pytest.FixtureRequest, world, profile) -> GuardedParty:
    """A second party, signed in as another user (needs the 'peer' feature)."""
    if "peer" not in profile.features:
        pytest.skip(f"not applicable: {profile.implementation} cannot drive a second party ('peer' feature)")
    party = world.peer
    if party is None:
        raise AdapterFault("the adapter declares the 'peer' feature but its world has no peer")
    return _guarded(request, party, "peer")


@pytest.fixture
def fresh_parties(request: pytest.FixtureRequest, profile):
    """For a test that runs many examples (a stateful exploration), one fresh world each: a function that
    closes the world before, opens a new one and returns its guarded (local, peer) parties, peer None
    without the 'peer' feature. The trace restarts with each world, so a failure's reproducer is the
    steps of the last example, the one hypothesis shrank to."""
    state = _state(request.config)
    trace = request.node.stash.setdefault(_TRACE, Trace())
    opened: list = []

    def close() -> None:
        while opened:
            try:
                opened.pop().close()
            except Exception:  # noqa: BLE001
                pass

    def open_parties() -> tuple[GuardedParty, GuardedParty | None]:
        close()
        trace.steps.clear()
        request.node.stash[_PARTIES] = []
        try:
            opened.append(state.adapter.open_world())
            peer = opened[-1].peer if "peer" in profile.features else None
            return _guarded(request, opened[-1].local, "local"), _guarded(request, peer, "peer") if peer else None
        except Exception as exc:  # noqa: BLE001 - a broken adapter fails the test, never the run
            raise AdapterFault(f"the adapter could not open a world: {type(exc).__name__}: {exc}") from exc

    yield open_parties
    close()


# -- running, timing out, reporting -------------------------------------------------------------

@contextlib.contextmanager
def _time_limit(item: pytest.Item):
    """Interrupt the phase when the implementation takes longer than --msgrspec-timeout."""
    limit = item.config.getoption("--msgrspec-timeout")
    armed = bool(limit) and _is_conformance(item) and hasattr(signal, "setitimer") and \
        threading.current_thread() is threading.main_thread()
    if not armed:
        yield
        return

    def expire(_signum, _frame):
        reason = f"the implementation did not answer within {limit:g} s (the per-test timeout)"
        item.stash[_TIMED_OUT] = reason
        raise AdapterTimeout(reason)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    with _time_limit(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    with _time_limit(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item):
    with _time_limit(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Attach the reproducer and the implementation's output to a failure, and the assertion's
    data to the report, where the controller of an xdist run can read it too."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not _is_conformance(item):
        return
    timed_out = item.stash.get(_TIMED_OUT, None)
    if timed_out and not report.failed:
        report.outcome = "failed"  # the implementation swallowed the interruption; the limit still expired
        report.longrepr = f"{item.nodeid}: {timed_out}"
    item.stash[_TIMED_OUT] = ""
    _mark_blocked(item, call, report)
    trace = item.stash.get(_TRACE, None)
    output = "".join(p.output() for p in item.stash.get(_PARTIES, []))
    if report.failed and trace and trace.steps:
        report.sections.append(("msgrspec reproducer", trace.render()))
    if report.failed and output:
        report.sections.append(("implementation output", output))
    report.user_properties.append((_RESULT_KEY, {
        "id": assertion_id(item), "requirements": list(requirements_of(item)),
        "item": _subject(item, _state(item.config).spec),
        "reproducer": trace.steps if (report.failed and trace) else [],
        "output": output if report.failed else "",
    }))


_RESULT_KEY = "msgrspec"
BLOCKED = "blocked: "


def _mark_blocked(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> None:
    """A test that failed only because a prerequisite failed is reported blocked, not failed.

    The prerequisite's own test (the assertion with that id, or a test of that requirement) still fails.
    """
    error = call.excinfo.value if call.excinfo else None
    if not report.failed or not isinstance(error, PrerequisiteFailed):
        return
    own = {assertion_id(item), *requirements_of(item)}
    if error.prerequisite in own:
        return
    path, line, _ = item.location
    report.outcome = "skipped"
    report.longrepr = (str(path), (line or 0) + 1, f"{BLOCKED}prerequisite {error.prerequisite} failed: {error}")


def _status(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return "xpass" if report.passed else "xfail"
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        if reason.startswith(BLOCKED):
            return "blocked"
        return "not-applicable" if "not applicable" in reason else "skipped"
    return "failed" if report.failed else "passed"


def _short_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    return crash.message if crash else str(report.longrepr)[-500:]


_RANK = {"failed": 0, "blocked": 1, "xpass": 2, "xfail": 3, "passed": 4, "skipped": 5, "not-applicable": 6}


def build_report(state: _RunState) -> dict:
    """The JSON report: every assertion's outcome, every requirement's status."""
    spec, profile = state.spec, state.profile
    by_requirement: dict[str, list[str]] = defaultdict(list)
    for key, result in state.results.items():
        for rid in result["requirements"]:
            by_requirement[rid].append(key)
    requirements = {}
    for rid, requirement in spec.requirements.items():
        tests = sorted(by_requirement.get(rid, []))
        if requirement.untestable and not tests:
            status = "untestable"
        elif not tests:
            status = "untested"
        else:
            status = min((state.results[t]["outcome"] for t in tests), key=_RANK.__getitem__)
        requirements[rid] = {"status": status, "tests": tests}
    summary = Counter(result["outcome"].replace("-", "_") for result in state.results.values())
    return {
        "format": REPORT_FORMAT, "version": REPORT_VERSION, "adapter": state.config.getoption("--msgrspec-adapter"),
        "implementation": profile.implementation, "product": profile.product,
        "features": sorted(profile.features), "spec_sha256": spec.digest,
        "summary": {k: summary.get(k, 0) for k in ("passed", "failed", "blocked", "xfail", "xpass",
                                                     "not_applicable", "skipped")},
        "requirements": requirements,
        "tests": dict(sorted(state.results.items())),
    }


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = _state(session.config)
    if not state.results or hasattr(session.config, "workerinput"):
        return
    path = session.config.getoption("--msgrspec-report")
    if path:
        Path(path).write_text(json.dumps(build_report(state), indent=2) + "\n", encoding="utf-8")
    if state._adapter is not None:
        try:
            state._adapter.close()
        except Exception:  # noqa: BLE001
            pass


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    state = _state(config)
    if not state.results:
        return
    table: dict[str, Counter] = defaultdict(Counter)
    for result in state.results.values():
        table[case_module.interface_of(result["item"]) or "other"][result["outcome"]] += 1
    columns = ("passed", "failed", "blocked", "xfail", "xpass", "not-applicable", "skipped")
    terminalreporter.section(f"msgrspec conformance: {state.profile.implementation}")
    width = max(len(name) for name in table) + 2
    terminalreporter.write_line("".ljust(width) + "".join(c.rjust(len(c) + 2) for c in columns))
    for name in sorted(table):
        terminalreporter.write_line(name.ljust(width) + "".join(str(table[name][c]).rjust(len(c) + 2)
                                                                for c in columns))
    xpassed = sorted(k for k, r in state.results.items() if r["outcome"] == "xpass")
    if xpassed:
        terminalreporter.write_line(f"expected failures that now pass: {', '.join(xpassed)}")
    for note in state.notes:
        terminalreporter.write_line(note)
