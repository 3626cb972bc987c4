"""`validate`: strict validation (pyx12 guides, envelope, balancing) and our own 999/TA1."""

from __future__ import annotations

import datetime as _dt
import sys

import click

from edi_engine.cli import handle_errors, main, output_file


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--ack", "ack_path", type=click.Path(dir_okay=False, writable=True, allow_dash=True), default=None,
              metavar="OUT", help="Write a 999 per functional group (and a TA1 for envelope errors) to OUT.")
@handle_errors
def validate(files: tuple[str, ...], ack_path: str | None) -> None:
    """Validate each FILE against its implementation guide (through pyx12) and our envelope and
    balancing checks; print one line per problem. Exits 0 when clean, 1 on any error.

    Example: edi-engine validate remit.835 --ack remit.999
    """
    from edi_engine.parsers.ack import acknowledge
    from edi_engine.parsers.validation import validate_file

    if ack_path:
        output_file(ack_path)
    reports = [validate_file(sys.stdin.buffer if f == "-" else f, name="<stdin>" if f == "-" else f) for f in files]
    for report in reports:
        for problem in report.problems:
            click.echo(str(problem))
        errors, warnings = len(report.errors), len(report.problems) - len(report.errors)
        click.echo(f"{report.file}: {'valid' if report.ok else f'{errors} error(s)'}, {warnings} warning(s)")
    if ack_path:
        now = _dt.datetime.now().replace(microsecond=0)
        data = acknowledge(reports, control_start=int(now.strftime("%y%j%H%M")), when=now)
        with click.open_file(ack_path, "wb") as out:
            out.write(data)
    sys.exit(0 if all(r.ok for r in reports) else 1)
