"""The built site in a real browser: it renders, its search works, and no internal link is broken.

Needs the Python `playwright` package and a Chromium; the tests skip, saying
which is missing, where either is absent (and fail in a strict run, see
tests/toolchain.py). A Chromium that is installed but does not start fails
the tests with its error. Set MSGRSPEC_CHROMIUM to use a particular browser
binary.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import threading
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from msgrspec import load_spec
from msgrspec.docs.build import build_site
from msgrspec.docs.settings import SITE_NAME
from toolchain import require, require_module

sync_api = require_module("playwright.sync_api")

SCREENSHOT = Path(os.environ.get("MSGRSPEC_SCREENSHOT", "/tmp/msgrspec-site.png"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _chromium() -> str | None:
    candidates = [os.environ.get("MSGRSPEC_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # the browser drops connections it no longer needs; anything else is reported as usual
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The site of the shipped spec, built by mkdocs and served on a free local port."""
    site = tmp_path_factory.mktemp("browser") / "site"
    build_site(load_spec(), site)
    httpd = _Server(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        require("chromium")  # none found: skip (fail when strict) naming the package
    with sync_api.sync_playwright() as p:
        try:
            launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except sync_api.Error as exc:  # an installed browser that does not start is a failure, not a skip
            pytest.fail(f"Chromium ({executable}) is installed but does not start: {exc}", pytrace=False)
        yield launched
        launched.close()


def _context(browser, server, scripts: bool):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, java_script_enabled=scripts)
    outside: list[str] = []

    def local_only(route):
        # the site must not need the network; a request elsewhere is noted and refused
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", local_only)
    return context, outside


@pytest.fixture
def page(browser, server):
    context, outside = _context(browser, server, scripts=True)
    yield context.new_page()
    context.close()
    assert not outside, f"the site asked for outside resources: {outside[:5]}"


@pytest.fixture
def static_page(browser, server):
    """A page without scripts: the link crawl reads the served HTML only, three times as fast."""
    context, outside = _context(browser, server, scripts=False)
    yield context.new_page()
    context.close()
    assert not outside, f"the site asked for outside resources: {outside[:5]}"


def test_home_page_renders(server, page):
    response = page.goto(server)
    assert response.status == 200
    assert SITE_NAME in page.title()
    tabs = page.locator(".md-tabs__link").all_inner_texts()
    assert [t.strip() for t in tabs][:3] == ["Home", "Overview", "Reference"]
    assert page.locator("h1").first.inner_text().strip().rstrip("¶") == "msgrspec"
    page.get_by_role("link", name="Reference", exact=True).first.click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith("/reference")
    assert page.locator(".md-nav__link", has_text="IMsgrSessionManager").count() > 0


def test_search_finds_register_application(server, page):
    page.goto(server)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    box.fill("RegisterApplication")
    result = page.locator(".md-search-result__item a[href*='RegisterApplication']").first
    result.wait_for(state="visible", timeout=20_000)
    result.click()
    page.wait_for_load_state()
    assert "/reference/interfaces/IMsgrSessionManager/RegisterApplication/" in page.url
    heading = page.locator("h1").first.inner_text()
    assert "IMsgrSessionManager.RegisterApplication" in heading
    page.keyboard.press("Escape")
    page.screenshot(path=str(SCREENSHOT))


@pytest.mark.parametrize("path, states", [
    ("reference/state-machines/SESSION_STATE/", {"SS_READY", "SS_INVITATION", "SS_CONNECTED", "SS_CANCELLED",
                                                 "SS_DECLINED"}),
    ("reference/enums/LockStatus/", {"LOCK_NOTINITIALIZED", "LOCK_INITIALIZED", "LOCK_PENDINGRESULT",
                                     "LOCK_UNLOCKED", "LOCK_UNLOCKFAILED", "LOCK_DISABLED"}),
])
def test_state_machine_diagram_is_drawn(server, page, path, states):
    """The diagram is drawn by the browser from inline SVG (nothing fetched): every state box has a size,
    lies inside the drawing, and the boxes do not overlap."""
    assert page.goto(server + path).status == 200
    drawing = page.locator("svg.msgrspec-machine").first
    drawing.wait_for(state="visible")
    outer = drawing.bounding_box()
    assert outer and outer["width"] > 300 and outer["height"] > 100, outer
    boxes = {}
    for state in states:
        box = page.locator(f"svg.msgrspec-machine g[data-state='{state}'] rect").first.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 20, (state, box)
        assert outer["x"] <= box["x"] and box["x"] + box["width"] <= outer["x"] + outer["width"] + 1, state
        boxes[state] = box
    assert set(page.locator("svg.msgrspec-machine g.msgrspec-state text").all_text_contents()) == states
    for a in boxes.values():
        overlapping = [b for b in boxes.values() if b is not a and abs(a["x"] - b["x"]) < a["width"]
                       and abs(a["y"] - b["y"]) < a["height"]]
        assert not overlapping, "state boxes overlap"
    assert page.locator("svg.msgrspec-machine g.msgrspec-transition path").count() >= 4


def test_every_internal_link_resolves(server, static_page):
    """Crawl from the home page: every same-origin link answers 200, and every #fragment exists on its page."""
    page = static_page
    origin = urlsplit(server).netloc
    seen_pages: dict[str, set[str]] = {}
    queue = deque([server])
    wanted: list[tuple[str, str, str]] = []  # (from page, target page, fragment)
    broken: list[str] = []
    while queue:
        url = queue.popleft()
        if url in seen_pages:
            continue
        response = page.goto(url, wait_until="domcontentloaded")
        if response is None or response.status != 200:
            broken.append(f"{url}: {response.status if response else 'no response'}")
            seen_pages[url] = set()
            continue
        ids, hrefs = page.evaluate("""() => [
            Array.from(document.querySelectorAll('[id]'), e => e.id),
            Array.from(document.querySelectorAll('a[href]'), e => e.getAttribute('href'))]""")
        seen_pages[url] = set(ids)
        for href in hrefs:
            target, fragment = urldefrag(urljoin(url, href))
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or parts.netloc != origin:
                continue
            if fragment:
                wanted.append((url, target, fragment))
            if target.endswith("/") or target.endswith(".html"):
                queue.append(target)
            elif target not in seen_pages:
                seen_pages[target] = set()
                status = page.request.get(target).status
                if status != 200:
                    broken.append(f"{target} (linked from {url}): {status}")
    missing = [f"{src} -> {target}#{frag}" for src, target, frag in wanted
               if target in seen_pages and frag not in seen_pages[target]
               and (target.endswith("/") or target.endswith(".html"))]
    assert len([u for u in seen_pages if u.endswith("/")]) > 80
    assert not broken, "\n".join(broken[:20])
    assert not missing, "\n".join(missing[:20])


@pytest.fixture(scope="module")
def matrix_server(tmp_path_factory, suite_reports):
    """The site built by `msgrspec docs build` from three reports made by running the suite, served locally."""
    import subprocess

    from suite_reports import COMMAND

    site = tmp_path_factory.mktemp("matrix") / "site"
    reports = [arg for name in ("reference", "before", "no_lock") for arg in ("--report", str(suite_reports[name]))]
    run = subprocess.run([COMMAND, "docs", "build", *reports, "-o", str(site)], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    httpd = _Server(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


def test_differences_only_shrinks_the_matrix(browser, matrix_server):
    context, outside = _context(browser, matrix_server, scripts=True)
    page = context.new_page()
    assert page.goto(matrix_server + "reference/matrix/").status == 200
    rows = page.locator("#msgrspec-matrix tbody tr:visible")
    before = rows.count()
    assert before > 300 and page.locator("#msgrspec-matrix thead th").count() == 4
    page.get_by_label("Differences only").check()
    after = rows.count()
    assert 0 < after < before
    assert page.locator("#msgrspec-rows-shown").inner_text() == f"{after} of {before} rows shown"
    seeded = page.locator("#msgrspec-matrix tbody tr:visible", has_text="SESSION_STATE.SS_CONNECTED#value")
    assert seeded.count() == 1
    page.get_by_label("Differences only").uncheck()
    assert rows.count() == before
    member = page.goto(matrix_server + "reference/interfaces/IMsgrSessionManager/RegisterApplication/")
    assert member.status == 200 and page.get_by_text("verdicts:").count() > 0
    context.close()
    assert not outside, f"the site asked for outside resources: {outside[:5]}"
