"""`msgrspec support`: support statements as data, per spec item and implementation, from conformance reports.

After the shape of browser-compat-data's support statements: every interface,
dispinterface, member, event, enumeration and enumeration value of the spec has
one statement per implementation (a report's run), saying from the assertions
about the item and about the items inside it:

- ``supported``: every assertion that ran passed;
- ``partial``: some passed and some failed (the failing ids are listed);
- ``absent``: assertions ran and none passed: nothing of the item was seen to work;
- ``untested``: no assertion about it ran (none exists, or all were not applicable or skipped).

An expected failure counts as failing, and so does a blocked assertion (something it needs failed).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .compare import FAILING, PASSING
from .docs.report import Report, run_labels
from .model import Spec

#: the support document's format name and version (its schema: schema/support.schema.json)
FORMAT, VERSION = "msgrspec-support", 1


def spec_items(spec: Spec) -> Iterator[tuple[str, str]]:
    """(qualified name, kind) of every item a support statement is made for, containers before their parts."""
    for interface in spec.interfaces.values():
        if interface.is_external:
            continue
        yield interface.qualname, "interface"
        for member in interface.members:
            yield member.qualname, type(member).__name__.lower()
    for dispinterface in spec.dispinterfaces.values():
        yield dispinterface.qualname, "dispinterface"
        for event in dispinterface.events:
            yield event.qualname, "event"
    for enum in spec.enums.values():
        yield enum.qualname, "enumeration"
        for value in enum.values:
            yield value.qualname, "value"


def _about(item: str, case_item: str | None) -> bool:
    return case_item is not None and (case_item == item or case_item.startswith(item + "."))


def statement(report: Report, item: str) -> dict[str, Any]:
    """The support statement of one implementation (one report) for one item."""
    passed, failing = 0, []
    for aid, result in sorted(report.tests.items()):
        if not _about(item, result.item):
            continue
        if result.outcome in PASSING:
            passed += 1
        elif result.outcome in FAILING:
            failing.append(aid)
    if not passed and not failing:
        status = "untested"
    elif not failing:
        status = "supported"
    else:
        status = "partial" if passed else "absent"
    # browser-compat-data's spelling: the version it is in (true: a version not known), false: not in, null: unknown
    added: str | bool | None = {"untested": None, "absent": False}.get(status, report.version or True)
    return {"status": status, "version_added": added, "partial_implementation": status == "partial",
            "product": report.product, "passed": passed, "failing": failing}


def support_statements(spec: Spec, reports: Sequence[Report]) -> dict[str, Any]:
    """The support document (schema/support.schema.json) of `reports` for the items of `spec`."""
    labels = run_labels(reports)
    return {
        "format": FORMAT,
        "version": VERSION,
        "spec_sha256": spec.digest,
        "implementations": {label: {"name": report.implementation, "version": report.version,
                                    "product": report.product, "adapter": report.adapter,
                                    "report": report.origin, "spec_sha256": report.spec_sha256}
                            for label, report in zip(labels, reports)},
        "items": {name: {"kind": kind,
                         "support": {label: statement(report, name)
                                     for label, report in zip(labels, reports)}}
                  for name, kind in spec_items(spec)},
    }

