"""Shared fixtures: a small, valid spec that tests break one way at a time; the --strict-skips option."""
from __future__ import annotations

from pathlib import Path

import pytest

MINI_SPEC = {
    "library.yaml": """\
library:
  name: MiniLib
  libid: "{11111111-0000-0000-0000-000000000001}"
  version: "1.0"
  summary: A tiny library for tests.
  support: {min_client: A, min_server: B, end_client: C, end_server: D, product: P, header: h.h, idl: i.idl, dll: d.dll}
  source: {pages: [mini.md], origin: pages}
pages:
  mini.md: {title: Mini, documents: IMini}
hresults:
  S_OK: {value: 0x0, summary: Success., source: {origin: sdk}}
  E_INVALIDARG: {value: 0x80070057, summary: A bad argument., source: {origin: sdk}}
""",
    "interfaces/IMini.yaml": """\
interfaces:
  IMini:
    iid: "{11111111-0000-0000-0000-000000000002}"
    base: IDispatch
    flags: [dual]
    summary: A tiny interface.
    source: {pages: [mini.md], origin: both}
    members:
      - name: Ping
        kind: method
        dispid: 1
        summary: Does nothing.
        params:
          - {name: bstrText, type: BSTR, dir: in, constraints: [{kind: max_length, value: 3, error: E_INVALIDARG}]}
        returns:
          - {code: S_OK, meaning: Fine.}
        source: {pages: [mini.md], origin: both}
      - name: Name
        kind: property
        dispid: 2
        type: BSTR
        access: read-only
        accessors: [get]
        summary: A name.
        source: {pages: [mini.md], origin: both}
""",
}


def write_spec(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return root


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--strict-skips", action="store_true",
                     help="fail, instead of skipping, a test whose tool, Python package, browser or source folder "
                          "is missing (what CI=true does; see tests/toolchain.py)")


def pytest_configure(config: pytest.Config) -> None:
    import toolchain

    toolchain.STRICT_OPTION = config.getoption("--strict-skips")


@pytest.fixture
def mini_spec(tmp_path: Path) -> Path:
    """A folder holding a small valid spec."""
    return write_spec(tmp_path / "spec", MINI_SPEC)


@pytest.fixture(scope="session")
def wine():
    """A started Wine prefix (see toolchain.WinePrefix), shared by the whole run and stopped after it."""
    from toolchain import WinePrefix, require, wine_root

    require("wine", "wineboot", "wineserver")
    prefix = WinePrefix(wine_root())
    prefix.start()
    yield prefix
    prefix.stop()


@pytest.fixture(scope="session")
def suite_reports(tmp_path_factory) -> dict[str, Path]:
    """Reports made by running the suite (tests/suite_reports.py): "before" and "after" are one implementation
    before and after a fix of broken_variants.wrong_enum_value; "reference" the reference, "no_lock" a variant."""
    from suite_reports import make_reports

    return make_reports(tmp_path_factory.mktemp("suite-reports"),
                        {"before": "seeded:before", "after": "seeded:after", "reference": "reference",
                         "no_lock": "broken_variants:no_imsgrlock_interface"})
