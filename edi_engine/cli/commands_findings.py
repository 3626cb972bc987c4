"""`detect`, `findings`, `explain`: each parses its arguments, calls one function of
edi_engine.rules, prints."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import click

from edi_engine.cli import LazyChoice, db_url, handle_errors, main
from edi_engine.cli.progress import progress_bar


def _category_names() -> tuple[str, ...]:
    from edi_engine.rules import categories

    return categories.names()


@main.command("detect")
@click.option("--rules", "rules_path", type=click.Path(exists=True, dir_okay=False), help="Rule pack TOML file.")
@click.option("--as-of", "as_of", metavar="DATE", envvar="EDI_ENGINE_AS_OF",
              help="Date findings are identified on (default today; env EDI_ENGINE_AS_OF).")
@click.option("--full", is_flag=True,
              help="Re-examine every account, not only those touched since the last run.")
@click.option("--partitions", type=click.IntRange(1), default=None,
              help="PostgreSQL: queue a run split into N account partitions for `edi-engine worker`s, and return.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@handle_errors
def detect_cmd(ctx: click.Context, rules_path: str | None, as_of: str | None, full: bool, partitions: int | None,
               as_json: bool) -> None:
    """Match payments to claims and find credit balances over everything stored. Safe to repeat.

    A run re-examines only the accounts that new files, refunds, acknowledgments and decisions
    touched since the last run, with the findings a full run would give; it looks at every account
    when it is the first, when the rule pack, payer aliases or --as-of date differ from the last
    run's, after a fee schedule import, or with --full.

    With --partitions N the run is queued: workers take one account partition each, and a last job
    reconciles them all (the findings one run gives) once every partition is done.

    Example: edi-engine detect --as-of 2025-01-31
    """
    if partitions is not None:
        from edi_engine.store.url import resolve_url
        from edi_engine.tasks import enqueue_detect
        job = enqueue_detect(resolve_url(db_url(ctx)), partitions, as_of=as_of, rules_path=rules_path)
        click.echo(json.dumps({"job": job, "partitions": partitions}) if as_json else
                   f"queued detect over {partitions} account partitions (job {job}); workers run it")
        return
    from edi_engine.outputs import detect_with_audit
    from edi_engine.store.engine import open_store
    # Through the audit wrapper: each finding identified, resolved or reopened gets its audit event.
    with progress_bar("detect", quiet=as_json) as progress:
        s = detect_with_audit(open_store(db_url(ctx)), as_of=as_of, rules_path=rules_path, progress=progress,
                              full=full)
    data = {"as_of": s.as_of.isoformat(), "mode": s.mode, "full_because": s.reason or None,
            "accounts": s.accounts, "new": s.inserted, "updated": s.updated,
            "resolved": s.resolved, "reopened": s.reopened, "unchanged": s.unchanged,
            "deposits_matched": s.deposits_matched, "open": s.open_by_category}
    click.echo(json.dumps(data) if as_json else
               (f"{s.accounts} accounts (all: {s.reason})" if s.mode == "full" else
                f"{s.accounts} accounts touched since the last run")
               + f": {s.inserted} new, {s.updated} updated, {s.resolved} resolved, "
               f"{s.reopened} reopened findings; open: "
               + (", ".join(f"{k} {v}" for k, v in sorted(s.open_by_category.items())) or "none"))


_COLUMNS = ("id", "category", "claim_id", "payer_id", "payer_name", "amount", "outstanding", "refund_to", "status",
            "arose_on", "identified_on", "deadline")
_AMOUNTS = ("amount", "outstanding")


@main.group("findings", invoke_without_command=True)
@click.option("--status", type=click.Choice(["open", "resolved", "all"]), default="open", show_default=True)
@click.option("--category", type=LazyChoice(_category_names), default=None)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
@handle_errors
def findings_cmd(ctx: click.Context, status: str, category: str | None, fmt: str) -> None:
    """List findings.

    Example: edi-engine findings --status all --format json
    """
    from edi_engine.rules import list_findings
    from edi_engine.store.engine import open_store
    if ctx.invoked_subcommand is not None:  # `findings approve ...` (commands_outputs.py)
        return
    with open_store(db_url(ctx)).connect() as conn:
        rows = [r.to_json() for r in list_findings(conn, status, category)]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        # payer_name last: a reader that takes the columns by position keeps reading the ones it knew.
        columns = tuple(c for c in _COLUMNS if c != "payer_name")
        writer.writerow(columns + ("evidence", "payer_name"))
        for r in rows:
            writer.writerow([r[c] if r[c] is not None else "" for c in columns]
                            + [r["evidence"].get("summary", ""), r["payer_name"] or ""])
        click.echo(out.getvalue(), nl=False)
        return
    echo_table(rows)


def echo_table(rows: list[dict]) -> None:  # type: ignore[type-arg]
    """Findings (as FindingRecord.to_json() dicts) as an aligned table with a total line."""
    table = [[str(r.get(c) if r.get(c) is not None else "") for c in _COLUMNS] for r in rows]
    widths = [max([len(c)] + [len(t[i]) for t in table]) for i, c in enumerate(_COLUMNS)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(_COLUMNS, widths, strict=True)))
    for t in table:
        click.echo("  ".join(v.rjust(w) if c in _AMOUNTS else v.ljust(w)
                             for v, c, w in zip(t, _COLUMNS, widths, strict=True)))
    # Credits and what is no refund (unapplied cash, data to check) are never one total.
    from edi_engine.rules import categories
    # What is still owed: a partial refund keeps only the rest on the books.
    credits = [Decimal(r["outstanding"]) for r in rows if categories.get(r["category"]).refund]
    others = [Decimal(r["amount"]) for r in rows if not categories.get(r["category"]).refund]
    line = f"{len(rows)} findings: {len(credits)} credits, total {sum(credits, Decimal(0)):.2f}"
    if others:
        line += f"; {len(others)} not refunds, total {sum(others, Decimal(0)):.2f}"
    click.echo(line)


@main.command("explain")
@click.argument("finding_id", type=int)
@click.pass_context
@handle_errors
def explain_cmd(ctx: click.Context, finding_id: int) -> None:
    """Show a finding's ledger lines and the X12 segments behind it.

    Example: edi-engine explain 12
    """
    from edi_engine.rules import explain
    from edi_engine.store.engine import open_store
    with open_store(db_url(ctx)).connect() as conn:
        e = explain(conn, finding_id)
    f = e.finding
    click.echo(f"Finding {f.id}: {f.category} on claim {f.claim_id or '-'}, payer {f.payer_id or '-'}")
    repaid = f" (refunded {f.refunded:.2f}, outstanding {f.outstanding:.2f})" if f.refunded else ""
    click.echo(f"  amount {f.amount:.2f}{repaid} to {f.refund_to or '-'}; {f.status}; "
               + (f"arose {f.arose_on}, " if f.arose_on else "") + f"identified {f.identified_on}"
               + (f", due {f.deadline}" if f.deadline else "")
               + (f", resolved {f.resolved_on}" if f.resolved_on else ""))
    clock = f.evidence.get("clock")
    if clock and f.deadline:
        click.echo(f"  deadline: {clock['rule']}" + ("  [LATE]" if clock.get("late") else ""))
    state = f.evidence.get("state_rule")
    if state:
        click.echo(f"  state rule: {state['rule']}")
    click.echo(f"  {f.evidence.get('summary', '')}")
    if e.ledger:
        click.echo("\nLedger (positive: owed to the provider; negative: paid or written off):")
        for ln in e.ledger:
            click.echo(f"  {ln.kind:<22} {ln.party:<12} {ln.amount:>12.2f}  {ln.code:<14} {ln.where}"
                       + ("" if ln.counts else "  (detail, not in balance)"))
        click.echo(f"  balance {e.balance:.2f}; payers' credit {e.payer_credit:.2f}; patient's credit "
                   f"{e.patient_credit:.2f}")
    click.echo("\nSegments:")
    for s in e.segments:
        shown = s.text if s.text is not None else f"({s.note})"
        click.echo(f"  [{s.role}] {s.file} segment {s.segment}: {shown}")
