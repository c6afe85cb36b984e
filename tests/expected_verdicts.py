"""What a whole run of the conformance suite must report, derived from the spec and not from the run.

The assertion ids are the generated cases of the spec plus one id per behaviour test (its requirement ids
joined by "+"); together they check every requirement the spec does not mark untestable, and nothing else.
"""
from __future__ import annotations

from msgrspec.cases import all_cases
from msgrspec.model import Spec

#: assertions the reference reports not applicable with its default profile, and a word of the reason
#: (the reference offers Lock and Key, so the cells of a disabled lock are out of its reach)
REFERENCE_NOT_APPLICABLE = {f"LockStatus@LOCK_DISABLED:{operation}": "LOCK_DISABLED is out of reach"
                            for operation in ("Listen", "RequestChallenge", "SendResponse[right]",
                                              "SendResponse[wrong]")}


def id_problems(spec: Spec, report: dict) -> list[str]:
    """How the report's assertion ids differ from those the spec calls for (empty: they agree)."""
    ids = set(report["tests"])
    cases = all_cases(spec)
    problems = [f"the generated case {c.id} is not in the report" for c in cases if c.id not in ids]
    behaviour = ids - {c.id for c in cases}
    named = {rid for key in behaviour for rid in key.split("+")}
    problems += [f"{key} names requirements the spec lacks" for key in sorted(behaviour)
                 if not set(key.split("+")) <= set(spec.requirements)]
    checked = named | {rid for c in cases for rid in c.requirements}
    testable = {rid for rid, r in spec.requirements.items() if not r.untestable}
    problems += [f"no assertion checks the requirement {rid}" for rid in sorted(testable - checked)]
    untestable = (checked & set(spec.requirements)) - testable
    problems += [f"an assertion checks {rid}, which the spec marks untestable" for rid in sorted(untestable)]
    return problems


def reference_problems(report: dict) -> list[str]:
    """Where a run against the reference (default profile) is not "every assertion passed" but for the
    assertions REFERENCE_NOT_APPLICABLE names, each not applicable for its reason."""
    problems = []
    for key, test in sorted(report["tests"].items()):
        if key in REFERENCE_NOT_APPLICABLE:
            if test["outcome"] != "not-applicable" or REFERENCE_NOT_APPLICABLE[key] not in (test["message"] or ""):
                problems.append(f"{key}: {test['outcome']} ({test['message']}), expected not applicable")
        elif test["outcome"] != "passed":
            problems.append(f"{key}: {test['outcome']} ({test['message']})")
    problems += [f"{key} did not run" for key in REFERENCE_NOT_APPLICABLE if key not in report["tests"]]
    return problems
