"""`parse`: the typed models of an X12 file, as JSON or XML."""

from __future__ import annotations

import sys

import click

from edi_engine.cli import handle_errors, main
from edi_engine.errors import InputError, Position


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "xml"]), default="json", show_default=True)
@handle_errors
def parse(file: str, fmt: str) -> None:
    """Print the typed 835/837/999/277CA models of FILE, one document per transaction set (and per TA1).

    Sets of other kinds (270, 834, ...) print as their segments with positions. json: one
    document per line per set; jsonl: one record per line (a set's header, each claim, its
    trailer) for pipelines; xml: one <transactions> document. Empty fields are left out.

    Lenient: prints what it could read, reports envelope, structure and balancing problems on
    stderr, and exits 0 unless nothing could be read.

    Example: edi-engine parse remit.835 --format json
    """
    from edi_engine.parsers import parse_file
    from edi_engine.parsers.export import write_json, write_jsonl, write_xml

    source = sys.stdin.buffer if file == "-" else file
    run = parse_file(source, name="<stdin>" if file == "-" else file, keep_unmodelled=True)
    if fmt == "json":
        documents = write_json(run, sys.stdout.buffer)
    elif fmt == "jsonl":
        documents = write_jsonl(run, sys.stdout.buffer)
    else:
        documents = write_xml(run, sys.stdout.buffer, run.problems, run.name)
    sys.stdout.flush()
    for problem in run.problems:
        click.echo(str(problem), err=True)
    if documents == 0:
        raise InputError("no transaction set could be read", Position(run.name))
