"""A small reader of the upstream reference pages, for the fact tests.

The pages are not part of the repository (their text is Microsoft's, under CC BY
4.0): they are the folder ``desktop-src/winmessenger`` of the public
MicrosoftDocs/win32 repository at commit
4138927dc1e272895744553796951c83668366ab. The tests look for them in
``$MSGRSPEC_UPSTREAM``, else under the shared folder (``$MSGRSPEC_SHARED``, by
default ``../shared`` beside the repository) as ``upstream/winmessenger``; the
package never reads them. The type library's facts travel with the repository
(``tests/data/msgrpriv-typelib.yaml``); the shared folder's
``reference/msgrpriv-typelib.yaml`` is the extract that copy is checked against.

Only the few shapes the pages use are understood: YAML front matter, the
``# Heading``, ``## Sections``, pipe tables, ``[text](target)`` links, the first
code block of the Syntax section (C++ or VB) and a handful of prose patterns.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

#: the shared folder: $MSGRSPEC_SHARED, else ../shared beside the repository
SHARED = Path(os.environ.get("MSGRSPEC_SHARED") or Path(__file__).resolve().parents[1].parent / "shared")
UPSTREAM = Path(os.environ.get("MSGRSPEC_UPSTREAM") or SHARED / "upstream" / "winmessenger")
#: where a user gets the pages, for the message of a test that needs them
UPSTREAM_SOURCE = ("the folder desktop-src/winmessenger of https://github.com/MicrosoftDocs/win32 at commit "
                   "4138927dc1e272895744553796951c83668366ab; point MSGRSPEC_UPSTREAM at it (see README)")
#: the type library's facts: the repository's copy, and the shared one it is checked against
TYPELIB = Path(__file__).resolve().parent / "data" / "msgrpriv-typelib.yaml"
SHARED_TYPELIB = SHARED / "reference" / "msgrpriv-typelib.yaml"

#: requirement-table labels -> Support attribute names
SUPPORT_ROWS = {
    "Minimum supported client": "min_client", "Minimum supported server": "min_server",
    "End of client support": "end_client", "End of server support": "end_server",
    "Product": "product", "Header": "header", "IDL": "idl", "DLL": "dll",
}
#: first header cell of a table that lists return or error codes
CODE_TABLES = ("return code", "error code", "name")
#: first header cell of a member table -> kind of the items it lists
MEMBER_TABLES = {"Method": "method", "Property": "property", "Event": "event", "Interface": "interface"}
#: kind word of a page heading -> kind of the item the page documents
HEADING_KINDS = {"method": "method", "property": "property", "event": "event", "interface": "interface",
                 "object": "coclass", "enumeration": "enum"}

LINK = re.compile(r"\[((?:[^\[\]]|\\\[|\\\])*)\]\(([^)\s]+)\)")
HEX = re.compile(r"\b0x[0-9A-Fa-f]+\b")
SYMBOL = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
GUID = re.compile(r"\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?")
LIMITS = (  # (pattern on unescaped prose, constraint kind)
    (re.compile(r"Maximum character length is (\d+)"), "max_length"),
    (re.compile(r"has a limit of (\d+) characters"), "max_length"),
    (re.compile(r"no longer than (\d+) characters"), "max_length"),
    (re.compile(r"has a limit of (\d+) bytes"), "max_bytes"),
    (re.compile(r"should always be (\d+)"), "equals"),
    (re.compile(r"GUID format is \{X{8}-X{4}-X{4}-X{4}-X{12}\}()"), "format"),
)


def unescape(text: str) -> str:
    """Markdown cell or prose -> plain text: no HTML tags, bold markers or backslash escapes."""
    text = re.sub(r"<br\s*/?>|</?(?:dl|dt|dd)>|<span[^>]*>\s*</span>", " ", text)
    text = LINK.sub(r"\1", text)
    text = re.sub(r"(?<!\\)\*\*", "", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>])", r"\1", text)
    return " ".join(text.split())


def normalize_type(text: str) -> str:
    """An IDL type as the spec writes it: no spaces, `long` spelled LONG (the same type)."""
    text = re.sub(r"\s+", "", text)
    return re.sub(r"\blong\b", "LONG", text)


def normalize_dir(attrs: str | None) -> str | None:
    """`[in, out]` -> "in,out", `[out, retval]` -> "out,retval"; None when the page gives no attribute."""
    if attrs is None:
        return None
    return ",".join(a.strip() for a in attrs.split(",") if a.strip())


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside brackets and parentheses."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


@dataclass(frozen=True)
class Param:
    name: str
    type: str | None
    dir: str | None  # None: the page states no direction
    default: str | None = None


@dataclass(frozen=True)
class Decl:
    """One declaration of a Syntax block: `HRESULT get_Name([out, retval] BSTR *p)`."""
    returns: str
    name: str
    params: tuple[Param, ...]


@dataclass(frozen=True)
class CodeRow:
    """One row of a return-code or error-code table: a symbolic code, a hex value, or both."""
    section: str
    symbol: str | None
    value: int | None
    text: str


@dataclass(frozen=True)
class TableRow:
    """One row of a member table (methods, properties, events, interfaces of an object)."""
    table: str  # method | property | event | interface
    name: str
    target: str | None
    access: str | None  # the Access type column, if the table has one


@dataclass(frozen=True)
class Limit:
    param: str | None  # None: the property value
    kind: str
    value: int | str
    sentence: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # raw markdown cells


def tables(text: str) -> list[Table]:
    """Every pipe table of a markdown text, its cells still in markdown."""
    found, block = [], []
    for line in text.splitlines() + [""]:
        if line.lstrip().startswith("|"):
            block.append(line.strip())
            continue
        if len(block) >= 2:
            cells = [[c.strip() for c in row.strip("|").split("|")] for row in block]
            found.append(Table(tuple(unescape(c) for c in cells[0]), tuple(tuple(r) for r in cells[2:])))
        block = []
    return found


def links(text: str) -> list[tuple[str, str]]:
    """(plain text, target) of every link, in order."""
    return [(unescape(t), target) for t, target in LINK.findall(text)]


@dataclass
class Page:
    name: str
    raw: str
    front: dict = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> "Page":
        raw = path.read_text(encoding="utf-8")
        match = re.match(r"---\n(.*?)\n---\n", raw, re.S)
        front = yaml.safe_load(match.group(1)) if match else {}
        return cls(path.name, raw[match.end():] if match else raw, front)

    @property
    def title(self) -> str:
        return unescape(str(self.front.get("title", "")))

    @cached_property
    def heading(self) -> str:
        match = re.search(r"^# (.+)$", self.raw, re.M)
        return unescape(match.group(1)) if match else ""

    @cached_property
    def documented(self) -> tuple[str, str] | None:
        """(item name, kind) that the heading names: `IMsgrSession::Invite method` -> IMsgrSession.Invite."""
        match = re.fullmatch(r"(\w+)(?:::(\w+))? (\w+)", self.heading)
        if not match or match.group(3) not in HEADING_KINDS:
            return None
        kind = HEADING_KINDS[match.group(3)]
        if match.group(2):
            return f"{match.group(1)}.{match.group(2)}", kind
        return (match.group(1), kind) if kind not in ("method", "property", "event") else None

    def section(self, title: str) -> str:
        """The text under `## title` up to the next `## ` heading ('' when the page has none)."""
        match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", self.raw, re.M | re.S)
        return match.group(1) if match else ""

    @cached_property
    def sections(self) -> list[str]:
        return re.findall(r"^## (.+?)\s*$", self.raw, re.M)

    # -- syntax ---------------------------------------------------------------------------------

    @cached_property
    def syntax_code(self) -> str:
        match = re.search(r"^```[^\n]*\n(.*?)^```", self.section("Syntax"), re.M | re.S)
        return match.group(1) if match else ""

    @cached_property
    def declarations(self) -> list[Decl]:
        """The functions of the Syntax block (C++ prototypes, or a VB Function)."""
        code = self.syntax_code
        if re.search(r"^\s*(Function|Sub)\b", code, re.M):
            return [_vb_decl(code)]
        return [Decl(ret, name, tuple(_cpp_param(p) for p in split_top(params)))
                for ret, name, params in re.findall(r"(\w+)\s+(\w+)\s*\((.*?)\)\s*;", code, re.S)]

    @cached_property
    def enum_syntax(self) -> tuple[str, list[tuple[str, int]]] | None:
        """(typedef name, [(constant, value)]) of an enumeration page; values without `=` count on."""
        match = re.search(r"typedef\s+enum\s*\w*\s*\{(.*?)\}\s*(\w+)\s*;", self.syntax_code, re.S)
        if not match:
            return None
        constants, value = [], -1
        for entry in split_top(match.group(1)):
            name, _, given = (s.strip() for s in entry.partition("="))
            value = int(given, 0) if given else value + 1
            constants.append((name, value))
        return match.group(2), constants

    # -- tables and prose ---------------------------------------------------------------------

    @cached_property
    def requirements(self) -> dict[str, str]:
        """Label -> value of the Requirements table, unescaped."""
        rows = {}
        for table in tables(self.section("Requirements")):
            for row in table.rows:
                if len(row) >= 2 and unescape(row[0]):
                    rows[unescape(row[0])] = unescape(row[1])
        return rows

    @cached_property
    def see_also(self) -> list[tuple[str, str]]:
        return links(self.section("See also"))

    @cached_property
    def code_rows(self) -> list[CodeRow]:
        """Rows of every return-code / error-code table, with the section they stand in."""
        found = []
        for section in self.sections:
            for table in tables(self.section(section)):
                if table.header and table.header[0].lower() in CODE_TABLES:
                    for row in table.rows:
                        text = unescape(row[0])
                        symbol, value = SYMBOL.match(text), HEX.search(text)
                        found.append(CodeRow(section, symbol.group(0) if symbol else None,
                                             int(value.group(0), 16) if value else None, text))
        return found

    @cached_property
    def member_rows(self) -> list[TableRow]:
        found = []
        for table in tables(self.raw):
            kind = MEMBER_TABLES.get(table.header[0]) if table.header else None
            if not kind:
                continue
            access_col = table.header.index("Access type") if "Access type" in table.header else None
            for row in table.rows:
                target = LINK.search(row[0])
                found.append(TableRow(kind, unescape(row[0]), target.group(2) if target else None,
                                      unescape(row[access_col]) if access_col is not None else None))
        return found

    @cached_property
    def base(self) -> str | None:
        """The interface the Members section says this one inherits from."""
        match = re.search(r"inherits from the \[\*\*(\w+)\*\*\]", self.raw)
        return match.group(1) if match else None

    @cached_property
    def access_statement(self) -> str | None:
        """`This property is read-only.` -> read-only; read/write -> read-write."""
        match = re.search(r"This property is (read-only|read/write|write-only)\.", self.raw)
        return match.group(1).replace("read/write", "read-write") if match else None

    @cached_property
    def param_blocks(self) -> list[tuple[str, str | None, str]]:
        """(name, direction, block text) of each entry of the Parameters section."""
        text = self.section("Parameters")
        heads = list(re.finditer(r"^\*(\w+)\*[ \t]*(?:\\\[(.*?)\\\])?[ \t]*$", text, re.M))
        return [(h.group(1), normalize_dir(h.group(2)),
                 text[h.end(): heads[i + 1].start() if i + 1 < len(heads) else len(text)])
                for i, h in enumerate(heads)]

    @cached_property
    def params_section(self) -> list[Param]:
        """The Parameters section as Params; type from its `Type: **T**` line, if any."""
        found = []
        for name, direction, block in self.param_blocks:
            typ = re.search(r"^Type: \*\*(.+?)\*\*\s*$", block, re.M)
            found.append(Param(name, normalize_type(unescape(typ.group(1))) if typ else None, direction))
        return found

    @cached_property
    def limits(self) -> list[Limit]:
        """Limits stated in prose for a parameter (Parameters) or the property value (Property value, Remarks)."""
        places = [(name, block) for name, _, block in self.param_blocks]
        places += [(None, self.section("Property value")), (None, self.section("Remarks"))]
        found = []
        for param, text in places:
            for sentence in re.split(r"(?<=\.)\s+", unescape(text)):
                for pattern, kind in LIMITS:
                    for match in pattern.finditer(sentence):
                        value = "guid" if kind == "format" else int(match.group(1))
                        found.append(Limit(param, kind, value, sentence))
        return found

    @cached_property
    def name_value_pairs(self) -> list[tuple[str, int]]:
        """Every `NAME (0x...)` written on the page."""
        return [(name, int(value, 16)) for name, value in
                re.findall(r"\b([A-Z][A-Z0-9_]+)\s*\((0x[0-9A-Fa-f]+)\)", unescape(self.raw))]


def _cpp_param(text: str) -> Param:
    attrs = re.match(r"\[([^\]]*)\]\s*", text)
    rest = text[attrs.end():] if attrs else text
    rest, _, default = (s.strip() for s in rest.partition("="))
    match = re.fullmatch(r"(.*?)([\s*]+)(\w+)", rest)
    return Param(match.group(3), normalize_type(match.group(1) + match.group(2)),
                 normalize_dir(attrs.group(1)) if attrs else None, default or None)


def _vb_decl(code: str) -> Decl:
    code = code.replace(" _\n", " ")
    match = re.search(r"(Function|Sub)\s+(\w+)\s*\((.*)\)\s*(?:As\s+(\w+))?", code, re.S)
    params = []
    for text in split_top(match.group(3)):
        p = re.fullmatch(r"(ByRef|ByVal)?\s*(\w+)\s+As\s+(.+)", text.strip(), re.S)
        params.append(Param(p.group(2), normalize_type(p.group(3)) + ("*" if p.group(1) == "ByRef" else ""), None))
    return Decl(match.group(4) or "void", match.group(2), tuple(params))


def pages() -> list[Page]:
    """Every upstream page, by file name."""
    return [Page.read(p) for p in sorted(UPSTREAM.glob("*.md")) if p.name != "README.md"]


def dir_words(*dirs: str | None) -> list[str]:
    """How an erratum would write directions: `[out, retval]`, `[out]`, `[retval]`."""
    words = []
    for d in dirs:
        if d:
            words.append("[" + d.replace(",", ", ") + "]")
            words += [f"[{part}]" for part in d.split(",")]
    return words


def errata_covering(spec, subject: str, source: str, tokens=(), every: bool = False) -> list[str]:
    """Ids of the errata about `subject` (or a part of it) whose readings cite `source` (a page or "typelib")
    and whose text names one (`every`: each) of `tokens`, the readings of the fact that disagree."""
    words = [str(t).lower() for t in tokens if t not in (None, "")]
    found = []
    for e in spec.errata.values():
        if not any(s == subject or s.startswith(subject + ".") for s in e.subjects):
            continue
        if not any(source in r.sources for r in e.readings):
            continue
        if e.kind != "within-page" and e.adopted_reading.sources == (source,):
            continue  # the spec says it follows `source` here, so it must not differ from it
        text = " ".join([e.title, e.rationale, *(r.says for r in e.readings)]).lower()
        if not words or (all if every else any)(w in text for w in words):
            found.append(e.id)
    return found


def expect(spec, ok: bool, subject: str, source: str, message: str, *tokens, every: bool = False) -> None:
    """Pass when `ok`; otherwise only when an erratum on `subject` cites `source` and names one (`every`: each)
    of `tokens` (the page's and the model's reading): the spec then adopted the other reading on purpose."""
    if ok:
        return
    covering = errata_covering(spec, subject, source, tokens, every)
    named = (" and " if every else " or ").join(repr(str(t)) for t in tokens if t not in (None, ""))
    assert covering, f"{message} (and no erratum on {subject} cites {source} and names {named})"
