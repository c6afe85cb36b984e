"""The cache of validated models: keyed by content, never stale, never needed."""
from __future__ import annotations

import shutil

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
