"""The reference site: generated pages, escaping, report statuses, navigation, and strict builds."""
from __future__ import annotations

import html
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import markdown
import pytest
from click.testing import CliRunner

from conftest import MINI_SPEC, write_spec
from msgrspec import load_spec
from msgrspec.cli import main
from msgrspec.docs import ReportError, generate_pages, item_location, load_report
from msgrspec.docs import build as docs_build
from msgrspec.docs.markup import fence, identifier, paragraphs, table, text
from msgrspec.docs.pages import (CONFORMANCE_PAGE, ERRATA_PAGE, HRESULTS_PAGE, LIBRARY_PAGE, NAMES_PAGE,
                                 REQUIREMENTS_PAGE, SUPPORT_PAGE)
from msgrspec.docs.settings import MARKDOWN_EXTENSIONS
from msgrspec.idl import member_idl

ROOT = Path(__file__).resolve().parents[1]

EXTRA = {
    "requirements.yaml": """\
requirements:
  mini.ping.short:
    statement: Ping refuses a text longer than three characters with E_INVALIDARG.
    level: must
    applies_to: [IMini.Ping]
    codes: [E_INVALIDARG]
    source: {pages: [mini.md], origin: pages}
  mini.name.readable:
    statement: Name can be read.
    level: should
    applies_to: [IMini.Name]
    erratum: mini-name
    source: {pages: [mini.md], origin: pages}
""",
    "errata.yaml": """\
errata:
  mini-name:
    title: Access of IMini.Name
    kind: pages-vs-typelib
    subjects: [IMini.Name]
    readings:
      - {id: pages, says: The page calls it writable., sources: [mini.md]}
      - {id: typelib, says: The library declares only a getter., sources: [typelib]}
    adopted: typelib
    rationale: Accessors are a binary fact.
""",
}

#: text that would be markup if it reached a page unescaped
MARKUP = "<script>alert(1)</script> **bold** [link](https://example.invalid) a | b `tick` _em_ <b>x</b>"


def _markdown(source: str) -> str:
    """Render one page the way the site does (front matter stripped)."""
    body = source.split("\n---\n", 1)[1] if source.startswith("---\n") else source
    return markdown.markdown(body, extensions=list(MARKDOWN_EXTENSIONS),
                             extension_configs={k: v for k, v in MARKDOWN_EXTENSIONS.items() if v})


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def site(spec):
    return generate_pages(spec)


@pytest.fixture
def mini(tmp_path):
    return load_spec(write_spec(tmp_path / "spec", {**MINI_SPEC, **EXTRA}))


def _report(spec, statuses: dict[str, str], **extra) -> dict:
    tests = {f"t::{rid}": {"outcome": "failed" if status == "failed" else "passed", "requirements": [rid],
                           "item": spec.requirements[rid].applies_to[0], "message": "boom <b>x</b>"}
             for rid, status in statuses.items()}
    return {"format": "msgrspec-report", "version": 1, "adapter": "reference", "implementation": "Mini impl 1.0",
            "spec_sha256": spec.digest, "summary": {"passed": 1, "failed": 1},
            "requirements": {rid: {"status": s, "tests": [f"t::{rid}"]} for rid, s in statuses.items()},
            "tests": tests, **extra}


# ---------------------------------------------------------------- pages of the shipped spec

def test_every_item_has_its_page(spec, site):
    for item in spec.items():
        path, frag = item_location(item)
        assert path in site.pages, item.qualname
        if frag:
            assert f'id="{frag}"' in site.pages[path], item.qualname
    for group in (spec.coclasses, spec.interfaces, spec.dispinterfaces, spec.enums):
        for item in group.values():
            assert f"# {text(item.name)} " in site.pages[item_location(item)[0]]


def test_one_page_per_member_and_event_with_its_idl(spec, site):
    members = [m for i in spec.interfaces.values() for m in i.members]
    events = [e for d in spec.dispinterfaces.values() for e in d.events]
    paths = {item_location(m)[0] for m in members + events}
    assert len(paths) == len(members) + len(events)
    for interface in spec.interfaces.values():
        for member in interface.members:
            page = site.pages[item_location(member)[0]]
            declared = member_idl(member, interface.base == "IDispatch")
            assert re.sub(r"\s", "", declared) in re.sub(r"\s", "", page), member.qualname
            for section in ("## Syntax", "## Identification", "## Sources"):
                assert section in page
            for slot in (s for s in interface.vtable if s.name == member.name and s.accessor != "base"):
                assert f"<code>{slot.index}</code> (<code>{slot.accessor}</code>)" in page
            for ret in getattr(member, "returns", ()):
                assert f"#{ret.code})" in page
    for event in events:
        assert f"[id({event.dispid})] void {event.name}(" in site.pages[item_location(event)[0]]


def test_member_page_carries_support_requirements_and_errata(spec, site):
    member = spec.resolve("IMsgrSessionManager.RegisterApplication")
    page = site.pages[item_location(member)[0]]
    for label, value in member.support.rows():
        assert f"**{text(label)}** | {text(value)} |" in page
    for req in spec.requirements_for(member.qualname):
        assert f'<span id="{req.id}"></span>' in page
    for erratum in spec.errata_for(member.qualname):
        assert f"errata.md#{erratum.id})" in page
    for page_name in member.source.pages:
        assert f"<code>{text(page_name)}</code>" in page


def test_cross_cutting_pages(spec, site):
    errata = site.pages[ERRATA_PAGE]
    for erratum in spec.errata.values():
        assert f'<span id="{erratum.id}"></span>' in errata
        for reading in erratum.readings:
            assert f"<code>{text(reading.id)}</code>" in errata
    hresults = site.pages[HRESULTS_PAGE]
    for h in spec.hresults.values():
        assert f'<span id="{h.name}"></span>' in hresults and h.hex in hresults
    requirements = site.pages[REQUIREMENTS_PAGE]
    for rid in spec.requirements:
        assert f'<span id="{rid}"></span>' in requirements
    names = site.pages[NAMES_PAGE]
    for item in spec.items():
        assert f"[{text(item.qualname)}](" in names
    for rid in spec.requirements:
        assert f"[{text(rid)}](requirements.md#{rid})" in names
    support = site.pages[SUPPORT_PAGE]
    for interface in spec.interfaces.values():
        assert f"[{interface.name}](interfaces/{interface.name}/index.md)" in support
    assert CONFORMANCE_PAGE not in site.pages


def test_links_between_generated_pages_resolve(site):
    """Every relative .md link of a generated page names a generated page (and an anchor it has)."""
    for path, body in site.pages.items():
        for target in re.findall(r"\]\(([^)]+)\)", body):
            file, _, frag = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
            assert resolved in site.pages, f"{path}: {target}"
            if frag:
                assert f'id="{frag}"' in site.pages[resolved] or frag in _heading_ids(site.pages[resolved]), \
                    f"{path}: {target}"


def _heading_ids(body: str) -> set[str]:
    return {re.sub(r"[^\w-]", "", h.strip().lower().replace(" ", "-")) for h in re.findall(r"^#+ (.*)$", body, re.M)}


def test_nav_covers_every_page_once(site):
    seen: list[str] = []

    def walk(entries):
        for entry in entries:
            if isinstance(entry, str):
                seen.append(entry)
            else:
                (title, value), = entry.items()
                assert title
                walk(value) if isinstance(value, list) else seen.append(value)

    walk(site.nav)
    assert sorted(seen) == sorted(site.pages)
    (reference,) = site.nav
    sections = [next(iter(e)) for e in reference["Reference"] if isinstance(e, dict)]
    assert sections[:4] == ["Objects", "Interfaces", "Event interfaces", "Enumerations"]
    assert reference["Reference"][0] == LIBRARY_PAGE
    full = site.mkdocs_nav(["index.md", "overview.md", "spec-format.md", "extra.md"])
    assert full[:2] == [{"Home": "index.md"}, {"Overview": "overview.md"}]
    assert full[2] == reference and full[3:] == [{"Spec format": "spec-format.md"}, "extra.md"]


# ---------------------------------------------------------------- escaping

def test_markup_helpers_neutralise_markup():
    rendered = markdown.markdown(text(MARKUP))
    assert "<script>" not in rendered and "<strong>" not in rendered and "<a " not in rendered
    assert "<em>" not in rendered and "<b>" not in rendered
    assert html.unescape(re.sub(r"</?p>", "", rendered)) == MARKUP
    for start in ("- item", "1. item", "# head", "> quote", "=== x", "+ y", "    code"):
        assert not re.search(r"<(ul|ol|h1|blockquote|pre|h2)", markdown.markdown(paragraphs(start))), start
    rows = markdown.markdown(table(["a", "b"], [(text("x | y"), text("z"))]), extensions=["tables"])
    assert rows.count("<td>") == 2
    body = "x\n```\n<b>y</b>\n````"
    assert "<b>" not in markdown.markdown(fence(body), extensions=["fenced_code"])


def test_spec_text_never_reaches_the_page_as_markup(tmp_path):
    files = dict(MINI_SPEC)
    files["interfaces/IMini.yaml"] = (files["interfaces/IMini.yaml"]
                                      .replace("summary: Does nothing.", f"summary: {json.dumps(MARKUP)}")
                                      .replace("{code: S_OK, meaning: Fine.}", f"{{code: S_OK, meaning: {json.dumps(MARKUP)}}}"))
    files["interfaces/IMini.yaml"] = files["interfaces/IMini.yaml"].replace(
        "        source: {pages: [mini.md], origin: both}\n      - name: Name",
        f"        remarks: {json.dumps('```' + chr(10) + MARKUP + chr(10) + '* list')}\n"
        "        source: {pages: [mini.md], origin: both}\n      - name: Name", 1)
    spec = load_spec(write_spec(tmp_path / "spec", {**files, **EXTRA}))
    assert spec.resolve("IMini.Ping").summary == MARKUP
    site = generate_pages(spec)
    for path in (item_location(spec.resolve("IMini.Ping"))[0], item_location(spec.resolve("IMini"))[0]):
        rendered = _markdown(site.pages[path])
        assert "<script>" not in rendered and "<strong>bold" not in rendered and "<b>x" not in rendered
        assert 'href="https://example.invalid"' not in rendered and "<em>em" not in rendered
        assert "<li>list" not in rendered
        assert "&lt;script&gt;" in html.escape(html.unescape(rendered), quote=False)
    ping = _markdown(site.pages[item_location(spec.resolve("IMini.Ping"))[0]])
    row = next(r for r in re.findall(r"<tr>.*?</tr>", ping, re.S) if "0x00000000" in r)
    assert row.count("<td>") == 3  # the | in the meaning did not split the cell


# ---------------------------------------------------------------- reports

def test_report_statuses_appear(mini):
    report = _report(mini, {"mini.ping.short": "failed", "mini.name.readable": "passed"})
    site = generate_pages(mini, report)
    ping = site.pages[item_location(mini.resolve("IMini.Ping"))[0]]
    name = site.pages[item_location(mini.resolve("IMini.Name"))[0]]
    assert "msgrspec-fail" in ping and ">failed</span>" in ping and "Mini impl 1.0" in ping
    assert ">passed</span>" in name
    conformance = site.pages[CONFORMANCE_PAGE]
    assert "Mini impl 1.0" in conformance and "(the spec these pages show)" in conformance
    assert identifier("t::mini.ping.short") in conformance and "boom &#60;b&#62;x&#60;/b&#62;" in conformance
    assert "| Message |" not in conformance, "a message in a table column is clipped"
    assert {"Conformance": CONFORMANCE_PAGE} in site.nav[0]["Reference"]
    assert CONFORMANCE_PAGE not in generate_pages(mini).pages


def test_report_gaps_and_mismatches_are_shown(mini):
    report = _report(mini, {"mini.ping.short": "passed"}, spec_sha256="0" * 64)
    report["requirements"]["not.in.spec"] = {"status": "passed", "tests": []}
    conformance = generate_pages(mini, report).pages[CONFORMANCE_PAGE]
    assert "differs from the spec these pages show" in conformance
    assert "not.in.spec" in conformance
    name = generate_pages(mini, report).pages[item_location(mini.resolve("IMini.Name"))[0]]
    assert ">untested</span>" in name


def test_bad_reports_are_refused(tmp_path, mini):
    with pytest.raises(ReportError, match="not a msgrspec conformance report"):
        load_report({"format": "junit"})
    with pytest.raises(ReportError, match="version"):
        load_report({"format": "msgrspec-report", "version": 99})
    bad = _report(mini, {"mini.ping.short": "great"})
    with pytest.raises(ReportError, match="unknown status"):
        load_report(bad)
    path = tmp_path / "r.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReportError, match="not JSON"):
        load_report(path)


def test_errata_and_requirements_pages_of_a_small_spec(mini):
    site = generate_pages(mini)
    errata = site.pages[ERRATA_PAGE]
    assert "Access of IMini.Name" in errata and "**adopted**" in errata and "the binary type library" in errata
    assert "requirements.md#mini.name.readable" in errata
    name = site.pages[item_location(mini.resolve("IMini.Name"))[0]]
    assert "errata.md#mini-name" in name and '<span id="mini.name.readable"></span>' in name


# ---------------------------------------------------------------- builds

def _mkdocs_plugin_registered() -> bool:
    return any(ep.name == "msgrspec" for ep in importlib.metadata.entry_points(group="mkdocs.plugins"))


@pytest.fixture(scope="module")
def repo_build(tmp_path_factory):
    """`mkdocs build --strict` of the repository's mkdocs.yml."""
    if not _mkdocs_plugin_registered():
        pytest.fail("the mkdocs plugin `msgrspec` is not registered: pyproject.toml needs "
                    '[project.entry-points."mkdocs.plugins"] msgrspec = "msgrspec.docs.plugin:MsgrspecPlugin" '
                    "and the package reinstalled (pip install -e .)")
    site = tmp_path_factory.mktemp("site")
    env = {k: v for k, v in os.environ.items() if k != "MSGRSPEC_REPORT"}
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)], cwd=ROOT,
                         capture_output=True, text=True, env={**env, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, run.stderr[-4000:]
    assert "WARNING" not in run.stderr, run.stderr[-4000:]
    return site


def test_repository_config_builds_strictly(repo_build, spec):
    assert (repo_build / "index.html").is_file() and (repo_build / "overview" / "index.html").is_file()
    page = repo_build / "reference" / "interfaces" / "IMsgrSessionManager" / "RegisterApplication" / "index.html"
    assert "RegisterApplication" in page.read_text(encoding="utf-8")
    assert not (repo_build / "reference" / "conformance").exists()
    assert (repo_build / "assets" / "msgrspec.css").is_file()
    built = {p.parent.relative_to(repo_build).as_posix() for p in repo_build.rglob("index.html")}
    for item in spec.items():
        assert item_location(item)[0].removesuffix(".md").removesuffix("/index") in built


def test_repository_config_reads_the_report_from_the_environment(tmp_path, spec):
    if not _mkdocs_plugin_registered():
        pytest.skip("the mkdocs plugin is not registered (see test_repository_config_builds_strictly)")
    report = tmp_path / "report.json"
    report.write_text(json.dumps(_report(spec, {rid: "passed" for rid in spec.requirements})), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "MSGRSPEC_REPORT": str(report), "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, run.stderr[-4000:]
    assert "Mini impl 1.0" in (tmp_path / "site" / "reference" / "conformance" / "index.html").read_text()


def test_docs_build_command(tmp_path, spec):
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    first = next(iter(spec.requirements))
    report.write_text(json.dumps(_report(spec, {first: "failed"})), encoding="utf-8")
    result = CliRunner().invoke(main, ["docs", "build", "--report", str(report), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "site written to" in result.output
    assert (out / "index.html").is_file() and (out / "overview" / "index.html").is_file()
    conformance = (out / "reference" / "conformance" / "index.html").read_text(encoding="utf-8")
    assert "Mini impl 1.0" in conformance and first in conformance
    assert (out / "reference" / "interfaces" / "IMsgrSessionManager" / "RegisterApplication" / "index.html").is_file()


def test_docs_build_replaces_an_earlier_site(tmp_path, mini):
    out = tmp_path / "out"
    report = _report(mini, {"mini.ping.short": "failed"})
    docs_build.build_site(mini, out, report=report, docs_source=None)
    assert (out / "reference" / "conformance" / "index.html").is_file()
    docs_build.build_site(mini, out, docs_source=None)
    assert (out / "index.html").is_file() and not (out / "reference" / "conformance").exists()


def test_strict_build_fails_on_a_broken_link(tmp_path, mini):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("See [nothing](reference/interfaces/INothing/index.md).\n", encoding="utf-8")
    with pytest.raises(docs_build.BuildError, match="INothing"):
        docs_build.build_site(mini, tmp_path / "site", docs_source=docs)


def test_docs_build_refuses_to_replace_a_folder_that_is_not_a_site(tmp_path, mini):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["docs", "build", "--spec-dir", str(tmp_path / "spec"), "-o", str(out)])
    assert result.exit_code != 0 and "refusing" in result.output
    assert (out / "thesis.txt").read_text() == "keep me"


def test_docs_build_reports_bad_inputs(tmp_path, mini):
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(main, ["docs", "build", "--spec-dir", str(tmp_path / "spec"), "--report", str(bad),
                                       "-o", str(tmp_path / "o")])
    assert result.exit_code == 1 and "not a msgrspec conformance report" in result.output


@pytest.mark.parametrize("change, expected", [
    pytest.param({"tests": [1]}, r"tests: a JSON array, not an object", id="tests-a-list"),
    pytest.param({"requirements": "all"}, r"requirements: a JSON string, not an object", id="requirements-a-string"),
    pytest.param({"summary": {"passed": "many"}}, r"summary\.passed: 'many' is not a count", id="summary-not-a-count"),
    pytest.param({"tests": {"X#y": {"outcome": "passed", "requirements": 3}}},
                 r"tests\.X#y\.requirements: not a list of ids", id="requirements-of-a-test-not-a-list"),
    pytest.param(b'{"format":\n "caf\xe9"}', r"the file is not UTF-8: byte 0xe9", id="not-utf8"),
])
def test_docs_build_with_a_malformed_report_says_so_in_one_line(tmp_path, change, expected):
    """The command as a user runs it: one line naming the report and what is wrong, exit 1, no traceback."""
    bad = tmp_path / "bad.json"
    document = {"format": "msgrspec-report", "version": 1, "adapter": "reference"}
    bad.write_bytes(change if isinstance(change, bytes) else json.dumps({**document, **change}).encode())
    run = subprocess.run([sys.executable, "-m", "msgrspec", "docs", "build", "--report", str(bad), "-o",
                          str(tmp_path / "site")], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr[-3000:]
    (line,) = run.stderr.strip().splitlines()
    assert re.search(r"^Error: .*bad\.json" + (r":2:6: " if isinstance(change, bytes) else ": ") + expected, line), line
    assert not (tmp_path / "site").exists()


def test_build_from_the_spec_alone(tmp_path, mini):
    result = docs_build.build_site(mini, tmp_path / "site", docs_source=None)
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert result.engine == "mkdocs" and "MiniLib" in home


def test_handwritten_pages_are_found():
    found = docs_build.handwritten_dir()
    assert found is not None and (found / "index.md").is_file() and (found / "overview.md").is_file()


def test_zensical_missing_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(docs_build.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(docs_build.shutil, "which", lambda name: None)
    with pytest.raises(docs_build.BuildError, match=re.escape("pip install 'msgrspec[zensical]'")):
        docs_build._command("zensical", tmp_path / "mkdocs.yml")


def test_zensical_builds_the_same_pages(tmp_path, mini):
    pytest.importorskip("zensical", reason="Zensical is not installed (pip install 'msgrspec[zensical]')")
    result = docs_build.build_site(mini, tmp_path / "site", engine="zensical", docs_source=None)
    assert result.engine == "zensical"
    page = tmp_path / "site" / "reference" / "interfaces" / "IMini" / "Ping" / "index.html"
    assert "IMini.Ping" in page.read_text(encoding="utf-8")


# ---------------------------------------------------------------- layout of ids, sections and IDL

def test_ids_wrap_only_between_their_parts():
    marked = identifier("IMsgrSession.State#access")
    assert marked.startswith('<code class="msgrspec-id">')
    assert html.unescape(re.sub(r"<[^>]+>", "", marked)) == "IMsgrSession.State#access"
    assert marked.count("<wbr>") == 2 and "Msgr<wbr>" not in marked
    from msgrspec.docs.settings import EXTRA_CSS
    assert "code.msgrspec-id { word-break: normal; overflow-wrap: normal;" in EXTRA_CSS


def test_ledger_anchors_are_the_assertion_ids_and_links_reach_them():
    from msgrspec.cases import all_cases
    from msgrspec.docs.pages import LEDGER_PAGE

    spec = load_spec()
    ledger = generate_pages(spec).pages[LEDGER_PAGE]
    anchors = set(re.findall(r'<span id="([^"]+)"></span>', ledger))
    assert {html.escape(case.id, quote=True) for case in all_cases(spec)} <= anchors
    targets = set(re.findall(r"\]\(#([^)]+)\)", ledger))
    assert "IMsgrSession.State#access" in targets and targets <= anchors


def test_item_pages_tell_platform_support_from_normative_requirements():
    spec = load_spec()
    page = generate_pages(spec).pages[item_location(spec.resolve("IMsgrSessionManager.RegisterApplication"))[0]]
    headings = re.findall(r"^## (.+)$", page, re.M)
    assert "Platform support" in headings and "Normative requirements" in headings
    assert "Requirements" not in headings


def test_untestable_reasons_are_not_followed_by_a_semicolon():
    from msgrspec.docs.pages import REQUIREMENTS_PAGE

    spec = load_spec()
    page = generate_pages(spec).pages[REQUIREMENTS_PAGE]
    assert any(r.untestable for r in spec.requirements.values()) and "untestable: " in page
    assert ".;" not in page


def test_interface_pages_show_the_whole_declaration_as_idl_generates_it():
    from msgrspec.idl import generate_idl

    spec = load_spec()
    whole = [line.strip() for line in generate_idl(spec).splitlines()]
    site = generate_pages(spec)
    for item in [*[i for i in spec.interfaces.values() if not i.is_external], *spec.dispinterfaces.values()]:
        page = site.pages[item_location(item)[0]]
        block = re.search(r"^## IDL\n.*?```idl\n(.*?)\n```", page, re.S | re.M)
        assert block, item.name
        lines = [line.strip() for line in block.group(1).splitlines()]
        keyword = "interface" if item.name in spec.interfaces else "dispinterface"
        assert any(line.split(" :")[0] == f"{keyword} {item.name}" for line in lines), item.name
        runs = [i for i in range(len(whole)) if whole[i:i + len(lines)] == lines]
        assert runs, f"{item.name}: the page's IDL is not a part of `msgrspec idl`"
        members = item.members if keyword == "interface" else item.events
        assert sum(f" {m.name}(" in line for m in members for line in lines) >= len(members), item.name
