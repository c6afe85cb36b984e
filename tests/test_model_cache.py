"""The cache of validated models: keyed by content, never stale, never needed."""
from __future__ import annotations

import os
import pickle
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from msgrspec import SpecError, load_spec, modelcache, resources


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("MSGRSPEC_CACHE_DIR", str(folder))
    monkeypatch.delenv("MSGRSPEC_NO_CACHE", raising=False)
    monkeypatch.setattr(modelcache, "_memory", modelcache.OrderedDict())
    return folder


@pytest.fixture
def spec_copy(tmp_path):
    copy = tmp_path / "spec"
    shutil.copytree(resources.spec_dir(), copy)
    return copy


def _forget_memory():
    modelcache._memory.clear()


def test_a_second_load_in_the_process_is_the_same_model(cache, spec_copy):
    assert load_spec(spec_copy) is load_spec(spec_copy)


def test_another_process_gets_the_model_from_disk(cache, spec_copy):
    first = load_spec(spec_copy)
    assert len(list(cache.glob("spec-*.pickle"))) == 1
    _forget_memory()
    second = load_spec(spec_copy)
    assert second is not first
    assert second == first and second.digest == first.digest
    assert second.errata_for("IMsgrSession") == first.errata_for("IMsgrSession")


def test_a_changed_file_is_never_served_from_the_cache(cache, spec_copy):
    before = load_spec(spec_copy)
    path = spec_copy / "interfaces" / "IMsgrSessionManager.yaml"
    path.write_text(path.read_text().replace("        dispid: 3\n", "        dispid: 33\n", 1))
    after = load_spec(spec_copy)
    assert after.digest != before.digest
    assert after.resolve("IMsgrSessionManager.UnRegisterApplication").dispid == 33
    _forget_memory()
    assert load_spec(spec_copy).resolve("IMsgrSessionManager.UnRegisterApplication").dispid == 33


def test_a_broken_spec_is_checked_every_time(cache, spec_copy):
    path = spec_copy / "coclasses.yaml"
    path.write_text(path.read_text().replace("default_interface: IMsgrSessionManager",
                                             "default_interface: IMsgrNothing", 1))
    for _ in range(2):
        with pytest.raises(SpecError, match="IMsgrNothing"):
            load_spec(spec_copy)
    assert not list(cache.glob("spec-*.pickle"))


def test_a_damaged_entry_is_a_miss(cache, spec_copy):
    first = load_spec(spec_copy)
    (entry,) = cache.glob("spec-*.pickle")
    entry.write_bytes(b"not a pickle")
    _forget_memory()
    assert load_spec(spec_copy) == first
    assert entry.read_bytes() != b"not a pickle"  # written again


def test_an_entry_under_the_wrong_key_is_not_taken(cache, spec_copy, tmp_path):
    first = load_spec(spec_copy)
    (entry,) = cache.glob("spec-*.pickle")
    other_copy = tmp_path / "other"
    shutil.copytree(spec_copy, other_copy)
    other = load_spec(other_copy)  # the same files elsewhere: the same digest, other places
    (other_entry,) = set(cache.glob("spec-*.pickle")) - {entry}
    shutil.copyfile(other_entry, entry)
    _forget_memory()
    again = load_spec(spec_copy)
    assert again == first == other
    assert again.resolve("IMsgrSession").loc.file.startswith(str(spec_copy))


def test_no_cache_on_disk_when_switched_off(cache, spec_copy, monkeypatch):
    monkeypatch.setenv("MSGRSPEC_NO_CACHE", "1")
    load_spec(spec_copy)
    assert not cache.exists()


def test_a_folder_others_may_write_to_is_not_read(cache, spec_copy):
    first = load_spec(spec_copy)
    (entry,) = cache.glob("spec-*.pickle")
    entry.write_bytes(b"planted")
    cache.chmod(0o777)
    try:
        _forget_memory()
        assert load_spec(spec_copy) == first
        assert entry.read_bytes() == b"planted"  # neither read (a damaged entry would go) nor replaced
    finally:
        cache.chmod(0o700)


class _Planted:
    """A pickle that, when loaded, creates a file: proof that the cache ran code it should not have read."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_folder_swapped_in_after_the_check_is_not_read(cache, spec_copy, tmp_path, monkeypatch):
    """Someone who may write to the cache folder's parent puts their own folder in its place right after
    the cache has checked it (stat of the path, or fstat of what it opened): the planted pickle is not
    loaded."""
    first = load_spec(spec_copy)
    (entry,) = cache.glob("spec-*.pickle")
    marker = tmp_path / "planted-pickle-ran"
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / entry.name).write_bytes(pickle.dumps(_Planted(marker)))
    planted.chmod(0o777)
    trusted_inode = cache.stat().st_ino
    real_stat, real_fstat = os.stat, os.fstat
    swapped = []

    def swap() -> None:
        if not swapped:
            swapped.append(True)
            cache.rename(tmp_path / "moved-away")
            planted.rename(cache)

    def checking_stat(path, *args, **kwargs):
        result = real_stat(path, *args, **kwargs)
        if isinstance(path, (str, os.PathLike)) and Path(path) == cache:
            swap()
        return result

    def checking_fstat(fd):
        result = real_fstat(fd)
        if stat.S_ISDIR(result.st_mode) and result.st_ino == trusted_inode:
            swap()
        return result

    _forget_memory()
    monkeypatch.setattr(os, "stat", checking_stat)
    monkeypatch.setattr(os, "fstat", checking_fstat)
    again = load_spec(spec_copy)
    monkeypatch.undo()
    assert swapped, "the cache never checked its folder"
    assert not marker.exists(), "the cache loaded a pickle from a folder swapped in after its check"
    assert again == first


def test_a_link_in_place_of_an_entry_is_not_followed(cache, spec_copy, tmp_path):
    first = load_spec(spec_copy)
    (entry,) = cache.glob("spec-*.pickle")
    marker = tmp_path / "planted-pickle-ran"
    elsewhere = tmp_path / "elsewhere.pickle"
    elsewhere.write_bytes(pickle.dumps(_Planted(marker)))
    entry.unlink()
    entry.symlink_to(elsewhere)
    _forget_memory()
    assert load_spec(spec_copy) == first
    assert not marker.exists()
    assert not entry.is_symlink()  # removed, and the model written again


def test_temporary_files_of_dead_writers_are_removed(cache, spec_copy, tmp_path):
    load_spec(spec_copy)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    killed = cache / f".spec-{dead_pid}-0123456789abcdef.tmp"  # a writer killed mid-write
    old = cache / f".spec-{os.getpid()}-0123456789abcdef.tmp"  # long ago, by a process whose id is reused
    legacy = cache / ".spec-k2j4h5.tmp"  # the name an earlier msgrspec gave, left long ago
    live = cache / f".spec-{os.getpid()}-fedcba9876543210.tmp"  # being written now
    for path in (killed, old, legacy, live):
        path.write_bytes(b"\0" * 1024)
    an_hour_ago = time.time() - 3600
    for path in (old, legacy):
        os.utime(path, (an_hour_ago, an_hour_ago))
    path = spec_copy / "pages.yaml"
    path.write_text(path.read_text() + "\n")  # another spec: a miss, and a write
    _forget_memory()
    load_spec(spec_copy)
    assert not killed.exists() and not old.exists() and not legacy.exists()
    assert live.exists()
