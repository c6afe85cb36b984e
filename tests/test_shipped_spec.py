"""The shipped spec: it validates, every file is wired to the schema for editors, and its parts agree."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from msgrspec import load_spec, resources
from msgrspec.loader import spec_files
from msgrspec.model import Method, Property

SPEC_DIR = resources.spec_dir()
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<path>\S+)$")


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def test_the_shipped_spec_validates(spec):
    assert spec.library.name == "MessengerPrivate"


@pytest.mark.parametrize("path", spec_files(SPEC_DIR), ids=lambda p: p.relative_to(SPEC_DIR).as_posix())
def test_every_file_names_the_schema_for_editors(path: Path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = MODELINE.match(first)
    assert match, f"{path}: the first line must be a yaml-language-server schema comment"
    assert (path.parent / match["path"]).resolve() == (Path(resources.__file__).parent / "schema" /
                                                       "spec.schema.json").resolve()


def test_the_whole_library_is_covered(spec):
    assert set(spec.interfaces) >= {"IMsgrSessionManager", "IMsgrSession", "IMsgrLock", "IMessengerPrivate",
                                     "IMessengerContact"}
    assert set(spec.dispinterfaces) == {"DMsgrSessionManagerEvents", "DMsgrSessionEvents", "DMessengerPrivateEvents"}
    assert set(spec.coclasses) == {"MsgrSessionManager", "MsgrSession", "MessengerPriv"}
    assert set(spec.enums) == {"SESSION_STATE", "SESSION_FLAGS", "SESSION_RESULT", "LockStatus", "LockError"}
    assert spec.interfaces["IMessengerContact"].is_external


def test_every_item_cites_its_source(spec):
    for item in spec.items():
        assert item.source.origin in ("pages", "typelib", "both", "sdk", "spec"), item.qualname
        if item.source.origin in ("pages", "both"):
            assert item.source.pages, f"{item.qualname} says it comes from the pages but cites none"


def test_every_hresult_named_by_a_member_is_in_the_table(spec):
    for interface in spec.interfaces.values():
        for member in interface.members:
            for code in member.returns:
                assert code.code in spec.hresults


def test_model_is_immutable(spec):
    with pytest.raises(TypeError):
        spec.interfaces["X"] = None
    member = spec.resolve("IMsgrSessionManager.RegisterApplication")
    assert isinstance(member, Method)
    with pytest.raises(AttributeError):
        member.name = "Other"


def test_property_access_matches_accessors(spec):
    for interface in spec.interfaces.values():
        for member in interface.members:
            if isinstance(member, Property) and member.access != "not-implemented":
                assert ("get" in member.accessors_declared) == member.readable, member.qualname
                assert ("put" in member.accessors_declared) == member.writable, member.qualname


def test_resolving_names(spec):
    assert spec.resolve("SESSION_STATE.SS_READY").value == 1
    assert spec.resolve("SR_APP_ALREADY_REGISTERED").value == 0x8100060D
    assert spec.resolve("DMsgrSessionEvents.OnAccepted").dispid == 105
    with pytest.raises(KeyError, match="no item named 'IMsgrNothing'"):
        spec.resolve("IMsgrNothing")
