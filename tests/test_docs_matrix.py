"""The site from several reports: a conformance matrix page and every implementation's verdict per requirement;
one report gives the pages it gave before. The reports are made by running the suite."""
from __future__ import annotations

import html
import re

import pytest

from msgrspec.docs.pages import CONFORMANCE_PAGE, MATRIX_PAGE, generate_pages
from msgrspec.loader import load_spec

SEEDED_ID = "SESSION_STATE.SS_CONNECTED#value"
MEMBER_PAGE = "reference/interfaces/IMsgrSessionManager/RegisterApplication.md"


@pytest.fixture(scope="module")
def three(suite_reports):
    return [suite_reports[name] for name in ("reference", "before", "no_lock")]


def plain(markup: str) -> str:
    """The text of some HTML: tags left out, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def matrix_rows(page: str) -> list[str]:
    return re.findall(r"<tr(?: data-same=\"\")?><td>.*?</tr>", page)


def test_three_reports_give_a_matrix_whose_same_rows_are_marked(three):
    site = generate_pages(load_spec(), three)
    assert CONFORMANCE_PAGE not in site.pages
    page = site.pages[MATRIX_PAGE]
    rows = matrix_rows(page)
    same = [row for row in rows if row.startswith('<tr data-same="">')]
    differing = [row for row in rows if not row.startswith('<tr data-same="">')]
    assert len(rows) > 300 and 0 < len(differing) < len(rows) - 200
    assert f"{len(differing)} of {len(rows)} rows differ" in page
    seeded = [row for row in differing if plain(row).startswith(SEEDED_ID + "passed")]
    assert len(seeded) == 1 and seeded[0].count("msgrspec-fail") == 1  # failed for the seeded implementation only
    assert all(row.count("msgrspec-pass") == 3 for row in same if "passed" in row)
    assert page.count("<th>") == 4 and "my implementation 1.0 [seeded:before]" in plain(page)
    assert "<script>" in page and "http" not in page.split("<script>")[1]  # nothing loaded from elsewhere


def test_member_pages_give_each_implementations_verdict_per_requirement(three):
    page = generate_pages(load_spec(), three).pages[MEMBER_PAGE]
    verdicts = [line for line in page.splitlines() if line.strip().startswith("verdicts:")]
    assert verdicts and all(line.count("msgrspec-status") == 3 for line in verdicts)
    assert all("msgrspec reference implementation 0.1.0 [reference]" in plain(line) for line in verdicts)


def test_one_report_gives_the_pages_of_today(three):
    site = generate_pages(load_spec(), three[0])
    assert CONFORMANCE_PAGE in site.pages and MATRIX_PAGE not in site.pages
    assert "verdicts:" not in site.pages[MEMBER_PAGE] and "msgrspec-status" in site.pages[MEMBER_PAGE]


def test_the_plugin_report_option_takes_a_file_or_a_list(tmp_path):
    from msgrspec.docs.plugin import MsgrspecPluginConfig

    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for path in (first, second):
        path.write_text("{}", encoding="utf-8")
    for value, expected in ((str(first), [str(first)]), ([str(first), str(second)], [str(first), str(second)]),
                            ("a.json", [str(first)])):
        config = MsgrspecPluginConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
        config.load_dict({"report": value})
        errors, _ = config.validate()
        assert not errors and config.report == expected, (value, errors, config.report)
    config = MsgrspecPluginConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
    config.load_dict({"report": [str(first), str(tmp_path / "missing.json")]})
    errors, _ = config.validate()
    assert errors and "missing.json" in str(errors[0][1])
