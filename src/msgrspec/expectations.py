"""Expected-failures files: known gaps of an implementation, each an assertion id with its reason."""
from __future__ import annotations

from pathlib import Path

import attrs

from .errors import Problem, SpecError
from .loader import schema_problems
from .yamlfile import read_yaml


@attrs.frozen
class ExpectedFailure:
    id: str
    reason: str
    issue: str | None = None


@attrs.frozen
class ExpectedFailures:
    entries: dict[str, ExpectedFailure]
    spec_sha256: str | None = None
    implementation: str | None = None


def load_expected_failures(path: str | Path) -> ExpectedFailures:
    """Read and check a file (YAML or JSON) against its schema; SpecError with located problems otherwise."""
    located = read_yaml(Path(path))
    problems = schema_problems(located, "expected-failures")
    if problems:
        raise SpecError(problems)
    entries: dict[str, ExpectedFailure] = {}
    for i, raw in enumerate(located.data["expected_failures"]):
        if raw["id"] in entries:
            problems.append(Problem(located.where(("expected_failures", i, "id")),
                                    f"{raw['id']} is listed twice"))
        entries[raw["id"]] = ExpectedFailure(raw["id"], raw["reason"], raw.get("issue"))
    if problems:
        raise SpecError(problems)
    return ExpectedFailures(entries, located.data.get("spec_sha256"), located.data.get("implementation"))


def stale_entries(expected: ExpectedFailures, assertion_ids: set[str]) -> list[str]:
    """Entries that match no assertion of the suite: they rot silently unless reported."""
    return sorted(set(expected.entries) - assertion_ids)
