"""The pytest plugin behind the conformance suite (entry point ``pytest11``: ``msgrspec``).

It is inert in a pytest run that collects no conformance test. For the suite
it loads the spec and the adapter, parametrizes the generated cases, guards
every adapter call, applies the per-test timeout, the expected failures and
the profile (not applicable items), and writes the JSON report.
"""
from __future__ import annotations

import contextlib
import difflib
import json
import platform
import re
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from . import __version__
from . import cases as case_module
from .adapter import AdapterSetupError, Profile, load_adapter
from .errors import SpecError
from .expectations import load_expected_failures, stale_entries
from .failures import headline, render_failure, requirement_summary
from .guard import AdapterFault, GuardedParty, Trace
from .suite import PrerequisiteFailed, name_codes
from .loader import load_spec
from .model import Spec

REPORT_FORMAT = "msgrspec-report"
#: 2: a run manifest, statement/level/untestable per requirement, durations, `not-applicable` in the summary
REPORT_VERSION = 2
_STATE = pytest.StashKey["_RunState"]()
_CASE = pytest.StashKey["case_module.Case"]()
_TRACE = pytest.StashKey[Trace]()
_PARTIES = pytest.StashKey[list]()
_TIMED_OUT = pytest.StashKey[str]()
_FAILED_PHASE = pytest.StashKey[dict]()


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
        self.started = datetime.now(timezone.utc)
        self._clock = time.monotonic()

    @property
    def spec(self) -> Spec:
        if self._spec is None:
            try:
                self._spec = load_spec(self.config.getoption("--msgrspec-spec"))
            except SpecError as exc:
                raise pytest.UsageError(f"the spec does not load:\n{exc}") from None
            name_codes(self._spec)
        return self._spec

    @property
    def adapter(self):
        if self._adapter is None:
            name = self.config.getoption("--msgrspec-adapter")
            try:
                self._adapter = load_adapter(name)
            except AdapterSetupError as exc:
                raise pytest.UsageError(str(exc)) from None
        return self._adapter

    def seconds(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self._clock

    @property
    def profile(self) -> Profile:
        return self.adapter.profile()

    # hooks: they run where the reports arrive (the controller of an xdist run, or the one process)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold the phases of each conformance test into one result (and name its JUnit test case by its id)."""
        data = _result_data(report)
        if data is None:
            return
        _junit_name(self.config, report, data["id"])
        status = _status(report)
        previous = self.results.get(data["id"])
        duration = (previous["duration"] if previous else 0.0) + report.duration
        if previous and (previous["outcome"] != "passed" or (report.when != "call" and status == "passed")):
            previous["duration"] = duration
            return
        message = None
        if report.failed:
            message = data["message"]
        elif report.skipped and isinstance(report.longrepr, tuple):
            message = report.longrepr[2].removeprefix("Skipped: ")
        self.results[data["id"]] = {"outcome": status, "requirements": data["requirements"], "item": data["item"],
                                    "message": message, "nodeid": report.nodeid, "reproducer": data["reproducer"],
                                    "output": data["output"], "duration": duration}


def _state(config: pytest.Config) -> _RunState:
    return config.stash[_STATE]


def _result_data(report: pytest.TestReport) -> dict | None:
    """The assertion's data the plugin attached to a report (a JSON text, as the JUnit property shows it)."""
    text = dict(report.user_properties).get(_RESULT_KEY)
    return json.loads(text) if text is not None else None


def _junit_name(config: pytest.Config, report: pytest.TestReport, name: str) -> None:
    """Name the JUnit test case by the assertion id (attributes set before junitxml records the report win)."""
    from _pytest.junitxml import xml_key

    xml = config.stash.get(xml_key, None)
    if xml is not None:
        xml.node_reporter(report).add_attribute("name", name)


# -- parametrizing the generated cases -----------------------------------------------------------

def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for argument, generate in case_module.GENERATORS.items():
        if argument in metafunc.fixturenames:
            found = generate(_state(metafunc.config).spec)
            metafunc.parametrize(argument, found, ids=[c.id for c in found])


@pytest.hookimpl(hookwrapper=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object):
    """Put the assertion id in the node id of every behaviour test: `test_x[session-manager.register.x]`.

    Generated cases carry theirs as the parameter id already.
    """
    outcome = yield
    found = outcome.get_result()
    if not isinstance(found, list):
        return
    renamed = []
    for item in found:
        marker = item.get_closest_marker("requirement") if isinstance(item, pytest.Function) else None
        if marker is None or not marker.args or getattr(item, "callspec", None) is not None:
            renamed.append(item)
            continue
        renamed.append(pytest.Function.from_parent(collector, name=f"{item.name}[{'+'.join(marker.args)}]",
                                                   originalname=item.originalname,
                                                   fixtureinfo=item._fixtureinfo))
    outcome.force_result(renamed)


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
    if profile.unreachable:
        return None  # its features are unknown, not absent: the test runs and meets the failure
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


def unknown_selection(spec: Spec, requirements: Iterable[str], interfaces: Iterable[str]) -> str | None:
    """One line naming the first --requirement or --interface the spec does not have (with a did-you-mean)."""
    tops = [*spec.interfaces, *spec.dispinterfaces, *spec.coclasses, *spec.enums]
    for option, wanted, known in (("--requirement", requirements, list(spec.requirements)),
                                  ("--interface", interfaces, tops)):
        for name in wanted:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=3)
                hint = f"; did you mean {' or '.join(close)}?" if close else \
                    f" (msgrspec export lists the {len(known)} there are)"
                return f"{option} {name}: the spec has no such {option[2:]}{hint}"
    return None


def _select_exact_id(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`-k ID` where ID is an assertion id that the -k grammar cannot read (it has `#`, `,`, ...): select it."""
    expression = config.option.keyword.strip()
    if not expression or not any(assertion_id(item) == expression for item in items):
        return
    keep = [item for item in items if assertion_id(item) == expression]
    config.hook.pytest_deselected(items=[item for item in items if item not in keep])
    items[:] = keep
    config.option.keyword = ""


@pytest.hookimpl(tryfirst=True)
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
        item.extra_keyword_matches.add(assertion_id(item))
    _select_exact_id(config, items)
    conformance = [item for item in conformance if item in items]
    wanted_reqs = set(config.getoption("--msgrspec-requirement"))
    wanted_items = set(config.getoption("--msgrspec-interface"))
    unknown = unknown_selection(state.spec, wanted_reqs, wanted_items)
    if unknown:
        raise pytest.UsageError(unknown)
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
        trace.restart()
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
        report.longrepr = timed_out
    item.stash[_TIMED_OUT] = ""
    _mark_blocked(item, call, report)
    _no_plain_skip(report)
    trace = item.stash.get(_TRACE, None)
    steps = trace.steps if (report.failed and trace is not None) else []
    output = _capped_output(item, "".join(p.output() for p in item.stash.get(_PARTIES, []))) if report.failed else ""
    message = None
    if report.failed:
        earlier = trace.first_failure if trace is not None else None
        message, report.longrepr = _explain(item, call, report, steps, earlier, output)
    path, line, _ = report.location
    report.location = (path, line, assertion_id(item))  # the header of the failure in the terminal
    data = {"id": assertion_id(item), "requirements": list(requirements_of(item)),
            "item": _subject(item, _state(item.config).spec), "message": message, "reproducer": steps,
            "output": output}
    _attach(item, report, data)


def _attach(item: pytest.Item, report: pytest.TestReport, data: dict) -> None:
    """Give the report (and the item, whose properties JUnit writes at teardown) one `msgrspec` property:
    the data of the first failed phase, else of this phase, as JSON."""
    kept = item.stash.get(_FAILED_PHASE, None)
    if kept is None and report.failed:
        item.stash[_FAILED_PHASE] = kept = data
    text = json.dumps(kept or data)
    for properties in (item.user_properties, report.user_properties):
        properties[:] = [p for p in properties if p[0] != _RESULT_KEY] + [(_RESULT_KEY, text)]


def _explain(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport, steps: list[dict],
             earlier: AssertionError | None, output: str) -> tuple[str, str]:
    """A failure's message (what went wrong) and its whole text, which replaces pytest's traceback.

    A failed assertion (AssertionError and the suite's own kinds of it) is told in the suite's words; any
    other exception is a fault of the suite or of the adapter, so pytest's traceback follows as details.
    An error that is no assertion, where something failed earlier in the test (`earlier`: the implementation
    raised, timed out or broke the contract, or a check of a walk failed), gives way to that first failure: an
    implementation that died makes hypothesis's replay of a walk go differently, and hypothesis then
    complains of its own data generation.
    """
    case = item.stash.get(_CASE, None)
    lines = headline(_state(item.config).spec, assertion_id(item), requirements_of(item), case.fact if case else "")
    error = _first_assertion(call.excinfo.value) if call.excinfo else None
    details = ""
    if error is not None and earlier is not None and not isinstance(error, (AssertionError, pytest.skip.Exception)):
        details = f"What came of the first failure: {type(error).__name__}: {error}\n\n{report.longrepr}"
        error = earlier
    if isinstance(error, AssertionError):
        problem = str(error).strip() or f"assertion failed: {_failing_statement(item, call)}"
    elif isinstance(error, pytest.skip.Exception):
        problem = str(report.longrepr)  # a skip without a verdict, which _no_plain_skip turned into a failure
    elif error is not None:
        problem, details = f"{type(error).__name__}: {error}", str(report.longrepr)
    else:
        problem = str(report.longrepr)
    where = _where(item, call) + ("" if report.when == "call" else f", during {report.when}")
    return problem, render_failure(lines, problem, where, steps, output, details)


def _first_assertion(error: BaseException) -> BaseException:
    """The error itself, or for a group of them (hypothesis raises one when an implementation answers
    differently on a replay, as one that is dying does) its first failed assertion, which says what went wrong."""
    inner_errors = getattr(error, "exceptions", None)  # an exception group (a builtin from Python 3.11 on)
    if isinstance(inner_errors, (list, tuple)):
        for inner in inner_errors:
            found = _first_assertion(inner)
            if isinstance(found, AssertionError):
                return found
    return error


def _test_entries(item: pytest.Item, call: pytest.CallInfo) -> list:
    """The traceback entries of a failure that lie in the test's own file."""
    if not call.excinfo:
        return []
    return [entry for entry in call.excinfo.traceback if Path(str(entry.path)) == Path(str(item.path))]


def _where(item: pytest.Item, call: pytest.CallInfo) -> str:
    entries = _test_entries(item, call)
    name = getattr(item, "originalname", item.name)
    return f"{Path(str(item.path)).name}:{entries[-1].lineno + 1}, {name}" if entries else \
        f"{Path(str(item.path)).name}, {name}"


def _failing_statement(item: pytest.Item, call: pytest.CallInfo) -> str:
    entries = _test_entries(item, call)
    return " ".join(str(entries[-1].statement).split()) if entries else "(no message)"


_RESULT_KEY = "msgrspec"
#: characters of the implementation's output that a failed test carries into the report and the terminal
OUTPUT_LIMIT = 64 * 1024


def _capped_output(item: pytest.Item, output: str) -> str:
    """The last OUTPUT_LIMIT characters of output, after a line that says where the whole of it is kept:
    a file in a folder beside the report (REPORT-output/ASSERTION.txt)."""
    if len(output) <= OUTPUT_LIMIT:
        return output
    report = item.config.getoption("--msgrspec-report")
    where = "are not kept (no --msgrspec-report)"
    if report:
        report_path = Path(report).resolve()
        name = re.sub(r"[^A-Za-z0-9._-]", "_", assertion_id(item))
        path = report_path.with_name(f"{report_path.stem}-output") / f"{name}.txt"
        try:
            path.parent.mkdir(exist_ok=True)
            path.write_text(output, encoding="utf-8")
            where = f"are in {path}"
        except OSError as exc:
            where = f"could not be kept ({exc.strerror or exc})"
    return f"[msgrspec: the first {len(output) - OUTPUT_LIMIT} of {len(output)} characters of this output {where}; " \
           f"the last {OUTPUT_LIMIT} follow]\n" + output[-OUTPUT_LIMIT:]


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


def _no_plain_skip(report: pytest.TestReport) -> None:
    """A conformance test gives a verdict: a skip that is neither "not applicable" nor blocked fails it.

    A test that cannot check its requirement against what the implementation answered says why it does
    not apply (naming the profile) or fails; a bare skip would leave a green run that checked nothing.
    """
    if not report.skipped or hasattr(report, "wasxfail") or not isinstance(report.longrepr, tuple):
        return
    reason = report.longrepr[2]
    if reason.startswith(BLOCKED) or "not applicable" in reason:
        return
    report.outcome = "failed"
    report.longrepr = f"{report.nodeid}: a conformance test skipped without a verdict ({reason}); it must " \
                      "fail or say why it is not applicable"


def _status(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return "xpass" if report.passed else "xfail"
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        if reason.startswith(BLOCKED):
            return "blocked"
        return "not-applicable" if "not applicable" in reason else "skipped"
    return "failed" if report.failed else "passed"


_RANK = {"failed": 0, "blocked": 1, "xpass": 2, "xfail": 3, "passed": 4, "skipped": 5, "not-applicable": 6}


def _manifest(state: _RunState) -> dict:
    """What was tested, with what, where and when."""
    profile = state.profile
    return {
        "msgrspec": __version__, "spec_sha256": state.spec.digest,
        "adapter": state.config.getoption("--msgrspec-adapter"),
        "implementation": {"name": profile.implementation, "version": profile.version},
        "product": profile.product, "features": sorted(profile.features),
        "platform": {"system": platform.platform(), "python": platform.python_version(),
                     "executable": sys.executable},
        "started": state.started.isoformat(timespec="seconds"), "seconds": round(state.seconds(), 3),
    }


def requirement_results(state: _RunState) -> dict[str, dict]:
    """Every requirement of the spec: its statement and level, its status over its tests, why it is untestable."""
    by_requirement: dict[str, list[str]] = defaultdict(list)
    for key, result in state.results.items():
        for rid in result["requirements"]:
            by_requirement[rid].append(key)
    found = {}
    for rid, requirement in state.spec.requirements.items():
        tests = sorted(by_requirement.get(rid, []))
        if requirement.untestable and not tests:
            status = "untestable"
        elif not tests:
            status = "untested"
        else:
            status = min((state.results[t]["outcome"] for t in tests), key=_RANK.__getitem__)
        found[rid] = {"status": status, "statement": requirement.statement, "level": requirement.level,
                      "untestable": requirement.untestable, "tests": tests}
    return found


#: the outcomes the summary counts, spelt as the outcomes and statuses are
SUMMARY_KEYS = ("passed", "failed", "blocked", "xfail", "xpass", "not-applicable", "skipped")


def build_report(state: _RunState) -> dict:
    """The JSON report (schema: msgrspec/schema/report.schema.json): every assertion's outcome, every
    requirement's status, and the manifest of the run."""
    manifest = _manifest(state)
    summary = Counter(result["outcome"] for result in state.results.values())
    tests = {key: {**result, "duration": round(result["duration"], 4)} for key, result in sorted(state.results.items())}
    return {
        "format": REPORT_FORMAT, "version": REPORT_VERSION,
        # the fields of version 1 stay at the top, where readers of version 1 (replay, the docs) find them
        "adapter": manifest["adapter"], "implementation": manifest["implementation"]["name"],
        "product": manifest["product"], "features": manifest["features"], "spec_sha256": manifest["spec_sha256"],
        "manifest": manifest,
        "summary": {k: summary.get(k, 0) for k in SUMMARY_KEYS},
        "requirements": requirement_results(state),
        "tests": tests,
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
    terminalreporter.section(f"msgrspec conformance: {state.profile.implementation}")
    width = max(len(name) for name in table) + 2
    terminalreporter.write_line("".ljust(width) + "".join(c.rjust(len(c) + 2) for c in SUMMARY_KEYS))
    for name in sorted(table):
        terminalreporter.write_line(name.ljust(width) + "".join(str(table[name][c]).rjust(len(c) + 2)
                                                                for c in SUMMARY_KEYS))
    xpassed = sorted(k for k, r in state.results.items() if r["outcome"] == "xpass")
    if xpassed:
        terminalreporter.write_line(f"expected failures that now pass: {', '.join(xpassed)}")
    for note in state.notes:
        terminalreporter.write_line(note)
    terminalreporter.section("msgrspec requirements")
    for line in requirement_summary({"requirements": requirement_results(state), "tests": state.results}):
        terminalreporter.write_line(line)
