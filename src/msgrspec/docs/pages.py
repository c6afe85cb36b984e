"""The reference pages of the library, generated from the spec as Markdown.

`generate_pages(spec, report)` returns a `Site`: every page as text under its
path relative to the docs folder, plus the navigation of those pages. Nothing
here writes files; the mkdocs plugin and `msgrspec docs build` do.
"""
from __future__ import annotations

import html
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

import attrs

from ..cases import all_cases
from ..idl import interface_idl, member_idl
from ..ledger import build_ledger
from ..model import (Cell, Coclass, Dispinterface, Enum, EnumValue, Erratum, Event, ExternalType, HResult,
                     Interface, Method, Param, Property, Requirement, Source, Spec, StateMachine, Support)
from .diagram import machine_svg
from .markup import admonition, anchor, code, external, fence, front_matter, identifier, paragraphs, table, text
from .report import STATUSES, Report, load_reports, run_labels

REFERENCE = "reference"
LIBRARY_PAGE = f"{REFERENCE}/index.md"
TYPES_PAGE = f"{REFERENCE}/types.md"
HRESULTS_PAGE = f"{REFERENCE}/hresults.md"
ERRATA_PAGE = f"{REFERENCE}/errata.md"
REQUIREMENTS_PAGE = f"{REFERENCE}/requirements.md"
SUPPORT_PAGE = f"{REFERENCE}/support.md"
NAMES_PAGE = f"{REFERENCE}/names.md"
CONFORMANCE_PAGE = f"{REFERENCE}/conformance.md"
LEDGER_PAGE = f"{REFERENCE}/ledger.md"
MATRIX_PAGE = f"{REFERENCE}/matrix.md"

#: hand-written pages the navigation knows by name: (path, title, before the reference?)
HANDWRITTEN = (("index.md", "Home", True), ("overview.md", "Overview", True),
               ("testing-your-implementation.md", "Testing your implementation", False),
               ("testing-the-original.md", "Testing the original", False),
               ("spec-format.md", "Spec format", False), ("typelib.md", "Type libraries", False),
               ("mutation.md", "Mutation testing", False))

_ORIGINS = {
    "pages": "the upstream reference pages",
    "typelib": "the binary type library",
    "both": "the upstream reference pages and the binary type library",
    "sdk": "the Windows SDK headers",
    "spec": "a decision of this spec (see its note and the errata)",
}
_KIND_NAMES = {
    "interface": "interface", "dispinterface": "dispinterface", "coclass": "object (coclass)",
    "method": "method", "property": "property", "event": "event", "enum": "enumeration",
    "enum-value": "enumeration value", "hresult": "HRESULT", "type": "external type",
    "requirement": "requirement", "erratum": "erratum",
}
_CONSTRAINTS = {
    "max_length": "at most {} characters",
    "max_bytes": "at most {} bytes",
    "equals": "must be {}",
    "format": "must have the {} format",
}
_BADGE_CLASSES = {"passed": "pass", "xfail": "warn", "failed": "fail", "xpass": "fail", "error": "fail",
                  "blocked": "warn"}


#: the "differences only" box of the matrix page: rows marked data-same are hidden while it is ticked
_MATRIX_SCRIPT = """\
<script>
(function () {
  var box = document.getElementById("msgrspec-differences-only");
  var rows = document.querySelectorAll("#msgrspec-matrix tbody tr");
  var shown = document.getElementById("msgrspec-rows-shown");
  function update() {
    var count = 0;
    rows.forEach(function (row) {
      row.hidden = box.checked && row.hasAttribute("data-same");
      if (!row.hidden) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " rows shown";
  }
  box.addEventListener("change", update);
  update();
})();
</script>"""


@attrs.frozen
class Site:
    """Generated pages (path relative to the docs folder -> Markdown) and their navigation."""

    pages: Mapping[str, str]
    #: navigation of the generated pages, in the list-of-mappings form of mkdocs.yml `nav`
    nav: tuple
    titles: Mapping[str, str]

    def mkdocs_nav(self, handwritten: Iterable[str] = ()) -> list:
        """The navigation of the whole site: known hand-written pages around the reference, others last."""
        present = set(handwritten)
        known = {path for path, _, _ in HANDWRITTEN}
        before = [{title: path} for path, title, first in HANDWRITTEN if first and path in present]
        after = [{title: path} for path, title, first in HANDWRITTEN if not first and path in present]
        others = sorted(p for p in present - known if p.endswith(".md") and p not in self.pages)
        return before + list(self.nav) + after + others


def generate_pages(spec: Spec, report=None) -> Site:
    """Every reference page of `spec`; with a conformance `report` (path, document or Report), its results too;
    with a list of reports, a conformance matrix and every implementation's verdict per requirement."""
    return _Writer(spec, load_reports(report)).site()


def item_location(item) -> tuple[str, str | None]:
    """(page, anchor) where an item is documented."""
    if isinstance(item, Coclass):
        return f"{REFERENCE}/coclasses/{item.name}.md", None
    if isinstance(item, Interface):
        return f"{REFERENCE}/interfaces/{item.name}/index.md", None
    if isinstance(item, (Method, Property)):
        return f"{REFERENCE}/interfaces/{item.interface}/{_leaf(item.name)}.md", None
    if isinstance(item, Dispinterface):
        return f"{REFERENCE}/dispinterfaces/{item.name}/index.md", None
    if isinstance(item, Event):
        return f"{REFERENCE}/dispinterfaces/{item.dispinterface}/{_leaf(item.name)}.md", None
    if isinstance(item, Enum):
        return f"{REFERENCE}/enums/{item.name}.md", None
    if isinstance(item, EnumValue):
        return f"{REFERENCE}/enums/{item.enum}.md", item.name
    if isinstance(item, HResult):
        return HRESULTS_PAGE, item.name
    if isinstance(item, ExternalType):
        return TYPES_PAGE, item.name
    if isinstance(item, StateMachine):
        return f"{REFERENCE}/state-machines/{item.name}.md", None
    raise TypeError(f"no page for {item!r}")


def _relative(path: str, start: str) -> str:
    """posixpath.relpath(path, start or "."), without its calls to abspath for the clean relative paths
    of the site (hundreds of thousands of links in a large spec)."""
    parts, base = path.split("/"), (start.split("/") if start else [])
    if path.startswith("/") or start.startswith("/") or any(p in ("", ".", "..") for p in parts + base):
        return posixpath.relpath(path, start or ".")
    common = 0
    for mine, theirs in zip(parts, base):
        if mine != theirs:
            break
        common += 1
    return "/".join([".."] * (len(base) - common) + parts[common:]) or "."


def _leaf(name: str) -> str:
    # a member called "index" must not take the place of its interface's page
    return f"{name}-member" if name.lower() == "index" else name


def _wrap_idl(declarations: str, width: int = 72) -> str:
    """Put each parameter of a long IDL declaration on a line of its own (each declarator starts with `[`)."""
    out = []
    for line in declarations.splitlines():
        head, sep, rest = line.partition("(")
        if len(line) <= width or "(" not in rest:
            out.append(line)
            continue
        if line.startswith("["):  # the attribute list: [id(2), propget] HRESULT Name(
            attrs_end = line.index("] ") + 2
            head, sep, rest = line[attrs_end:].partition("(")
            head = line[:attrs_end] + head
        params, _, tail = rest.rpartition(")")
        parts = re.split(r", (?=\[)", params)
        out.append(f"{head}(\n" + ",\n".join(f"    {p}" for p in parts) + f"\n){tail}")
    return "\n".join(out)


def _badge(status: str) -> str:
    """A status or outcome of the report, styled by the site's style sheet."""
    kind = _BADGE_CLASSES.get(status, "other")
    return f'<span class="msgrspec-status msgrspec-{kind}">{text(status)}</span>'


def _hex(value: int) -> str:
    return f"0x{value & 0xFFFFFFFF:08X}"


class _Writer:
    def __init__(self, spec: Spec, reports: tuple[Report, ...]):
        self.spec = spec
        #: one report: its results on the pages and a conformance page; several: a matrix and verdicts side by side
        self.report = reports[0] if len(reports) == 1 else None
        self.reports = reports if len(reports) > 1 else ()
        self.labels = run_labels(self.reports)
        self.pages: dict[str, str] = {}
        self.titles: dict[str, str] = {}
        # who returns each code, who uses each type: the reverse links of the HRESULT, enum and type pages
        self.returned_by: dict[str, list] = defaultdict(list)
        self.used_by: dict[str, list] = defaultdict(list)
        listed: set[tuple[str, int]] = set()  # (type name, id of item) already in used_by
        for item in spec.items():
            for ret in getattr(item, "returns", ()):
                self.returned_by[ret.code].append(item)
            if isinstance(item, (Method, Property, Event)):
                types = [p.type for p in item.params] + ([item.type] if isinstance(item, Property) else [])
                for name in {n for t in types for n in re.findall(r"[A-Za-z_]\w*", t)}:
                    if (name, id(item)) not in listed:
                        listed.add((name, id(item)))
                        self.used_by[name].append(item)
        # the objects that answer for each interface, and those that raise each event interface
        self.implemented_by: dict[str, list[Coclass]] = defaultdict(list)
        self.raised_by: dict[str, list[Coclass]] = defaultdict(list)
        for coclass in spec.coclasses.values():
            for name in dict.fromkeys(coclass.interfaces):
                self.implemented_by[name].append(coclass)
            if coclass.event_interface is not None:
                self.raised_by[coclass.event_interface].append(coclass)

    # ------------------------------------------------------------------ links

    def url(self, here: str, item) -> str:
        path, frag = item_location(item)
        return self.rel(here, path, frag)

    @staticmethod
    def rel(here: str, path: str, frag: str | None = None) -> str:
        target = "" if path == here else _relative(path, posixpath.dirname(here))
        return target + (f"#{frag}" if frag else "")

    def item_link(self, here: str, item, label: str | None = None) -> str:
        return f"[{text(label or item.qualname)}]({self.url(here, item)})"

    def name_link(self, here: str, name: str, label: str | None = None) -> str:
        """A link to the item called `name`, or the name as text if the spec has no such item."""
        if name in self.spec:
            return self.item_link(here, self.spec.resolve(name), label or name)
        return text(label or name)

    def requirement_link(self, here: str, rid: str) -> str:
        return f"[{identifier(rid)}]({self.rel(here, REQUIREMENTS_PAGE, rid)})"

    def assertion_link(self, here: str, key: str) -> str:
        """A link to where an assertion id is listed: a requirement's statement, or the ledger's generated
        assertions. The anchor is the id itself; a browser takes all after the first `#` as the fragment."""
        target = REQUIREMENTS_PAGE if key in self.spec.requirements else LEDGER_PAGE
        return f"[{identifier(key)}]({self.rel(here, target, key)})"

    def erratum_link(self, here: str, erratum: Erratum, label: str | None = None) -> str:
        return f"[{text(label or erratum.title)}]({self.rel(here, ERRATA_PAGE, erratum.id)})"

    def page_ref(self, here: str, name: str) -> str:
        """An upstream page: its title and file name as text (the pages are not published with this site)."""
        page = self.spec.pages.get(name)
        if page is None:
            if name == "typelib":
                return "the binary type library"
            return external(name) if name.startswith(("https://", "http://")) else text(name)
        out = f"upstream page “{text(page.title)}” ({code(name)})"
        if page.absent:
            out += ", linked to by the upstream pages but not among them"
        if page.documents and page.documents in self.spec:
            target = self.spec.resolve(page.documents)
            if item_location(target)[0] != here:
                out += f"; documented here as {self.item_link(here, target)}"
        return out

    def link_ref(self, here: str, link: str) -> str:
        """One entry of an item's `links`: an item, an upstream page or an external address."""
        if link in self.spec:
            return self.name_link(here, link)
        if link.startswith(("https://", "http://")):
            return external(link)
        return self.page_ref(here, link)

    def type_md(self, here: str, type_name: str) -> str:
        """A parameter or property type with each name the spec knows linked to its page."""
        parts = re.split(r"([A-Za-z_]\w*)", type_name)
        out = []
        for part in parts:
            if re.fullmatch(r"[A-Za-z_]\w*", part) and part in self.spec:
                out.append(f"[{code(part)}]({self.url(here, self.spec.resolve(part))})")
            elif part:
                out.append(code(part))
        return "".join(out)

    # ------------------------------------------------------------------ shared sections

    def add(self, path: str, title: str, body: list[str], hide: tuple[str, ...] = ()) -> None:
        if path in self.pages:
            raise ValueError(f"two generated pages at {path}")
        self.titles[path] = title
        self.pages[path] = front_matter(title, hide) + "\n" + "\n\n".join(part for part in body if part) + "\n"

    def support_section(self, support: Support, heading: str = "## Platform support") -> str:
        rows = support.rows()
        if not rows:
            return ""
        return f"{heading}\n\n" + table(["Requirement", "Value"], [(f"**{text(label)}**", text(value)) for label, value in rows])

    def untestable(self, item) -> str:
        reason = getattr(item, "untestable", None)
        return admonition("note", "Not checked by the conformance suite", paragraphs(reason)) if reason else ""

    def see_also(self, here: str, links: Iterable[str]) -> str:
        links = list(links)
        if not links:
            return ""
        return "## See also\n\n" + "\n".join(f"- {self.link_ref(here, link)}" for link in links)

    def sources(self, here: str, source: Source, heading: str = "## Sources") -> str:
        lines = [heading, "", f"Origin: {_ORIGINS.get(source.origin, text(source.origin))}."]
        if source.pages:
            lines += [""] + [f"- {self.page_ref(here, page)}" for page in source.pages]
        if source.note:
            lines += ["", "Note: " + paragraphs(source.note)]
        return "\n".join(lines)

    def errata_section(self, here: str, name: str) -> str:
        errata = self.spec.errata_for(name)
        if not errata:
            return ""
        lines = ["## Errata", "", "The sources contradict each other here; the spec adopts one reading:", ""]
        for erratum in errata:
            adopted = erratum.adopted_reading
            lines.append(f"- {self.erratum_link(here, erratum)} ({code(erratum.id)}): adopted reading "
                         f"{code(adopted.id)}: {text(adopted.says)}")
        return "\n".join(lines)

    def status_md(self, rid: str) -> str:
        status = self.report.status(rid)
        result = self.report.requirements.get(rid)
        count = len(result.tests) if result else 0
        tests = f" ({count} test{'s' if count != 1 else ''})" if count else ""
        return _badge(status) + tests

    def requirement_entry(self, here: str, req: Requirement, applies: bool) -> str:
        """One requirement as a list entry: anchored id, level, status, statement, then its references."""
        head = f"{anchor(req.id)}{identifier(req.id)} &middot; **{text(req.level)}**"
        if self.report:
            head += " &middot; " + self.status_md(req.id)
        refs = []
        if applies:
            refs.append("applies to: " + ", ".join(self.name_link(here, a) for a in req.applies_to))
        if req.codes:
            refs.append("codes: " + ", ".join(self.name_link(here, c) for c in req.codes))
        if req.events:
            refs.append("events: " + ", ".join(self.name_link(here, e) for e in req.events))
        if req.profile:
            refs.append("profile: " + code(req.profile))
        if req.erratum and req.erratum in self.spec.errata:
            refs.append("erratum: " + self.erratum_link(here, self.spec.errata[req.erratum], req.erratum))
        if req.untestable:
            refs.append("untestable: " + text(req.untestable))
        if req.source.pages:
            refs.append("source: " + ", ".join(code(p) for p in req.source.pages))
        out = f"- {head}<br>\n  {text(req.statement)}"
        if self.reports:
            out += "<br>\n  verdicts: " + " &middot; ".join(
                f"{text(label)} {_badge(report.status(req.id))}" for label, report in zip(self.labels, self.reports))
        if refs:
            out += "<br>\n  <small>" + " &middot; ".join(refs) + "</small>"
        return out

    def requirements_list(self, here: str, requirements: Iterable[Requirement], applies: bool) -> str:
        return "\n".join(self.requirement_entry(here, req, applies) for req in requirements)

    def requirements_section(self, here: str, requirements: list[Requirement]) -> str:
        if not requirements:
            return ""
        intro = "The normative statements of the spec about this item."
        if self.report:
            intro += f" Statuses are those of the conformance report for {text(self.report.implementation)}."
        return f"## Normative requirements\n\n{intro}\n\n" + self.requirements_list(here, requirements, False)

    def common_tail(self, here: str, item, name: str) -> list[str]:
        return [self.support_section(item.support), self.errata_section(here, name),
                self.see_also(here, item.links), self.sources(here, item.source)]

    def returns_section(self, here: str, returns) -> str:
        if not returns:
            return ""
        rows = []
        for ret in returns:
            value = _hex(self.spec.resolve(ret.code).value) if ret.code in self.spec else ""
            rows.append((self.name_link(here, ret.code), code(value) if value else "", text(ret.meaning)))
        return "## Return value\n\n" + table(["Code", "Value", "Meaning"], rows)

    def constraint_md(self, here: str, constraint) -> str:
        template = _CONSTRAINTS.get(constraint.kind, constraint.kind + " {}")
        value = "GUID ({xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx})" if constraint.value == "guid" else constraint.value
        out = text(template.format(value))
        if constraint.error:
            out += ", else " + self.name_link(here, constraint.error)
        return out

    def params_section(self, here: str, params: Iterable[Param], heading: str = "## Parameters") -> str:
        params = list(params)
        if not params:
            return ""
        rows = []
        for p in params:
            notes = [self.constraint_md(here, c) for c in p.constraints]
            if p.default is not None:
                notes.append("default: " + code(p.default))
            rows.append((anchor(f"param-{p.name}") + code(p.name).replace("<code>", '<code class="msgrspec-name">'), self.type_md(here, p.type),
                         code(p.dir.replace(",", ", ")), text(p.summary or ""), "<br>".join(notes)))
        return f"{heading}\n\n" + table(["Name", "Type", "Direction", "Description", "Constraints"], rows)

    # ------------------------------------------------------------------ pages

    def site(self) -> Site:
        spec = self.spec
        self.library_page()
        nav_coclasses = []
        for coclass in spec.coclasses.values():
            nav_coclasses.append({coclass.name: self.coclass_page(coclass)})
        nav_interfaces = []
        for interface in spec.interfaces.values():
            entries = [self.interface_page(interface)]
            entries += [{m.name: self.member_page(interface, m)} for m in interface.members]
            nav_interfaces.append({interface.name: entries})
        nav_dispinterfaces = []
        for dispinterface in spec.dispinterfaces.values():
            entries = [self.dispinterface_page(dispinterface)]
            entries += [{e.name: self.event_page(dispinterface, e)} for e in dispinterface.events]
            nav_dispinterfaces.append({dispinterface.name: entries})
        nav_enums = [{enum.name: self.enum_page(enum)} for enum in spec.enums.values()]
        nav_machines = [{m.name: self.state_machine_page(m)} for m in spec.state_machines.values()]
        reference = [LIBRARY_PAGE]
        for title, entries in (("Objects", nav_coclasses), ("Interfaces", nav_interfaces),
                               ("Event interfaces", nav_dispinterfaces), ("Enumerations", nav_enums),
                               ("State machines", nav_machines)):
            if entries:
                reference.append({title: entries})
        if spec.types:
            reference.append({"External types": self.types_page()})
        reference.append({"HRESULTs": self.hresults_page()})
        cross = [{"Requirements": self.requirements_page()}, {"Errata": self.errata_page()},
                 {"Support matrix": self.support_page()}, {"Coverage ledger": self.ledger_page()}]
        if self.report:
            cross.append({"Conformance": self.conformance_page()})
        if self.reports:
            cross.append({"Conformance matrix": self.matrix_page()})
        cross.append({"Index of names": self.names_page()})
        reference += cross
        return Site(dict(self.pages), ({"Reference": reference},), dict(self.titles))

    def library_page(self) -> str:
        spec, lib, here = self.spec, self.spec.library, LIBRARY_PAGE
        facts = [("Name", code(lib.name)), ("LIBID", code(lib.libid)), ("Version", code(lib.version)),
                 ("LCID", code(lib.lcid))]
        if lib.helpstring:
            facts.append(("Help string", text(lib.helpstring)))
        if lib.imports:
            facts.append(("Imports", ", ".join(code(i) for i in lib.imports)))
        if lib.withdrawn_in:
            facts.append(("Withdrawn in", text(lib.withdrawn_in)))
        body = [f"# The {text(lib.name)} type library", paragraphs(lib.summary), paragraphs(lib.remarks),
                "## Identification\n\n" + table(["Field", "Value"], [(f"**{k}**", v) for k, v in facts])]
        groups = (("Objects", spec.coclasses), ("Interfaces", spec.interfaces),
                  ("Event interfaces", spec.dispinterfaces), ("Enumerations", spec.enums),
                  ("External types", spec.types))
        for title, group in groups:
            if group:
                rows = [(self.item_link(here, item), text(item.summary)) for item in group.values()]
                body.append(f"## {title}\n\n" + table(["Name", "Summary"], rows))
        if spec.coclasses:
            rows = [(self.item_link(here, c), self.name_link(here, c.default_interface),
                     ", ".join(self.name_link(here, i) for i in c.other_interfaces),
                     self.name_link(here, c.event_interface) if c.event_interface else "",
                     "yes" if c.creatable else "no") for c in spec.coclasses.values()]
            body.append("## How the objects fit together\n\nEach object, the interfaces it answers "
                        "`QueryInterface` for and the event interface it raises its events on.\n\n"
                        + table(["Object", "Default interface", "Other interfaces", "Events", "Creatable"], rows))
        cross = [("Requirements", REQUIREMENTS_PAGE, "every normative statement, by area"),
                 ("Errata", ERRATA_PAGE, "where the sources disagree and which reading the spec takes"),
                 ("HRESULTs", HRESULTS_PAGE, "every code with its value"),
                 ("Support matrix", SUPPORT_PAGE, "the requirement rows of every item side by side"),
                 ("Index of names", NAMES_PAGE, "every name of the spec and where it is documented")]
        if self.report:
            cross.insert(3, ("Conformance", CONFORMANCE_PAGE, "the results of one implementation"))
        if self.reports:
            cross.insert(3, ("Conformance matrix", MATRIX_PAGE, "the results of several implementations side by side"))
        body.append("## Across the library\n\n" + "\n".join(
            f"- [{title}]({self.rel(here, path)}): {what}" for title, path, what in cross))
        body += [self.support_section(lib.support, "## Default platform support"),
                 self.see_also(here, lib.links), self.sources(here, lib.source)]
        self.add(here, f"{lib.name} library", body)
        return here

    def coclass_page(self, coclass: Coclass) -> str:
        here = item_location(coclass)[0]
        facts = [("CLSID", code(coclass.clsid)), ("Creatable", "yes" if coclass.creatable else
                                                   "no: obtained from other calls, not from CoCreateInstance"),
                 ("Default interface", self.name_link(here, coclass.default_interface))]
        if coclass.other_interfaces:
            facts.append(("Other interfaces", ", ".join(self.name_link(here, i) for i in coclass.other_interfaces)))
        if coclass.event_interface:
            facts.append(("Event interface (source)", self.name_link(here, coclass.event_interface)))
        if coclass.helpstring:
            facts.append(("Help string", text(coclass.helpstring)))
        body = [f"# {text(coclass.name)} object", paragraphs(coclass.summary), self.untestable(coclass),
                "## Identification\n\n" + table(["Field", "Value"], [(f"**{k}**", v) for k, v in facts])]
        if coclass.remarks:
            body.append("## Remarks\n\n" + paragraphs(coclass.remarks))
        body.append(self.requirements_section(here, self._own_requirements(coclass.name)))
        body += self.common_tail(here, coclass, coclass.name)
        self.add(here, coclass.name, body)
        return here

    def _own_requirements(self, name: str) -> list[Requirement]:
        return self.spec.requirements_naming(name)

    def interface_page(self, interface: Interface) -> str:
        here = item_location(interface)[0]
        facts = [("IID", code(interface.iid)), ("Base", code(interface.base))]
        if interface.flags:
            facts.append(("Flags", ", ".join(code(f) for f in interface.flags)))
        if interface.is_external:
            facts.append(("Library", text(interface.external_library)
                          + (f" ({code(interface.external_libid)})" if interface.external_libid else "")))
        objects = self.implemented_by.get(interface.name, [])
        if objects:
            facts.append(("Implemented by", ", ".join(self.item_link(here, c) for c in objects)))
        body = [f"# {text(interface.name)} interface", paragraphs(interface.summary), self.untestable(interface)]
        if interface.is_external:
            body.append(admonition("info", "Defined by another library", text(
                f"{interface.name} belongs to the {interface.external_library} type library; this library "
                "uses it but does not declare it, so the generated IDL leaves it out.")))
        body.append("## Identification\n\n" + table(["Field", "Value"], [(f"**{k}**", v) for k, v in facts]))
        if interface.members:
            rows = []
            for m in interface.members:
                kind = "method" if isinstance(m, Method) else f"property ({text(m.access)})"
                rows.append((self.item_link(here, m, m.name), kind,
                             "" if m.dispid is None else code(m.dispid), text(m.summary)))
            body.append("## Members\n\n" + table(["Name", "Kind", "DISPID", "Summary"], rows))
            slots = [(code(s.index), self.item_link(here, interface.member(s.name), s.name)
                      if s.accessor != "base" else f"{code(s.name)} (from {code(interface.base)})",
                      code(s.accessor)) for s in interface.vtable]
            body.append("## Vtable\n\nThe entries of the interface's vtable in order, the inherited ones first.\n\n"
                        + table(["Slot", "Member", "Entry"], slots))
        if interface.members and not interface.is_external:
            body.append("## IDL\n\nThe declaration as `msgrspec idl` writes it.\n\n"
                        + fence(interface_idl(interface), "idl"))
        if interface.remarks:
            body.append("## Remarks\n\n" + paragraphs(interface.remarks))
        body.append(self.requirements_section(here, self._own_requirements(interface.name)))
        body += self.common_tail(here, interface, interface.name)
        self.add(here, interface.name, body)
        return here

    def member_page(self, interface: Interface, member: Method | Property) -> str:
        here = item_location(member)[0]
        is_property = isinstance(member, Property)
        kind = "property" if is_property else "method"
        body = [f"# {text(member.qualname)} {kind}", paragraphs(member.summary), self.untestable(member),
                "## Syntax\n\n" + fence(_wrap_idl(member_idl(member, interface.base == "IDispatch")), "cpp")]
        if is_property:
            value = [("Type", self.type_md(here, member.type)), ("Access", text(member.access)),
                     ("Accessors", ", ".join(code(a) for a in member.accessors))]
            if member.get_param:
                value.append(("Get parameter", code(member.get_param)))
            if member.put_param:
                value.append(("Put parameter", code(member.put_param)))
            if member.constraints:
                value.append(("Constraints", "<br>".join(self.constraint_md(here, c) for c in member.constraints)))
            body.append("## Property value\n\n" + table(["Field", "Value"], [(f"**{k}**", v) for k, v in value]))
            if member.index:
                body.append(self.params_section(here, [member.index], "## Index"))
        else:
            body.append(self.params_section(here, member.params))
        body.append(self.returns_section(here, member.returns))
        if member.remarks:
            body.append("## Remarks\n\n" + paragraphs(member.remarks))
        slots = [s for s in interface.vtable if s.name == member.name and s.accessor != "base"]
        ident = [("Interface", self.item_link(here, interface)),
                 ("DISPID", "none" if member.dispid is None else f"{code(member.dispid)} ({code(hex(member.dispid))})"),
                 ("Vtable slot", ", ".join(f"{code(s.index)} ({code(s.accessor)})" for s in slots))]
        body.append("## Identification\n\n" + table(["Field", "Value"], [(f"**{k}**", v) for k, v in ident]))
        body.append(self.requirements_section(here, self.spec.requirements_for(member.qualname)))
        body += self.common_tail(here, member, member.qualname)
        self.add(here, member.qualname, body)
        return here

    def dispinterface_page(self, dispinterface: Dispinterface) -> str:
        here = item_location(dispinterface)[0]
        facts = [("DIID", code(dispinterface.diid))]
        sources = self.raised_by.get(dispinterface.name, [])
        if sources:
            facts.append(("Raised by", ", ".join(self.item_link(here, c) for c in sources)))
        body = [f"# {text(dispinterface.name)} event interface", paragraphs(dispinterface.summary),
                self.untestable(dispinterface),
                "## Identification\n\n" + table(["Field", "Value"], [(f"**{k}**", v) for k, v in facts])]
        if dispinterface.events:
            rows = [(self.item_link(here, e, e.name), code(e.dispid), text(e.summary)) for e in dispinterface.events]
            body.append("## Events\n\nEvents reach a sink through `IDispatch::Invoke` with the DISPID below.\n\n"
                        + table(["Event", "DISPID", "Summary"], rows))
            body.append("## IDL\n\nThe declaration as `msgrspec idl` writes it (inside the library block).\n\n"
                        + fence(interface_idl(dispinterface), "idl"))
        if dispinterface.remarks:
            body.append("## Remarks\n\n" + paragraphs(dispinterface.remarks))
        body.append(self.requirements_section(here, self._own_requirements(dispinterface.name)))
        body += self.common_tail(here, dispinterface, dispinterface.name)
        self.add(here, dispinterface.name, body)
        return here

    def event_page(self, dispinterface: Dispinterface, event: Event) -> str:
        here = item_location(event)[0]
        body = [f"# {text(event.qualname)} event", paragraphs(event.summary), self.untestable(event),
                "## Syntax\n\n" + fence(_wrap_idl(member_idl(event)), "cpp"), self.params_section(here, event.params)]
        if event.remarks:
            body.append("## Remarks\n\n" + paragraphs(event.remarks))
        ident = [("Event interface", self.item_link(here, dispinterface)),
                 ("DISPID", f"{code(event.dispid)} ({code(hex(event.dispid))})"),
                 ("Vtable slot", "none: events are delivered through " + code("IDispatch::Invoke"))]
        body.append("## Identification\n\n" + table(["Field", "Value"], [(f"**{k}**", v) for k, v in ident]))
        body.append(self.requirements_section(here, self.spec.requirements_for(event.qualname)))
        body += self.common_tail(here, event, event.qualname)
        self.add(here, event.qualname, body)
        return here

    def used_by_section(self, here: str, name: str) -> str:
        users = self.used_by.get(name)
        if not users:
            return ""
        return "## Used by\n\n" + "\n".join(f"- {self.item_link(here, u)}" for u in users)

    def enum_page(self, enum: Enum) -> str:
        here = item_location(enum)[0]
        where = ("It is declared in the type library." if enum.in_typelib
                 else "It is not in the type library: the header defines its values as constants.")
        if enum.hresult:
            where += (f" Its values are HRESULT codes; the [HRESULTs]({self.rel(here, HRESULTS_PAGE)}) page "
                      "lists them with every other code.")
        body = [f"# {text(enum.name)} enumeration", paragraphs(enum.summary), self.untestable(enum), where]
        rows = [(anchor(v.name) + code(v.name), "" if enum.hresult else code(v.value), code(_hex(v.value)),
                 text(v.summary)) for v in enum.values]
        headers = ["Name", "Value", "Hex", "Meaning"]
        if enum.hresult:
            rows, headers = [(r[0], r[2], r[3]) for r in rows], ["Name", "Value", "Meaning"]
        body.append("## Values\n\n" + table(headers, rows))
        machine = self.spec.state_machines.get(enum.name)
        if machine is not None:
            body.append(f"## Life cycle\n\n{paragraphs(machine.summary)}\n\n"
                        f"{self.item_link(here, machine, f'The {machine.name} state machine')} gives every call in "
                        f"every state.\n\n{machine_svg(machine)}")
        if enum.remarks:
            body.append("## Remarks\n\n" + paragraphs(enum.remarks))
        body.append(self.used_by_section(here, enum.name))
        body.append(self.requirements_section(here, self.spec.requirements_for(enum.name)))
        body += self.common_tail(here, enum, enum.name)
        self.add(here, enum.name, body)
        return here

    def cell_md(self, here: str, cell: Cell) -> str:
        """A cell of the state x operation table: the code (and the state it leads to), or unspecified;
        with a report, the verdict of its assertion."""
        if cell.unspecified is not None:
            return f'<span title="{html.escape(cell.unspecified)}">unspecified</span>'
        shown = []
        for outcome in cell.outcomes:
            move = f" &rarr; {code(outcome.to_state)}" if outcome.to_state != outcome.from_state else ""
            shown.append(self.name_link(here, outcome.code, outcome.code) + move)
        verdict = self.report.tests.get(cell.id) if self.report else None
        return " / ".join(shown) + (f" {_badge(verdict.outcome)}" if verdict else "")

    def state_machine_page(self, machine: StateMachine) -> str:
        here = item_location(machine)[0]
        enum = self.spec.enums[machine.name]
        body = [f"# {text(machine.name)} state machine", paragraphs(machine.summary),
                f"The states are values of {self.item_link(here, enum)}; "
                f"{self.name_link(here, machine.state_property)} reports the current one. It starts in "
                f"{code(machine.initial)}"
                + (f" on the {text(machine.initial_role)}'s side." if machine.roles else "."),
                machine_svg(machine)]
        if machine.roles:
            body.append("## Roles\n\n" + table(["Role", "Meaning"], [(code(r.name), text(r.summary))
                                                                       for r in machine.roles]))
        operations = [o.name for o in machine.operations]
        rows = []
        for party in machine.parties:
            for state in machine.states:
                cells = [c for c in machine.cells if c.state == state and c.role == party]
                if cells:
                    label = code(state) + (f" ({text(party)})" if party else "")
                    rows.append([label] + [self.cell_md(here, c) for c in cells])
        heading = "## Every call in every state"
        note = ("Each cell gives the code the call answers and, where it moves, the state it leads to; "
                "the events of each transition are listed below. Each decided cell is a conformance "
                "assertion with the id `MACHINE@STATE:Operation/role`.")
        if self.report:
            note += " The verdicts are those of the report."
        body.append(f"{heading}\n\n{note}\n\n" + table(["State"] + [code(o) for o in operations], rows))
        transitions = []
        for t in machine.transitions:
            where = code(t.from_state) + " &rarr; " + code(t.to_state)
            events = ", ".join(code(e.text) for e in t.events)
            peer = ", ".join(code(e.text) for e in t.peer.events) if t.peer else ""
            transitions.append((where, code(t.operation) + (f" ({text(t.role)})" if t.role else ""),
                                self.name_link(here, t.code, t.code), events, peer, text(t.condition or "")))
        body.append("## Transitions\n\n" + table(["From, to", "Operation", "Code", "Events", "Other party's events",
                                                    "When"], transitions))
        unspecified = [(code(c.state), code(c.operation), text(c.role or ""), text(c.unspecified))
                       for c in machine.cells if c.unspecified is not None]
        if unspecified:
            body.append("## Left unspecified\n\n" + table(["State", "Operation", "Role", "Why"], unspecified))
        if machine.not_states:
            body.append("## Values that are no state\n\n" + table(
                ["Value", "Why"], [(code(n.value), text(n.reason)) for n in machine.not_states]))
        body.append(self.sources(here, machine.source))
        self.add(here, f"{machine.name} state machine", body)
        return here

    def types_page(self) -> str:
        here = TYPES_PAGE
        body = ["# External types", "Types of other libraries that members of this library use. The spec "
                "records their names and where they come from, not their contents."]
        for t in self.spec.types.values():
            body.append(f"## {text(t.name)}\n\n{anchor(t.name)}Library: {code(t.library)}\n\n{paragraphs(t.summary)}")
            body.append(self.used_by_section(here, t.name).replace("## Used by", "### Used by"))
            body.append(self.sources(here, t.source, "### Sources"))
        self.add(here, "External types", body)
        return here

    def hresults_page(self) -> str:
        here = HRESULTS_PAGE
        rows = []
        for h in self.spec.hresults.values():
            defined = self.name_link(here, f"{h.enum}.{h.name}", h.enum) if h.enum else text(
                "Windows SDK" if h.source.origin == "sdk" else "")
            users = ", ".join(self.item_link(here, u) for u in self.returned_by.get(h.name, ()))
            rows.append((anchor(h.name) + code(h.name), code(h.hex), text(h.summary), defined, users))
        body = ["# HRESULTs", "Every code that a member of the library is documented to return, with its value. "
                "Codes of the library's own HRESULT enumerations name that enumeration.",
                table(["Name", "Value", "Meaning", "Defined by", "Returned by"], rows)]
        self.add(here, "HRESULTs", body)
        return here

    def errata_page(self) -> str:
        here = ERRATA_PAGE
        body = ["# Errata", "Places where the upstream pages and the type library, or the pages among "
                "themselves, say different things. Each entry gives every reading with its sources, the "
                "reading the spec adopts and why."]
        by_erratum = defaultdict(list)
        for req in self.spec.requirements.values():
            if req.erratum:
                by_erratum[req.erratum].append(req)
        for erratum in self.spec.errata.values():
            section = [f"## {text(erratum.title)}", anchor(erratum.id) + f"Id: {code(erratum.id)} &middot; kind: "
                       f"{text(erratum.kind)} &middot; about: "
                       + ", ".join(self.name_link(here, s) for s in erratum.subjects)]
            rows = []
            for reading in erratum.readings:
                mark = "**adopted**" if reading.id == erratum.adopted else ""
                rows.append((code(reading.id), text(reading.says),
                             "<br>".join(self.page_ref(here, s) for s in reading.sources), mark))
            section.append(table(["Reading", "Says", "Sources", "Adopted"], rows))
            section.append(f"**Adopted:** {code(erratum.adopted)}. " + paragraphs(erratum.rationale))
            if by_erratum.get(erratum.id):
                section.append("Requirements that follow from it: " + ", ".join(
                    self.requirement_link(here, r.id) for r in by_erratum[erratum.id]))
            body.append("\n\n".join(section))
        if not self.spec.errata:
            body.append("The spec records no errata.")
        self.add(here, "Errata", body)
        return here

    def requirements_page(self) -> str:
        here = REQUIREMENTS_PAGE
        body = ["# Requirements", "The normative statements of the spec, grouped by the first part of their "
                "id. Tests, reports and expected-failure lists cite these ids."]
        groups: dict[str, list[Requirement]] = defaultdict(list)
        for req in self.spec.requirements.values():
            groups[req.id.split(".")[0]].append(req)
        for group, reqs in groups.items():
            body.append(f"## {text(group)}\n\n" + self.requirements_list(here, reqs, True))
        if not groups:
            body.append("The spec holds no requirements yet.")
        self.add(here, "Requirements", body)
        return here

    def support_page(self) -> str:
        here = SUPPORT_PAGE
        default = self.spec.library.support
        labels = list(Support.ROWS.items())

        def row(link: str, kind: str, support: Support, base: Support):
            cells = []
            for key, _ in labels:
                value = getattr(support, key)
                cell = text(value) if value is not None else "n/a"
                cells.append(f"**{cell}**" if value != getattr(base, key) else cell)
            return [link, kind] + cells

        rows = [row(f"[{text(self.spec.library.name)}]({self.rel(here, LIBRARY_PAGE)})", "library", default, default)]
        for item in self.spec.items():
            support = getattr(item, "support", None)
            if support is None:
                continue
            if isinstance(item, EnumValue):
                parent = self.spec.enums[item.enum].support
                if support == parent:
                    continue
            rows.append(row(self.item_link(here, item), _KIND_NAMES.get(item.kind, item.kind), support, default))
        body = ["# Support matrix", "The requirement rows of every item. A value in bold differs from the "
                "library's default (first row); n/a means the item's page has no such row. Enumeration values "
                "appear only where they differ from their enumeration.",
                '<div class="msgrspec-wide" markdown>\n\n'
                + table(["Item", "Kind"] + [text(label) for _, label in labels], rows) + "\n\n</div>"]
        self.add(here, "Support matrix", body, hide=("navigation", "toc"))
        return here

    def ledger_page(self) -> str:
        here = LEDGER_PAGE
        titles = {"method": "Methods", "access": "Property access types", "constraint": "Parameter limits",
                  "return-code": "Return codes", "event": "Events"}
        body = ["# Coverage ledger", "Every method, property access type, parameter limit, return code and "
                "event of the library, with the assertions of the conformance suite that check it, or the reason "
                "the spec gives why no black-box test can. Requirement ids link to their statements; the other "
                "ids are generated assertions, listed at the end of this page."]
        entries = build_ledger(self.spec)

        for kind, title in titles.items():
            rows = []
            for entry in (e for e in entries if e.kind == kind):
                name, _, detail = entry.subject.partition("#")
                subject = self.name_link(here, name) + (f" {code(detail)}" if detail else "")
                rows.append((subject, ", ".join(self.assertion_link(here, k) for k in entry.covered_by) or "none",
                             text(entry.untestable) if entry.untestable else ""))
            body.append(f"## {title}\n\n" + table(["Item", "Checked by", "Untestable because"], rows))
        cases = all_cases(self.spec)
        rows = [(anchor(case.id) + identifier(case.id), self.name_link(here, case.item),
                 ", ".join(self.requirement_link(here, r) for r in case.requirements)) for case in cases]
        body.append("## Generated assertions\n\nThe ids the suite derives from the spec; the same id is the "
                    "pytest parameter, the key of the JSON report and of expected-failure files.\n\n"
                    + table(["Assertion", "About", "Requirements"], rows))
        self.add(here, "Coverage ledger", body)
        return here

    def names_page(self) -> str:
        here = NAMES_PAGE
        entries = [(item.qualname, _KIND_NAMES.get(item.kind, item.kind), self.url(here, item))
                   for item in self.spec.items()]
        entries += [(rid, "requirement", self.rel(here, REQUIREMENTS_PAGE, rid)) for rid in self.spec.requirements]
        entries += [(eid, "erratum", self.rel(here, ERRATA_PAGE, eid)) for eid in self.spec.errata]
        entries.sort(key=lambda e: (e[0].casefold(), e[1]))
        by_letter: dict[str, list] = defaultdict(list)
        for entry in entries:
            by_letter[entry[0][:1].upper()].append(entry)
        body = ["# Index of names", "Every name the spec defines, with the page (and place on it) that documents "
                "it: interfaces, members, events, objects, enumerations and their values, HRESULTs, external "
                "types, requirement ids and errata ids."]
        for letter in sorted(by_letter):
            rows = [(f"[{text(name)}]({url})", text(kind)) for name, kind, url in by_letter[letter]]
            body.append(f"## {text(letter)}\n\n" + table(["Name", "Kind"], rows))
        self.add(here, "Index of names", body)
        return here

    def matrix_page(self) -> str:
        """Requirements and assertions x implementations, as an HTML table whose rows with one verdict in every
        column the "differences only" box hides (a script in the page; nothing is loaded from elsewhere)."""
        from ..compare import compare_reports

        rows = [(identifier(rid), [report.status(rid) for report in self.reports])
                for rid in self.spec.requirements]
        rows += [(identifier(row["id"]), [o or "not run" for o in row["outcomes"]])
                 for row in compare_reports(self.reports)["assertions"]]
        head = "".join(f"<th>{text(label)}</th>" for label in self.labels)
        body = []
        for name, verdicts in rows:
            same = ' data-same=""' if len(set(verdicts)) == 1 else ""
            body.append(f"<tr{same}><td>{name}</td>" + "".join(f"<td>{_badge(v)}</td>" for v in verdicts)
                        + "</tr>")
        differing = sum(1 for _, verdicts in rows if len(set(verdicts)) > 1)
        page = [
            "# Conformance matrix",
            f"The requirements, then the assertions of the suite, with the verdict of each of "
            f"{len(self.reports)} implementations. {differing} of {len(rows)} rows differ between them.",
            '<div class="msgrspec-matrix-control"><label><input type="checkbox" id="msgrspec-differences-only"> '
            'Differences only</label> <span id="msgrspec-rows-shown"></span></div>',
            f'<div class="msgrspec-wide">\n<table id="msgrspec-matrix">\n<thead><tr><th>Requirement or '
            f'assertion</th>{head}</tr></thead>\n<tbody>\n' + "\n".join(body) + "\n</tbody>\n</table>\n</div>",
            _MATRIX_SCRIPT,
        ]
        self.add(MATRIX_PAGE, "Conformance matrix", page)
        return MATRIX_PAGE

    def conformance_page(self) -> str:
        here, report = CONFORMANCE_PAGE, self.report
        match = report.spec_sha256 == self.spec.digest
        facts = [("Implementation", text(report.implementation)), ("Adapter", code(report.adapter)),
                 ("Spec digest", code(report.spec_sha256 or "none") + (
                     " (the spec these pages show)" if match else " (**differs from the spec these pages show**: "
                     f"{code(self.spec.digest)})"))]
        body = [f"# Conformance of {text(report.implementation)}",
                "Results of the conformance suite for one implementation, by requirement.",
                table(["Field", "Value"], [(f"**{k}**", v) for k, v in facts])]
        if report.summary:
            body.append("## Tests\n\n" + table(["Outcome", "Tests"],
                                               [(text(k), code(v)) for k, v in report.summary.items()]))
        counts: dict[str, int] = defaultdict(int)
        for rid in self.spec.requirements:
            counts[report.status(rid)] += 1
        body.append("## Requirements by status\n\n" + table(
            ["Status", "Requirements"], [(_badge(s), code(counts[s])) for s in STATUSES if counts[s]]))
        rows = []
        for req in self.spec.requirements.values():
            rows.append((self.requirement_link(here, req.id), self.status_md(req.id), text(req.level),
                         ", ".join(self.name_link(here, a) for a in req.applies_to)))
        if rows:
            body.append("## Every requirement\n\n" + table(["Requirement", "Status", "Level", "Applies to"], rows))
        unknown = sorted(set(report.requirements) - set(self.spec.requirements))
        if unknown:
            body.append("## Ids the spec does not know\n\nThe report gives results for these requirement ids, "
                        "which this spec does not define:\n\n" + "\n".join(f"- {code(r)}" for r in unknown))
        failures = [(tid, t) for tid, t in report.tests.items() if t.outcome in ("failed", "xpass", "error")]
        if failures:
            entries = []
            for tid, t in failures:  # a list, not a table: a message is too long for a column
                reqs = ", ".join(self.requirement_link(here, r) if r in self.spec.requirements else code(r)
                                 for r in t.requirements)
                about = f" &middot; about {self.name_link(here, t.item)}" if t.item else ""
                entries.append(f"- {identifier(tid)} &middot; {_badge(t.outcome)}{about}"
                               + (f" &middot; requirements: {reqs}" if reqs else "")
                               + (f'<br>\n  <span class="msgrspec-message">{text(t.message)}</span>'
                                  if t.message else ""))
            body.append("## Failures\n\n" + "\n".join(entries))
        self.add(here, "Conformance", body)
        return here
