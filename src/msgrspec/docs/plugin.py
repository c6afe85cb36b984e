"""The mkdocs plugin `msgrspec`: adds the generated reference pages to a build and sets the navigation.

    plugins:
      - search
      - msgrspec:
          spec_dir: spec              # default: the spec shipped with msgrspec
          report: report.json         # default: $MSGRSPEC_REPORT, else no conformance page;
                                      # a list of reports gives a conformance matrix

Pages are made in memory on every build (mkdocs >= 1.6 `File.generated`); none
is written to the docs folder. Paths in the options are relative to mkdocs.yml,
a path in MSGRSPEC_REPORT to the working directory.
"""
from __future__ import annotations

import os
from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files

from ..errors import SpecError
from ..loader import load_spec
from .pages import generate_pages
from .report import REPORT_ENV, ReportError, load_reports
from .settings import EXTRA_CSS, EXTRA_CSS_PATH, MARKDOWN_EXTENSIONS


class _OneOrMoreFiles(c.ListOfItems):
    """A file, or a list of files (`report: a.json` or `report: [a.json, b.json]`)."""

    def __init__(self):
        super().__init__(c.File(exists=True), default=[])

    def run_validation(self, value):
        return super().run_validation([value] if isinstance(value, str) else value)


class MsgrspecPluginConfig(Config):
    spec_dir = c.Optional(c.Dir(exists=True))
    report = _OneOrMoreFiles()


class MsgrspecPlugin(BasePlugin[MsgrspecPluginConfig]):
    def on_config(self, config):
        # the extensions the generated Markdown needs, unless mkdocs.yml configures them already
        for name, options in MARKDOWN_EXTENSIONS.items():
            if name not in config.markdown_extensions:
                config.markdown_extensions.append(name)
            if options:
                config.mdx_configs.setdefault(name, dict(options))
        if EXTRA_CSS_PATH not in config.extra_css:
            config.extra_css.append(EXTRA_CSS_PATH)
        return config

    def _report_paths(self) -> list[str]:
        if self.config.report:
            return list(self.config.report)
        env = os.environ.get(REPORT_ENV)
        return [str(Path(env).resolve())] if env else []

    def on_files(self, files: Files, config) -> Files:
        try:
            spec = load_spec(self.config.spec_dir)
        except SpecError as exc:
            raise PluginError("msgrspec: the spec does not load:\n" + "\n".join(map(str, exc.problems))) from None
        try:
            report = load_reports(self._report_paths())
        except ReportError as exc:
            raise PluginError(f"msgrspec: {exc}") from None
        site = generate_pages(spec, report)
        for path, text in site.pages.items():
            if files.get_file_from_path(path) is not None:
                raise PluginError(f"msgrspec: {path} in the docs folder has the path of a generated page")
            files.append(File.generated(config, path, content=text))
        if files.get_file_from_path(EXTRA_CSS_PATH) is None:
            files.append(File.generated(config, EXTRA_CSS_PATH, content=EXTRA_CSS))
        if config.nav:
            config.nav = list(config.nav) + list(site.nav)
        else:
            handwritten = [f.src_uri for f in files.documentation_pages() if f.src_uri not in site.pages]
            config.nav = site.mkdocs_nav(handwritten)
        return files

    def on_serve(self, server, config, builder):
        from ..resources import spec_dir

        server.watch(str(self.config.spec_dir or spec_dir()))
        for path in self._report_paths():
            server.watch(path)
        return server
