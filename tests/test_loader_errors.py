"""Each kind of bad input gives a located error (file:line:column), all at once, never a traceback."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINI_SPEC, write_spec
from msgrspec import SpecError, load_spec


def problems_of(root: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(root)
    return [str(p) for p in info.value.problems]


def broken(tmp_path: Path, file: str, old: str, new: str) -> Path:
    text = MINI_SPEC[file]
    assert old in text, old
    return write_spec(tmp_path / "spec", {**MINI_SPEC, file: text.replace(old, new, 1)})


def test_the_mini_spec_is_valid(mini_spec):
    spec = load_spec(mini_spec)
    assert spec.resolve("IMini.Ping").params[0].constraints[0].value == 3


@pytest.mark.parametrize("file, old, new, expected", [
    pytest.param("interfaces/IMini.yaml", "dispid: 1", "dispid: one",
                 r"IMini\.yaml:11:17: interfaces\.IMini\.members\[0\]\.dispid: 'one' is not of type 'integer'",
                 id="wrong-type"),
    pytest.param("interfaces/IMini.yaml", "        summary: Does nothing.",
                 "        summary: Does nothing.\n        colour: red",
                 r"IMini\.yaml:13:9: interfaces\.IMini\.members\[0\]: unknown key 'colour'", id="unknown-key"),
    pytest.param("interfaces/IMini.yaml", "        dispid: 2", "        dispid: 2\n        dispid: 3",
                 r"IMini\.yaml:21:9: duplicate key 'dispid' \(first defined at line 20\)", id="duplicate-key"),
    pytest.param("interfaces/IMini.yaml", "{11111111-0000-0000-0000-000000000002}",
                 "{11111111-0000-0000-0000-00000000000a}",
                 r"IMini\.yaml:3:10: interfaces\.IMini\.iid: '\{11111111-0000-0000-0000-00000000000a\}' is not "
                 r"a GUID in registry form", id="guid-format"),
    pytest.param("interfaces/IMini.yaml", "base: IDispatch", "base: IFoo",
                 r"IMini\.yaml:4:11: interfaces\.IMini\.base: 'IFoo' is not one of", id="bad-enum"),
    pytest.param("interfaces/IMini.yaml", "flags: [dual]", "flags: {dual: true}",
                 r"IMini\.yaml:5:12: interfaces\.IMini\.flags: \{'dual': True\} is not of type 'array'",
                 id="mapping-for-list"),
    pytest.param("interfaces/IMini.yaml", "{code: S_OK,", "{code: S_NOPE,",
                 r"IMini\.yaml:16:20: return code S_NOPE is not in the HRESULT table", id="unknown-return-code"),
    pytest.param("interfaces/IMini.yaml", "error: E_INVALIDARG", "error: E_WHAT",
                 r"IMini\.yaml:14:101: constraint error E_WHAT is not in the HRESULT table", id="unknown-error-code"),
    pytest.param("interfaces/IMini.yaml", "type: BSTR, dir: in", "type: BSTRING, dir: in",
                 r"IMini\.yaml:14:36: unknown type BSTRING of parameter bstrText", id="unknown-type"),
    pytest.param("interfaces/IMini.yaml", "dispid: 2", "dispid: 1",
                 r"IMini\.yaml:20:17: dispid 1 of IMini\.Name is already used by IMini\.Ping", id="duplicate-dispid"),
    pytest.param("interfaces/IMini.yaml", "      - name: Name\n", "      - name: Ping\n",
                 r"IMini\.yaml:18:15: IMini has two members called Ping", id="duplicate-member"),
    pytest.param("interfaces/IMini.yaml", "accessors: [get]", "accessors: [get, put]",
                 r"IMini\.yaml:23:20: a read-only property has the accessors get, not get, put", id="access-mismatch"),
    pytest.param("interfaces/IMini.yaml", "source: {pages: [mini.md], origin: both}\n    members",
                 "source: {pages: [gone.md], origin: both}\n    members",
                 r"IMini\.yaml:7:22: gone\.md is not an upstream page the spec lists", id="unknown-page"),
    pytest.param("interfaces/IMini.yaml", "    members:", "    links: [IMini.Pong]\n    members:",
                 r"IMini\.yaml:8:13: link to IMini\.Pong, which the spec does not have", id="unknown-link"),
    pytest.param("interfaces/IMini.yaml", "{11111111-0000-0000-0000-000000000002}",
                 "{11111111-0000-0000-0000-000000000001}",
                 r"IMini\.yaml:3:10: iid \{11111111-0000-0000-0000-000000000001\} is already the GUID of MiniLib",
                 id="duplicate-guid"),
    pytest.param("interfaces/IMini.yaml", "  - {name: bstrText",
                 "  - {name: bstrText, type: LONG, dir: in}\n          - {name: bstrText",
                 r"IMini\.yaml:15:20: parameter bstrText appears twice in IMini\.Ping", id="duplicate-param"),
    pytest.param("interfaces/IMini.yaml", "dir: in,", "dir: inout,",
                 r"IMini\.yaml:14:47: interfaces\.IMini\.members\[0\]\.params\[0\]\.dir: 'inout' is not one of",
                 id="bad-direction"),
    pytest.param("interfaces/IMini.yaml", 'iid: "{11111111-0000-0000-0000-000000000002}"',
                 'iid: "{11111111-0000-0000-0000-000000000001}\\n"',
                 r"IMini\.yaml:3:10: interfaces\.IMini\.iid: '\{11111111-0000-0000-0000-000000000001\}\\n' is not "
                 r"a GUID in registry form", id="guid-trailing-newline"),
    pytest.param("interfaces/IMini.yaml", "      - name: Name\n", '      - name: "Name\\n"\n',
                 r"IMini\.yaml:18:15: interfaces\.IMini\.members\[1\]\.name: 'Name\\n' does not match",
                 id="name-trailing-newline"),
    pytest.param("interfaces/IMini.yaml", "type: BSTR, dir: in", 'type: "BSTR\\n", dir: in',
                 r"IMini\.yaml:14:36: interfaces\.IMini\.members\[0\]\.params\[0\]\.type: 'BSTR\\n' is not an IDL type",
                 id="type-trailing-newline"),
    pytest.param("interfaces/IMini.yaml", "dispid: 1", "dispid: 77.0",
                 r"IMini\.yaml:11:17: interfaces\.IMini\.members\[0\]\.dispid: 77\.0 is not of type 'integer'",
                 id="float-dispid"),
    pytest.param("library.yaml", "S_OK: {value: 0x0,", "S_OK: {value: 0.0,",
                 r"library\.yaml:11:17: hresults\.S_OK\.value: 0\.0 is not of type 'integer'", id="float-hresult"),
])
def test_bad_input_is_located(tmp_path, file, old, new, expected):
    found = problems_of(broken(tmp_path, file, old, new))
    assert any(re.search(expected, p) for p in found), found


@pytest.mark.parametrize("content, expected", [
    pytest.param(b"", r"x\.yaml:1:1: the file is empty", id="empty"),
    pytest.param(b"# only a comment\n", r"x\.yaml:1:1: the file is empty", id="comment-only"),
    pytest.param(b"interfaces: [\n", r"x\.yaml:2:1: invalid YAML", id="unclosed-bracket"),
    pytest.param(b"pages:\n\tx.md: {title: X}\n", r"x\.yaml:2:1: invalid YAML: .*tabs", id="tab-indent"),
    pytest.param(b"pages:\n  x.md: {title: \"caf\xe9\"}\n", r"x\.yaml:2:21: the file is not UTF-8: byte 0xe9",
                 id="not-utf8"),
    pytest.param(b"a: 1\n---\nb: 2\n", r"x\.yaml:2:1: invalid YAML: .*single document", id="two-documents"),
    pytest.param(b"- just\n- a list\n", r"x\.yaml:1:1: \[.*\] is not of type 'object'", id="top-level-list"),
    pytest.param(b"colours: {}\n", r"x\.yaml:1:1: unknown key 'colours'", id="unknown-section"),
    pytest.param(b"pages: {}\nextra: &a [1]\n", r"x\.yaml:2:1: unknown key 'extra'", id="unknown-section-2"),
    pytest.param(b"pages:\n  x.md: {title: X}\n  <<: {y.md: {title: Y}}\n", r"x\.yaml:3:3: merge keys", id="merge-key"),
    pytest.param(b"pages: !!python/object:os.system {}\n", r"x\.yaml:1:8: cannot read this value", id="unsafe-tag"),
])
def test_unreadable_files_are_located(tmp_path, content, expected):
    root = write_spec(tmp_path / "spec", {**MINI_SPEC, "x.yaml": content})
    found = problems_of(root)
    assert any(re.search(expected, p) for p in found), found


def test_a_float_enumeration_value_is_located_not_a_crash(tmp_path):
    enums = """\
enums:
  MINI_RESULT:
    in_typelib: false
    hresult: true
    summary: Results.
    source: {pages: [mini.md], origin: pages}
    values:
      - {name: MINI_E_ONE, value: 2164262401.0, summary: One.}
"""
    root = write_spec(tmp_path / "spec", {**MINI_SPEC, "enums.yaml": enums})
    found = problems_of(root)
    assert any(re.search(r"enums\.yaml:8:35: enums\.MINI_RESULT\.values\[0\]\.value: 2164262401\.0 is not of type "
                         r"'integer'", p) for p in found), found
    whole = write_spec(tmp_path / "whole", {**MINI_SPEC, "enums.yaml": enums.replace("2164262401.0", "2164262401")})
    assert load_spec(whole).resolve("MINI_RESULT.MINI_E_ONE").value == 2164262401


def test_alias_bomb_is_stopped(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    root = write_spec(tmp_path / "spec", {**MINI_SPEC, "bomb.yaml": "\n".join(lines) + "\n"})
    found = problems_of(root)
    assert any(re.search(r"bomb\.yaml:\d+:\d+: the document expands to more than", p) for p in found), found


def test_recursive_alias_is_stopped(tmp_path):
    root = write_spec(tmp_path / "spec", {**MINI_SPEC, "loop.yaml": "a: &a [*a]\n"})
    found = problems_of(root)
    assert any("loop.yaml:1:" in p for p in found), found


def test_item_defined_in_two_files(tmp_path):
    root = write_spec(tmp_path / "spec", {**MINI_SPEC, "again.yaml": MINI_SPEC["interfaces/IMini.yaml"]})
    found = problems_of(root)
    assert any(re.search(r"IMini\.yaml:2:3: interfaces: IMini is defined twice \(also at .*again\.yaml:2:3\)", p)
               for p in found), found


def test_every_problem_is_reported_at_once(tmp_path):
    root = write_spec(tmp_path / "spec", {**MINI_SPEC, "a.yaml": b"", "b.yaml": b"x: [\n"})
    found = problems_of(root)
    assert any("a.yaml:1:1" in p for p in found) and any("b.yaml:" in p for p in found), found


def test_requirement_and_erratum_references(tmp_path):
    extra = """\
requirements:
  mini.ping.short:
    statement: Ping refuses long text.
    level: must
    applies_to: [IMini.Pong]
    codes: [E_NOPE]
    events: [IMini.Ping]
    erratum: nothing-here
    source: {origin: pages}
errata:
  ping-name:
    title: Name of Ping
    kind: within-page
    subjects: [IMini.Ping]
    readings:
      - {id: one, says: It is Ping., sources: [mini.md]}
      - {id: two, says: It is Pong., sources: [other.md]}
    adopted: three
    rationale: Because.
"""
    found = problems_of(write_spec(tmp_path / "spec", {**MINI_SPEC, "more.yaml": extra}))
    for expected in (r"more\.yaml:5:18: requirement mini\.ping\.short applies to IMini\.Pong",
                     r"more\.yaml:6:13: code E_NOPE is not in the HRESULT table",
                     r"more\.yaml:7:14: IMini\.Ping is not an event",
                     r"more\.yaml:8:14: erratum nothing-here does not exist",
                     r"more\.yaml:9:13: requirement mini\.ping\.short cites no upstream page",
                     r"more\.yaml:17:48: other\.md is not an upstream page",
                     r"more\.yaml:18:14: the adopted reading three is not one of one, two"):
        assert any(re.search(expected, p) for p in found), (expected, found)


def test_missing_folder_and_empty_folder(tmp_path):
    assert problems_of(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}: no such folder"]
    (tmp_path / "empty").mkdir()
    assert problems_of(tmp_path / "empty") == [f"{tmp_path / 'empty'}: the folder holds no .yaml spec files"]


def test_no_library_section(tmp_path):
    files = {k: v for k, v in MINI_SPEC.items()}
    files["library.yaml"] = files["library.yaml"].split("pages:")[0].replace("library:", "unused:")
    found = problems_of(write_spec(tmp_path / "spec", {"interfaces/IMini.yaml": files["interfaces/IMini.yaml"]}))
    assert any("no file has a library section" in p for p in found), found


def test_command_line_reports_without_traceback(tmp_path):
    root = broken(tmp_path, "interfaces/IMini.yaml", "dispid: 2", "dispid: 1")
    (root / "y.yaml").write_bytes(b"\xff\xfe")
    run = subprocess.run([sys.executable, "-m", "msgrspec", "validate", str(root)], capture_output=True, text=True)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert re.search(r"y\.yaml:1:1: the file is not UTF-8: byte 0xff", run.stderr), run.stderr
    assert run.stderr.strip().endswith("1 problem found"), run.stderr


@pytest.fixture
def shared_spec():
    """The mini spec in a folder that an unprivileged user can reach (tmp_path is private to this user)."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="msgrspec-perm-"))
    base.chmod(0o755)
    root = write_spec(base / "spec", MINI_SPEC)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root
    for path in [base, *base.rglob("*")]:
        path.chmod(0o700)
    shutil.rmtree(base)


def validate_unprivileged(root: Path) -> subprocess.CompletedProcess:
    """`msgrspec validate root` as a user that file permissions bind: root reads everything, so as root the
    command runs as nobody."""
    command = [sys.executable, "-m", "msgrspec", "validate", str(root)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv (util-linux): cannot make a folder unreadable")
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(command, capture_output=True, text=True, cwd="/", timeout=120,
                          env={**os.environ, "MSGRSPEC_NO_CACHE": "1"})


@pytest.mark.parametrize("unreadable, expected", [
    ("interfaces", r"spec/interfaces: cannot read the folder: Permission denied"),
    ("interfaces/IMini.yaml", r"spec/interfaces/IMini\.yaml: cannot read the file: Permission denied"),
])
def test_an_unreadable_part_of_a_spec_is_an_error(shared_spec, unreadable, expected):
    assert validate_unprivileged(shared_spec).returncode == 0
    (shared_spec / unreadable).chmod(0o000)
    run = validate_unprivileged(shared_spec)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stdout + run.stderr
    assert re.search(expected, run.stderr), run.stderr
    assert run.stderr.strip().endswith("1 problem found"), run.stderr


def test_links_and_names_that_are_not_files_are_errors(tmp_path):
    root = write_spec(tmp_path / "spec", MINI_SPEC)
    (root / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "more.yaml").write_text("pages: {}\n")
    (root / "more").symlink_to(tmp_path / "elsewhere")
    os.mkfifo(root / "pipe.yaml")
    found = problems_of(root)
    assert f"{root / 'gone.yaml'}: not a regular file (a broken link, a pipe?)" in found
    assert f"{root / 'pipe.yaml'}: not a regular file (a broken link, a pipe?)" in found
    assert f"{root / 'more'}: a link to a folder: the loader does not follow links to folders" in found


@pytest.mark.parametrize("name", ['stdole2.tlb"); typedef int injected; importlib("stdole2.tlb', "stdole2.tlb\n",
                                  "../../etc/passwd.tlb", "stdole2.idl"])
def test_a_library_import_must_be_a_type_library_name(tmp_path, name):
    text = MINI_SPEC["library.yaml"].replace("pages:\n", f"  imports: [{json.dumps(name)}]\npages:\n", 1)
    root = write_spec(tmp_path / "spec", {**MINI_SPEC, "library.yaml": text})
    run = subprocess.run([sys.executable, "-m", "msgrspec", "idl", str(root)], capture_output=True, text=True)
    assert run.returncode == 1 and run.stdout == "", run.stdout
    assert re.search(r"library\.yaml:8:13: library\.imports\[0\]: .* is not a type library file name", run.stderr), \
        run.stderr
    fine = write_spec(tmp_path / "fine", {**MINI_SPEC, "library.yaml": text.replace(json.dumps(name), "stdole2.tlb")})
    assert load_spec(fine).library.imports == ("stdole2.tlb",)


_PEAK_OF_A_LOAD = """
import resource, sys
from msgrspec import SpecError, load_spec
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_spec(sys.argv[1])
except SpecError as exc:
    print("\\n".join(str(p) for p in exc.problems))
print("grew", (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def _load_measured(root: Path) -> tuple[list[str], int]:
    """The problems of loading `root` in a fresh process, and how many MiB its peak memory grew by."""
    run = subprocess.run([sys.executable, "-c", _PEAK_OF_A_LOAD, str(root)], capture_output=True, text=True,
                         timeout=600, env={**os.environ, "MSGRSPEC_NO_CACHE": "1"})
    assert run.returncode == 0, run.stderr[-3000:]
    *problems, grew = run.stdout.strip().splitlines()
    return problems, int(grew.split()[1])


def test_a_document_of_too_many_nodes_is_refused_while_it_is_composed(tmp_path):
    """3 MB of one-letter list items (1.5 million nodes): refused at the node that goes over the limit, before
    the rest is composed; composed whole first, it would take some 500 MB."""
    from msgrspec.yamlfile import MAX_FILE_BYTES, MAX_NODES

    items = 1_500_000
    assert 2 * items < MAX_FILE_BYTES and items > MAX_NODES
    root = write_spec(tmp_path / "spec", {**MINI_SPEC, "big.yaml": "pages: [" + "a," * items + "a]\n"})
    problems, grew = _load_measured(root)
    assert len(problems) == 1 and re.search(rf"big\.yaml:1:\d+: the document has more than {MAX_NODES} nodes$",
                                            problems[0]), problems
    column = int(problems[0].split(":")[-2])
    assert column < 3 * MAX_NODES, "the limit was found after the whole line was read"
    assert grew < 150, f"peak memory grew by {grew} MiB"


def test_a_file_over_the_size_limit_is_not_read(tmp_path):
    from msgrspec.yamlfile import MAX_FILE_BYTES

    root = write_spec(tmp_path / "spec", MINI_SPEC)
    big = root / "big.yaml"
    with big.open("wb") as handle:
        handle.write(b"pages:\n")
        handle.truncate(2 * MAX_FILE_BYTES)  # NULs in a sparse file
    problems, grew = _load_measured(root)
    assert problems == [f"{big}: the file has {2 * MAX_FILE_BYTES} bytes, more than a spec file may have "
                        f"({MAX_FILE_BYTES}); split it into several files"], problems
    assert grew < 2 * MAX_FILE_BYTES // 2**20 + 20, f"peak memory grew by {grew} MiB"


@pytest.mark.parametrize("padding", [0, 200_000], ids=["composed-at-once", "composed-node-by-node"])
def test_nesting_too_deep_is_refused(tmp_path, padding):
    from msgrspec.yamlfile import COMPOSE_AT_ONCE_BYTES, MAX_DEPTH

    text = "#" * padding + "\npages: " + "[" * 500 + "]" * 500 + "\n"
    assert (len(text) > COMPOSE_AT_ONCE_BYTES) == bool(padding)
    root = write_spec(tmp_path / "spec", {**MINI_SPEC, "deep.yaml": text})
    found = problems_of(root)
    assert len(found) == 1 and re.fullmatch(rf".*deep\.yaml:2:7\d: nesting deeper than {MAX_DEPTH} levels", found[0]), \
        found


def test_a_spec_over_the_total_size_limit_is_not_read(tmp_path):
    from msgrspec.loader import MAX_SPEC_BYTES
    from msgrspec.yamlfile import MAX_FILE_BYTES

    root = write_spec(tmp_path / "spec", MINI_SPEC)
    count = MAX_SPEC_BYTES // MAX_FILE_BYTES + 1
    for i in range(count):  # each file within its own limit, all together over the spec's
        with (root / f"part{i:02d}.yaml").open("wb") as handle:
            handle.truncate(MAX_FILE_BYTES)  # sparse: nothing on disk, nothing read
    found = problems_of(root)
    size = sum(p.stat().st_size for p in root.rglob("*.yaml"))
    assert found == [f"{root}: the spec files have {size} bytes together, more than a spec may have "
                     f"({MAX_SPEC_BYTES})"], found
