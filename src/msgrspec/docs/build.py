"""`msgrspec docs build`: a complete docs folder in a temporary project, built by mkdocs or Zensical.

Zensical runs no mkdocs plugins, so both engines get the same input: the
hand-written pages, the generated pages written out as files, and a generated
mkdocs.yml (which Zensical reads too) that spells out the navigation.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs
import yaml

from ..model import Spec
from .markup import paragraphs, text
from .pages import LIBRARY_PAGE, Site, generate_pages
from .settings import (EXTRA_CSS, EXTRA_CSS_PATH, MARKDOWN_EXTENSIONS, SITE_DESCRIPTION, SITE_NAME, THEME,
                       VALIDATION)

ENGINES = ("mkdocs", "zensical")
_PACKAGE = Path(__file__).resolve().parent.parent
#: where a wheel carries the hand-written pages (pyproject: force-include "docs" = "msgrspec/handwritten-docs")
_SHIPPED_DOCS = _PACKAGE / "handwritten-docs"
_CHECKOUT = _PACKAGE.parent.parent


class BuildError(Exception):
    """The site could not be built; the message says why and what to do."""


@attrs.frozen
class BuildResult:
    output: Path
    engine: str
    pages: int
    seconds: float


def handwritten_dir() -> Path | None:
    """The hand-written pages (home, overview, spec format): the wheel's copy, else the checkout's docs/."""
    if _SHIPPED_DOCS.is_dir():
        return _SHIPPED_DOCS
    checkout = _CHECKOUT / "docs"
    if (_CHECKOUT / "pyproject.toml").is_file() and (checkout / "index.md").is_file():
        return checkout
    return None


def _fallback_index(spec: Spec) -> str:
    """A home page made from the spec, for an installation that carries no hand-written pages."""
    lib = spec.library
    return (f"# {text(lib.name)}\n\n{paragraphs(lib.summary)}\n\n"
            f"The [reference]({LIBRARY_PAGE}) lists every object, interface, event and enumeration.\n")


def mkdocs_config(site: Site, handwritten: list[str], site_name: str = SITE_NAME) -> dict:
    """The mkdocs.yml of the temporary project, for either engine."""
    return {
        "site_name": site_name,
        "site_description": SITE_DESCRIPTION,
        "docs_dir": "docs",
        "site_dir": "site",
        "theme": dict(THEME),
        "plugins": ["search"],
        "markdown_extensions": [{name: options} if options else name for name, options in MARKDOWN_EXTENSIONS.items()],
        "extra_css": [EXTRA_CSS_PATH],
        "validation": dict(VALIDATION),
        "nav": site.mkdocs_nav(handwritten),
    }


def write_project(root: Path, spec: Spec, report=None, docs_source: Path | None = None) -> Path:
    """Write docs/ (hand-written plus generated pages) and mkdocs.yml under `root`; return the config path."""
    site = generate_pages(spec, report)
    docs = root / "docs"
    if docs_source is not None:
        shutil.copytree(docs_source, docs)
    docs.mkdir(parents=True, exist_ok=True)
    handwritten = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    if not handwritten:
        (docs / "index.md").write_text(_fallback_index(spec), encoding="utf-8")
        handwritten = ["index.md"]
    for path, body in site.pages.items():
        target = docs / path
        if target.exists():
            raise BuildError(f"{docs_source}/{path} has the path of a generated page; rename it")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    css = docs / EXTRA_CSS_PATH
    if not css.exists():
        css.parent.mkdir(parents=True, exist_ok=True)
        css.write_text(EXTRA_CSS, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(yaml.safe_dump(mkdocs_config(site, handwritten), sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    return config


def _command(engine: str, config: Path) -> list[str]:
    if engine == "mkdocs":
        return [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)]
    if engine == "zensical":
        if importlib.util.find_spec("zensical") is None and shutil.which("zensical") is None:
            raise BuildError("Zensical is not installed; install it with: pip install 'msgrspec[zensical]'")
        if importlib.util.find_spec("zensical") is not None:
            return [sys.executable, "-m", "zensical", "build", "--strict", "--clean", "-f", str(config)]
        return [shutil.which("zensical"), "build", "--strict", "--clean", "-f", str(config)]
    raise BuildError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def _check_output(output: Path) -> None:
    """`output` may be replaced: it does not exist, is empty, or holds an earlier site."""
    if output.exists():
        if not output.is_dir():
            raise BuildError(f"{output} exists and is not a folder")
        if any(output.iterdir()) and not (output / "index.html").is_file():
            raise BuildError(f"{output} is a folder that holds no built site; refusing to replace it")


def _publish(built: Path, output: Path) -> None:
    """Put the built site at `output`, replacing an earlier site but never a folder that is not one."""
    _check_output(output)
    if output.exists():
        shutil.rmtree(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(built, output)


def build_site(spec: Spec, output: str | os.PathLike = "site", *, engine: str = "mkdocs", report=None,
               docs_source: Path | None | bool = True) -> BuildResult:
    """Build the whole site of `spec` into `output` with `engine`.

    `docs_source` is the folder of hand-written pages: True (the default) finds
    the shipped ones, None or False builds from the spec alone.
    """
    if engine not in ENGINES:
        raise BuildError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    started = time.perf_counter()
    _check_output(Path(output))
    source = handwritten_dir() if docs_source is True else (docs_source or None)
    with tempfile.TemporaryDirectory(prefix="msgrspec-docs-") as tmp:
        root = Path(tmp)
        config = write_project(root, spec, report, source)
        command = _command(engine, config)
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # no banner about Material's future in the output
        run = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env)
        if run.returncode != 0:
            detail = (run.stderr.strip() or run.stdout.strip())[-4000:]
            raise BuildError(f"{engine} build failed:\n{detail}")
        _publish(root / "site", Path(output))
        pages = sum(1 for _ in (root / "docs").rglob("*.md"))
    return BuildResult(Path(output), engine, pages, time.perf_counter() - started)
