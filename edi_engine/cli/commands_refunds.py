"""`refunds batch` and `refunds post`: the check run for approved refunds and the issued checks read
back; each parses its arguments, calls one function of edi_engine.outputs.refunds, prints."""

from __future__ import annotations

import click

from edi_engine.cli import db_url, handle_errors, main


@main.group("refunds")
def refunds_group() -> None:
    """Refund checks: the batch of approved refunds due, and the issued checks posted back."""


@refunds_group.command("batch")
@click.option("--account", required=True, metavar="NUMBER", help="Bank account the checks are drawn on.")
@click.option("--first-check", "first_check", required=True, type=int, metavar="NUMBER",
              help="Check number of the first check; the others follow.")
@click.option("--as-of", "as_of", metavar="DATE", envvar="EDI_ENGINE_AS_OF",
              help="Refunds approved and identified by this date (default today; env EDI_ENGINE_AS_OF).")
@click.option("--issue-date", "issue_date", metavar="DATE", help="Date printed on the checks (default --as-of).")
@click.option("--out", "out", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder for check-register.csv and positive-pay.csv.")
@click.pass_context
@handle_errors
def batch_cmd(ctx: click.Context, account: str, first_check: int, as_of: str | None, issue_date: str | None,
              out: str) -> None:
    """Write the approved refunds still due as a check register and a positive pay issue file.

    Example: edi-engine refunds batch --account 88234501 --first-check 5001 --out refunds/
    """
    from edi_engine.outputs.refunds import write_batch
    from edi_engine.store.engine import open_store
    batch = write_batch(open_store(db_url(ctx)), out, account=account, first_check=first_check, as_of=as_of,
                        issue_date=issue_date)
    click.echo(f"{len(batch.checks)} checks, total {batch.total:.2f}: {batch.register}, {batch.positive_pay}")


@refunds_group.command("post")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", required=True, help="Who records the issued checks.")
@click.pass_context
@handle_errors
def post_cmd(ctx: click.Context, file: str, by: str) -> None:
    """Record the refunds of an issued-checks register (the batch's CSV as returned). Safe to repeat.

    Example: edi-engine refunds post refunds/check-register.csv --by maria
    """
    from edi_engine.outputs.refunds import post_issued
    from edi_engine.store.engine import open_store
    done = post_issued(open_store(db_url(ctx)), file, by=by)
    click.echo(f"{done.recorded} refunds recorded, total {done.total:.2f}; {done.already} already recorded")


@refunds_group.command("returned")
@click.argument("finding_id", type=int)
@click.option("--number", required=True, metavar="NUMBER", help="The refund's check (or EFT trace) number.")
@click.option("--reason", required=True, type=click.Choice(["returned", "uncashed"]),
              help="returned: it came back undeliverable; uncashed: never cashed, now void.")
@click.option("--date", "on", metavar="DATE", help="The day it came back or was voided (default today).")
@click.option("--by", required=True, help="Who records it.")
@click.option("--note", default="", help="What happened (kept in the audit trail).")
@click.pass_context
@handle_errors
def returned_cmd(ctx: click.Context, finding_id: int, number: str, reason: str, on: str | None, by: str,
                 note: str) -> None:
    """Record that a refund did not reach its payee: the credit is on the books again, and a patient's
    ages toward unclaimed property (`report unclaimed`).

    Example: edi-engine refunds returned 12 --number 5001 --reason returned --date 2025-04-02 --by maria
    """
    from edi_engine.outputs.decisions import return_refund
    from edi_engine.store.engine import open_store
    return_refund(open_store(db_url(ctx)), finding_id, number, by=by, on=on, reason=reason, note=note)
    click.echo(f"finding {finding_id}: refund {number} recorded {reason}; the credit is on the books again")
