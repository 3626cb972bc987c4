"""`worker` and `enqueue`: the task queue's commands (PostgreSQL only; edi_engine/tasks).

Each parses its arguments, calls one function of edi_engine.tasks, prints.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import click

from edi_engine.cli import db_url, handle_errors, main


@main.command("worker")
@click.option("--concurrency", "-c", default=1, show_default=True,
              help="Worker processes on this host, one job at a time each.")
@click.option("--queue", "queues", multiple=True, type=click.Choice(["ingest", "detect", "webhooks"]),
              help="Take jobs of this queue only (repeatable; default all).")
@click.option("--burst", is_flag=True, help="Stop once the queues are empty instead of waiting for jobs.")
@click.option("--heartbeat", default=10.0, show_default=True, help="Seconds between this worker's heartbeats.")
@click.option("--stalled-after", default=30.0, show_default=True,
              help="Seconds without a heartbeat after which a worker's job is retried by another.")
@click.pass_context
@handle_errors
def worker_cmd(ctx: click.Context, concurrency: int, queues: tuple[str, ...], burst: bool, heartbeat: float,
               stalled_after: float) -> None:
    """Take jobs (ingest a queued file, a detect partition) from the queue in the PostgreSQL store.

    Run any number on any hosts sharing the database; a worker killed mid-job loses nothing: the
    job goes back to the queue once its heartbeat stops, and another worker does it whole.
    With EDI_ENGINE_WEBHOOK_URL and EDI_ENGINE_WEBHOOK_SECRET set, it also sends signed webhooks
    (file ingested, failed, re-delivered; findings opened, resolved), retried until taken.
    Example: edi-engine --db postgresql+psycopg://edi@db/edi worker --concurrency 2
    """
    from edi_engine.store.url import resolve_url
    from edi_engine.tasks import run_workers
    sys.exit(run_workers(resolve_url(db_url(ctx)), concurrency, queues=list(queues) or None, burst=burst,
                         heartbeat=heartbeat, stalled_after=stalled_after))


@main.command("enqueue")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def enqueue_cmd(ctx: click.Context, paths: tuple[str, ...], as_json: bool) -> None:
    """Queue 835/837 files (folders recursively) for the workers, each once: its bytes go into the database.

    Example: edi-engine --db postgresql+psycopg://edi@db/edi enqueue inbox/
    """
    from edi_engine.store.url import resolve_url
    from edi_engine.tasks import enqueue_paths
    done = enqueue_paths(resolve_url(db_url(ctx)), paths)
    if as_json:
        click.echo(json.dumps([asdict(e) for e in done], indent=1))
        return
    for e in done:
        click.echo(f"{e.file}: {e.status}" + (f" (job {e.job_id})" if e.job_id is not None else ""))
