"""The reference implementation's application registry: SQLite under concurrency and crashes, and in memory."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from msgrspec.adapter import ObjRef
from msgrspec.reference import ENV_VAR, AppRegistration, ReferenceAdapter, SqliteRegistry, codes, registry

APP = ("msgrspec probe", "http://example.invalid/probe", "C:\\Program Files\\msgrspec\\probe.exe", 0)

#: a process registering applications through the reference's API: argv = store, count (0: for ever), tag
_WORKER = """
import sys, uuid
from msgrspec.reference import ReferenceAdapter
path, count, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
adapter = ReferenceAdapter(registry_path=path, features=frozenset({"registry"}))
party = adapter.open_world().local
manager = party.create("MsgrSessionManager").value
print("ready", flush=True)
i = 0
while count == 0 or i < count:
    guid = "{" + str(uuid.uuid4()).upper() + "}"
    outcome = party.call(manager, "RegisterApplication", [guid, f"{tag} {i}", "http://example.invalid/",
                                                           "C:\\\\msgrspec\\\\app.exe", 0])
    if outcome.hr != 0:
        print(f"failed 0x{outcome.hr:08X} {party.output()}", flush=True)
        sys.exit(1)
    print(guid, flush=True)
    i += 1
"""


def _worker(path: Path, count: int, tag: str) -> subprocess.Popen:
    env = {**os.environ}
    env.pop(ENV_VAR, None)
    return subprocess.Popen([sys.executable, "-c", _WORKER, str(path), str(count), tag], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _completed(output: str) -> list[str]:
    """The GUIDs a worker reported as registered: only whole lines (a killed worker may leave half a line)."""
    lines = output.split("\n")[:-1]  # the text after the last newline is not a complete line
    return [line for line in lines if line.startswith("{")]


def _stored(store: Path) -> set[str]:
    """The GUIDs registered on the local machine, read from the file with SQLite itself, after SQLite's own
    check that the file is sound."""
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "the store is damaged"
        return {guid for (guid,) in conn.execute("SELECT guid FROM apps WHERE machine = 'local'")}


def _manager(party) -> ObjRef:
    created = party.create("MsgrSessionManager")
    assert created.ok
    return created.value


def _register(party, manager, guid: str) -> int:
    return party.call(manager, "RegisterApplication", [guid, *APP]).hr


def test_concurrent_registrations_from_several_processes_are_all_kept(tmp_path):
    store = tmp_path / "apps.sqlite"
    workers = [_worker(store, 50, f"worker {n}") for n in range(4)]
    registered: list[str] = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, f"a worker failed:\n{out}\n{err}"
        registered += _completed(out)
    assert len(registered) == 200 and len(set(registered)) == 200
    stored = _stored(store)
    assert stored == set(registered), f"{len(set(registered) - stored)} registrations were lost"


def test_concurrent_registrations_of_one_guid_succeed_once(tmp_path):
    store = tmp_path / "apps.sqlite"
    guids = ["{" + str(uuid.uuid4()).upper() + "}" for _ in range(20)]
    script = """
import sys
from msgrspec.reference import ReferenceAdapter
adapter = ReferenceAdapter(registry_path=sys.argv[1], features=frozenset({"registry"}))
party = adapter.open_world().local
manager = party.create("MsgrSessionManager").value
for guid in sys.argv[2:]:
    print(guid, party.call(manager, "RegisterApplication",
                           [guid, "app", "http://example.invalid/", "C:\\\\app.exe", 0]).hr, flush=True)
"""
    workers = [subprocess.Popen([sys.executable, "-c", script, str(store), *guids], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(4)]
    winners: dict[str, int] = {guid: 0 for guid in guids}
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        for line in out.splitlines():
            guid, hr = line.split()
            assert int(hr) in (codes.S_OK, codes.SR_APP_ALREADY_REGISTERED), line
            winners[guid] += int(hr) == codes.S_OK
    assert set(winners.values()) == {1}, f"a GUID was registered more or less than once: {winners}"


def test_a_process_killed_while_writing_leaves_the_store_readable(tmp_path):
    store = tmp_path / "apps.sqlite"
    worker = _worker(store, 0, "doomed")
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready", worker.stderr.read() if worker.stderr else ""
    reported: list[str] = []
    while len(reported) < 40:  # let it get well into its loop of writes, then kill it in the middle of one
        line = worker.stdout.readline()
        assert line.startswith("{"), f"the worker stopped: {line!r} {worker.stderr.read() if worker.stderr else ''}"
        reported.append(line.strip())
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    rest = worker.stdout.read()  # through the same buffered reader: communicate() would skip what it holds
    assert worker.returncode == -signal.SIGKILL
    reported += _completed(rest)
    stored = _stored(store)
    missing = [guid for guid in reported if guid not in stored]
    assert not missing, f"{len(missing)} registrations reported complete are missing, e.g. {missing[:3]}"
    assert len(stored) - len(reported) <= 1, "more registrations stored than the worker can have made"
    # the store takes new registrations as before
    adapter = ReferenceAdapter(registry_path=store, features=frozenset({"registry"}))
    try:
        party = adapter.open_world().local
        assert _register(party, _manager(party), "{" + str(uuid.uuid4()).upper() + "}") == codes.S_OK
    finally:
        adapter.close()


def test_in_memory_registry_is_private_to_a_world(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    adapter = ReferenceAdapter(features=frozenset({"registry"}))
    assert adapter.registry_path is None
    first, second = adapter.open_world(), adapter.open_world()
    guid = "{" + str(uuid.uuid4()).upper() + "}"
    manager = _manager(first.local)
    assert _register(first.local, manager, guid) == codes.S_OK
    assert _register(first.local, manager, guid) == codes.SR_APP_ALREADY_REGISTERED
    assert _register(second.local, _manager(second.local), guid) == codes.S_OK, "a world saw another world's registry"
    assert first.local.call(manager, "UnRegisterApplication", [guid]).hr == codes.S_OK
    assert first.local.call(manager, "UnRegisterApplication", [guid]).hr == codes.SR_APP_NOT_REGISTERED


def test_each_party_has_its_own_machine(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    world = ReferenceAdapter(features=frozenset({"peer", "registry"})).open_world()
    guid = "{" + str(uuid.uuid4()).upper() + "}"
    assert world.peer is not None
    assert _register(world.local, _manager(world.local), guid) == codes.S_OK
    assert _register(world.peer, _manager(world.peer), guid) == codes.S_OK, "the two parties share one registry"


def test_environment_variable_selects_an_sqlite_store(tmp_path, monkeypatch):
    store = tmp_path / "from-env.sqlite"
    monkeypatch.setenv(ENV_VAR, str(store))
    adapter = ReferenceAdapter(features=frozenset({"registry"}))
    try:
        assert adapter.registry_path == str(store)
        guid = "{" + str(uuid.uuid4()).upper() + "}"
        world = adapter.open_world()
        assert _register(world.local, _manager(world.local), guid) == codes.S_OK
        other = adapter.open_world()  # worlds share the store: it is machine state
        assert _register(other.local, _manager(other.local), guid) == codes.SR_APP_ALREADY_REGISTERED
    finally:
        adapter.close()
    assert guid in _stored(store)


def test_an_unusable_store_gives_regdb_e_writeregdb(tmp_path):
    store = tmp_path / "apps.sqlite"
    store.mkdir()  # a folder where the file should be: SQLite cannot open it
    adapter = ReferenceAdapter(registry_path=store, features=frozenset({"registry"}))
    party = adapter.open_world().local
    guid = "{" + str(uuid.uuid4()).upper() + "}"
    outcome = party.call(_manager(party), "RegisterApplication", [guid, *APP])
    assert outcome.hr == codes.REGDB_E_WRITEREGDB
    assert "apps.sqlite" in party.output(), "the failure was not logged"


def test_an_unusable_store_makes_putting_application_fail(tmp_path):
    """No page lists a code for a registry that cannot be read; the reference answers E_FAIL and logs why."""
    store = tmp_path / "apps.sqlite"
    store.mkdir()
    party = ReferenceAdapter(registry_path=store, features=frozenset({"registry"})).open_world().local
    session = party.call(_manager(party), "CreateSession").value
    assert party.put(session, "Application", "{" + str(uuid.uuid4()).upper() + "}").hr == 0x80004005  # E_FAIL
    assert "registry lookup: " in party.output(), "the failure was not logged"


def _guid() -> str:
    return "{" + str(uuid.uuid4()).upper() + "}"


def test_a_store_in_folders_that_do_not_exist_yet_makes_them(tmp_path):
    store = tmp_path / "machine" / "msgrspec" / "apps.sqlite"
    adapter = ReferenceAdapter(registry_path=store, features=frozenset({"registry"}))
    try:
        party = adapter.open_world().local
        guid = _guid()
        assert _register(party, _manager(party), guid) == codes.S_OK, party.output()
    finally:
        adapter.close()
    assert guid in _stored(store)


def test_a_store_is_served_to_every_thread(tmp_path):
    """The TCP server serves each client on a thread of its own, over one adapter and so one store."""
    adapter = ReferenceAdapter(registry_path=tmp_path / "apps.sqlite", features=frozenset({"registry"}))
    answers: list[int] = []

    def register() -> None:
        party = adapter.open_world().local
        answers.append(_register(party, _manager(party), _guid()))

    try:
        register()  # opens the store's connection on this thread
        other = threading.Thread(target=register)
        other.start()
        other.join(timeout=60)
    finally:
        adapter.close()
    assert answers == [codes.S_OK, codes.S_OK]


def test_a_store_can_be_closed_more_than_once_and_opens_again_when_used(tmp_path):
    store = SqliteRegistry(tmp_path / "apps.sqlite")
    store.close()  # never opened: nothing to let go of
    guid = _guid()
    assert store.register("local", AppRegistration(guid, *APP))
    store.close()
    store.close()
    try:
        assert store.lookup("local", guid) == AppRegistration(guid, *APP)
    finally:
        store.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_process_opens_a_connection_of_its_own(tmp_path):
    """An SQLite connection must not be used across a fork: the child opens its own and leaves the parent's
    alone, and the parent goes on with the one it had."""
    store = SqliteRegistry(tmp_path / "apps.sqlite")
    first, second = _guid(), _guid()
    try:
        assert store.register("local", AppRegistration(first, *APP))
        inherited = store._connection()
        child = os.fork()
        if child == 0:  # pragma: no cover - the child reports through its exit status
            try:
                own = store._connection()
                fine = own is not inherited and store.register("local", AppRegistration(second, *APP)) \
                    and store.lookup("local", first) is not None
                store.close()
            except BaseException:  # noqa: BLE001 - whatever happens, the child must not return into pytest
                fine = False
            os._exit(0 if fine else 1)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0, "the child used the parent's connection or failed"
        assert store._connection() is inherited, "the parent opened another connection"
        assert store.lookup("local", second) == AppRegistration(second, *APP)
    finally:
        store.close()


def test_a_busy_store_is_waited_for_and_any_other_error_comes_back_at_once(tmp_path, monkeypatch):
    """SQLite can report a locked or busy database without waiting (while another process sets up its WAL
    file, say): the store tries again until its deadline, and gives any other error back on the first try."""
    monkeypatch.setattr(registry, "_BUSY_SECONDS", 0.5)
    store = SqliteRegistry(tmp_path / "apps.sqlite")
    answers = iter([sqlite3.OperationalError("database is locked"), sqlite3.OperationalError("database is busy"),
                    "done"])

    def locked_twice() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert store._retry(locked_twice) == "done"
    tries: list[int] = []

    def broken() -> None:
        tries.append(1)
        if len(tries) > 1:
            raise AssertionError("an error that is not about a lock was tried again")
        raise sqlite3.OperationalError("no such table: apps")

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        store._retry(broken)

    def always_locked() -> None:
        raise sqlite3.OperationalError("database is locked")

    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store._retry(always_locked)
    assert 0.5 <= time.monotonic() - started < 10, "the store did not wait until its deadline, or waited on"


def test_a_store_whose_folder_cannot_be_made_gives_regdb_e_writeregdb_with_the_reason(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    store = blocker / "registry" / "apps.sqlite"
    adapter = ReferenceAdapter(registry_path=store, features=frozenset({"registry"}))
    party = adapter.open_world().local
    manager = _manager(party)
    for method, args in (("RegisterApplication", ["{" + str(uuid.uuid4()).upper() + "}", *APP]),
                         ("UnRegisterApplication", ["{" + str(uuid.uuid4()).upper() + "}"])):
        outcome = party.call(manager, method, args)
        assert outcome.hr == codes.REGDB_E_WRITEREGDB, f"{method}: 0x{outcome.hr & 0xFFFFFFFF:08X}"
        logged = party.output()
        assert f"{method}: {store}: cannot make the folder {blocker / 'registry'}: Not a directory" in logged, logged
        assert "Traceback" not in logged
