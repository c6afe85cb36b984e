"""The `msgrspec` command."""
from __future__ import annotations

import errno
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import click

from . import __version__
from .errors import SpecError
from .loader import load_spec
from .model import Spec

_SPEC_DIR = click.argument("spec_dir", required=False, type=click.Path(path_type=Path))
#: `msgrspec diff --fail-on-breaking`: the exit status when a change breaks (1 is a spec that does not load)
BREAKING_EXIT = 3


def _load(spec_dir: Path | None) -> Spec:
    """Load the spec or print every problem and exit 1: a maintainer never sees a traceback."""
    try:
        return load_spec(spec_dir)
    except SpecError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found", err=True)
        sys.exit(1)


@click.group()
@click.version_option(__version__, prog_name="msgrspec")
def main() -> None:
    """The Windows Messenger session API (Messenger Private type library) as data."""


@main.command()
@_SPEC_DIR
def validate(spec_dir: Path | None) -> None:
    """Check the spec in SPEC_DIR (default: the shipped spec) against its schema and rules."""
    started = time.perf_counter()
    spec = _load(spec_dir)
    items = sum(1 for _ in spec.items())
    click.echo(f"ok: {spec.library.name} {spec.library.version}: {items} items, {len(spec.requirements)} "
               f"requirements, {len(spec.errata)} errata ({time.perf_counter() - started:.2f} s)")


@main.command()
@_SPEC_DIR
def export(spec_dir: Path | None) -> None:
    """Print the resolved spec as one JSON document (schema: msgrspec/schema/export.schema.json)."""
    from .export import export as export_spec

    json.dump(export_spec(_load(spec_dir)), sys.stdout, indent=2)
    sys.stdout.write("\n")


@main.command()
@_SPEC_DIR
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not to stdout.")
def idl(spec_dir: Path | None, output: Path | None) -> None:
    """Print the library as IDL that widl (or MIDL) compiles."""
    from .idl import generate_idl

    text = generate_idl(_load(spec_dir))
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.FileError(str(output), exc.strerror) from None


class _TestCommand(click.Command):
    """`msgrspec test ... -- COMMAND ARGS...`: what follows `--` is the implementation's command line.

    It reaches the process adapter as MSGRSPEC_PROCESS_COMMAND (a JSON array), the com adapter as the
    bridge's options (MSGRSPEC_BRIDGE_ARGS); with the reference adapter, which runs no command, it goes
    to pytest as before.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        tail: list[str] = []
        if "--" in args:
            at = args.index("--")
            args, tail = args[:at], args[at + 1:]
        rest = super().parse_args(ctx, args)
        if tail and ctx.params.get("adapter") == "reference":
            ctx.params["pytest_args"] = tuple(ctx.params.get("pytest_args", ())) + tuple(tail)
        elif tail and ctx.params.get("adapter") == "com":
            os.environ["MSGRSPEC_BRIDGE_ARGS"] = json.dumps(tail)
        elif tail:
            os.environ["MSGRSPEC_PROCESS_COMMAND"] = json.dumps(tail)
        return rest

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return super().collect_usage_pieces(ctx) + ["[-- COMMAND [ARGS]...]"]


def _seconds(zero_allowed: bool):
    """A click callback that refuses a number of seconds that is negative, NaN, infinite or (unless
    zero_allowed) zero."""
    def checked(ctx: click.Context, param: click.Parameter, value):
        if value is not None and not (0 <= value < math.inf and (zero_allowed or value > 0)):
            wanted = "zero (no limit) or a positive number" if zero_allowed else "a positive number"
            raise click.BadParameter(f"{value:g} seconds: it must be {wanted} of seconds")
        return value
    return checked


def _to_env(name: str, *, seconds: bool = False):
    """A click callback that hands an option's value to the adapter through the environment."""
    def store(ctx: click.Context, param: click.Parameter, value):
        if seconds:
            _seconds(zero_allowed=False)(ctx, param, value)
        if value is not None:
            os.environ[name] = str(value)
    return store


def _writable_report(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Refuse a --report path that cannot be written before the run starts, not after it (its results lost).

    The folder is tried with a file made and removed at once; a report already there is left as it is.
    """
    if value is None:
        return None
    folder = value.parent
    if value.is_dir():
        raise SetupError(f"--report {value}: a folder, not a file")
    if not folder.is_dir():
        raise SetupError(f"--report {value}: the folder {folder} does not exist")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
        if value.exists() and not os.access(value, os.W_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    except OSError as exc:
        raise SetupError(f"--report {value}: cannot be written: {exc.strerror}") from None
    return value


@main.command(cls=_TestCommand, context_settings={"ignore_unknown_options": True})
@click.option("--adapter", default="reference", show_default=True,
              help="The implementation to test: an installed adapter name or module:attribute; "
                   "`process` runs the command given after `--`, `tcp` connects to --connect.")
@click.option("--connect", metavar="HOST:PORT", expose_value=False, callback=_to_env("MSGRSPEC_TCP_ADDRESS"),
              help="With --adapter tcp: where the implementation listens.")
@click.option("--bridge", metavar="PATH", expose_value=False, callback=_to_env("MSGRSPEC_BRIDGE"),
              help="With --adapter com: the bridge program (msgrspec-com-bridge.exe); its options go after `--`.")
@click.option("--wine-prefix", metavar="DIR", expose_value=False, callback=_to_env("MSGRSPEC_WINE_PREFIX"),
              help="With --adapter com, off Windows: the Wine prefix where the implementation is registered.")
@click.option("--call-timeout", type=float, expose_value=False,
              callback=_to_env("MSGRSPEC_CALL_TIMEOUT", seconds=True),
              help="With --adapter process/tcp/com: seconds one call may take (default 10).")
@click.option("--spec-dir", type=click.Path(file_okay=False, path_type=Path), help="Test against this spec folder.")
@click.option("--report", type=click.Path(path_type=Path), callback=_writable_report,
              help="Write the JSON report here (checked before the run starts).")
@click.option("--expected-failures", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML file of assertion ids (with reasons) known to fail.")
@click.option("--interface", "interfaces", multiple=True, help="Only assertions about this item (repeatable).")
@click.option("--requirement", "requirements", multiple=True, help="Only assertions of this requirement (repeatable).")
@click.option("--timeout", type=float, default=30.0, show_default=True, callback=_seconds(zero_allowed=True),
              help="Seconds one test may take (0: no limit).")
@click.option("--strict-xfail", is_flag=True, help="An expected failure that passes fails the run.")
@click.option("--explore", is_flag=True, help="Randomize the property-based tests (default: derandomized).")
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True,
              help="Run the suite N times; assertions whose outcome varies are reported flaky.")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def test(adapter: str, spec_dir: Path | None, report: Path | None, expected_failures: Path | None,
         interfaces: tuple[str, ...], requirements: tuple[str, ...], timeout: float, strict_xfail: bool,
         explore: bool, repeat: int, pytest_args: tuple[str, ...]) -> None:
    """Run the conformance suite against an implementation; PYTEST_ARGS go to pytest (-x, -n 2, --junitxml ...)."""
    from .runner import run, suite_args

    _check_setup(adapter, spec_dir, interfaces, requirements, pytest_args)
    options = [("--msgrspec-timeout", timeout), ("--msgrspec-spec", spec_dir),
               ("--msgrspec-expected-failures", expected_failures)]
    options += [("--msgrspec-interface", name) for name in interfaces]
    options += [("--msgrspec-requirement", rid) for rid in requirements]
    flags = [flag for flag, on in (("--msgrspec-strict-xfail", strict_xfail), ("--msgrspec-explore", explore)) if on]
    sys.exit(run(suite_args(adapter, options=options, flags=flags, extra=pytest_args), report, repeat))


class SetupError(click.ClickException):
    """A mistake in how the run is set up: one line, exit status 4 (pytest's for usage errors), no test run."""

    exit_code = 4


def _check_setup(adapter: str, spec_dir: Path | None, interfaces: tuple[str, ...], requirements: tuple[str, ...],
                 pytest_args: tuple[str, ...]) -> None:
    """Refuse a run that cannot work before it starts: the adapter, its command, the selection."""
    from .plugin import unknown_selection
    from .protocol import ENV_COMMAND

    if adapter == "process" and not os.environ.get(ENV_COMMAND):
        words = [a for a in pytest_args if not a.startswith("-")]
        if words:
            raise SetupError(f"the process adapter runs the command given after `--`: msgrspec test --adapter "
                             f"process -- {' '.join(words)}")
    unknown = unknown_selection(_load(spec_dir), requirements, interfaces)
    if unknown:
        raise SetupError(unknown)
    _check_adapter(adapter)


def _check_adapter(name: str) -> None:
    """Load the adapter and try it. An in-process one opens a world; one that runs the implementation in
    another process is not started here (a fault of a started implementation is a result the run reports,
    test by test), but its command must be a program that exists."""
    from .adapter import AdapterSetupError, load_adapter, preflight
    from .protocol import ProcessAdapter, RemoteAdapter

    try:
        loaded = load_adapter(name)
        try:
            if isinstance(loaded, ProcessAdapter):
                program = loaded.command[0]
                if shutil.which(program) is None:
                    why = "it is not executable" if Path(program).is_file() else \
                        "no such file, and no such program on PATH"
                    raise AdapterSetupError(f"the process adapter's command cannot be run: {program}: {why}")
            elif not isinstance(loaded, RemoteAdapter):
                preflight(loaded)
        finally:
            loaded.close()
    except AdapterSetupError as exc:
        raise SetupError(str(exc)) from None


@main.command()
def adapters() -> None:
    """List the adapters installed in this environment."""
    from .adapter import installed_adapters

    found = installed_adapters()
    if not found:
        click.echo("no adapters installed")
    for name, target in sorted(found.items()):
        click.echo(f"{name}\t{target}")


@main.group()
def new() -> None:
    """Start something new from a skeleton."""


@new.command("adapter")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def new_adapter(folder: Path) -> None:
    """Write FOLDER/my_adapter.py: an adapter that runs and fails every case until you fill it in."""
    from .resources import template

    target = folder / "my_adapter.py"
    if target.exists():
        raise click.ClickException(f"{target} exists already; nothing was written")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text(template("my_adapter.py"), encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"{target}: {exc.strerror}") from None
    click.echo(f"wrote {target}; try it: cd {folder} && msgrspec test --adapter my_adapter:MyAdapter")


@main.group()
def docs() -> None:
    """The reference documentation site."""


@docs.command("build")
@click.option("--engine", type=click.Choice(["mkdocs", "zensical"]), default="mkdocs", show_default=True,
              help="The static site generator to run.")
@click.option("--spec-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Document the spec in this folder (default: the shipped spec).")
@click.option("--report", "reports", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              envvar="MSGRSPEC_REPORT", help="A conformance report (msgrspec test --report) to show; repeat it for "
              "a conformance matrix of several implementations; default: $MSGRSPEC_REPORT.")
@click.option("-o", "--output", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("site"),
              show_default=True, help="Write the built site here (an earlier site there is replaced).")
def docs_build(engine: str, spec_dir: Path | None, reports: tuple[Path, ...], site_dir: Path) -> None:
    """Generate the reference pages and build the site with mkdocs or Zensical."""
    from .docs.build import BuildError, build_site
    from .docs.report import ReportError

    spec = _load(spec_dir)
    try:
        result = build_site(spec, site_dir, engine=engine, report=list(reports) or None)
    except (BuildError, ReportError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"site written to {result.output} by {result.engine}: {result.pages} pages "
               f"({result.seconds:.1f} s)")


#: `msgrspec replay` exit statuses, as a test's: the failure is gone (0), it is still there (1)
REPLAY_NOT_REPRODUCED, REPLAY_REPRODUCED, REPLAY_COULD_NOT_RUN = 0, 1, 2


class _CouldNotReplay(click.ClickException):
    exit_code = REPLAY_COULD_NOT_RUN


@main.command()
@click.argument("report_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("assertion")
@click.option("--adapter", default="reference", show_default=True,
              help="Replay against this adapter: an installed adapter name or module:attribute. The adapter "
                   "named in the report is never loaded (a report is data, not code to run).")
def replay(report_file: Path, assertion: str, adapter: str) -> None:
    """Perform again the adapter operations of a failed ASSERTION of REPORT_FILE and compare the results.

    \b
    Exit status:
      1  reproduced: every step gave the recorded result again (the failure is still there)
      0  not reproduced: some step gave another result
      2  could not run: the report, the assertion or the adapter is not usable
    """
    from .adapter import AdapterNotFound, load_adapter
    from .replay import ReplayError, load_report, replay as replay_steps, reproducer

    try:
        report = load_report(report_file)
        steps = reproducer(report, assertion)
    except ReplayError as exc:
        message = str(exc)
        raise _CouldNotReplay(message if message.startswith(str(report_file)) else f"{report_file}: {message}") \
            from None
    recorded_with = report.get("adapter")
    if recorded_with is not None and recorded_with != adapter:
        click.echo(f"note: the report was made with adapter {recorded_with!r}; replaying against {adapter!r} "
                   "(to use that one, name it with --adapter)", err=True)
    recorded_spec, spec_in_use = report.get("spec_sha256"), load_spec().digest
    if recorded_spec is not None and recorded_spec != spec_in_use:
        click.echo(f"note: the report was made against spec {str(recorded_spec)[:12]!r}, this is spec "
                   f"{spec_in_use[:12]!r}: a step may differ because the spec changed (msgrspec diff tells how)",
                   err=True)
    try:
        implementation = load_adapter(adapter)
        results = replay_steps(implementation, steps)
    except (ReplayError, AdapterNotFound) as exc:
        raise _CouldNotReplay(f"{report_file}: {exc}") from None
    for step in results:
        mark = "same" if step.same else "DIFFERS"
        click.echo(f"{step.number:3}. {step.call} -> {step.replayed}  [{mark}]")
        if not step.same:
            click.echo(f"       recorded: {step.recorded}")
    differing = [s.number for s in results if not s.same]
    if differing:
        click.echo(f"not reproduced: step(s) {', '.join(map(str, differing))} gave other results")
        sys.exit(REPLAY_NOT_REPRODUCED)
    click.echo(f"reproduced: all {len(results)} steps gave the recorded results")
    sys.exit(REPLAY_REPRODUCED)


@main.command()
@click.argument("old_spec", type=click.Path(path_type=Path))
@click.argument("new_spec", type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True)
@click.option("--expected-failures", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also say which entries of this file no longer apply or check something else now.")
@click.option("--fail-on-breaking", is_flag=True,
              help=f"Exit with status {BREAKING_EXIT} when a change may break an implementation that conformed.")
def diff(old_spec: Path, new_spec: Path, output_format: str, expected_failures: Path | None,
         fail_on_breaking: bool) -> None:
    """What changed from OLD_SPEC to NEW_SPEC (spec folders): items (old -> new values), assertions, breaking
    changes. Exit status: 0, or with --fail-on-breaking 3 when something breaks; 1 when a spec does not load."""
    from .diff import diff_specs, to_markdown
    from .expectations import load_expected_failures

    ids = None
    if expected_failures is not None:
        try:
            ids = set(load_expected_failures(expected_failures).entries)
        except SpecError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            sys.exit(1)
    result = diff_specs(_load(old_spec), _load(new_spec), ids)
    click.echo(json.dumps(result, indent=2) if output_format == "json" else to_markdown(result))
    if fail_on_breaking and result["breaking"]:
        sys.exit(BREAKING_EXIT)


#: `msgrspec compare --fail-on-new`: the exit status when a run has new failures (1 is a report that cannot be read)
NEW_FAILURES_EXIT = 3


def _load_reports(files: tuple[Path, ...]) -> list:
    """The reports in `files`; a file that is not a readable report is one located line and exit status 1."""
    from .docs.report import ReportError, load_report

    try:
        return [load_report(file) for file in files]
    except ReportError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


@main.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True)
@click.option("--only-changed", is_flag=True, help="Show only the assertions whose outcome differs between runs.")
@click.option("--fail-on-new", is_flag=True,
              help=f"Exit with status {NEW_FAILURES_EXIT} when a run fails an assertion the run before it of the "
                   "same implementation did not.")
def compare(reports: tuple[Path, ...], output_format: str, only_changed: bool, fail_on_new: bool) -> None:
    """Conformance reports (msgrspec test --report) side by side: one row per assertion, one column per run;
    between runs of one implementation the new failures, fixes and known failures. Exit status: 0, 1 when a
    report cannot be read, or with --fail-on-new 3 when there are new failures."""
    from .compare import compare_reports, new_failure_count, to_markdown

    result = compare_reports(_load_reports(reports), only_changed)
    click.echo(json.dumps(result, indent=2) if output_format == "json" else to_markdown(result), nl=False)
    if fail_on_new and new_failure_count(result):
        sys.exit(NEW_FAILURES_EXIT)


@main.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--spec-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The spec whose items are stated (default: the shipped spec).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not to stdout.")
def support(reports: tuple[Path, ...], spec_dir: Path | None, output: Path | None) -> None:
    """Support statements (JSON, schema/support.schema.json): per interface, member, event, enumeration and value,
    per report's implementation, supported, partial (the failing assertions), absent or untested."""
    from .support import support_statements

    loaded = _load_reports(reports)
    spec = _load(spec_dir)
    for report in loaded:
        if report.spec_sha256 and report.spec_sha256 != spec.digest:
            click.echo(f"note: {report.origin} was made against spec {report.spec_sha256[:12]}, not this spec "
                       f"({spec.digest[:12]}): items it lacks are untested", err=True)
    text = json.dumps(support_statements(spec, loaded), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


# -- binary type libraries ----------------------------------------------------------------------------------

_TLB_FILE = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
_RESOURCE = click.option("--resource", type=int, metavar="N",
                         help="In a DLL or EXE: the TYPELIB resource with id N (default: the lowest id).")


def _read_tlb(file: Path, resource: int | None) -> dict:
    """The dump of FILE, or its one-line error and exit 1."""
    from .typelib import TypelibError, read_typelib

    try:
        return read_typelib(file, resource)
    except TypelibError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@main.group()
def tlb() -> None:
    """Binary type libraries (.tlb files, or the TYPELIB resource of a DLL or EXE) read and checked."""


@tlb.command("dump")
@_TLB_FILE
@_RESOURCE
def tlb_dump(file: Path, resource: int | None) -> None:
    """Print what the type library in FILE holds, as JSON (schema: msgrspec/schema/typelib-dump.schema.json)."""
    json.dump(_read_tlb(file, resource), sys.stdout, indent=2)
    sys.stdout.write("\n")


@tlb.command("check")
@_TLB_FILE
@_RESOURCE
@click.option("--spec-dir", type=click.Path(file_okay=False, path_type=Path), help="Check against this spec folder.")
@click.option("--format", "output_format", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True)
def tlb_check(file: Path, resource: int | None, spec_dir: Path | None, output_format: str) -> None:
    """Compare every fact of the type library in FILE with the spec; exit 1 on a difference no erratum covers."""
    from .tlbcheck import as_json, check, markdown

    dump = _read_tlb(file, resource)
    result = check(_load(spec_dir), dump)
    if output_format == "json":
        click.echo(json.dumps(as_json(result, str(file)), indent=2))
    else:
        click.echo("\n".join(markdown(result, str(file))))
    if result.uncovered:
        sys.exit(1)


@tlb.command("facts")
@_TLB_FILE
@_RESOURCE
def tlb_facts(file: Path, resource: int | None) -> None:
    """Print the type library's facts as YAML, in the shape of the reference extract (msgrpriv-typelib.yaml)."""
    import yaml

    from .tlbcheck import facts

    click.echo(yaml.safe_dump(facts(_read_tlb(file, resource)), sort_keys=False, allow_unicode=True, width=110),
               nl=False)
