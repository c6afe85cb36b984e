"""A cache of validated models, keyed by the content of the spec files.

`load_spec` reads every spec file anyway; the sha256 of each file, its path,
and a fingerprint of the code that turns files into a model (the loader, the
model, the YAML reader, the schema, the msgrspec and Python versions) make the
key. Any change to a file, to the list of files or to that code gives another
key, so a cached model is never stale: at worst it is not found.

Two levels: the models of this process (a few, newest kept), and pickles in a
folder of the user's cache, so that a second process (a pytest-xdist worker,
mkdocs, the next `msgrspec validate`) skips parsing and checking too. Only
models that loaded without a problem are cached; a spec with problems is
checked afresh every time. Nothing needs the cache: a missing, unreadable or
corrupt entry is a miss.

    MSGRSPEC_CACHE_DIR   the folder of the pickles (default: $XDG_CACHE_HOME/msgrspec,
                         else ~/.cache/msgrspec)
    MSGRSPEC_NO_CACHE=1  no cache on disk (the in-process one stays)
"""
from __future__ import annotations

import copyreg
import hashlib
import io
import os
import pickle
import stat
import sys
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from types import MappingProxyType

import attrs

from . import errors, model, yamlfile  # noqa: F401 - loaded before their code is read below
from .model import Spec, frozen_map

#: bump when what a key covers changes
FORMAT = 1
#: models kept in this process, and pickles kept on disk (least recently used go first)
MEMORY_ENTRIES = 4
DISK_ENTRIES = 16
#: the modules whose code decides what model a set of files gives
_CODE = ("loader.py", "model.py", "machines.py", "yamlfile.py", "errors.py", "modelcache.py",
         "schema/spec.schema.json")
_PACKAGE = Path(__file__).resolve().parent

_memory: OrderedDict[str, Spec] = OrderedDict()


def _read_code() -> bytes:
    out = b""
    for name in _CODE:
        try:
            out += name.encode() + b"\0" + (_PACKAGE / name).read_bytes() + b"\0"
        except OSError:
            out += name.encode() + b"\0missing\0"
    return out


#: the code as this process loaded it: read now, with the modules, not later when the files may have changed
_CODE_AT_IMPORT = _read_code()


@cache
def code_fingerprint() -> str:
    from . import __version__

    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0{sys.version}\0{pickle.HIGHEST_PROTOCOL}\0"
                            f"attrs {attrs.__version__}\0".encode())
    digest.update(_CODE_AT_IMPORT)
    return digest.hexdigest()


def key(paths: Sequence[Path], hashes: Sequence[str]) -> str:
    """The key of a spec made of the files `paths` whose contents have the sha256 `hashes`."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for path, file_hash in zip(paths, hashes):
        digest.update(f"\0{path}\0{file_hash}".encode())
    return digest.hexdigest()


def cache_dir() -> Path | None:
    """The folder of the pickles, or None when the disk cache is off."""
    if os.environ.get("MSGRSPEC_NO_CACHE", "").strip() not in ("", "0"):
        return None
    configured = os.environ.get("MSGRSPEC_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "msgrspec"


def _trusted(folder: Path) -> bool:
    """Pickles are read only from a folder of this user that no one else may write to."""
    try:
        info = folder.stat()
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def _entry(folder: Path, cache_key: str) -> Path:
    return folder / f"spec-{cache_key}.pickle"


def get(cache_key: str, digest: str) -> Spec | None:
    """The model cached under `cache_key`, or None."""
    spec = _memory.get(cache_key)
    if spec is not None:
        _memory.move_to_end(cache_key)
        return spec
    folder = cache_dir()
    if folder is None or not _trusted(folder):
        return None
    path = _entry(folder, cache_key)
    try:
        with path.open("rb") as handle:
            stored_key, spec = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a damaged entry is a miss, and goes
        _remove(path)
        return None
    if (stored_key != cache_key or not isinstance(spec, Spec) or spec.digest != digest
            or not all(hasattr(spec, field.name) for field in attrs.fields(Spec))):
        _remove(path)
        return None
    try:
        os.utime(path)
    except OSError:
        pass
    _remember(cache_key, spec)
    return spec


def put(cache_key: str, spec: Spec) -> None:
    """Keep `spec` under `cache_key`, in this process and (where possible) on disk."""
    _remember(cache_key, spec)
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _trusted(folder):
            return
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = copyreg.dispatch_table.copy()
        pickler.dispatch_table[MappingProxyType] = lambda mapping: (frozen_map, (dict(mapping),))
        pickler.dump((cache_key, spec))
        fd, tmp = tempfile.mkstemp(prefix=".spec-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(buffer.getbuffer())
            os.replace(tmp, _entry(folder, cache_key))
        except BaseException:
            _remove(Path(tmp))
            raise
        _prune(folder)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is no cache, not an error
        return


def clear() -> None:
    """Forget every cached model, in this process and on disk."""
    _memory.clear()
    folder = cache_dir()
    if folder is not None and folder.is_dir():
        for path in folder.glob("spec-*.pickle"):
            _remove(path)


def _remember(cache_key: str, spec: Spec) -> None:
    _memory[cache_key] = spec
    _memory.move_to_end(cache_key)
    while len(_memory) > MEMORY_ENTRIES:
        _memory.popitem(last=False)


def _prune(folder: Path) -> None:
    entries = []
    for path in folder.glob("spec-*.pickle"):
        try:
            entries.append((path.stat().st_mtime, path))
        except OSError:
            continue
    entries.sort(reverse=True)
    for _, path in entries[DISK_ENTRIES:]:
        _remove(path)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
