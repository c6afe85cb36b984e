"""`msgrspec compare`: conformance reports side by side, and what changed between runs of one implementation.

Every report is one column, named from its manifest (implementation, version,
adapter); every assertion is one row. Reports made against the same spec are
compared on every assertion any of them ran; reports of different specs only
on the assertions all of them have, and the others are listed per report.

Changes are told between runs of the same implementation (the same
implementation name in the manifest): each run is compared with the nearest
run before it, in the order given, that has that name. An assertion that did
not fail before and fails now is a new failure; one that failed and passes now
is a fix; one that fails in both is a known failure.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .docs.report import Report, run_labels

#: the compare document's format name and version (its schema: schema/compare.schema.json)
FORMAT, VERSION = "msgrspec-compare", 1
#: outcomes that count as failing: a blocked assertion could not run because something it needs failed,
#: an expected failure still fails
FAILING = frozenset({"failed", "blocked", "xfail"})
#: outcomes that count as working
PASSING = frozenset({"passed", "xpass"})


def _rows(reports: Sequence[Report]) -> tuple[list[str], bool, list[list[str]]]:
    """The assertion ids compared, whether every report is of one spec, and per report the ids only it has."""
    ids = [set(report.tests) for report in reports]
    same_spec = len({report.spec_sha256 for report in reports}) == 1
    if same_spec:
        return sorted(set().union(*ids)), True, [[] for _ in reports]
    shared = set.intersection(*ids)
    return sorted(shared), False, [sorted(own - shared) for own in ids]


def _earlier_run(reports: Sequence[Report], index: int) -> int | None:
    """The nearest run before `index` of the same implementation, if any."""
    for earlier in range(index - 1, -1, -1):
        if reports[earlier].implementation == reports[index].implementation:
            return earlier
    return None


def _changes(old: Report, new: Report, ids: Sequence[str]) -> dict[str, list]:
    found: dict[str, list] = {"new_failures": [], "fixes": [], "known_failures": [], "other": []}
    for aid in ids:
        before, after = _outcome(old, aid), _outcome(new, aid)
        if after in FAILING and before not in FAILING:
            found["new_failures"].append({"id": aid, "from": before, "to": after})
        elif before in FAILING and after in PASSING:
            found["fixes"].append({"id": aid, "from": before, "to": after})
        elif before in FAILING and after in FAILING:
            found["known_failures"].append({"id": aid, "from": before, "to": after})
        elif before != after:
            found["other"].append({"id": aid, "from": before, "to": after})
    return found


def _outcome(report: Report, aid: str) -> str | None:
    result = report.tests.get(aid)
    return result.outcome if result else None


def compare_reports(reports: Sequence[Report], only_changed: bool = False) -> dict[str, Any]:
    """The comparison of `reports` (in the order given) as a document of schema/compare.schema.json."""
    if not reports:
        raise ValueError("nothing to compare: no report given")
    labels = run_labels(reports)
    ids, same_spec, only_in = _rows(reports)
    assertions = []
    for aid in ids:
        outcomes = [_outcome(report, aid) for report in reports]
        changed = len(set(outcomes)) > 1
        if changed or not only_changed:
            assertions.append({"id": aid, "outcomes": outcomes, "changed": changed})
    changes = []
    for index in range(len(reports)):
        earlier = _earlier_run(reports, index)
        if earlier is not None:
            changes.append({"from": earlier, "to": index, **_changes(reports[earlier], reports[index], ids)})
    return {
        "format": FORMAT,
        "version": VERSION,
        "runs": [{"label": label, "report": report.origin, "implementation": report.implementation,
                  "version": report.version, "adapter": report.adapter, "product": report.product,
                  "spec_sha256": report.spec_sha256}
                 for label, report in zip(labels, reports)],
        "same_spec": same_spec,
        "assertions": assertions,
        "only_in": [{"run": index, "ids": own} for index, own in enumerate(only_in) if own],
        "changes": changes,
    }


def new_failure_count(result: dict[str, Any]) -> int:
    """How many new failures a comparison found, over every pair of runs."""
    return sum(len(change["new_failures"]) for change in result["changes"])


def _cell(text: str | None) -> str:
    return "—" if text is None else str(text).replace("|", "\\|")


def to_markdown(result: dict[str, Any]) -> str:
    """The comparison as Markdown: the runs, the assertions side by side, the changes, the ids one side has."""
    runs = result["runs"]
    lines = ["# Conformance runs compared", "", "| Column | Report | Product | Spec |", "| --- | --- | --- | --- |"]
    lines += [f"| {_cell(run['label'])} | {_cell(run['report'])} | {_cell(run['product'])} | "
              f"{run['spec_sha256'][:12]} |" for run in runs]
    if not result["same_spec"]:
        lines += ["", "The reports were made against different specs: they are compared on the assertions they "
                      "all have."]
    lines += ["", "## Assertions", ""]
    if result["assertions"]:
        lines += ["| Assertion | " + " | ".join(_cell(run["label"]) for run in runs) + " |",
                  "| --- |" + " --- |" * len(runs)]
        lines += [f"| `{row['id']}` | " + " | ".join(_cell(o) for o in row["outcomes"]) + " |"
                  for row in result["assertions"]]
    else:
        lines.append("No assertion to show.")
    for change in result["changes"]:
        lines += ["", f"## From {runs[change['from']]['label']} to {runs[change['to']]['label']}"]
        for key, title in (("new_failures", "New failures"), ("fixes", "Fixes"),
                           ("known_failures", "Known failures, unchanged"), ("other", "Other changes")):
            entries = change[key]
            lines += ["", f"### {title} ({len(entries)})", ""]
            lines += [f"- `{e['id']}`: {_cell(e['from'])} -> {_cell(e['to'])}" for e in entries] or ["None."]
    for own in result["only_in"]:
        lines += ["", f"## Only in {runs[own['run']]['label']} ({len(own['ids'])})", ""]
        lines += [f"- `{aid}`" for aid in own["ids"]]
    return "\n".join(lines) + "\n"
