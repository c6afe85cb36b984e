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

A pickle runs code when it loads, so one is read only from a folder of this
user that no one else may write to, and only if it is this user's regular
file: the folder is opened once and checked through its descriptor, and the
entry is opened relative to it without following links.

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
import secrets
import stat
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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
_CODE = ("loader.py", "model.py", "yamlfile.py", "errors.py", "modelcache.py", "schema/spec.schema.json")
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


#: opening each file relative to the folder descriptor that was checked needs openat() and O_NOFOLLOW;
#: where the platform lacks them (Windows) there is no disk cache
_SAFE_OPEN = (hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY") and os.open in os.supports_dir_fd
              and os.rename in os.supports_dir_fd and os.unlink in os.supports_dir_fd and os.scandir in os.supports_fd)
_OPEN_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
#: a temporary file older than this is left by a writer that died (a write takes well under a second)
STALE_TEMP_SECONDS = 600


def _trusted(info: os.stat_result, kind: Callable[[int], bool]) -> bool:
    """What was opened is of `kind`, this user's, and no one else may write to it."""
    if not kind(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return info.st_uid == os.getuid()


@contextmanager
def _opened_folder(folder: Path, *, create: bool = False) -> Iterator[int | None]:
    """The cache folder, opened once and checked through its descriptor; None when it is not to be trusted.

    Every file of the cache is then opened relative to that descriptor, so a folder put in the place
    of the checked one (by someone who may write to its parent) is never read.
    """
    if not _SAFE_OPEN:
        yield None
        return
    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _OPEN_FLAGS)
    except OSError:
        yield None
        return
    try:
        yield fd if _trusted(os.fstat(fd), stat.S_ISDIR) else None
    finally:
        os.close(fd)


def _entry(cache_key: str) -> str:
    return f"spec-{cache_key}.pickle"


def get(cache_key: str, digest: str) -> Spec | None:
    """The model cached under `cache_key`, or None."""
    spec = _memory.get(cache_key)
    if spec is not None:
        _memory.move_to_end(cache_key)
        return spec
    folder = cache_dir()
    if folder is None:
        return None
    with _opened_folder(folder) as fd:
        if fd is None:
            return None
        spec = _read_entry(fd, cache_key, digest)
        if spec is None:
            _remove_stale_temps(fd)
            return None
    _remember(cache_key, spec)
    return spec


def _read_entry(fd: int, cache_key: str, digest: str) -> Spec | None:
    name = _entry(cache_key)
    try:
        handle = os.fdopen(os.open(name, os.O_RDONLY | _OPEN_FLAGS, dir_fd=fd), "rb")
    except FileNotFoundError:
        return None
    except OSError:  # a link in place of the entry (O_NOFOLLOW), or worse: a miss, and it goes
        _remove(fd, name)
        return None
    try:
        with handle:
            if not _trusted(os.fstat(handle.fileno()), stat.S_ISREG):
                _remove(fd, name)
                return None
            stored_key, spec = pickle.load(handle)
    except Exception:  # noqa: BLE001 - a damaged entry is a miss, and goes
        _remove(fd, name)
        return None
    if (stored_key != cache_key or not isinstance(spec, Spec) or spec.digest != digest
            or not all(hasattr(spec, field.name) for field in attrs.fields(Spec))):
        _remove(fd, name)
        return None
    try:
        os.utime(name, dir_fd=fd)
    except OSError:
        pass
    return spec


def put(cache_key: str, spec: Spec) -> None:
    """Keep `spec` under `cache_key`, in this process and (where possible) on disk."""
    _remember(cache_key, spec)
    folder = cache_dir()
    if folder is None:
        return
    with _opened_folder(folder, create=True) as fd:
        if fd is None:
            return
        try:
            buffer = io.BytesIO()
            pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = copyreg.dispatch_table.copy()
            pickler.dispatch_table[MappingProxyType] = lambda mapping: (frozen_map, (dict(mapping),))
            pickler.dump((cache_key, spec))
            temp = f"{_TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(8)}{_TEMP_SUFFIX}"
            out = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, 0o600, dir_fd=fd)
            try:
                with os.fdopen(out, "wb") as handle:
                    handle.write(buffer.getbuffer())
                os.replace(temp, _entry(cache_key), src_dir_fd=fd, dst_dir_fd=fd)
            except BaseException:
                _remove(fd, temp)
                raise
            _prune(fd)
        except Exception:  # noqa: BLE001 - a cache that cannot be written is no cache, not an error
            return


_TEMP_PREFIX, _TEMP_SUFFIX = ".spec-", ".tmp"


def _remove_stale_temps(fd: int) -> None:
    """Remove the temporary files of writers that died: older than STALE_TEMP_SECONDS, or named after a
    process that is gone."""
    now = time.time()
    for entry in _listing(fd):
        if not (entry.name.startswith(_TEMP_PREFIX) and entry.name.endswith(_TEMP_SUFFIX)):
            continue
        writer = entry.name[len(_TEMP_PREFIX):].partition("-")[0]
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_SECONDS
        except OSError:
            continue
        if old or (writer.isdigit() and not _running(int(writer))):
            _remove(fd, entry.name)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, as someone else's
        return True
    return True


def _listing(fd: int) -> list[os.DirEntry]:
    try:
        with os.scandir(fd) as entries:
            return list(entries)
    except OSError:
        return []


def clear() -> None:
    """Forget every cached model, in this process and on disk."""
    _memory.clear()
    folder = cache_dir()
    if folder is None:
        return
    with _opened_folder(folder) as fd:
        for entry in _listing(fd) if fd is not None else ():
            if entry.name.startswith("spec-") and entry.name.endswith(".pickle"):
                _remove(fd, entry.name)


def _remember(cache_key: str, spec: Spec) -> None:
    _memory[cache_key] = spec
    _memory.move_to_end(cache_key)
    while len(_memory) > MEMORY_ENTRIES:
        _memory.popitem(last=False)


def _prune(fd: int) -> None:
    """Keep the DISK_ENTRIES most recently used entries; remove what dead writers left."""
    entries = []
    for entry in _listing(fd):
        if entry.name.startswith("spec-") and entry.name.endswith(".pickle"):
            try:
                entries.append((entry.stat(follow_symlinks=False).st_mtime, entry.name))
            except OSError:
                continue
    entries.sort(reverse=True)
    for _, name in entries[DISK_ENTRIES:]:
        _remove(fd, name)
    _remove_stale_temps(fd)


def _remove(fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=fd)
    except OSError:
        pass
