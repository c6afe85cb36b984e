"""Every fact of the upstream reference pages is in the loaded spec model.

The facts are read from ../shared/upstream/winmessenger (see upstream.py), one
test case per fact, each id naming the page and the fact. Where the page and
the model disagree the case passes only if an erratum on that item (or on a
part of it) cites the page and names the disagreeing reading, and does not
itself adopt that page's reading (see upstream.expect): the spec then chose
another reading on purpose. A page whose item the spec leaves out of scope
(MessengerContact, an object of another library) is skipped with that reason.
"""
from __future__ import annotations

import re

import pytest

import upstream as up
from toolchain import require_path
from msgrspec import load_spec
from msgrspec.model import Dispinterface, Enum, Event, Interface, Method, Property

require_path(up.UPSTREAM, "the upstream reference pages", up.UPSTREAM_SOURCE)

PAGES = {page.name: page for page in up.pages()}
#: pages whose heading names an item (`IMsgrSession::Invite method`, `LockStatus enumeration`, ...)
REFERENCE = [page for page in PAGES.values() if page.documented]


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def item_of(spec, page: up.Page):
    """The item the spec says `page` documents; skips (saying why) when the spec leaves the page out of scope."""
    entry = spec.pages.get(page.name)
    assert entry is not None, f"{page.name} is not in spec.pages"
    if entry.documents is None:
        name = page.documented[0]
        assert name not in spec, f"{page.name} documents {name}, which the spec has, but pages.yaml does not say so"
        pytest.skip(f"{page.name} documents {name}, which is not an item of the spec")
    return spec.resolve(entry.documents)


def cases(rows):
    """pytest params from (id, *values) tuples."""
    return [pytest.param(*values, id=ident) for ident, *values in rows]


# -- the pages registry ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", cases((name, page) for name, page in PAGES.items()))
def test_page_is_listed(spec, page):
    entry = spec.pages.get(page.name)
    assert entry is not None, f"{page.name} is missing from spec.pages"
    assert entry.title == page.title, f"{page.name}: title {entry.title!r}, the page says {page.title!r}"
    assert not entry.absent, f"{page.name} is an upstream page but spec.pages marks it absent"
    if entry.documents is not None:
        assert entry.documents in spec, f"{page.name} documents {entry.documents}, which does not resolve"


def _absent_links() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for page in PAGES.values():
        for text, target in up.links(page.raw):
            target = target.split("#")[0]
            if target.endswith(".md") and "/" not in target and target not in PAGES:
                found.setdefault(target, set()).add(text)
    return found


@pytest.mark.parametrize("target, texts", cases((t, t, texts) for t, texts in sorted(_absent_links().items())))
def test_linked_absent_page_is_listed(spec, target, texts):
    entry = spec.pages.get(target)
    assert entry is not None, f"the pages link to {target}, which is missing from spec.pages"
    assert entry.absent, f"{target} is not among the upstream pages but spec.pages does not mark it absent"
    assert entry.title in texts, f"{target}: title {entry.title!r}, the links show {sorted(texts)}"


def test_absent_pages_are_really_absent(spec):
    wrong = [name for name, entry in spec.pages.items() if entry.absent and name in PAGES]
    assert not wrong, f"marked absent but present upstream: {wrong}"


@pytest.mark.parametrize("page", cases((p.name, p) for p in REFERENCE))
def test_page_documents_its_heading(spec, page):
    name, _ = page.documented
    entry = spec.pages[page.name]
    if entry.documents is None:
        assert name not in spec, f"{page.name} is the page of {name}, but spec.pages gives it no documents"
        return
    up.expect(spec, entry.documents == name, entry.documents, page.name,
              f"{page.name} is headed {page.heading!r} but documents {entry.documents}",
              name.rsplit(".", 1)[-1])


# -- syntax blocks --------------------------------------------------------------------------------


def _declaration_cases():
    for page in REFERENCE:
        for decl in page.declarations:
            yield f"{page.name}:{decl.name}", page, decl


@pytest.mark.parametrize("page, decl", cases(_declaration_cases()))
def test_declaration_name_and_result(spec, page, decl):
    item = item_of(spec, page)
    if isinstance(item, Property):
        up.expect(spec, decl.name in (f"get_{item.name}", f"put_{item.name}"), item.qualname, page.name,
                  f"{decl.name} is not an accessor of {item.qualname}", decl.name.split("_", 1)[-1])
    else:
        up.expect(spec, decl.name == item.name, item.qualname, page.name,
                  f"the syntax declares {decl.name}, the spec has {item.qualname}", decl.name)
    result = "void" if isinstance(item, Event) else "HRESULT"
    up.expect(spec, decl.returns == result, item.qualname, page.name,
              f"the syntax returns {decl.returns}, a {item.kind} returns {result}", f"returns {decl.returns}")


def _model_params(item, decl: up.Decl) -> list[tuple[str | None, str, str | None, object]]:
    """(name, type, dir, default) the model gives for the parameters of one declaration."""
    if not isinstance(item, Property):
        return [(p.name, p.type, p.dir, p.default) for p in item.params]
    index = [(item.index.name, item.index.type, item.index.dir, item.index.default)] if item.index else []
    if decl.name.startswith("get_"):
        return index + [(item.get_param, item.type + "*", "out,retval", None)]
    return index + [(item.put_param, item.type, "in", None)]


@pytest.mark.parametrize("page, decl", cases(_declaration_cases()))
def test_declaration_param_count(spec, page, decl):
    item = item_of(spec, page)
    model = _model_params(item, decl)
    up.expect(spec, len(decl.params) == len(model), item.qualname, page.name,
              f"{decl.name} has {len(decl.params)} parameters on the page, {len(model)} in the spec",
              *({p.name for p in decl.params} ^ {m[0] for m in model}))


def _param_cases():
    for ident, page, decl in _declaration_cases():
        for i, param in enumerate(decl.params):
            yield f"{ident}[{i}]:{param.name}", page, decl, i, param


@pytest.mark.parametrize("page, decl, index, param", cases(_param_cases()))
def test_declaration_param(spec, page, decl, index, param):
    item = item_of(spec, page)
    model = _model_params(item, decl)
    up.expect(spec, index < len(model), item.qualname, page.name, f"the spec has no parameter {index} of {decl.name}",
              param.name)
    if index >= len(model):
        return
    name, typ, direction, default = model[index]
    up.expect(spec, param.name == name, item.qualname, page.name,
              f"parameter {index} of {decl.name} is {param.name} on the page, {name} in the spec", param.name, name)
    up.expect(spec, param.type == typ, item.qualname, page.name,
              f"{param.name} has type {param.type} on the page, {typ} in the spec", param.type, typ)
    up.expect(spec, param.dir is None or param.dir == direction, item.qualname, page.name,
              f"{param.name} is [{param.dir}] on the page, {direction} in the spec", *up.dir_words(param.dir, direction))
    stated = param.dir or {p.name: p.dir for p in page.params_section}.get(param.name)
    up.expect(spec, stated is not None, item.qualname, page.name,
              f"the page gives {param.name} no direction; the spec must record which one it adopts ({direction})",
              "direction", *up.dir_words(direction))
    up.expect(spec, param.default is None or param.default == default, item.qualname, page.name,
              f"{param.name} defaults to {param.default} on the page, {default} in the spec", param.default, default)


@pytest.mark.parametrize("page", cases((p.name, p) for p in REFERENCE if p.documented[1] == "property"))
def test_property_accessors(spec, page):
    item = item_of(spec, page)
    on_page = tuple(d.name.split("_", 1)[0] for d in page.declarations)
    up.expect(spec, on_page == item.accessors_declared, item.qualname, page.name,
              f"the syntax declares {on_page}, the spec {item.accessors_declared}", "order",
              f"{on_page[0]}_{item.name} before")
    if page.access_statement:
        up.expect(spec, page.access_statement == item.access, item.qualname, page.name,
                  f"the page calls the property {page.access_statement}, the spec {item.access}",
                  page.access_statement, page.access_statement.replace("-", "/"), item.access)


def _params_section_cases():
    for page in REFERENCE:
        for param in page.params_section:
            yield f"{page.name}:{param.name}", page, param


@pytest.mark.parametrize("page, param", cases(_params_section_cases()))
def test_parameters_section(spec, page, param):
    item = item_of(spec, page)
    model = {p.name: p for p in item.params}
    up.expect(spec, param.name in model, item.qualname, page.name, f"{item.qualname} has no parameter {param.name}",
              param.name)
    if param.name not in model:
        return
    found = model[param.name]
    up.expect(spec, param.dir is None or param.dir == found.dir, item.qualname, page.name,
              f"{param.name} is [{param.dir}] in the Parameters section, {found.dir} in the spec",
              *up.dir_words(param.dir, found.dir))
    up.expect(spec, param.type is None or param.type == found.type, item.qualname, page.name,
              f"{param.name} has type {param.type} in the Parameters section, {found.type} in the spec",
              param.type, found.type)


def _enum_cases():
    for page in REFERENCE:
        if page.enum_syntax:
            typedef, constants = page.enum_syntax
            yield f"{page.name}:typedef {typedef}", page, typedef, None, None
            for i, (name, value) in enumerate(constants):
                yield f"{page.name}:{i}:{name}={value:#x}", page, None, name, value


@pytest.mark.parametrize("page, typedef, name, value", cases(_enum_cases()))
def test_enum_syntax(spec, page, typedef, name, value):
    enum = item_of(spec, page)
    assert isinstance(enum, Enum), f"{page.name} documents {enum.qualname}, not an enumeration"
    if typedef is not None:
        up.expect(spec, typedef == enum.name, enum.name, page.name,
                  f"the syntax names the typedef {typedef}, the spec {enum.name}", typedef)
        return
    values = {v.name: v.value & 0xFFFFFFFF for v in enum.values}
    subject = f"{enum.name}.{name}" if name in values else enum.name
    up.expect(spec, values.get(name) == value, subject, page.name,
              f"{name} = {value:#x} on the page, {values.get(name, 'missing')!s} in the spec", name)


# -- return codes ---------------------------------------------------------------------------------


def _symbol_cases(pages=REFERENCE):
    for page in pages:
        for symbol in dict.fromkeys(r.symbol for r in page.code_rows if r.symbol):
            yield f"{page.name}:{symbol}", page, symbol


@pytest.mark.parametrize("page, symbol", cases(_symbol_cases()))
def test_listed_code_is_returned(spec, page, symbol):
    item = item_of(spec, page)
    codes = [r.code for r in getattr(item, "returns", ())]
    up.expect(spec, symbol in codes, item.qualname, page.name, f"{symbol} is not among the returns of {item.qualname}",
              symbol)


@pytest.mark.parametrize("page, symbol", cases(_symbol_cases(PAGES.values())))
def test_listed_code_is_an_hresult(spec, page, symbol):
    entry = spec.pages.get(page.name)
    subject = entry.documents if entry is not None and entry.documents else symbol
    up.expect(spec, symbol in spec.hresults, subject, page.name, f"{symbol} is not in spec.hresults", symbol)


def _hex_cases():
    for page in REFERENCE:
        for value in dict.fromkeys(r.value for r in page.code_rows if r.value is not None and not r.symbol):
            yield f"{page.name}:{value:#010x}", page, value


@pytest.mark.parametrize("page, value", cases(_hex_cases()))
def test_listed_hex_value_is_an_hresult(spec, page, value):
    item = item_of(spec, page)
    known = [h.name for h in spec.hresults.values() if h.value == value]
    up.expect(spec, bool(known), item.qualname, page.name, f"no HRESULT in the spec has the value {value:#010x}",
              f"{value:#010x}")


@pytest.mark.parametrize("page, value", cases(_hex_cases()))
def test_listed_hex_value_is_returned(spec, page, value):
    item = item_of(spec, page)
    returned = [r.code for r in getattr(item, "returns", ())
                if r.code in spec.hresults and spec.hresults[r.code].value == value]
    up.expect(spec, bool(returned), item.qualname, page.name,
              f"no return code of {item.qualname} has the value {value:#010x}", f"{value:#010x}")


def _pair_cases():
    for page in PAGES.values():
        for name, value in dict.fromkeys(page.name_value_pairs):
            yield f"{page.name}:{name}={value:#010x}", page, name, value


@pytest.mark.parametrize("page, name, value", cases(_pair_cases()))
def test_named_value_pair(spec, page, name, value):
    found = spec.hresults.get(name)
    subject = name if name in spec else (page.documented[0] if page.documented else name)
    up.expect(spec, found is not None and found.value == value, subject, page.name,
              f"{name} is {value:#010x} on the page, {found.hex if found else 'missing'} in the spec",
              f"{value:#010x}")


# -- requirements, links, limits --------------------------------------------------------------------


def _requirement_cases():
    for page in REFERENCE:
        for label, value in page.requirements.items():
            if label in up.SUPPORT_ROWS:
                yield f"{page.name}:{label}", page, up.SUPPORT_ROWS[label], value


@pytest.mark.parametrize("page, key, value", cases(_requirement_cases()))
def test_requirement_row(spec, page, key, value):
    item = item_of(spec, page)
    have = getattr(item.support, key)
    up.expect(spec, have == value, item.qualname, page.name, f"{key} is {value!r} on the page, {have!r} in the spec",
              value, have, every=True)


def _see_also_cases():
    for page in REFERENCE:
        for text, target in page.see_also:
            yield f"{page.name}:{target}", page, target


@pytest.mark.parametrize("page, target", cases(_see_also_cases()))
def test_see_also_link(spec, page, target):
    item = item_of(spec, page)
    expected = target
    if target.endswith(".md") and target in spec.pages and spec.pages[target].documents:
        expected = spec.pages[target].documents
    up.expect(spec, expected in item.links, item.qualname, page.name,
              f"See also links to {target}; {expected} is not among the links of {item.qualname}", target, expected)


@pytest.mark.parametrize("page", cases((p.name, p) for p in REFERENCE if p.see_also))
def test_see_also_order(spec, page):
    item = item_of(spec, page)
    expected = [spec.pages[t].documents if t in spec.pages and spec.pages[t].documents else t
                for _, t in page.see_also]
    found = [link for link in item.links if link in expected]
    assert found == [e for e in expected if e in item.links], \
        f"{item.qualname} lists its See also links as {found}; the page's order is {expected}"


def _limit_cases():
    for page in REFERENCE:
        for limit in page.limits:
            yield f"{page.name}:{limit.param or 'value'}:{limit.kind}={limit.value}", page, limit


@pytest.mark.parametrize("page, limit", cases(_limit_cases()))
def test_stated_limit(spec, page, limit):
    item = item_of(spec, page)
    if limit.param is None:
        constraints, where = getattr(item, "constraints", ()), item.qualname
    else:
        params = {p.name: p for p in item.params}
        constraints, where = (params[limit.param].constraints if limit.param in params else ()), \
            f"{item.qualname}.{limit.param}"
    matching = [c for c in constraints if c.kind == limit.kind and c.value == limit.value]
    up.expect(spec, bool(matching), item.qualname, page.name,
              f"{where} has no {limit.kind} {limit.value} constraint ({limit.sentence!r})", limit.value)
    error = re.search(r"returns ([A-Z][A-Z0-9_]+)", limit.sentence)
    if matching and error:
        up.expect(spec, any(c.error == error.group(1) for c in matching), item.qualname, page.name,
                  f"the page says breaking the limit returns {error.group(1)}; the spec says "
                  f"{[c.error for c in matching]}", error.group(1))


# -- member tables, bases, objects ---------------------------------------------------------------------


def _row_cases(*tables):
    for page in REFERENCE:
        for row in page.member_rows:
            if row.table in tables:
                yield f"{page.name}:{row.table}:{row.name}", page, row


ACCESS = {"read-only": "read-only", "write-only": "write-only", "read/write": "read-write"}


@pytest.mark.parametrize("page, row", cases(_row_cases("method", "property")))
def test_interface_member_row(spec, page, row):
    iface = item_of(spec, page)
    assert isinstance(iface, Interface), f"{page.name} documents {iface.qualname}, not an interface"
    members = {m.name: m for m in iface.members}
    member = members.get(row.name)
    if member is None:  # a member the spec calls otherwise: the linked page says which
        documented = spec.pages[row.target].documents if row.target in spec.pages else None
        assert documented and documented.startswith(iface.name + "."), \
            f"{iface.name} has no member {row.name} (the table links to {row.target})"
        up.expect(spec, False, documented, page.name, f"the table names {row.name}, the spec {documented}", row.name)
        member = spec.resolve(documented)
    assert member.kind == row.table, f"{member.qualname} is a {member.kind}, the page lists it as a {row.table}"
    if row.access:  # a blank cell states nothing
        access = ACCESS.get(row.access.lower(), row.access)
        up.expect(spec, access == member.access, member.qualname, page.name,
                  f"the table says {row.access}, the spec {member.access}", row.access, member.access)


@pytest.mark.parametrize("page, row", cases(_row_cases("event")))
def test_dispinterface_event_row(spec, page, row):
    disp = item_of(spec, page)
    assert isinstance(disp, Dispinterface), f"{page.name} documents {disp.qualname}, not a dispinterface"
    assert row.name in [e.name for e in disp.events], f"{disp.name} has no event {row.name}"
    target = spec.pages.get(row.target)
    if target is not None and target.documents:
        assert target.documents == f"{disp.name}.{row.name}", \
            f"the row links to {row.target}, which the spec says documents {target.documents}"


@pytest.mark.parametrize("page, row", cases(_row_cases("interface")))
def test_object_interface_row(spec, page, row):
    coclass = item_of(spec, page)
    assert coclass.kind == "coclass", f"{page.name} documents {coclass.qualname}, not a coclass"
    up.expect(spec, row.name in coclass.interfaces + (coclass.event_interface,), coclass.name, page.name,
              f"the page lists {row.name}; the spec gives {coclass.name} {coclass.interfaces} and event "
              f"interface {coclass.event_interface}", row.name)


@pytest.mark.parametrize("page", cases((p.name, p) for p in REFERENCE if p.base))
def test_inherits_from(spec, page):
    item = item_of(spec, page)
    base = item.base if isinstance(item, Interface) else "IDispatch"  # every dispinterface is IDispatch-based
    up.expect(spec, page.base == base, item.qualname, page.name, f"the page names base {page.base}, the spec {base}",
              page.base)


@pytest.mark.parametrize("page", cases((p.name, p) for p in REFERENCE if "IID" in p.requirements))
def test_object_clsid(spec, page):
    coclass = item_of(spec, page)
    guid = up.GUID.search(page.requirements["IID"])
    assert guid, f"no GUID in the IID row {page.requirements['IID']!r}"
    up.expect(spec, "{" + guid.group(1).upper() + "}" == coclass.clsid.upper(), coclass.name, page.name,
              f"the page prints {guid.group(1)}, the spec's CLSID is {coclass.clsid}", guid.group(1), coclass.clsid,
              every=True)
