"""Located errors: every problem with a spec names the file, line and column."""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs


@attrs.frozen(order=True)
class Location:
    """A place in a spec file; line and column count from 1."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@attrs.frozen(order=True)
class Problem:
    """One thing wrong with a spec, at one place."""

    where: Location
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class SpecError(Exception):
    """A spec could not be loaded; `problems` lists every reason, in file order."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(p) for p in self.problems))


class DocumentError(ValueError):
    """A document (a report, a spec file) cannot be read; the message starts with its place."""


def json_type(value: Any) -> str:
    """The JSON name of the type of a parsed JSON value."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def not_utf8(file: str, raw: bytes, exc: UnicodeDecodeError) -> Problem:
    """The problem of bytes that are not UTF-8, at the line and column of the first bad byte."""
    before = raw[: exc.start]
    line = before.count(b"\n") + 1
    column = exc.start - (before.rfind(b"\n") + 1) + 1
    return Problem(Location(file, line, column), f"the file is not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded")


def read_json(path: Path) -> Any:
    """The JSON document in the file `path`; DocumentError at the place of anything that stops it."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{file}: cannot read the file: {exc.strerror}") from None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise DocumentError(str(not_utf8(file, raw, exc))) from None
    except json.JSONDecodeError as exc:
        raise DocumentError(str(Problem(Location(file, exc.lineno, exc.colno), f"not JSON: {exc.msg}"))) from None
    except RecursionError:
        raise DocumentError(f"{file}: not JSON this reader can take: nested too deeply") from None
