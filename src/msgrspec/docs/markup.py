"""Markdown building blocks that never let text from the spec turn into markup.

Every string that comes from the spec goes through `text` (one line: a table
cell, a list entry, a heading) or `paragraphs` (a block of prose). Both replace
each character that Markdown, its extensions or HTML could read as syntax with
a numeric character reference, so `<script>`, `**x**`, `[a](b)` and `|` show as
they are written. Code (IDL, test messages) goes into fenced blocks, whose
content Markdown never parses.
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence

#: characters Markdown, the extensions a Material site tends to enable, or HTML may read as syntax
_SPECIAL = frozenset("\\`*_[]{}()#+!|<>&~^=$:")
_ORDERED = re.compile(r"^(\d+)([.)])")


_ESCAPES = {ord(ch): f"&#{ord(ch)};" for ch in _SPECIAL}


def _escape_chars(value: str) -> str:
    return value.translate(_ESCAPES)


def text(value: object) -> str:
    """One line of plain text: whitespace collapsed, every markup character neutralised."""
    flat = " ".join(str(value).split())
    escaped = _escape_chars(flat)
    # block syntax a line may start with once it stands alone (list item, rule, setext line)
    escaped = _ORDERED.sub(lambda m: f"{m.group(1)}&#{ord(m.group(2))};", escaped)
    if escaped[:1] in ("-", "*", "+", "="):
        escaped = f"&#{ord(escaped[0])};" + escaped[1:]
    return escaped


def paragraphs(value: str | None) -> str:
    """Prose: the paragraphs (blank-line separated) of `value`, each escaped as by `text`."""
    if not value:
        return ""
    return "\n\n".join(text(part) for part in re.split(r"\n\s*\n", value) if part.strip())


def code(value: object) -> str:
    """Inline code, escaped like `text`."""
    return f"<code>{text(value)}</code>"


def identifier(value: object) -> str:
    """An id (`IMsgrSession.State#access`, `session-manager.register.duplicate-guid`) as inline code that a
    narrow column wraps after `.`, `#`, `:`, `+` or a hyphen, never inside a word (class msgrspec-id)."""
    pieces = [piece for piece in re.split(r"(?<=[.#:+])", str(value)) if piece]
    return '<code class="msgrspec-id">' + "<wbr>".join(text(piece) for piece in pieces) + "</code>"


def anchor(identifier: str) -> str:
    """An empty element that a link `page.md#identifier` lands on."""
    return f'<span id="{html.escape(identifier, quote=True)}"></span>'


def external(url: str, label: str | None = None) -> str:
    """A link to an http(s) address; any other scheme stays plain text."""
    if not re.match(r"^https?://", url):
        return text(label or url)
    return f'<a href="{html.escape(url, quote=True)}">{text(label or url)}</a>'


def fence(body: str, lang: str = "") -> str:
    """A fenced code block; its fence is longer than any run of backticks in `body`."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    marker = "`" * max(3, longest + 1)
    return f"{marker}{lang}\n{body.rstrip()}\n{marker}"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table. Cells are Markdown already (escaped text, links); empty ones get a dash."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    for row in rows:
        cells = [" ".join(str(cell).split()) or "&mdash;" for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def front_matter(title: str, hide: Sequence[str] = ()) -> str:
    """YAML front matter: the page title (JSON strings are YAML strings) and Material's `hide` list."""
    lines = [f"title: {json.dumps(title)}"] + ([f"hide: {json.dumps(list(hide))}"] if hide else [])
    return "---\n" + "\n".join(lines) + "\n---\n"


def admonition(kind: str, title: str, body: str) -> str:
    """A Material admonition; `title` is escaped, `body` is Markdown already."""
    indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
    return f'!!! {kind} "{text(title).replace(chr(34), "&#34;")}"\n\n{indented}'
