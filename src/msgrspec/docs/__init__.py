"""The reference documentation site: pages generated from the spec, built with mkdocs or Zensical.

`generate_pages(spec, report=None)` gives every generated page as Markdown and
the site navigation; `msgrspec.docs.plugin` adds them to an mkdocs build and
`msgrspec.docs.build` writes a complete docs folder for either engine.
"""
from .pages import Site, generate_pages, item_location
from .report import Report, ReportError, load_report

__all__ = ["Report", "ReportError", "Site", "generate_pages", "item_location", "load_report"]
