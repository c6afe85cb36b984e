"""Where the files that ship with msgrspec are: the spec, the schemas, the conformance suite."""
from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

_PACKAGE = Path(str(resources.files("msgrspec")))
#: the repository checkout an editable install runs from (src/msgrspec -> repo)
_CHECKOUT = _PACKAGE.parent.parent


def _shipped(name: str) -> Path:
    """A folder the wheel carries inside the package, or the checkout's one in an editable install."""
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _CHECKOUT / name


def spec_dir() -> Path:
    """The spec shipped with this version of msgrspec."""
    return _shipped("spec")


def conformance_dir() -> Path:
    """The conformance suite shipped with this version of msgrspec."""
    return _shipped("conformance")


@cache
def schema(name: str) -> dict:
    """One of the JSON Schemas in msgrspec/schema (`spec`, `export`, ...)."""
    return json.loads((_PACKAGE / "schema" / f"{name}.schema.json").read_text(encoding="utf-8"))


def template(name: str) -> str:
    """The text of a skeleton in msgrspec/templates (`msgrspec new`)."""
    return (_PACKAGE / "templates" / name).read_text(encoding="utf-8")
