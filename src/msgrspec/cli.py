"""The `msgrspec` command."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from . import __version__
from .errors import SpecError
from .loader import load_spec
from .model import Spec

_SPEC_DIR = click.argument("spec_dir", required=False, type=click.Path(path_type=Path))


def _load(spec_dir: Path | None) -> Spec:
    """Load the spec or print every problem and exit 1: a maintainer never sees a traceback."""
    try:
        return load_spec(spec_dir)
    except SpecError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found", err=True)
        sys.exit(1)


@click.group()
@click.version_option(__version__, prog_name="msgrspec")
def main() -> None:
    """The Windows Messenger session API (Messenger Private type library) as data."""


@main.command()
@_SPEC_DIR
def validate(spec_dir: Path | None) -> None:
    """Check the spec in SPEC_DIR (default: the shipped spec) against its schema and rules."""
    started = time.perf_counter()
    spec = _load(spec_dir)
    items = sum(1 for _ in spec.items())
    click.echo(f"ok: {spec.library.name} {spec.library.version}: {items} items, {len(spec.requirements)} "
               f"requirements, {len(spec.errata)} errata ({time.perf_counter() - started:.2f} s)")


@main.command()
@_SPEC_DIR
def export(spec_dir: Path | None) -> None:
    """Print the resolved spec as one JSON document (schema: msgrspec/schema/export.schema.json)."""
    from .export import export as export_spec

    json.dump(export_spec(_load(spec_dir)), sys.stdout, indent=2)
    sys.stdout.write("\n")


@main.command()
@_SPEC_DIR
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not to stdout.")
def idl(spec_dir: Path | None, output: Path | None) -> None:
    """Print the library as IDL that widl (or MIDL) compiles."""
    from .idl import generate_idl

    text = generate_idl(_load(spec_dir))
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.FileError(str(output), exc.strerror) from None
