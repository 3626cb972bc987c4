"""`db upgrade`, `ingest`, `import`, `payers alias`: the store's commands.

Each parses its arguments, calls one function of edi_engine.store, prints. Progress goes to
stderr only when stderr is a terminal; results go to stdout (as JSON with --json).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from edi_engine.cli import db_url, handle_errors, main
from edi_engine.cli.progress import progress_bar
from edi_engine.errors import UsageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from edi_engine.store.ingest import FileResult, IngestSummary


@main.group("db")
def db_group() -> None:
    """Database schema maintenance."""


@db_group.command("upgrade")
@click.pass_context
@handle_errors
def db_upgrade(ctx: click.Context) -> None:
    """Create or upgrade the database schema to this version's head.

    On PostgreSQL it also applies the task queue's schema (procrastinate's) when it is missing.
    Example: edi-engine --db postgresql+psycopg://edi@db/edi db upgrade
    """
    from edi_engine.store import migrate
    from edi_engine.store.engine import create_store_engine
    from edi_engine.store.url import resolve_url, safe_url
    engine = create_store_engine(db_url(ctx))
    before, after = migrate.upgrade(engine)
    where = safe_url(resolve_url(db_url(ctx)))
    click.echo(f"{where}: schema at {after}" + ("" if before == after else f" (was {before or 'empty'})"))
    if engine.dialect.name == "postgresql":
        try:
            from edi_engine.tasks import ensure_queue_schema
        except ImportError:  # procrastinate not installed: no workers from this installation
            click.echo("task queue: not set up (pip install 'edi-engine[postgres]' for workers)", err=True)
            return
        if ensure_queue_schema(resolve_url(db_url(ctx))):
            click.echo(f"{where}: task queue schema applied")


@db_group.command("current")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def db_current(ctx: click.Context, as_json: bool) -> None:
    """Print the database's schema revision and this version's head.

    Example: edi-engine db current
    """
    from edi_engine.store import migrate
    from edi_engine.store.engine import create_store_engine
    engine = create_store_engine(db_url(ctx))
    with engine.connect() as conn:
        current = migrate.current_revision(conn)
    info = {"current": current, "head": migrate.head_revision()}
    click.echo(json.dumps(info) if as_json else f"current {current or 'none'}, head {info['head']}")


@main.group("import")
def import_group() -> None:
    """Import CSV files (patient payments, fee schedules) and bank deposits (BAI2 or CSV)."""


def _print_import(result: object, as_json: bool) -> None:
    data = asdict(result)  # type: ignore[call-overload]
    click.echo(json.dumps(data) if as_json else f"{data['file']}: {data['status']}"
               + (f", {data['rows']} rows" if data["status"] == "imported" else ""))
    unknown = data.get("unknown_claim_lines") or ()
    if unknown and not as_json:
        # Line numbers, not the claim ids: an account number is an identifier the user did not ask to see.
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        shown = ", ".join(str(n) for n in unknown[:10]) + more
        click.echo(f"  warning: {len(unknown)} row(s) name a claim_id with no stored 837 claim or 835 payment "
                   f"(line {shown}); they are kept and applied when the claim arrives: check the CLM01s",
                   err=True)


@import_group.command("patient-payments")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def import_patient_payments(ctx: click.Context, csv_file: str, as_json: bool) -> None:
    """Import patient payments: claim_id,payment_date,amount,method,reference (claim_id is CLM01).

    Example: edi-engine import patient-payments payments.csv
    """
    from edi_engine.store import imports
    from edi_engine.store.engine import open_store
    with progress_bar("import", quiet=as_json) as progress:
        result = imports.import_patient_payments(open_store(db_url(ctx)), csv_file, progress)
    _print_import(result, as_json)


@import_group.command("fee-schedule")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def import_fee_schedule(ctx: click.Context, csv_file: str, as_json: bool) -> None:
    """Import a fee schedule: payer_id,procedure_code,modifier,allowed_amount[,effective_from,effective_to].

    Example: edi-engine import fee-schedule fees.csv
    """
    from edi_engine.store import imports
    from edi_engine.store.engine import open_store
    with progress_bar("import", quiet=as_json) as progress:
        result = imports.import_fee_schedule(open_store(db_url(ctx)), csv_file, progress)
    _print_import(result, as_json)


@import_group.command("deposits")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def import_deposits(ctx: click.Context, file: str, as_json: bool) -> None:
    """Import bank deposits: a BAI2 statement, or a CSV deposit_date,amount,reference,account[,payer].

    The next detect reassociates them with the 835s (TRN02, amount, BPR16).
    Example: edi-engine import deposits statement.bai2
    """
    from edi_engine.store import deposits
    from edi_engine.store.engine import open_store
    _print_import(deposits.import_deposits(open_store(db_url(ctx)), file), as_json)


@main.group("payers")
def payers_group() -> None:
    """Payers: their names, types, refund desks and aliases."""


@payers_group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def payers_import(ctx: click.Context, csv_file: str, as_json: bool) -> None:
    """Import payers: id,name[,type,refund_address,contact,fax,email,letter_preferences,aliases].

    Inserts or updates each payer (an upsert); a bad row stops the file with its line, nothing stored.
    refund_address lines are separated by '|'; letter_preferences (mail, fax, email) and aliases by ';'.
    Example: edi-engine payers import payers.csv
    """
    from edi_engine.store import imports
    from edi_engine.store.engine import open_store
    r = imports.import_payers(open_store(db_url(ctx)), csv_file)
    if as_json:
        click.echo(json.dumps({"file": r.file, "status": r.status, "inserted": r.inserted, "updated": r.updated}))
    else:
        click.echo(f"{r.file}: {r.status}" + (f", {r.inserted} new and {r.updated} updated payers"
                                               if r.status == "imported" else ""))


@payers_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def payers_list(ctx: click.Context, as_json: bool) -> None:
    """List the payers imported: id, name, type and aliases.

    Example: edi-engine payers list --json
    """
    from dataclasses import asdict

    from edi_engine.store import payers
    from edi_engine.store.engine import open_store
    with open_store(db_url(ctx)).connect() as conn:
        rows = payers.list_payers(conn)
    if as_json:
        click.echo(json.dumps([asdict(p) for p in rows]))
    for p in [] if as_json else rows:
        click.echo(f"{p.id}  {p.name}  {p.type or '-'}" + (f"  aliases {', '.join(p.aliases)}" if p.aliases else ""))


@payers_group.group("alias")
def alias_group() -> None:
    """Other names a payer uses (e.g. on its 835s) for its 837 id (2010BB NM109)."""


@alias_group.command("add")
@click.argument("alias")
@click.argument("payer_id")
@click.pass_context
@handle_errors
def alias_add(ctx: click.Context, alias: str, payer_id: str) -> None:
    """Make ALIAS another name of PAYER_ID.

    Example: edi-engine payers alias add 1234567890 BCBSX
    """
    from edi_engine.store import payers
    from edi_engine.store.engine import open_store
    with open_store(db_url(ctx)).begin() as conn:
        target = payers.add_alias(conn, alias, payer_id)
    click.echo(f"{alias} -> {target}")


@alias_group.command("remove")
@click.argument("alias")
@click.pass_context
@handle_errors
def alias_remove(ctx: click.Context, alias: str) -> None:
    """Remove ALIAS.

    Example: edi-engine payers alias remove 1234567890
    """
    from edi_engine.store import payers
    from edi_engine.store.engine import open_store
    with open_store(db_url(ctx)).begin() as conn:
        if not payers.remove_alias(conn, alias):
            raise UsageError(f"no alias {alias!r}")
    click.echo(f"removed {alias}")


@alias_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def alias_list(ctx: click.Context, as_json: bool) -> None:
    """List aliases as ALIAS -> PAYER_ID.

    Example: edi-engine payers alias list --json
    """
    from edi_engine.store import payers
    from edi_engine.store.engine import open_store
    with open_store(db_url(ctx)).connect() as conn:
        rows = payers.list_aliases(conn)
    if as_json:
        click.echo(json.dumps([{"alias": a, "payer_id": p} for a, p in rows]))
    for alias, payer in [] if as_json else rows:
        click.echo(f"{alias} -> {payer}")


def _line(r: FileResult) -> str:
    counts = (f" ({r.transactions} transactions, {r.claims} claims, {r.payments} payments)"
              if r.status == "ingested" else "")
    notes = "".join(f" ({n})" for n in r.notes())
    warnings = "".join(f"\n  warning: {w}" for w in r.warnings)
    return f"{r.file}: {r.status}{notes}{counts}" + (f": {r.error}" if r.error else "") + warnings


def _report(summary: IngestSummary, as_json: bool) -> None:
    t = summary.totals()
    if as_json:
        click.echo(json.dumps({"summary": t, "files": [asdict(r) for r in summary.results]}, indent=1))
        return
    for r in summary.results:
        if not r.ok or r.notes() or r.warnings:
            click.echo(_line(r))
    again = [f"{t[k]} {what}" for k, what in (("redelivered", "remittances re-delivered"),
                                              ("remittance_conflicts", "remittances held for review"),
                                              ("resubmitted", "claims submitted again")) if t[k]]
    click.echo(f"files {t['files']} ({t['ingested']} ingested, {t['already_ingested']} already ingested, "
               f"{t['conflicts']} conflicts, {t['failed']} failed); transactions {t['transactions']}, "
               f"claims {t['claims']}, payments {t['payments']}" + (f"; {', '.join(again)}" if again else ""))


def _ingest_all(engine: object, paths: tuple[str, ...], jobs: int, as_json: bool = False) -> IngestSummary:
    from edi_engine.store.ingest import expand_paths, ingest_paths
    skipped: list[Path] = []
    files = list(expand_paths(paths, skipped))
    if skipped and not as_json:
        names = ", ".join(p.name for p in skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        click.echo(f"skipped {len(skipped)} file(s) beside the X12, not X12 by name: {names}; CSVs go in with "
                   "`edi-engine import`", err=True)
    done = 0
    with progress_bar("ingest", quiet=as_json) as progress:
        def one_more(_result: object) -> None:
            nonlocal done
            done += 1
            progress(done, len(files))

        return ingest_paths(engine, files, progress=one_more, jobs=jobs)  # type: ignore[arg-type]


def _watch(engine: Engine, folder: str, timing: dict[str, float], as_json: bool, queue_url: str | None = None
           ) -> IngestSummary:
    from contextlib import ExitStack

    from edi_engine.store.watch import watch
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with ExitStack() as stack:
        take = None
        if queue_url is not None:  # files go to the workers' queue instead of being ingested here
            from edi_engine.store.url import resolve_url
            from edi_engine.tasks import open_queue, watch_taker
            take = watch_taker(*stack.enter_context(open_queue(resolve_url(queue_url))))
        click.echo(f"watching {folder} (Ctrl-C to stop)" + (", queueing for workers" if take else ""), err=True)
        return watch(engine, folder, poll_interval=timing["poll"], settle=timing["settle"],
                     incomplete_timeout=timing["incomplete_timeout"], lease=timing["lease"], stop=stop,
                     on_result=None if as_json else lambda r: click.echo(_line(r)), take=take)


@main.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--watch", "watch_dir", type=click.Path(exists=True, file_okay=False),
              help="Drop folder to watch instead.")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between scans of the drop folder.")
@click.option("--settle", type=float, default=None,
              help="Seconds a file must stay unchanged before it is taken (default twice --poll, at least 1).")
@click.option("--incomplete-timeout", default=600.0, show_default=True,
              help="Seconds an unchanged file without a complete last interchange waits before failed/.")
@click.option("--lease", default=60.0, show_default=True,
              help="Seconds after which another watcher takes back a claim its watcher stopped renewing.")
@click.option("--jobs", "-j", default=1, show_default=True, help="Worker processes (files in parallel).")
@click.option("--queue", "to_queue", is_flag=True,
              help="With --watch on PostgreSQL: queue each file for `edi-engine worker`s instead (moved to queued/).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@handle_errors
def ingest(ctx: click.Context, paths: tuple[str, ...], watch_dir: str | None, poll: float,  # float ok: seconds
           settle: float | None, incomplete_timeout: float, lease: float, jobs: int, to_queue: bool,
           as_json: bool) -> None:
    """Store 835/837 files (folders recursively), each completely or not at all, each once.

    A remittance already stored (same payer, check number, date, amount and claims, under new control
    numbers) is recorded as re-delivered and posts nothing; a claim sent again unchanged adds no charge.

    With --watch, a file is taken once it has stopped growing and ends with a complete interchange;
    senders should write under a temporary name (.NAME, NAME.part, NAME.tmp) and rename when done.

    Exit status 1 when any file failed. Example: edi-engine ingest inbox/ --json
    """
    from edi_engine.store.engine import open_store
    if bool(paths) == bool(watch_dir):
        raise UsageError("give files or folders to ingest, or --watch DIR (not both)")
    timing = {"poll": poll, "settle": max(2 * poll, 1.0) if settle is None else settle,
              "incomplete_timeout": incomplete_timeout, "lease": lease}
    if min(timing.values()) <= 0 or timing["settle"] <= poll or lease <= poll:
        raise UsageError("--poll, --settle, --incomplete-timeout and --lease must be positive, and --settle "
                         "and --lease longer than --poll")
    if to_queue and not watch_dir:
        raise UsageError("--queue goes with --watch DIR; to queue files, use `edi-engine enqueue FILES`")
    queue_url = (db_url(ctx) or "") if to_queue else None
    if to_queue:
        from edi_engine.store.url import resolve_url
        from edi_engine.tasks import require_postgresql
        require_postgresql(resolve_url(db_url(ctx)))
    engine = open_store(db_url(ctx))
    summary = _watch(engine, watch_dir, timing, as_json, queue_url) if watch_dir else \
        _ingest_all(engine, paths, jobs, as_json)
    _report(summary, as_json)
    sys.exit(1 if summary.failed else 0)
