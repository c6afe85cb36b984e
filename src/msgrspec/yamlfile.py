"""Reading one YAML file into plain data plus a map from data paths to places.

libyaml (PyYAML's C extension, where it is built) composes the node graph of
a small file in one go. A bigger file is composed here from libyaml's events,
counting, so that a document too big or too deep stops where it goes over the
limit instead of being composed whole first. The graph is then turned into
Python values, so that duplicate keys, anchors that expand without bound and
other traps are caught with their location instead of being silently accepted.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.resolver import Resolver

from .errors import Location, Problem, SpecError, not_utf8

#: Nodes one file may have or expand to; far above any real spec file (the
#: biggest shipped one has about 2,600), far below what an alias bomb
#: ("billion laughs") would need.
MAX_NODES = 200_000
MAX_DEPTH = 64
#: Bytes one file may have (the biggest shipped one has 64 KB); a bigger file is not read at all.
MAX_FILE_BYTES = 4 * 1024 * 1024
#: A file up to this size is composed by libyaml in one go, its nodes counted after: at worst (one-letter
#: nodes) some 20 MB and a fraction of a second. Composing node by node in Python takes a third longer.
COMPOSE_AT_ONCE_BYTES = 128 * 1024


class _TooBig(Exception):
    def __init__(self, mark: yaml.Mark, message: str):
        super().__init__(message)
        self.mark = mark


class _BoundedComposer(Composer):
    """Composer that stops at the node that takes the document over MAX_NODES or MAX_DEPTH."""

    _nodes = 0
    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _TooBig(self.peek_event().start_mark, f"the document has more than {MAX_NODES} nodes")
        if self._depth >= MAX_DEPTH:
            raise _TooBig(self.peek_event().start_mark, f"nesting deeper than {MAX_DEPTH} levels")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


try:
    from yaml.cyaml import CParser as _Parser

    class _BoundedLoader(_BoundedComposer, _Parser, Resolver):  # the composer's methods before the parser's
        def __init__(self, stream: str):
            _Parser.__init__(self, stream)
            Composer.__init__(self)
            Resolver.__init__(self)

    _AtOnceLoader: type = yaml.CSafeLoader
except ImportError:  # PyYAML built without libyaml: composing is Python either way
    class _BoundedLoader(_BoundedComposer, yaml.SafeLoader):  # type: ignore[no-redef]
        pass

    _AtOnceLoader = _BoundedLoader

DataPath = tuple[Any, ...]
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class LocatedData:
    """The data of one file with the place of every value and mapping key in it."""

    def __init__(self, file: str, data: Any, values: dict[DataPath, tuple[int, int]],
                 keys: dict[DataPath, tuple[int, int]], sha256: str = ""):
        self.file = file
        self.data = data
        self.sha256 = sha256
        # (line, column) of every value and key; a Location is made only for the places asked for
        self._values = values
        self._keys = keys

    def where(self, path: DataPath, *, key: bool = False) -> Location:
        """The place of the value at `path` (of its key, with key=True); the nearest enclosing one if unknown."""
        path = tuple(path)
        table = self._keys if key else self._values
        while path:
            if path in table:
                return Location(self.file, *table[path])
            path = path[:-1]
            table = self._values
        return Location(self.file, *self._values.get((), (1, 1)))


def _mark(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


_STR_TAG = "tag:yaml.org,2002:str"


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.values: dict[DataPath, tuple[int, int]] = {}
        self.keys: dict[DataPath, tuple[int, int]] = {}
        self.count = 0
        self.scalars = yaml.constructor.SafeConstructor()

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR_TAG:  # what SafeConstructor makes of a string, without its bookkeeping
            return node.value
        try:
            return self.scalars.construct_object(node)
        except yaml.YAMLError as exc:
            raise SpecError([Problem(_mark(self.file, node), f"cannot read this value: {exc}")]) from None

    def build(self, node: yaml.Node, path: DataPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise SpecError([Problem(_mark(self.file, node),
                                     f"the document expands to more than {MAX_NODES} nodes (an alias bomb?)")])
        if len(path) > MAX_DEPTH:
            raise SpecError([Problem(_mark(self.file, node), f"nesting deeper than {MAX_DEPTH} levels")])
        mark = node.start_mark
        self.values[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if node.tag not in _COLLECTION_TAGS:
            raise SpecError([Problem(_mark(self.file, node), f"cannot read this value: the tag {node.tag} is not "
                                     "allowed in a spec")])
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]

    def _mapping(self, node: yaml.MappingNode, path: DataPath) -> dict:
        result: dict = {}
        first_seen: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SpecError([Problem(_mark(self.file, key_node), "merge keys (<<) are not allowed in a spec")])
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError([Problem(_mark(self.file, key_node), "a mapping key must be a plain scalar")])
            key = self.scalars.construct_object(key_node) if key_node.tag != _STR_TAG else key_node.value
            if not isinstance(key, (str, int, bool)) and key is not None:
                key = str(key)
            mark = key_node.start_mark
            where = (mark.line + 1, mark.column + 1)
            if key in first_seen:
                raise SpecError([Problem(Location(self.file, *where),
                                         f"duplicate key {key!r} (first defined at line {first_seen[key][0]})")])
            first_seen[key] = where
            self.keys[path + (key,)] = where
            result[key] = self.build(value_node, path + (key,))
        return result


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError([not_utf8(str(path), raw, exc)]) from None


def read_bytes(path: Path) -> bytes:
    """The bytes of one spec file; SpecError when it cannot be read or has more than MAX_FILE_BYTES (then
    no more than that is read)."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
            if len(raw) > MAX_FILE_BYTES:
                raise _too_many_bytes(str(path), os.fstat(handle.fileno()).st_size)
    except OSError as exc:
        raise SpecError([Problem(Location(str(path)), f"cannot read the file: {exc.strerror}")]) from None
    return raw


def _too_many_bytes(file: str, size: int) -> SpecError:
    return SpecError([Problem(Location(file), f"the file has {size} bytes, more than a spec file may have "
                                              f"({MAX_FILE_BYTES}); split it into several files")])


def read_yaml(path: Path, raw: bytes | None = None) -> LocatedData:
    """Read one spec file (whose bytes, if already read, are `raw`); raise SpecError with located problems
    for anything unreadable."""
    file = str(path)
    if raw is None:
        raw = read_bytes(path)
    elif len(raw) > MAX_FILE_BYTES:
        raise _too_many_bytes(file, len(raw))
    text = _decode(path, raw)
    try:
        node = yaml.compose(text, Loader=_AtOnceLoader if len(raw) <= COMPOSE_AT_ONCE_BYTES else _BoundedLoader)
    except _TooBig as exc:
        raise SpecError([Problem(Location(file, exc.mark.line + 1, exc.mark.column + 1), str(exc))]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        if mark and "\t" in text.split("\n")[mark.line][: mark.column + 1]:
            message += " (a tab: YAML does not allow tabs for indentation)"
        raise SpecError([Problem(where, f"invalid YAML: {message}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(Location(file, 1, 1), f"invalid YAML: {exc}")]) from None
    if node is None:
        raise SpecError([Problem(Location(file, 1, 1), "the file is empty: a spec file holds at least one section")])
    builder = _Builder(file)
    data = builder.build(node, ())
    return LocatedData(file, data, builder.values, builder.keys, hashlib.sha256(raw).hexdigest())
