"""Settings every build of the site shares, whichever engine runs it."""
from __future__ import annotations

SITE_NAME = "msgrspec: the Messenger Private type library"
SITE_DESCRIPTION = ("Reference of the Windows Messenger session API (Messenger Private type library), "
                    "generated from the msgrspec spec")

#: the Markdown extensions the generated pages are written for (name -> options)
MARKDOWN_EXTENSIONS: dict[str, dict] = {
    "toc": {"permalink": True},
    "tables": {},
    "attr_list": {},
    "admonition": {},
    "md_in_html": {},
    "pymdownx.highlight": {},
    "pymdownx.superfences": {},
}

THEME = {
    "name": "material",
    "font": False,  # the system fonts: a site that works offline and asks no third party for anything
    "features": ["navigation.tabs", "navigation.sections", "navigation.indexes", "navigation.top",
                 "search.highlight", "search.suggest", "content.code.copy"],
}

#: what a strict build treats as a problem: every broken link and anchor
VALIDATION = {
    "omitted_files": "warn",
    "absolute_links": "warn",
    "unrecognized_links": "warn",
    "anchors": "warn",
}

#: the style sheet the plugin and the build add to the site, and its place in the site
EXTRA_CSS_PATH = "assets/msgrspec.css"
EXTRA_CSS = """\
/* msgrspec reference pages */
.md-typeset code.msgrspec-name { white-space: nowrap; }
.md-typeset code.msgrspec-id { word-break: normal; overflow-wrap: normal; hyphens: none; }
.md-typeset .msgrspec-message { white-space: pre-wrap; overflow-wrap: anywhere; }
.md-typeset .msgrspec-wide table:not([class]) { font-size: .6rem; }
.md-typeset .msgrspec-wide table:not([class]) td,
.md-typeset .msgrspec-wide table:not([class]) th { padding: .5em .7em; }
.md-typeset .msgrspec-status { padding: 0 .4em; border-radius: .2em; white-space: nowrap;
  background: var(--md-default-fg-color--lightest); }
.md-typeset .msgrspec-pass { background: #2e7d3226; color: #1b5e20; }
.md-typeset .msgrspec-warn { background: #f9a82526; color: #8a5a00; }
.md-typeset .msgrspec-fail { background: #c6282826; color: #b71c1c; font-weight: 700; }
"""
