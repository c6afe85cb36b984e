"""The application registry: the store behind RegisterApplication (the
...\\MessengerService\\SessionManager\\Apps key of a real client).

Two stores share one small interface. `MemoryRegistry` lives and dies with a
world. `SqliteRegistry` keeps registrations in an SQLite file, as a real
registry is machine state that outlives a process: the file is opened in WAL
mode with a busy timeout, and every write is a single statement, hence a
single transaction, so registrations made at the same time from several
processes are all kept, and a process killed in the middle of writing leaves
the file readable with every completed registration in it.

Rows are keyed by machine as well as GUID: the parties of a world stand for
two different computers, each with its own Apps key.
"""
from __future__ import annotations

import abc
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import attrs

#: environment variable naming the SQLite file when no path is configured
ENV_VAR = "MSGRSPEC_REFERENCE_REGISTRY"

T = TypeVar("T")


class RegistryError(Exception):
    """The store could not be read or written."""


@attrs.frozen
class AppRegistration:
    guid: str
    name: str
    url: str
    path: str
    flags: int = 0


class Registry(abc.ABC):
    """The interface both stores offer. GUIDs are compared as given (the API insists on upper case)."""

    @abc.abstractmethod
    def register(self, machine: str, app: AppRegistration) -> bool:
        """Store app; False (and nothing changed) when its GUID is registered already."""

    @abc.abstractmethod
    def unregister(self, machine: str, guid: str) -> bool:
        """Remove the registration of guid; False when there was none."""

    @abc.abstractmethod
    def lookup(self, machine: str, guid: str) -> AppRegistration | None:
        """The registration of guid on machine, or None."""

    def close(self) -> None:
        """Let go of what the store holds open (nothing, for the store in memory)."""


class MemoryRegistry(Registry):
    def __init__(self) -> None:
        self._apps: dict[tuple[str, str], AppRegistration] = {}
        self._lock = threading.Lock()

    def register(self, machine: str, app: AppRegistration) -> bool:
        with self._lock:
            if (machine, app.guid) in self._apps:
                return False
            self._apps[(machine, app.guid)] = app
            return True

    def unregister(self, machine: str, guid: str) -> bool:
        with self._lock:
            return self._apps.pop((machine, guid), None) is not None

    def lookup(self, machine: str, guid: str) -> AppRegistration | None:
        with self._lock:
            return self._apps.get((machine, guid))


_SCHEMA = """CREATE TABLE IF NOT EXISTS apps (
    machine TEXT NOT NULL,
    guid TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    path TEXT NOT NULL,
    flags INTEGER NOT NULL,
    registered REAL NOT NULL,
    PRIMARY KEY (machine, guid)
)"""

_BUSY_SECONDS = 30.0


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class SqliteRegistry(Registry):
    """Registrations in an SQLite file shared by every world and process that names it."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None

    def _retry(self, action: Callable[[], T]) -> T:
        """Run action, waiting out a lock held by another process (beyond SQLite's own busy wait)."""
        deadline = time.monotonic() + _BUSY_SECONDS
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _connection(self) -> sqlite3.Connection:
        """This process's connection, opened on first use: an SQLite connection must not cross a fork. Any
        thread may use it (the TCP server serves each client on a thread of its own; `_lock` keeps them in turn),
        and `timeout` is SQLite's own busy wait."""
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RegistryError(f"{self.path}: cannot make the folder {exc.filename}: {exc.strerror}") from exc
        conn = sqlite3.connect(str(self.path), timeout=_BUSY_SECONDS, isolation_level=None,
                               check_same_thread=False)
        self._retry(lambda: conn.execute("PRAGMA journal_mode=WAL").fetchone())
        conn.execute("PRAGMA synchronous=NORMAL")
        self._retry(lambda: conn.execute(_SCHEMA))
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _run(self, action: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            try:
                conn = self._connection()
                return self._retry(lambda: action(conn))
            except sqlite3.Error as exc:
                raise RegistryError(f"{self.path}: {exc}") from exc

    def register(self, machine: str, app: AppRegistration) -> bool:
        def insert(conn: sqlite3.Connection) -> bool:
            try:
                conn.execute("INSERT INTO apps (machine, guid, name, url, path, flags, registered) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (machine, app.guid, app.name, app.url, app.path, app.flags, time.time()))
            except sqlite3.IntegrityError:
                return False
            return True
        return self._run(insert)

    def unregister(self, machine: str, guid: str) -> bool:
        return self._run(lambda conn: conn.execute("DELETE FROM apps WHERE machine = ? AND guid = ?",
                                                   (machine, guid)).rowcount > 0)

    def lookup(self, machine: str, guid: str) -> AppRegistration | None:
        row = self._run(lambda conn: conn.execute(
            "SELECT guid, name, url, path, flags FROM apps WHERE machine = ? AND guid = ?",
            (machine, guid)).fetchone())
        return AppRegistration(*row) if row else None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


def configured_path(path: str | os.PathLike | None) -> str | None:
    """The SQLite file to use: the path given, else the environment variable, else None (in memory)."""
    if path is not None:
        return os.fspath(path)
    return os.environ.get(ENV_VAR) or None
