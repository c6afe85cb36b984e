"""The conformance report (`msgrspec test --report FILE`) as the documentation reads it."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from ..errors import DocumentError, json_type, read_json

#: every status a requirement may have in a report, in the order the pages list them
STATUSES = ("passed", "failed", "blocked", "xfail", "xpass", "not-applicable", "skipped", "untestable", "untested")
#: every outcome an assertion may have in a report
OUTCOMES = ("passed", "failed", "blocked", "xfail", "xpass", "not-applicable", "skipped")
#: the report versions this msgrspec reads (2 added the manifest; the fields read here are the same)
READABLE_VERSIONS = (1, 2)
#: the environment variable that names a report when no option does
REPORT_ENV = "MSGRSPEC_REPORT"


class ReportError(ValueError):
    """The report file cannot be read or is not a msgrspec report."""


@attrs.frozen
class RequirementResult:
    status: str
    tests: tuple[str, ...] = ()


@attrs.frozen
class CaseResult:
    outcome: str
    requirements: tuple[str, ...] = ()
    item: str | None = None
    message: str | None = None


@attrs.frozen
class Report:
    adapter: str
    implementation: str
    spec_sha256: str
    summary: Mapping[str, int]
    requirements: Mapping[str, RequirementResult]
    tests: Mapping[str, CaseResult]
    origin: str = "<report>"
    #: from the run manifest (report version 2): the implementation's own version and the product it implements
    version: str | None = None
    product: str | None = None

    def status(self, requirement_id: str) -> str:
        """The status of one requirement; a requirement the report does not mention is untested."""
        result = self.requirements.get(requirement_id)
        return result.status if result else "untested"


def _fail(origin: str, message: str):
    raise ReportError(f"{origin}: {message}")


def _mapping(data: Mapping, key: str, origin: str) -> Mapping:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        _fail(origin, f"{key}: a JSON {json_type(value)}, not an object")
    return value


def _strings(entry: Mapping, key: str, where: str, origin: str) -> tuple[str, ...]:
    value = entry.get(key) or ()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        _fail(origin, f"{where}.{key}: not a list of ids")
    return tuple(value)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def parse_report(data: Mapping, origin: str = "<report>") -> Report:
    """Check the shape of a report document and turn it into a Report."""
    if not isinstance(data, Mapping) or data.get("format") != "msgrspec-report":
        _fail(origin, 'not a msgrspec conformance report (expected "format": "msgrspec-report")')
    if data.get("version") not in READABLE_VERSIONS:
        _fail(origin, f"report version {data.get('version')!r} is not supported (this msgrspec reads versions "
                      f"{', '.join(map(str, READABLE_VERSIONS))}; a newer msgrspec wrote it)")
    requirements = {}
    for rid, entry in _mapping(data, "requirements", origin).items():
        status = entry.get("status") if isinstance(entry, Mapping) else None
        if status not in STATUSES:
            _fail(origin, f"requirement {rid}: unknown status {status!r}")
        requirements[rid] = RequirementResult(status, _strings(entry, "tests", f"requirements.{rid}", origin))
    tests = {}
    for tid, entry in _mapping(data, "tests", origin).items():
        if not isinstance(entry, Mapping) or "outcome" not in entry:
            _fail(origin, f"test {tid}: no outcome")
        if entry["outcome"] not in OUTCOMES:
            _fail(origin, f"test {tid}: unknown outcome {entry['outcome']!r}")
        tests[tid] = CaseResult(str(entry["outcome"]), _strings(entry, "requirements", f"tests.{tid}", origin),
                                _text(entry.get("item")), _text(entry.get("message")))
    summary = {}
    for name, count in _mapping(data, "summary", origin).items():
        if not isinstance(count, int) or isinstance(count, bool):
            _fail(origin, f"summary.{name}: {count!r} is not a count")
        # version 1 spelt one summary key `not_applicable`; the statuses always said `not-applicable`
        summary[str(name).replace("_", "-")] = count
    manifest = _mapping(data, "manifest", origin)
    implementation = manifest.get("implementation") or {}
    if not isinstance(implementation, Mapping):
        _fail(origin, f"manifest.implementation: a JSON {json_type(implementation)}, not an object")
    return Report(str(data.get("adapter", "")), str(data.get("implementation", "")),
                  str(data.get("spec_sha256", "")), summary, requirements, tests, origin,
                  _text(implementation.get("version")), _text(manifest.get("product", data.get("product"))))


def load_report(report: str | os.PathLike | Mapping | Report | None) -> Report | None:
    """A Report from a path, a parsed document or a Report; None stays None."""
    if report is None or isinstance(report, Report):
        return report
    if isinstance(report, Mapping):
        return parse_report(report)
    path = Path(report)
    try:
        data = read_json(path)
    except DocumentError as exc:
        raise ReportError(str(exc)) from None
    return parse_report(data, str(path))


def load_reports(reports) -> tuple[Report, ...]:
    """Reports from None, one report (path, document, Report) or a list or tuple of them."""
    if reports is None:
        return ()
    if isinstance(reports, (list, tuple)):
        return tuple(load_report(report) for report in reports)
    return (load_report(reports),)


def run_labels(reports: Sequence[Report]) -> list[str]:
    """A column name per report: implementation, version and adapter; runs that would share one are numbered."""
    labels = []
    for report in reports:
        name = " ".join(filter(None, (report.implementation or "(unnamed implementation)", report.version)))
        labels.append(f"{name} [{report.adapter}]" if report.adapter else name)
    repeated = {label for label in labels if labels.count(label) > 1}
    return [f"{label} (run {number})" if label in repeated else label
            for number, label in enumerate(labels, start=1)]
