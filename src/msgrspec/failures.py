"""How the conformance suite tells what happened: failures that explain themselves, and the closing summary.

A failure leads with what was asserted (the assertion id, the requirement's
statement and level, or the fact of the spec a generated case checks), then
what went wrong (expected and actual codes named and in hex), then how to see
it again (the reproducer: the adapter operations in order) and what the
implementation printed. Everything here works from plain data (the spec, the
recorded steps, the JSON report), so it covers any case that carries an
assertion id.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .model import Spec
from .suite import describe_hr


def headline(spec: Spec, assertion_id: str, requirements: Sequence[str], fact: str = "") -> list[str]:
    """What an assertion checks: its id, then the fact (a generated case) and each requirement's statement."""
    lines = [assertion_id]
    if fact:
        lines.append(f"  checks: {fact}")
    for rid in requirements:
        requirement = spec.requirements.get(rid)
        if requirement is None:
            lines.append(f"  requirement {rid}: not in this spec")
            continue
        label = "requirement" if rid == assertion_id else f"requirement {rid}"
        lines.append(f"  {label} ({requirement.level}): {requirement.statement}")
    return lines


def _show(value: Any) -> str:
    if isinstance(value, Mapping) and set(value) == {"object", "interface"}:
        return f"<{value['object']} as {value['interface']}>"
    if isinstance(value, Mapping) and "hr" in value:
        shown = describe_hr(int(str(value["hr"]), 16))
        if value.get("value") is not None:
            shown += f", value {_show(value['value'])}"
        if value.get("outs"):
            shown += f", outs {_show(value['outs'])}"
        return shown
    if isinstance(value, Mapping) and "event" in value:
        return f"{value['event']}({', '.join(_show(a) for a in value.get('args', []))})"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)


def render_steps(steps: Sequence[Mapping[str, Any]]) -> str:
    """The reproducer as numbered lines: `3. local.call(<obj as IMsgrLock>, 'RequestChallenge', 4242) -> S_OK`."""
    lines = []
    for number, step in enumerate(steps, 1):
        args = ", ".join(_show(a) for a in step.get("args", []))
        result = step.get("result")
        shown = result if isinstance(result, str) else _show(result)
        lines.append(f"{number:3}. {step.get('party')}.{step.get('op')}({args}) -> {shown}")
    return "\n".join(lines)


def render_failure(lines: Sequence[str], problem: str, where: str, steps: Sequence[Mapping[str, Any]],
                   output: str, details: str = "") -> str:
    """The whole text of one failure: headline, problem and place, details, reproducer, implementation output."""
    parts = ["\n".join(lines), "", f"  {problem}", f"  ({where})"]
    if details:
        parts += ["", details.rstrip()]
    parts += ["", "reproducer (the adapter operations of the test, in order; `msgrspec replay` runs them again):",
              render_steps(steps) if steps else "  (no adapter operation was made)"]
    parts += ["", "implementation output:", output.rstrip() if output.strip() else "  (none)"]
    return "\n".join(parts)


#: the requirement statuses of the closing summary, in the order it lists them
SUMMARY_STATUSES = ("passed", "failed", "blocked", "xfail", "xpass", "not-applicable", "skipped", "untestable",
                    "untested")
#: the statuses whose requirements the summary lists one by one, with the reason
LISTED = ("failed", "blocked", "xpass", "not-applicable", "untestable")


def requirement_summary(report: Mapping[str, Any]) -> list[str]:
    """The closing lines of a run: requirements per status, then every one that did not pass, with why.

    `report` is the JSON report of the run (`build_report`), so the terminal and the file agree.
    """
    requirements: Mapping[str, Mapping[str, Any]] = report["requirements"]
    tests: Mapping[str, Mapping[str, Any]] = report["tests"]
    counts = {status: 0 for status in SUMMARY_STATUSES}
    for entry in requirements.values():
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    lines = ["requirements: " + ", ".join(f"{n} {status}" for status, n in counts.items() if n)]
    for status in LISTED:
        chosen = sorted(rid for rid, entry in requirements.items() if entry["status"] == status)
        if not chosen:
            continue
        lines.append(f"{status} ({len(chosen)}):")
        for rid in chosen:
            entry = requirements[rid]
            lines.append(f"  {rid} ({entry.get('level')}): {entry.get('statement')}")
            if status == "untestable":
                lines.append(f"      why: {entry.get('untestable')}")
            for key in entry.get("tests", []):
                test = tests[key]
                if test["outcome"] != status:
                    continue
                if status == "failed":  # the message comes once, in the list of failed assertions
                    if key != rid:
                        lines.append(f"      failed: {key}")
                elif test.get("message"):
                    lines.append(f"      {key}: {test['message']}")
    failed = sorted(key for key, test in tests.items() if test["outcome"] == "failed")
    if failed:
        lines.append(f"failed assertions ({len(failed)}; select one with -k ID):")
        lines += [f"  {key}: {tests[key].get('message') or ''}" for key in failed]
    return lines
