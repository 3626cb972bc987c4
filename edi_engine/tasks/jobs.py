"""The jobs workers run, on procrastinate (PostgreSQL-backed: no server besides the database).

Owns the procrastinate App of a store and its tasks; each task is a few lines over one function of
store/ or rules/. The queue engine's own mechanisms do the distributed work, none of it is ours:

- `edi.ingest` (queue "ingest"): one staged file (store/staging.py) through store.ingest_file, its
  own transaction, idempotent by content hash. Deferred with lock and queueing lock "ingest:<sha256>":
  a file is queued once while it waits, and two jobs for the same content never run at once.
- `edi.detect` (queue "detect"): the coordinator of a partitioned detect run. It reads the store's
  reach, defers one `edi.detect_partition` per account partition (rules/partition.py) and the run's
  final step `edi.detect_finish`, which procrastinate retries (RetryStrategy on PartitionsPending)
  until every partition has written its scan, then reconciles them as one run (with audit events).
  A coordinator killed while deferring is retried under a new run token: partitions the first
  attempt deferred still run, and their rows stay in detect_partition unread (harmless, not cleared).
- `edi.retry_stalled` (periodic, every STALLED_SWEEP seconds, one per tick across all workers by
  procrastinate's periodic defers): every job in `doing` whose worker stopped sending heartbeats
  (procrastinate's worker heartbeat; `stalled_after` seconds, see run_worker) goes back to `todo` with
  procrastinate's `retry_job`. A worker killed mid-file (SIGKILL) has its transaction rolled back by
  PostgreSQL, so the retried job stores the file whole, once.
- `edi.queue_statistics` (periodic, every minute): ANALYZE the job table when its statistics are stale
  (store/staging.refresh_statistics): without them a large backlog makes every job fetch slow.
- `edi.remove_old_jobs` (periodic, hourly): procrastinate's builtin cleanup of finished jobs.
- `edi.webhook` (queue "webhooks"): one signed event POSTed (webhooks.py), retried by procrastinate
  until the receiver takes it. Ingest jobs emit file.ingested / file.failed / file.redelivered, the
  detect run's final step finding.opened / finding.resolved; only when the worker has a webhook URL.

Knows nothing of the command line (cli/commands_tasks.py) or of X12.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import asdict
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy, builtin_tasks
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import OperationalError

from edi_engine.errors import UsageError
from edi_engine.outputs import detect_with_audit
from edi_engine.rules.partition import scan_partition
from edi_engine.store import detect_runs, staging
from edi_engine.store import findings as stored
from edi_engine.store.ingest import FAILED_STATUS, INGESTED_STATUS, ingest_file
from edi_engine.tasks import webhooks

__all__ = ["DETECT_QUEUE", "INGEST_QUEUE", "STALLED_SWEEP", "WEBHOOK_QUEUE", "PartitionsPending", "ingest_lock",
           "libpq_url", "make_app", "require_postgresql"]

log = logging.getLogger("edi_engine.tasks")

INGEST_QUEUE, DETECT_QUEUE, WEBHOOK_QUEUE = "ingest", "detect", "webhooks"
_FINDING_IDS_PER_EVENT = 1000
QUEUE_TABLE = "procrastinate_jobs"
STALLED_SWEEP = 5  # seconds between sweeps for stalled jobs
OLD_JOBS_HOURS = 72  # finished jobs kept this long


class PartitionsPending(Exception):
    """The final step of a partitioned run found partitions still running: procrastinate retries it."""


def require_postgresql(url: str | URL) -> URL:
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "postgresql":
        raise UsageError("the task queue needs PostgreSQL (procrastinate keeps its jobs in the database the workers "
                         "share); with SQLite, ingest and detect run on this machine with `edi-engine ingest` and "
                         "`edi-engine detect`, no worker needed")
    return parsed


def libpq_url(url: str | URL) -> str:
    """The store's SQLAlchemy URL as a libpq connection string (its options, e.g. search_path, kept)."""
    return require_postgresql(url).set(drivername="postgresql").render_as_string(hide_password=False)


def ingest_lock(digest: str) -> str:
    return f"ingest:{digest}"


def _engine(context: JobContext) -> Engine:
    engine: Engine = context.additional_context["engine"]
    return engine


def _ingest(context: JobContext, digest: str) -> None:
    engine = _engine(context)
    with staging.staged_copy(engine, digest) as staged:
        if staged is None:  # an earlier attempt stored it and unstaged it
            log.info("job %s: %s already ingested", context.job.id, digest[:12])
            return
        path, name = staged
        result = ingest_file(engine, path, name=name)
    if result.status in (INGESTED_STATUS, FAILED_STATUS):  # before unstaging: a kill in between repeats both
        file_id = staging.source_file_id(engine, digest)
        if result.status == FAILED_STATUS:
            _emit(context, "file.failed", {"file_id": file_id, "content_hash": digest})
        else:
            _emit(context, "file.ingested", {
                "file_id": file_id, "content_hash": digest, "kind": result.kind, "transactions": result.transactions,
                "claims": result.claims, "payments": result.payments, "redelivered": result.redelivered,
                "remittance_conflicts": result.remittance_conflicts, "resubmitted": result.resubmitted})
            if result.redelivered:
                _emit(context, "file.redelivered", {"file_id": file_id, "content_hash": digest,
                                                    "remittances": result.redelivered})
    staging.unstage(engine, digest)  # after the file's own transaction: a kill in between only repeats it
    log.info("job %s: %s %s", context.job.id, digest[:12], result.status)


def _emit(context: JobContext, kind: str, data: dict[str, object]) -> None:
    if context.additional_context.get("webhook") is not None:
        context.app.configure_task("edi.webhook", queue=WEBHOOK_QUEUE).defer(payload=webhooks.event(kind, data))


def _deliver(context: JobContext, payload: dict[str, object]) -> None:
    config = context.additional_context.get("webhook")
    if config is None:
        raise webhooks.WebhookFailed(f"this worker has no {webhooks.URL_ENV}; another will deliver it")
    webhooks.deliver(config, payload)


def _coordinate(context: JobContext, parts: int, as_of: str | None, rules_path: str | None) -> None:
    import uuid

    with _engine(context).connect() as conn:
        reach = detect_runs.reach(conn)  # before any partition reads: what lands later is the next run's
    token = uuid.uuid4().hex
    app = context.app
    for part in range(parts):
        app.configure_task("edi.detect_partition", queue=DETECT_QUEUE).defer(
            token=token, part=part, parts=parts, rules_path=rules_path)
    app.configure_task("edi.detect_finish", queue=DETECT_QUEUE).defer(
        token=token, parts=parts, as_of=as_of, rules_path=rules_path, reach=asdict(reach))


def _partition(context: JobContext, token: str, part: int, parts: int, rules_path: str | None) -> None:
    with _engine(context).begin() as conn:  # the partition's match rows and its scan, in one transaction
        scan = scan_partition(conn, part, parts, rules_path=rules_path)
        staging.save_partition(conn, token, part, parts, pickle.dumps(scan, protocol=pickle.HIGHEST_PROTOCOL))


def _finish(context: JobContext, token: str, parts: int, as_of: str | None, rules_path: str | None,
            reach: dict[str, int]) -> None:
    engine = _engine(context)
    with engine.connect() as conn:
        blobs = staging.partition_scans(conn, token)
    if len(blobs) < parts:
        raise PartitionsPending(f"{parts - len(blobs)} of {parts} partitions still running")
    # Written by our own workers into our own database, in this run: trusted as the database is.
    scans = [pickle.loads(blobs[part]) for part in range(parts)]  # noqa: S301
    summary = detect_with_audit(engine, as_of=as_of, rules_path=rules_path, scans=scans,
                                reach=detect_runs.Reach(**reach))
    with engine.begin() as conn:  # the moves the run reports (summary.transitions), not a re-read of every finding
        moved = stored.findings_by_key(conn, [key for key, _, _ in summary.transitions])
        staging.clear_partitions(conn, token)
    opened = sorted((moved[k].id, moved[k].category) for k, old, new in summary.transitions
                    if k in moved and new == "open" and old in (None, "resolved"))
    resolved = sorted((moved[k].id, moved[k].category) for k, old, new in summary.transitions
                      if k in moved and new == "resolved" and old in ("open", "approved"))
    for kind, rows in (("finding.opened", opened), ("finding.resolved", resolved)):
        for i in range(0, len(rows), _FINDING_IDS_PER_EVENT):
            part = rows[i:i + _FINDING_IDS_PER_EVENT]
            _emit(context, kind, {"findings": [{"id": fid, "category": cat} for fid, cat in part]})
    log.info("detect over %s accounts in %s partitions: %s new, %s updated, %s resolved", summary.accounts, parts,
             summary.inserted, summary.updated, summary.resolved)


async def _retry_stalled(context: JobContext, timestamp: int) -> None:
    stalled_after = float(context.additional_context.get("stalled_after", 30.0))
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        log.warning("job %s (%s) stalled: its worker stopped sending heartbeats; retrying it", job.id, job.task_name)
        await manager.retry_job(job)


def _queue_statistics(context: JobContext, timestamp: int) -> None:
    if staging.refresh_statistics(_engine(context), QUEUE_TABLE):
        log.info("job table statistics refreshed (ANALYZE)")


async def _remove_old_jobs(context: JobContext, timestamp: int) -> None:
    await builtin_tasks.remove_old_jobs(context, max_hours=OLD_JOBS_HOURS, remove_failed=False)


def make_app(url: str | URL, pool_size: tuple[int, int] | None = None) -> App:
    """The procrastinate App of the store at `url` (PostgreSQL), with edi-engine's tasks; `pool_size` is
    its connection pool's (min, max), psycopg_pool's default without it."""
    sizes: dict[str, Any] = {} if pool_size is None else {"min_size": pool_size[0], "max_size": pool_size[1]}
    app = App(connector=PsycopgConnector(conninfo=libpq_url(url), **sizes))
    # A database that went away mid-file (ingest raises it; a bad file is a result, never raised): later.
    app.task(name="edi.ingest", queue=INGEST_QUEUE, pass_context=True,
             retry=RetryStrategy(max_attempts=5, exponential_wait=5, retry_exceptions={OperationalError}))(_ingest)
    app.task(name="edi.detect", queue=DETECT_QUEUE, pass_context=True, queueing_lock="edi.detect")(_coordinate)
    app.task(name="edi.detect_partition", queue=DETECT_QUEUE, pass_context=True)(_partition)
    app.task(name="edi.detect_finish", queue=DETECT_QUEUE, pass_context=True,
             retry=RetryStrategy(max_attempts=24 * 3600 // 5, wait=5, retry_exceptions={PartitionsPending}))(_finish)
    app.task(name="edi.webhook", queue=WEBHOOK_QUEUE, pass_context=True,
             retry=RetryStrategy(max_attempts=webhooks.MAX_ATTEMPTS, exponential_wait=2,
                                 retry_exceptions={webhooks.WebhookFailed}))(_deliver)
    app.periodic(cron=f"* * * * * */{STALLED_SWEEP}", periodic_id="retry_stalled")(
        app.task(name="edi.retry_stalled", pass_context=True, queueing_lock="edi.retry_stalled")(_retry_stalled))
    app.periodic(cron="* * * * *", periodic_id="queue_statistics")(
        app.task(name="edi.queue_statistics", pass_context=True, queueing_lock="edi.queue_statistics")(
            _queue_statistics))
    app.periodic(cron="17 * * * *", periodic_id="remove_old_jobs")(
        app.task(name="edi.remove_old_jobs", pass_context=True, queueing_lock="edi.remove_old_jobs")(
            _remove_old_jobs))
    return app
