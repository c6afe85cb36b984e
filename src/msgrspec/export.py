"""The resolved model as one JSON document (`msgrspec export`), versioned by EXPORT_VERSION.

The document's shape is described by msgrspec/schema/export.schema.json; other
tools read this instead of the YAML, which stays free to change its layout.
"""
from __future__ import annotations

from typing import Any

import attrs

from . import __version__
from .model import HResult, Interface, Property, Spec, StateMachine

EXPORT_FORMAT = "msgrspec-export"
EXPORT_VERSION = 1


def _plain(obj: Any) -> Any:
    """An attrs object as JSON data, leaving out source locations and the name index."""
    return attrs.asdict(obj, filter=lambda a, _v: a.name not in ("loc", "_index", "digest"))


def _interface(interface: Interface) -> dict:
    data = _plain(interface)
    vtable = interface.vtable
    slots: dict[str, list[int]] = {}
    for slot in vtable:
        slots.setdefault(slot.name, []).append(slot.index)
    for member, exported in zip(interface.members, data["members"]):
        exported["kind"] = member.kind
        exported["slots"] = list(slots.get(member.name, ()))
        if isinstance(member, Property):
            exported["accessors"] = exported.pop("accessors_declared")
    data["vtable"] = [_plain(slot) for slot in vtable]
    return data


def _hresult(hresult: HResult) -> dict:
    return {**_plain(hresult), "hex": hresult.hex}


def _machine(machine: StateMachine) -> dict:
    data = _plain(machine)
    for cell, exported in zip(machine.cells, data["cells"]):
        exported["id"] = cell.id
    return data


def export(spec: Spec) -> dict:
    """The whole spec as JSON-ready data."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "generator": f"msgrspec {__version__}",
        "spec_sha256": spec.digest,
        "library": _plain(spec.library),
        "pages": {name: _plain(page) for name, page in spec.pages.items()},
        "hresults": {name: _hresult(h) for name, h in spec.hresults.items()},
        "coclasses": {name: _plain(c) for name, c in spec.coclasses.items()},
        "interfaces": {name: _interface(i) for name, i in spec.interfaces.items()},
        "dispinterfaces": {name: _plain(d) for name, d in spec.dispinterfaces.items()},
        "enums": {name: _plain(e) for name, e in spec.enums.items()},
        "types": {name: _plain(t) for name, t in spec.types.items()},
        "requirements": {rid: _plain(r) for rid, r in spec.requirements.items()},
        "errata": {eid: _plain(e) for eid, e in spec.errata.items()},
        "state_machines": {name: _machine(m) for name, m in spec.state_machines.items()},
    }
