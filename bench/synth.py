"""Synthetic specs N times the size of the shipped one, valid by construction.

    python bench/synth.py 10 OUT_DIR

The shipped spec is copied as it is; then N-1 clones of every interface,
dispinterface, coclass, enumeration, requirement and erratum are added, each
clone with renamed items (``IMsgrSession`` -> ``IMsgrSession_C2``, enumeration
values ``SS_READY`` -> ``SS_READY_C2``, ids ``session.invite.x`` ->
``session.invite.x-c2``), fresh GUIDs and every cross-reference (types, codes,
links, applies_to, subjects, errata of requirements) pointing into its own
clone. What every clone shares with the original: the library, the upstream
pages, the SDK HRESULT table and the external types, as a bigger type library
of the same family would. DISPIDs are unique per interface, so a clone keeps
the DISPIDs of its original.
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

try:
    _Loader: type = yaml.CSafeLoader
    _Dumper: type = yaml.CSafeDumper
except AttributeError:  # PyYAML without libyaml
    _Loader, _Dumper = yaml.SafeLoader, yaml.SafeDumper

#: sections cloned for every copy; the rest (library, pages, hresults, types) is shared
CLONED = ("interfaces", "dispinterfaces", "coclasses", "enums", "requirements", "errata")
#: keys whose values (strings or lists of strings) name items of the spec
_NAME_KEYS = frozenset({"type", "code", "error", "links", "default_interface", "event_interface",
                        "other_interfaces", "applies_to", "codes", "events", "subjects"})
_GUID_KEYS = frozenset({"iid", "diid", "clsid"})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAMESPACE = uuid.UUID("6d736772-7370-6563-2d62-656e63680000")


def shipped_spec_dir() -> Path:
    from msgrspec.resources import spec_dir

    return spec_dir()


def read_sections(spec_dir: Path) -> dict[str, dict[str, Any]]:
    """Every section of the spec folder, merged across its files, in file order."""
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in spec_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
        for section, body in data.items():
            if section == "library":
                merged["library"] = body
            else:
                merged.setdefault(section, {}).update(body)
    return merged


def _names(sections: dict[str, dict[str, Any]]) -> tuple[set[str], set[str], set[str]]:
    """(item names to rename, requirement ids, erratum ids) of the cloned sections."""
    names: set[str] = set()
    for section in ("interfaces", "dispinterfaces", "coclasses", "enums"):
        names.update(sections.get(section, {}))
    for enum in sections.get("enums", {}).values():
        names.update(v["name"] for v in enum["values"])
    return names, set(sections.get("requirements", {})), set(sections.get("errata", {}))


def _walk(value: Any, rename: Callable[[str], str], key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, rename, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, rename, key) for v in value]
    if isinstance(value, str) and key in _NAME_KEYS and not value.startswith(("https://", "http://")):
        return rename(value)
    return value


def clone(sections: dict[str, dict[str, Any]], copy: int) -> dict[str, dict[str, Any]]:
    """Clone number `copy` (2, 3, ...) of the cloned sections, renamed and with fresh GUIDs."""
    names, requirement_ids, erratum_ids = _names(sections)
    suffix, id_suffix = f"_C{copy}", f"-c{copy}"

    def rename(text: str) -> str:
        return _IDENT.sub(lambda m: m.group(0) + suffix if m.group(0) in names else m.group(0), text)

    def guid(name: str) -> str:
        return "{" + str(uuid.uuid5(_NAMESPACE, f"{name}#{copy}")).upper() + "}"

    out: dict[str, dict[str, Any]] = {}
    for section in CLONED:
        body = {}
        for key, raw in sections.get(section, {}).items():
            item = _walk(raw, rename)
            if section in ("requirements", "errata"):
                new_key = key + id_suffix
                if item.get("erratum") in erratum_ids:
                    item["erratum"] = item["erratum"] + id_suffix
            else:
                new_key = key + suffix
                for field in _GUID_KEYS & item.keys():
                    item[field] = guid(new_key)
                if section == "enums":
                    for value in item["values"]:
                        value["name"] += suffix
            body[new_key] = item
        if body:
            out[section] = body
    return out


def write_scaled(factor: int, out: Path, source: Path | None = None) -> Path:
    """Write a spec of `factor` times the size of `source` (default: the shipped spec) into `out`."""
    if factor < 1:
        raise ValueError("the factor is a whole number from 1 up")
    source = source or shipped_spec_dir()
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source, out)
    sections = read_sections(source)
    for copy in range(2, factor + 1):
        folder = out / f"clone-{copy:04d}"
        folder.mkdir()
        for section, body in clone(sections, copy).items():
            text = yaml.dump({section: body}, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
            (folder / f"{section}.yaml").write_text(text, encoding="utf-8")
    return out


def expected_counts(factor: int, source: Path | None = None) -> dict[str, int]:
    """What the model of the scaled spec holds: entries per section, members, events, values, all items."""
    sections = read_sections(source or shipped_spec_dir())
    enums = sections.get("enums", {}).values()
    counts = {section: len(body) * (factor if section in CLONED else 1)
              for section, body in sections.items() if section != "library"}
    # the values of an HRESULT enumeration are HRESULTs too
    counts["hresults"] = counts.get("hresults", 0) + factor * sum(len(e["values"]) for e in enums if e["hresult"])
    counts["enum_values"] = factor * sum(len(e["values"]) for e in enums)
    counts["members"] = factor * sum(len(i["members"]) for i in sections.get("interfaces", {}).values())
    counts["events"] = factor * sum(len(d["events"]) for d in sections.get("dispinterfaces", {}).values())
    counts["items"] = sum(counts.get(k, 0) for k in ("interfaces", "dispinterfaces", "coclasses", "enums", "types",
                                                     "hresults", "enum_values", "members", "events"))
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("factor", type=int, help="times the size of the shipped spec (1, 10, 100 ...)")
    parser.add_argument("out", type=Path, help="folder to write (replaced if it exists)")
    options = parser.parse_args(argv)
    write_scaled(options.factor, options.out)
    print(f"{options.out}: {options.factor}x the shipped spec", file=sys.stderr)


if __name__ == "__main__":
    main()
