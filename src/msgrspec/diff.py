"""`msgrspec diff`: what changed between two versions of a spec, and what it means for implementations.

Items, requirements and errata are compared field by field; the assertions of
the conformance suite (generated cases and requirements) by id. A change is
breaking when an implementation that conformed before may not conform after:
an item or assertion removed, a binary fact changed (GUID, DISPID, vtable
order, parameter type or direction, accessors, enumeration or HRESULT value),
a limit or code changed, or a new obligation (a testable must-requirement or a
new assertion) added. Wording, links, sources and support rows are not.
"""
from __future__ import annotations

from typing import Any

import attrs

from .cases import all_cases
from .model import Spec

#: fields whose change does not alter what an implementation must do
_EDITORIAL = {"summary", "remarks", "links", "source", "support", "untestable", "meaning", "statement", "title",
              "says", "rationale", "note", "helpstring", "loc", "reason", "condition"}


#: fields that hold items compared on their own (members, events, enumeration values): in their container
#: only the order of the ones both specs have counts, so that a change is listed once, on the item it is in
_CHILDREN = ("members", "events", "values")


def _fields(item: Any) -> dict:
    return attrs.asdict(item, filter=lambda a, _v: a.name not in ("loc", "_index", "digest"))


def _own_fields(item: Any, kept: set[str]) -> dict:
    """The fields of an item, its children reduced to the order of the names in `kept`."""
    fields = _fields(item)
    for key in _CHILDREN:
        children = getattr(item, key, None)
        if isinstance(children, (list, tuple)) and all(hasattr(c, "name") for c in children):
            fields[key] = [c.name for c in children if c.name in kept]
    return fields


def _child_names(item: Any) -> set[str]:
    return {c.name for key in _CHILDREN for c in getattr(item, key, None) or () if hasattr(c, "name")}


def _changed_fields(old: Any, new: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted path, old value, new value) of every field that differs; parameters looked into by position."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                found += _changed_fields(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else str(key))
        return found
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)) and len(old) == len(new) and \
            any(isinstance(v, dict) for v in (*old, *new)):
        found = []
        for i, (a, b) in enumerate(zip(old, new)):
            found += _changed_fields(a, b, f"{prefix}[{i}]")
        return found
    return [(prefix, old, new)] if old != new else []


def _show(value: Any, limit: int = 80) -> str:
    text = "(none)" if value is None else str(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _breaking_field(path: str) -> bool:
    words = {part.split("[")[0] for part in path.split(".")}
    return not words & _EDITORIAL


def _named(spec: Spec) -> dict[str, Any]:
    found = {item.qualname: item for item in spec.items()}
    found.update({f"requirement {rid}": r for rid, r in spec.requirements.items()})
    found.update({f"erratum {eid}": e for eid, e in spec.errata.items()})
    found.update({f"state machine {name}": m for name, m in spec.state_machines.items()})
    return found


def _normative(value: Any) -> Any:
    """A value with its editorial fields left out: what an assertion about it actually checks."""
    if attrs.has(type(value)):
        value = _fields(value)
    if isinstance(value, dict):
        return {k: _normative(v) for k, v in value.items() if k not in _EDITORIAL}
    if isinstance(value, (list, tuple)):
        return [_normative(v) for v in value]
    return value


def _checked(data: dict) -> dict:
    """The part of a case's data its assertion depends on: an enclosing interface or member counts by name
    only when the case is about one of its parts."""
    narrow = {"param", "constraint", "property", "value"} & set(data)
    return {key: (value.qualname if key in ("interface", "member", "enum") and narrow else value)
            for key, value in data.items()}


def _assertions(spec: Spec) -> dict[str, Any]:
    """Assertion id -> what it checks: the generated cases (their data), and one per testable requirement."""
    found: dict[str, Any] = {case.id: _normative(_checked(case.data)) for case in all_cases(spec)}
    found.update({rid: _normative(r) for rid, r in spec.requirements.items() if not r.untestable})
    return found


def diff_specs(old: Spec, new: Spec, expected_failure_ids: set[str] | None = None) -> dict:
    """The differences of two specs as JSON-ready data."""
    old_items, new_items = _named(old), _named(new)
    changed = []
    for name in sorted(set(old_items) & set(new_items)):
        kept = _child_names(old_items[name]) & _child_names(new_items[name])
        fields = [{"path": path, "old": before, "new": after, "breaking": _breaking_field(path)}
                  for path, before, after in _changed_fields(_own_fields(old_items[name], kept),
                                                             _own_fields(new_items[name], kept))]
        if fields:
            changed.append({"name": name, "fields": fields, "breaking": any(f["breaking"] for f in fields)})
    old_checks, new_checks = _assertions(old), _assertions(new)
    added_checks = sorted(set(new_checks) - set(old_checks))
    removed_checks = sorted(set(old_checks) - set(new_checks))
    changed_checks = sorted(k for k in set(old_checks) & set(new_checks) if old_checks[k] != new_checks[k])
    removed_items = sorted(set(old_items) - set(new_items))
    breaking = [f"removed: {name}" for name in removed_items]
    breaking += [f"changed: {c['name']} ({'; '.join(_change(f) for f in c['fields'] if f['breaking'])})"
                 for c in changed if c["breaking"]]
    breaking += [f"new assertion: {key}" for key in added_checks]
    result = {
        "old_spec": old.digest, "new_spec": new.digest,
        "items": {"added": sorted(set(new_items) - set(old_items)), "removed": removed_items, "changed": changed},
        "assertions": {"added": added_checks, "removed": removed_checks, "changed": changed_checks},
        "breaking": breaking,
    }
    if expected_failure_ids is not None:
        # a behaviour test naming several requirements has the id "a+b": it applies while each part does
        parts = {key: key.split("+") for key in expected_failure_ids}
        result["expected_failures"] = {
            "no_longer_apply": sorted(k for k, ps in parts.items() if not all(p in new_checks for p in ps)),
            "changed": sorted(k for k, ps in parts.items() if any(p in changed_checks for p in ps)),
        }
    return result


def _change(field: dict) -> str:
    """`dispid: 3 -> 33`"""
    return f"{field['path']}: {_show(field['old'])} -> {_show(field['new'])}"


def to_markdown(result: dict) -> str:
    """A readable account of a diff."""
    lines = [f"# Spec diff: {result['old_spec'][:12]} -> {result['new_spec'][:12]}", ""]

    def section(title: str, entries: list[str]) -> None:
        lines.extend([f"## {title} ({len(entries)})", ""])
        lines.extend(f"- {entry}" for entry in entries)
        lines.extend(["none"] if not entries else [])
        lines.append("")

    section("Breaking changes", result["breaking"])
    section("Items added", result["items"]["added"])
    section("Items removed", result["items"]["removed"])
    section("Items changed", [f"{c['name']}" + (" (breaking)" if c["breaking"] else "") + ": "
                              + "; ".join(_change(f) for f in c["fields"]) for c in result["items"]["changed"]])
    section("Assertions added", result["assertions"]["added"])
    section("Assertions removed", result["assertions"]["removed"])
    section("Assertions changed", result["assertions"]["changed"])
    if "expected_failures" in result:
        section("Expected failures that no longer apply", result["expected_failures"]["no_longer_apply"])
        section("Expected failures whose assertion changed", result["expected_failures"]["changed"])
    return "\n".join(lines)
