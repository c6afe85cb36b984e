"""Mutation testing of the implementations: how many single-point faults the conformance suite finds.

    python tools/mutation.py run reference --sample 300 --seed 1 --jobs 2
    python tools/mutation.py run c --sample 60 --seed 1 --jobs 2
    python tools/mutation.py publish            # docs/mutation.md and the README table, from the results
    python tools/mutation.py reproduce          # every saved result run again, then published
    python tools/mutation.py list reference     # every mutant's stable id

Each mutant is one change to a temporary COPY of the code (the working tree is never touched): for the
reference, a copy of src/msgrspec with the checkout's spec/ and conformance/ beside it, put first on
PYTHONPATH and run with `msgrspec test -x -q`; for the C implementation, a copy of examples/c-session-manager
built with make into the copy, with AddressSanitizer and UBSan, and run with `msgrspec test --adapter process`.
A mutant is killed when the run fails (or exceeds the time limit), survives when it passes; a C mutant whose
run passes while the sanitizers report a fault (a leak, a use after free) is killed too, and counted apart; a C
mutant that does not compile is counted apart, as stillborn. Equivalent mutants are listed one by one, each with its reason, in
tools/equivalent-mutants.yaml and left out of the rate.

Why a mutator of the project's own: mutmut 3 rewrites every function of the package into trampolines
inside its own mutants/ tree and drives the project's pytest tests with its own statistics; the suite here
is a separate pytest run through an adapter, and the reference must stay importable as msgrspec.reference.
cosmic-ray writes each mutant into the working tree's file and restores it afterwards, which the team
rules forbid (parallel engineers share the checkout's files). Neither has a C mutator.
"""
from __future__ import annotations

import ast
import atexit
import functools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import click

from msgrspec.errors import SpecError
from msgrspec.yamlfile import read_yaml

CHECKOUT = Path(__file__).resolve().parent.parent
PACKAGE = CHECKOUT / "src" / "msgrspec"
REFERENCE = PACKAGE / "reference"
C_EXAMPLE = CHECKOUT / "examples" / "c-session-manager"
EQUIVALENT = CHECKOUT / "tools" / "equivalent-mutants.yaml"
RESULTS = CHECKOUT / "tools" / "mutation-results"
DOCS_PAGE = CHECKOUT / "docs" / "mutation.md"
README = CHECKOUT / "README.md"
README_BEGIN, README_END = "<!-- mutation-table:begin -->", "<!-- mutation-table:end -->"


@dataclass(frozen=True)
class Mutant:
    """One single-point change: `id` is stable across unrelated edits (no line numbers in it)."""

    file: str  # relative to the implementation's source folder
    function: str
    operator: str
    original: str
    replacement: str
    ordinal: int  # 1 for the first site in the function with the same operator and text, 2 for the next...
    line: int
    start: int  # character offsets of the replaced text in the file
    end: int

    @property
    def id(self) -> str:
        suffix = f" #{self.ordinal}" if self.ordinal > 1 else ""
        original, replacement = (" ".join(text.split()) for text in (self.original, self.replacement))
        return f"{self.file}:{self.function}:{self.operator}:{original} -> {replacement}{suffix}"

    def apply(self, text: str) -> str:
        assert text[self.start:self.end] == self.original, f"{self.id}: the source changed under the mutant"
        return text[:self.start] + self.replacement + text[self.end:]


def _numbered(found: Iterable[Mutant]) -> list[Mutant]:
    """Give each mutant its ordinal among the mutants sharing file, function, operator and texts."""
    seen: dict[tuple, int] = {}
    numbered = []
    for mutant in sorted(found, key=lambda m: (m.file, m.start, m.operator, m.replacement)):
        key = (mutant.file, mutant.function, mutant.operator, mutant.original, mutant.replacement)
        seen[key] = seen.get(key, 0) + 1
        numbered.append(Mutant(**{**asdict(mutant), "ordinal": seen[key]}))
    return numbered


# -- Python mutants ---------------------------------------------------------------------------------------

#: comparison -> (its text, the flipped text)
_COMPARISON_TEXT = {ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="), ast.Lt: ("<", ">="), ast.GtE: (">=", "<"),
                    ast.Gt: (">", "<="), ast.LtE: ("<=", ">"), ast.In: (r"\bin\b", "not in"),
                    ast.NotIn: (r"\bnot\s+in\b", "in"), ast.Is: (r"\bis\b", "is not"),
                    ast.IsNot: (r"\bis\s+not\b", "is")}


class _PythonSites(ast.NodeVisitor):
    """Walks one module and yields (node, operator, replacement node or text) for every mutation site."""

    def __init__(self, source: str, file: str):
        self.source, self.file = source, file
        self.offsets = [0]
        for line in source.splitlines(keepends=True):
            self.offsets.append(self.offsets[-1] + len(line))
        self.scope: list[str] = []
        self.found: list[Mutant] = []

    def _offset(self, line: int, column: int) -> int:
        # ast columns count UTF-8 bytes
        text = self.source[self.offsets[line - 1]:self.offsets[line]]
        return self.offsets[line - 1] + len(text.encode("utf-8")[:column].decode("utf-8"))

    def _add(self, node: ast.AST, operator: str, replacement: str) -> None:
        start = self._offset(node.lineno, node.col_offset)
        end = self._offset(node.end_lineno, node.end_col_offset)
        original = self.source[start:end]
        if original != replacement:
            self.found.append(Mutant(self.file, ".".join(self.scope) or "(module)", operator, original, replacement,
                                     1, node.lineno, start, end))

    def _scoped(self, node: ast.AST) -> None:
        self.scope.append(node.name)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.arg, ast.arguments)) or child is getattr(node, "returns", None):
                continue  # annotations and defaults of the signature are not behaviour worth mutating
            self.visit(child)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_Expr(self, node: ast.Expr) -> None:
        if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):  # a docstring
            self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def _span(self, node: ast.AST) -> tuple[int, int]:
        return self._offset(node.lineno, node.col_offset), self._offset(node.end_lineno, node.end_col_offset)

    def _replaced_between(self, node: ast.AST, operator: str, before: ast.AST, after: ast.AST, pattern: str,
                          new: str) -> None:
        """Add the mutant of node whose text between `before` and `after` has `pattern` replaced by `new`."""
        start, end = self._span(node)
        gap_start, gap_end = self._span(before)[1], self._span(after)[0]
        gap = re.sub(pattern, new, self.source[gap_start:gap_end], count=1)
        replacement = self.source[start:gap_start] + gap + self.source[gap_end:end]
        self._add(node, operator, replacement)

    def visit_Compare(self, node: ast.Compare) -> None:
        for index, op in enumerate(node.ops):
            before = node.left if index == 0 else node.comparators[index - 1]
            pattern, new = _COMPARISON_TEXT[type(op)]
            self._replaced_between(node, "compare", before, node.comparators[index], pattern, new)
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        pattern, new = (r"\band\b", "or") if isinstance(node.op, ast.And) else (r"\bor\b", "and")
        for before, after in zip(node.values, node.values[1:]):
            self._replaced_between(node, "boolean", before, after, pattern, new)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool):
            self._add(node, "constant", repr(not value))
        elif isinstance(value, int):
            self._add(node, "constant", hex(value + 1) if self.source[self._offset(node.lineno, node.col_offset):]
                      .startswith("0x") else repr(value + 1))

    def visit_Raise(self, node: ast.Raise) -> None:
        self._add(node, "raise-removed", "pass")
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None and not (isinstance(node.value, ast.Constant) and node.value.value is None):
            self._add(node.value, "return-none", "None")
        self.generic_visit(node)


def python_mutants(folder: Path = REFERENCE) -> list[Mutant]:
    """Every mutant of the Python files directly in folder."""
    found = []
    for path in sorted(folder.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        sites = _PythonSites(source, path.name)
        sites.visit(ast.parse(source, str(path)))
        found += sites.found
    return _numbered(found)


# -- C mutants --------------------------------------------------------------------------------------------

_C_TOKEN = re.compile(r"""
    (?P<skip>/\*.*?\*/|//[^\n]*|^[ \t]*\#(?:[^\n]*\\\n)*[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|\s+)
  | (?P<number>0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*\b)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<op>->|\+\+|--|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^!=<>]=?|[{}()\[\];,.?:~])
""", re.VERBOSE | re.DOTALL | re.MULTILINE)
_C_FLIPPED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_C_KEYWORDS = {"return", "if", "else", "while", "for", "do", "switch", "case", "default", "break", "continue",
               "goto", "sizeof", "struct", "union", "enum", "static", "const", "typedef", "unsigned", "signed"}
_C_STATEMENT_STARTS = {"(", "=", "->", ".", "[", "++", "--", "+=", "-=", "|=", "&=", "*=", "/="}
#: HRESULTs answered by a return statement, and the one that replaces each
_HRESULT_SWAPS = {"S_OK": "E_FAIL", "S_FALSE": "S_OK", "E_FAIL": "S_OK", "E_INVALIDARG": "E_FAIL",
                  "E_POINTER": "E_INVALIDARG", "E_NOTIMPL": "S_OK", "E_NOINTERFACE": "E_FAIL",
                  "E_OUTOFMEMORY": "E_FAIL", "E_UNEXPECTED": "E_FAIL"}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


def _c_tokens(source: str) -> list[_Token]:
    tokens, at = [], 0
    while at < len(source):
        match = _C_TOKEN.match(source, at)
        if match is None:
            raise ValueError(f"cannot read C at offset {at}: {source[at:at + 20]!r}")
        if match.lastgroup != "skip":
            tokens.append(_Token(match.lastgroup, match.group(), match.start(), match.end()))
        at = match.end()
    return tokens


def c_mutants(folder: Path = C_EXAMPLE / "src") -> list[Mutant]:
    """Every mutant of the C files in folder: comparison flipped, constant changed, statement removed,
    HRESULT returned swapped (only inside function bodies)."""
    found = []
    for path in sorted(folder.glob("*.c")):
        source = path.read_text(encoding="utf-8")
        tokens = _c_tokens(source)
        line_of = lambda offset: source.count("\n", 0, offset) + 1  # noqa: E731
        depth, function, candidate = 0, "", ""
        for index, token in enumerate(tokens):
            previous = tokens[index - 1].text if index else ";"
            following = tokens[index + 1].text if index + 1 < len(tokens) else ""

            def add(operator: str, start: int, end: int, replacement: str) -> None:
                found.append(Mutant(path.name, function, operator, source[start:end], replacement, 1,
                                    line_of(start), start, end))

            if token.text == "{":
                if depth == 0:
                    function = candidate if previous == ")" else "(top level)"
                depth += 1
                continue
            if token.text == "}":
                depth -= 1
                continue
            if depth == 0:
                if token.kind == "name" and following == "(":
                    candidate = token.text
                continue
            if function == "(top level)":
                continue  # initialisers of tables: data, not statements
            if token.kind == "op" and token.text in _C_FLIPPED:
                add("compare", token.start, token.end, _C_FLIPPED[token.text])
            elif token.kind == "number":
                digits = re.match(r"0[xX][0-9a-fA-F]+|\d+", token.text).group()
                value = int(digits, 0)
                add("constant", token.start, token.start + len(digits),
                    hex(value + 1) if digits.lower().startswith("0x") else str(value + 1))
            elif token.kind == "name" and previous == "return" and token.text in _HRESULT_SWAPS:
                add("hresult", token.start, token.end, _HRESULT_SWAPS[token.text])
            if (token.kind == "name" and previous in (";", "{", "}", ")") and token.text not in _C_KEYWORDS
                    and following in _C_STATEMENT_STARTS and (previous != ")" or _closes_control(tokens, index))):
                end = _statement_end(tokens, index)
                if end is not None:
                    add("statement-removed", token.start, tokens[end].end, ";")
    return _numbered(found)


def _closes_control(tokens: list[_Token], index: int) -> bool:
    """Whether the `)` before tokens[index] closes an if/while/for head (a statement follows it)."""
    depth = 0
    for back in range(index - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(tokens[back].text, 0)
        if depth == 0:
            return back > 0 and tokens[back - 1].text in ("if", "while", "for")
    return False


def _statement_end(tokens: list[_Token], index: int) -> int | None:
    """The index of the `;` ending the expression statement that starts at tokens[index]."""
    depth = 0
    for at in range(index, len(tokens)):
        text = tokens[at].text
        if text in "([":
            depth += 1
        elif text in ")]":
            depth -= 1
        elif text in "{}":
            return None
        elif text == ";" and depth == 0:
            return at
    return None


# -- equivalent mutants -----------------------------------------------------------------------------------

#: the kinds of listed mutant, and what each means on the published page
LISTING_KINDS = {
    "equivalent": "equivalent (the program behaves the same)",
    "out-of-reach": "out of the suite's reach (no adapter operation can drive the code; the unit test named kills it)",
    "spec-open": "left open by the spec (the sources give no answer a case could require)",
}


@dataclass(frozen=True)
class Listing:
    """Why a mutant is left out of the rate: its kind (a key of LISTING_KINDS) and the reviewed reason."""

    kind: str
    reason: str

    def __str__(self) -> str:
        return f"{LISTING_KINDS[self.kind].split(' (')[0].capitalize()}. {self.reason}"


def equivalent_mutants(path: Path = EQUIVALENT) -> dict[str, dict[str, Listing]]:
    """implementation -> {mutant id: its listing}; every entry needs an id, a kind and a reason of its own, and a
    problem is reported with its file:line:column."""
    try:
        located = read_yaml(path)
    except SpecError as exc:
        raise click.ClickException(str(exc.problems[0])) from None
    data = located.data or {}
    if not isinstance(data, dict):
        raise click.ClickException(f"{located.where(())}: expected a mapping of implementation -> list of entries")
    listed: dict[str, dict[str, Listing]] = {}
    for implementation, entries in data.items():
        listed[implementation] = {}
        for number, entry in enumerate(entries or []):
            where = located.where((implementation, number))
            if not (isinstance(entry, dict) and isinstance(entry.get("id"), str)
                    and isinstance(entry.get("reason"), str) and entry["reason"].strip()):
                raise click.ClickException(f"{where}: {implementation} entry {number + 1}: needs an id and a reason")
            if entry.get("kind") not in LISTING_KINDS:
                raise click.ClickException(f"{where}: {implementation} entry {number + 1}: kind is "
                                           f"{entry.get('kind')!r}, not one of {', '.join(LISTING_KINDS)}")
            if entry["id"] in listed[implementation]:
                raise click.ClickException(f"{where}: {implementation}: {entry['id']} is listed twice")
            listed[implementation][entry["id"]] = Listing(entry["kind"], entry["reason"].strip())
    return listed


# -- running the mutants ----------------------------------------------------------------------------------

#: where a snapshot keeps what it copied (see `snapshot`)
SNAPSHOT_PACKAGE = Path("src") / "msgrspec"
SNAPSHOT_C_EXAMPLE = Path("examples") / "c-session-manager"


def snapshot(folder: Path, revision: str | None) -> Path:
    """Everything a run reads, copied into folder when it starts, so that edits made while it goes on change
    nothing: spec/ and conformance/ (from the working tree, or from a git revision, to measure an earlier
    suite), and the implementations' sources from the working tree (src/msgrspec, the C example)."""
    if revision is None:
        for shared in ("spec", "conformance"):
            shutil.copytree(CHECKOUT / shared, folder / shared, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        archive = subprocess.run(["git", "-C", str(CHECKOUT), "archive", revision, "spec", "conformance"],
                                 capture_output=True, check=False)
        if archive.returncode != 0:
            raise click.ClickException(f"git archive {revision}: {archive.stderr.decode(errors='replace').strip()}")
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    shutil.copytree(PACKAGE, folder / SNAPSHOT_PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(C_EXAMPLE, folder / SNAPSHOT_C_EXAMPLE, ignore=shutil.ignore_patterns("build"))
    return folder


def copy_checkout(root: Path, suite: Path, edits: dict[str, str] | None = None) -> Path:
    """A copy of the snapshot's src/msgrspec under root/src, its spec/ and conformance/ linked beside it; edits
    maps paths relative to src/msgrspec to the text they get in the copy. Returns the folder for PYTHONPATH."""
    shutil.copytree(suite / SNAPSHOT_PACKAGE, root / "src" / "msgrspec", ignore=shutil.ignore_patterns("__pycache__"))
    for shared in ("spec", "conformance"):
        (root / shared).symlink_to(suite / shared, target_is_directory=True)
    for relative, text in (edits or {}).items():
        (root / "src" / "msgrspec" / relative).write_text(text, encoding="utf-8")
    return root / "src"


@dataclass(frozen=True)
class Outcome:
    id: str
    file: str
    line: int
    #: killed (a verdict of the suite failed), sanitizer (C: the verdicts passed, AddressSanitizer or UBSan reported
    #: during the run), client (C: then a check of the C COM client failed), timeout (killed by the limit),
    #: survived, stillborn (C: does not build)
    status: str
    seconds: float
    detail: str = ""


@dataclass(frozen=True)
class Configuration:
    """One way the implementation ships, run in turn until one kills the mutant: code that only one
    configuration runs (the SQLite registry, the service without Lock and Key) is tested by that one."""

    name: str
    options: tuple[str, ...] = ()
    #: variables set for the run; "{folder}" is the mutant's own temporary folder
    environment: tuple[tuple[str, str], ...] = ()

    def env(self, base: dict[str, str], folder: Path) -> dict[str, str]:
        return {**base, **{key: value.replace("{folder}", str(folder)) for key, value in self.environment}}


REFERENCE_CONFIGURATIONS = (
    Configuration("default"),
    Configuration("registry file", environment=(("MSGRSPEC_REFERENCE_REGISTRY", "{folder}/registry.sqlite"),)),
    Configuration("without Lock and Key", ("--adapter", "msgrspec.reference:without_lock")),
    Configuration("single party", ("--adapter", "msgrspec.reference:single_party")),
)


def _suite(command: list[str], cwd: Path, env: dict[str, str], limit: float) -> tuple[str, str]:
    try:
        run = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return "timeout", f"no result within {limit:g} s"
    if run.returncode == 0:
        return "survived", ""
    failed = [line for line in run.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return "killed", (failed[0] if failed else (run.stdout + run.stderr).strip().splitlines()[-1:] or [""])[0][:300]


def _suite_in_turn(configurations: Iterable[Configuration], command: list[str], cwd: Path, env: dict[str, str],
                   deadline: float) -> tuple[str, str]:
    """The suite under each configuration until one fails; the detail names the one that did."""
    for configuration in configurations:
        status, detail = _suite(command + list(configuration.options), cwd, configuration.env(env, cwd),
                                max(1.0, deadline - time.monotonic()))
        if status != "survived":
            return status, f"{configuration.name}: {detail}"
    return "survived", ""


def _environment(python_path: str | None = None) -> dict[str, str]:
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(Path(tempfile.gettempdir()) / "msgrspec-mutation-pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("MSGRSPEC_REFERENCE_REGISTRY", None)
    if python_path:
        env["PYTHONPATH"] = python_path
    return env


def _outcome(mutant: Mutant | None, status: str, started: float, detail: str) -> Outcome:
    return Outcome(mutant.id if mutant else "(unmutated)", mutant.file if mutant else "",
                   mutant.line if mutant else 0, status, time.monotonic() - started, detail)


def run_reference(mutant: Mutant | None, limit: float, suite: Path) -> Outcome:
    """The suite against the reference with the mutant applied to a copy (None: the unmutated copy), in each
    of its configurations in turn."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="msgrspec-mutant-") as folder:
        root = Path(folder)
        edits = {}
        if mutant is not None:
            original = (suite / SNAPSHOT_PACKAGE / "reference" / mutant.file).read_text(encoding="utf-8")
            edits[f"reference/{mutant.file}"] = mutant.apply(original)
        src = copy_checkout(root, suite, edits)
        status, detail = _suite_in_turn(REFERENCE_CONFIGURATIONS,
                                        [sys.executable, "-m", "msgrspec", "test", "-x", "-q", "-p", "no:randomly"],
                                        root, _environment(str(src)), started + limit)
    return _outcome(mutant, status, started, detail)


#: how a C mutant is built: with AddressSanitizer (use after free, overflow, leaks at exit) and UBSan watching the
#: suite's run, as tests/test_protocol_c.py builds the C implementation; what they report kills the mutant
C_SANITIZED_CFLAGS = "-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer"


def _make_c(source: Path, build: Path, env: dict[str, str], limit: float, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "-C", str(source), f"BUILD={build}", "CC=gcc",
                           f"CFLAGS={C_SANITIZED_CFLAGS}", f"MSGRSPEC={sys.executable} -m msgrspec",
                           f"PYTHON={sys.executable}", *options],
                          capture_output=True, text=True, env=env, timeout=limit)


#: what the stage of the real COM client needs: mingw-w64 and widl to build the in-process DLL and the client
#: (clients/client.c), Wine to run them
C_CLIENT_TOOLS = ("x86_64-w64-mingw32-gcc", "x86_64-w64-mingw32-windres", "widl", "wine", "wineboot", "wineserver")


class WineSlot:
    """A Wine prefix of the run's own, with the example's in-process DLL registered at one fixed path: each C
    mutant's DLL is put there in turn (one at a time) and the example's COM client is run against it."""

    def __init__(self, folder: Path, dll: Path):
        self.folder, self.lock = folder, threading.Lock()
        (folder / "tmp").mkdir(parents=True)
        self.env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
        self.env.update(WINEPREFIX=str(folder / "prefix"), WINEARCH="win64", WINEDEBUG="-all",
                        TMPDIR=str(folder / "tmp"), WINEDLLOVERRIDES="mscoree,mshtml=")
        self.dll = folder / "msgrsc.dll"
        shutil.copy(dll, self.dll)
        for step in (["wineboot", "-i"], ["wineserver", "-w"], ["wineserver", "-p"],
                     ["wine", "regsvr32", "/s", self._windows(self.dll)]):
            code, output = self._wine(step, 300)
            if code != 0:
                raise click.ClickException(f"setting up Wine for the COM client ({' '.join(step)}): {output[-300:]}")
        atexit.register(self._wine, ["wineserver", "-k"], 60)

    @staticmethod
    def _windows(path: Path) -> str:
        return "Z:" + str(path).replace("/", "\\")

    def _wine(self, command: list[str], limit: float) -> tuple[int, str]:
        """Run a Wine command with its output through a file (Wine's services keep the first program's pipes)."""
        with tempfile.TemporaryFile(dir=self.folder) as output:
            try:
                code = subprocess.run(command, env=self.env, stdin=subprocess.DEVNULL, stdout=output,
                                      stderr=subprocess.STDOUT, timeout=limit).returncode
            except subprocess.TimeoutExpired:
                code = 124
            output.seek(0)
            return code, output.read().decode("utf-8", "replace").replace("\r\n", "\n")

    def client(self, dll: Path, client: Path, limit: float) -> tuple[str, str]:
        """Run `client inproc` against `dll`: ("survived", "") on PASS, else ("client", the first failed check)."""
        with self.lock:
            staged = self.folder / "msgrsc.dll.new"
            shutil.copy(dll, staged)
            os.replace(staged, self.dll)  # a new file: no process maps the one it replaces any more
            code, output = self._wine(["wine", self._windows(client), "inproc"], limit)
        if code == 0 and "msgrsc-client: PASS" in output:
            return "survived", ""
        failed = [line for line in output.splitlines() if line.startswith("FAIL ")]
        what = failed[0] if failed else ("no answer within the limit" if code == 124 else
                                          f"exit status {code}: {output.strip()[-200:]}")
        return "client", f"C COM client: {what}"[:300]


@functools.lru_cache(maxsize=None)
def _c_prebuilt(suite: Path) -> tuple[dict[str, str], Path, WineSlot | None]:
    """msgrspec with the suite's spec (for running the suite), an unmutated build, made once for every C mutant of
    a run (a copy of the build then only recompiles the mutated file and links: 0.4 s, not 6), and, where
    mingw-w64 and Wine are installed, its in-process DLL and COM client with a Wine slot to run them in."""
    folder = Path(tempfile.mkdtemp(prefix="msgrspec-c-prebuilt-"))
    atexit.register(shutil.rmtree, folder, True)
    env = _environment(str(copy_checkout(folder / "msgrspec", suite)))
    build = folder / "build"
    made = _make_c(suite / SNAPSHOT_C_EXAMPLE, build, env, 600.0)
    if made.returncode != 0:
        raise click.ClickException(f"the unmutated C implementation does not build with {C_SANITIZED_CFLAGS} "
                                   f"(Debian: libasan8, libubsan1): {made.stderr.strip()[-300:]}")
    if any(shutil.which(tool) is None for tool in C_CLIENT_TOOLS):
        return env, build, None
    made = _make_c(suite / SNAPSHOT_C_EXAMPLE, build, env, 600.0, *map(str, _com_targets(build)))
    if made.returncode != 0:
        raise click.ClickException(f"the unmutated COM server does not build: {made.stderr.strip()[-300:]}")
    return env, build, WineSlot(folder / "wine", _com_targets(build)[0])


def _com_targets(build: Path) -> tuple[Path, Path]:
    """The in-process DLL and the COM client that make builds in `build`."""
    return build / "win64" / "msgrsc.dll", build / "win64" / "msgrsc-client.exe"


REFERENCE_CHECKS = ["the suite, in each configuration the reference ships until one fails"]


def c_checks(suite: Path) -> list[str]:
    """What judges a C mutant on this machine, for the results: the COM client's stage only where it can run."""
    checks = ["the suite through the process adapter", "AddressSanitizer and UBSan during the suite's run"]
    if _c_prebuilt(suite)[2] is not None:
        checks.append("the example's C COM client (clients/client.c) under Wine, against the in-process DLL")
    return checks


def _sanitizer_report(logs: Path) -> str:
    """The first line that names the problem in what AddressSanitizer or UBSan wrote, or "" if they wrote nothing."""
    for log in sorted(logs.iterdir()):
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        named = [line for line in lines if "ERROR:" in line or "runtime error:" in line]
        return f"{log.name.split('.')[0]}: {(named or lines or ['(empty report)'])[0].strip()[:280]}"
    return ""


def run_c(mutant: Mutant | None, limit: float, suite: Path) -> Outcome:
    """Build a copy of the C implementation with the mutant applied and run the suite through `process`, with the
    sanitizers watching: a mutant the suite's verdicts let through is killed by what they report (status
    `sanitizer`), so a leak or a use after free counts as found, and is told apart from a failed verdict. One that
    is still alive is built as the in-process COM server and met by the example's C COM client under Wine (status
    `client` when a check of it fails), where mingw-w64 and Wine are installed: what the adapter contract cannot
    reach, such as an unusable out pointer or a connection point's own methods, is checked there."""
    started = time.monotonic()
    tool, prebuilt, wine = _c_prebuilt(suite)
    with tempfile.TemporaryDirectory(prefix="msgrspec-c-mutant-") as folder:
        copy = Path(folder) / "c-session-manager"
        shutil.copytree(suite / SNAPSHOT_C_EXAMPLE, copy)  # keeps the sources' times
        if mutant is not None:
            source = copy / "src" / mutant.file
            source.write_text(mutant.apply(source.read_text(encoding="utf-8")), encoding="utf-8")
        build = Path(folder) / "build"
        shutil.copytree(prebuilt, build)  # keeps the times: only the mutated file is newer than its object
        # -o: the spec's IDL counts as made, so nothing is generated again
        make = _make_c(copy, build, tool, limit, "-o", str(build / "msgrpriv.idl"))
        if make.returncode != 0:
            errors = [line for line in make.stderr.splitlines() if "error" in line]
            return _outcome(mutant, "stillborn", started, (errors or [make.stderr.strip()[-300:]])[0][:300])
        logs = Path(folder) / "sanitizer"
        logs.mkdir()
        env = {**tool, "ASAN_OPTIONS": f"detect_leaks=1:log_path={logs}/asan",
               "UBSAN_OPTIONS": f"print_stacktrace=1:log_path={logs}/ubsan"}
        status, detail = _suite([sys.executable, "-m", "msgrspec", "test", "-x", "-q", "--adapter", "process",
                                 "--expected-failures", str(copy / "expected-failures.yaml"), "--",
                                 str(build / "c-session-manager")], Path(folder), env,
                                max(1.0, limit - (time.monotonic() - started)))
        if status == "survived" and (report := _sanitizer_report(logs)):
            status, detail = "sanitizer", report
        if status == "survived" and wine is not None and (mutant is None or mutant.file not in C_PROTOCOL_FILES):
            made = _make_c(copy, build, tool, limit, "-o", str(build / "msgrpriv.idl"), *map(str, _com_targets(build)))
            if made.returncode != 0:
                return _outcome(mutant, "stillborn", started, f"for Windows: {made.stderr.strip()[-280:]}")
            status, detail = wine.client(*_com_targets(build), max(1.0, limit - (time.monotonic() - started)))
    return _outcome(mutant, status, started, detail)


#: the C example's protocol front end (the loop that reads the protocol, JSON): not the API, but what stands
#: in for the COM runtime and the typelib marshaller on Linux; measured apart, as `c-protocol`
C_PROTOCOL_FILES = frozenset({"server.c", "json.c"})


def c_api_mutants(folder: Path) -> list[Mutant]:
    """The mutants of the C implementation of the API: every source but the protocol front end."""
    return [m for m in c_mutants(folder) if m.file not in C_PROTOCOL_FILES]


def c_protocol_mutants(folder: Path) -> list[Mutant]:
    return [m for m in c_mutants(folder) if m.file in C_PROTOCOL_FILES]


#: implementation -> (its mutants, given the folder of its sources; its runner; that folder in a snapshot)
IMPLEMENTATIONS: dict[str, tuple[Callable[[Path], list[Mutant]], Callable[[Mutant | None, float, Path], Outcome],
                                 Path]] = {
    "reference": (python_mutants, run_reference, SNAPSHOT_PACKAGE / "reference"),
    "c": (c_api_mutants, run_c, SNAPSHOT_C_EXAMPLE / "src"),
    "c-protocol": (c_protocol_mutants, run_c, SNAPSHOT_C_EXAMPLE / "src"),
}


def mutants_of(implementation: str, suite: Path = CHECKOUT) -> list[Mutant]:
    """Every mutant of an implementation, in a snapshot (or, by default, in the working tree)."""
    lister, _, sources = IMPLEMENTATIONS[implementation]
    return lister(suite / sources)


def sample(mutants: list[Mutant], size: int | None, seed: int) -> list[Mutant]:
    """A deterministic random sample (by seed) in source order; all of them when size is None or larger."""
    if size is None or size >= len(mutants):
        return list(mutants)
    return sorted(random.Random(seed).sample(mutants, size), key=lambda m: (m.file, m.start, m.id))


def execute(implementation: str, chosen: list[Mutant], limit: float, jobs: int, suite: Path,
            progress: Callable[[Outcome], None] = lambda outcome: None) -> list[Outcome]:
    """Run every chosen mutant against the snapshot `suite` (see `snapshot`), after checking that the unmutated
    copy passes."""
    runner = IMPLEMENTATIONS[implementation][1]
    baseline = runner(None, limit, suite)
    if baseline.status != "survived":
        raise click.ClickException(f"the unmutated {implementation} copy does not pass ({baseline.status}): "
                                   f"{baseline.detail}")
    outcomes = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for outcome in pool.map(lambda mutant: runner(mutant, limit, suite), chosen):
            progress(outcome)
            outcomes.append(outcome)
    return outcomes


#: the statuses that count as a kill
KILLED = frozenset({"killed", "sanitizer", "client", "timeout"})


def summary(outcomes: list[Outcome], equivalent: dict[str, Listing]) -> dict:
    """Kill rate overall and per file; listed and stillborn mutants are out of the denominator."""
    def rate(group: list[Outcome]) -> dict:
        counted = [o for o in group if o.status != "stillborn" and o.id not in equivalent]
        killed = sum(o.status in KILLED for o in counted)
        return {"mutants": len(group), "counted": len(counted), "killed": killed,
                "listed": {kind: sum(o.id in equivalent and equivalent[o.id].kind == kind for o in group)
                           for kind in LISTING_KINDS},
                "stillborn": sum(o.status == "stillborn" for o in group),
                "by_sanitizer": sum(o.status == "sanitizer" for o in counted),
                "by_client": sum(o.status == "client" for o in counted),
                "rate": round(killed / len(counted), 4) if counted else None}
    files = sorted({o.file for o in outcomes})
    return {"total": rate(outcomes), "files": {f: rate([o for o in outcomes if o.file == f]) for f in files}}


# -- publishing -------------------------------------------------------------------------------------------

def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _label(result: dict) -> str:
    suite = result.get("suite", "working tree")
    return result["implementation"] + ("" if suite == "working tree" else f", suite of {suite}")


def _command(name: str, result: dict) -> str:
    options = f"--sample {result['sample']} --seed {result['seed']}"
    if result.get("suite", "working tree") != "working tree":
        options += f" --suite-revision {result['suite']} --results tools/mutation-results/{name}.json"
    return f"python tools/mutation.py run {result['implementation']} {options}"


def _listed(figures: dict) -> str:
    return " / ".join(str(figures["listed"][kind]) for kind in LISTING_KINDS)


def _of_all(figures: dict) -> float | None:
    """The share killed of every mutant run that compiled, the listed ones included."""
    built = figures["mutants"] - figures["stillborn"]
    return round(figures["killed"] / built, 4) if built else None


def _figures(figures: dict, bold: bool = False) -> str:
    rate = f"**{_percent(figures['rate'])}**" if bold else _percent(figures["rate"])
    return (f"{figures['mutants']} | {_listed(figures)} | {figures['counted']} | {figures['killed']} | "
            f"{figures['by_sanitizer']} | {figures['by_client']} | {rate} | {_percent(_of_all(figures))}")


def render_page(results: dict[str, dict], equivalent: dict[str, dict[str, Listing]]) -> str:
    """docs/mutation.md from the saved results (file name -> result)."""
    lines = ["# Mutation testing", "",
             "How many single-point faults the conformance suite finds in each implementation. Every mutant is "
             "one change to a temporary copy of the code: a comparison flipped, a constant changed by one, a "
             "`raise` removed, a returned value replaced by `None`, `and`/`or` swapped (Python); a comparison "
             "flipped, a constant changed by one, a statement removed, a returned HRESULT swapped (C). A mutant "
             "is killed when `msgrspec test -x` fails against it (or exceeds the time limit). A C mutant is built "
             "with AddressSanitizer and UBSan, as the project's own tests build the C implementation, and one whose "
             "verdicts all pass is still killed when they report a fault during the run (a leak, a use after free); "
             "one that is still alive is built as the in-process COM server and met by the example's C COM client "
             "(`clients/client.c`) under Wine, which checks what the adapter contract cannot reach (unusable out "
             "pointers, a connection point's own methods). The columns *by the sanitizers* and *by the C client* "
             "count those kills apart from the kills by a verdict of the suite. The reference is run "
             "in each configuration it ships (" + ", ".join(c.name for c in REFERENCE_CONFIGURATIONS) + ") until "
             "one fails. `c` is the C implementation of the API; `c-protocol` its protocol front end ("
             + ", ".join(f"`{f}`" for f in sorted(C_PROTOCOL_FILES)) + "), which stands in for COM on Linux. "
             "Mutants listed in `tools/equivalent-mutants.yaml`, each with its kind and reason, and C mutants that "
             "do not compile are left out of the rate; the column *listed* counts them by kind: "
             + "; ".join(f"{i + 1}. {text}" for i, text in enumerate(LISTING_KINDS.values())) + ". "
             "*Of all* is the share killed of every mutant run that compiles, listed ones included. The samples "
             "are random, drawn by seed from every mutant of the implementation.",
             "", "Reproduce:", "", "```sh"]
    lines += [_command(name, result) for name, result in results.items()]
    lines += ["python tools/mutation.py publish", "```", "", "## Kill rates", "",
              "| run | file | mutants run | listed (1 / 2 / 3) | counted | killed | by the sanitizers | "
              "by the C client | rate | of all |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for result in results.values():
        total = result["summary"]["total"]
        lines.append(f"| **{_label(result)}** | **all** (sample of {result['population']}, seed {result['seed']}) | "
                     f"{_figures(total, bold=True)} |")
        for file, figures in result["summary"]["files"].items():
            lines.append(f"| {_label(result)} | `{file}` | {_figures(figures)} |")
    for result in results.values():
        listed = equivalent.get(result["implementation"], {})
        lines += ["", f"## Survivors: {_label(result)}", ""]
        if result.get("checks"):
            lines += ["Judged by " + "; ".join(result["checks"]) + ".", ""]
        survivors = [o for o in result["outcomes"] if o["status"] == "survived"]
        lines += [f"- `{o['id']}` (line {o['line']}): {listed.get(o['id'], 'not killed: a gap of the suite')}"
                  for o in survivors] or ["None."]
        stillborn = [o for o in result["outcomes"] if o["status"] == "stillborn"]
        if stillborn:
            lines += ["", "Stillborn (does not compile): " + ", ".join(f"`{o['id']}`" for o in stillborn)]
    return "\n".join(lines) + "\n"


def render_readme_table(results: dict[str, dict]) -> str:
    rows = ["| run | mutants run (sample of, seed) | listed: equivalent / out of reach / left open | "
            "killed / counted (by the sanitizers, by the C client) | kill rate | of all | target |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    targets = {"reference": "90%", "c": "85%", "c-protocol": "none set"}
    for result in results.values():
        total = result["summary"]["total"]
        rows.append(f"| {_label(result)} | {total['mutants']} (of {result['population']}, seed {result['seed']}) | "
                    f"{_listed(total)} | {total['killed']} / {total['counted']} ({total['by_sanitizer']}, "
                    f"{total['by_client']}) | {_percent(total['rate'])} | {_percent(_of_all(total))} | "
                    f"{targets[result['implementation']]} |")
    return "\n".join(rows)


def _load_results(equivalent: dict[str, dict[str, Listing]]) -> dict[str, dict]:
    """Every saved result by file name, its summary computed again with the current list of equivalents."""
    results = {}
    for path in sorted(RESULTS.glob("*.json"), key=lambda p: (p.stem.split("-")[0] != "reference", p.stem)):
        result = json.loads(path.read_text(encoding="utf-8"))
        outcomes = [Outcome(**outcome) for outcome in result["outcomes"]]
        result["summary"] = summary(outcomes, equivalent.get(result["implementation"], {}))
        results[path.stem] = result
    return results


# -- the command ------------------------------------------------------------------------------------------

@click.group()
def main() -> None:
    """Mutation testing of the reference and the C implementation against the conformance suite."""


@main.command("list")
@click.argument("implementation", type=click.Choice(sorted(IMPLEMENTATIONS)))
def list_mutants(implementation: str) -> None:
    """Print every mutant's stable id."""
    for mutant in mutants_of(implementation):
        click.echo(f"{mutant.id}\t(line {mutant.line})")


@main.command()
@click.argument("implementation", type=click.Choice(sorted(IMPLEMENTATIONS)))
@click.option("--sample", "size", type=click.IntRange(min=1), help="Run this many mutants, chosen by --seed.")
@click.option("--seed", default=1, show_default=True, help="Seed of the random sample.")
@click.option("--timeout", "limit", default=120.0, show_default=True, help="Seconds one mutant may take.")
@click.option("--jobs", default=2, show_default=True, type=click.IntRange(min=1), help="Mutants run at once.")
@click.option("--suite-revision", help="Take spec/ and conformance/ from this git revision (default: the "
              "working tree, copied when the run starts).")
@click.option("--results", "results_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to save the results (default: tools/mutation-results/IMPLEMENTATION.json).")
@click.option("--mutant", "mutant_ids", multiple=True, metavar="ID",
              help="Run only this mutant (repeatable; ids as `list` prints them). The results are saved only with "
              "--results, never over the published ones.")
def run(implementation: str, size: int | None, seed: int, limit: float, jobs: int, suite_revision: str | None,
        results_path: Path | None, mutant_ids: tuple[str, ...] = ()) -> None:
    """Run a sample of mutants and save the results (tools/mutation-results/IMPLEMENTATION.json)."""
    equivalent = equivalent_mutants().get(implementation, {})
    started = time.monotonic()

    def progress(outcome: Outcome) -> None:
        listed = " (listed as equivalent)" if outcome.id in equivalent else ""
        click.echo(f"{outcome.status:9} {outcome.seconds:5.1f} s  {outcome.id}{listed}", err=True)

    with tempfile.TemporaryDirectory(prefix="msgrspec-mutation-suite-") as folder:
        suite = snapshot(Path(folder), suite_revision)
        population = mutants_of(implementation, suite)
        unknown = sorted(set(equivalent) - {m.id for m in population})
        if unknown:
            raise click.ClickException(f"{EQUIVALENT}: {implementation}: no such mutant (stale entry?): {unknown[0]}")
        if mutant_ids:
            known = {m.id: m for m in population}
            missing = [i for i in mutant_ids if i not in known]
            if missing:
                raise click.ClickException(f"{implementation}: no such mutant: {missing[0]}")
            chosen = [known[i] for i in dict.fromkeys(mutant_ids)]
        else:
            chosen = sample(population, size, seed)
        outcomes = execute(implementation, chosen, limit, jobs, suite, progress)
        checks = REFERENCE_CHECKS if implementation == "reference" else c_checks(suite)
    result = {"implementation": implementation, "population": len(population), "sample": len(chosen), "seed": seed,
              "suite": suite_revision or "working tree", "timeout": limit, "checks": checks,
              "seconds": round(time.monotonic() - started, 1),
              "summary": summary(outcomes, equivalent), "outcomes": [asdict(o) for o in outcomes]}
    if results_path is not None or not mutant_ids:
        results_path = results_path or RESULTS / f"{implementation}.json"
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    total = result["summary"]["total"]
    click.echo(f"{implementation}: {total['killed']} of {total['counted']} counted mutants killed "
               f"({_percent(total['rate'])}); listed {_listed(total)} (equivalent / out of reach / left open), "
               f"{total['stillborn']} stillborn; "
               f"{result['seconds']} s")


@main.command()
def publish() -> None:
    """Write docs/mutation.md and the README's mutation table from the saved results."""
    equivalent = equivalent_mutants()
    results = _load_results(equivalent)
    if not results:
        raise click.ClickException(f"no results in {RESULTS}: run `python tools/mutation.py run ...` first")
    DOCS_PAGE.write_text(render_page(results, equivalent), encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    if README_BEGIN not in readme or README_END not in readme:
        raise click.ClickException(f"{README}: the markers {README_BEGIN} ... {README_END} are missing")
    head, rest = readme.split(README_BEGIN, 1)
    README.write_text(head + README_BEGIN + "\n" + render_readme_table(results) + "\n" + README_END
                      + rest.split(README_END, 1)[1], encoding="utf-8")
    click.echo(f"wrote {DOCS_PAGE.relative_to(CHECKOUT)} and the table in README.md")


@main.command()
@click.option("--jobs", default=2, show_default=True, type=click.IntRange(min=1), help="Mutants run at once.")
@click.pass_context
def reproduce(context: click.Context, jobs: int) -> None:
    """Run again every saved result (same implementation, sample, seed and suite), then publish."""
    for path in sorted(RESULTS.glob("*.json")):
        saved = json.loads(path.read_text(encoding="utf-8"))
        suite = saved.get("suite", "working tree")
        context.invoke(run, implementation=saved["implementation"], size=saved["sample"], seed=saved["seed"],
                       limit=saved["timeout"], jobs=jobs, suite_revision=None if suite == "working tree" else suite,
                       results_path=path)
    context.invoke(publish)


if __name__ == "__main__":
    main()
