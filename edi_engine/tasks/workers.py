"""Workers and what feeds them: `edi-engine worker`, `edi-engine enqueue`, `ingest --watch --queue`,
`detect --partitions`.

Owns starting procrastinate workers on a store and handing files and detect runs to the queue. A
worker is one process running one job at a time (procrastinate's advice for blocking jobs such as
ingest and detect); `run_workers(n)` starts n of them on this host and stops them together. Any
number of hosts may run workers on the same PostgreSQL database.

Knows nothing of the command line's printing.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from procrastinate import App
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import URL, Engine

from edi_engine.errors import InputError, UsageError
from edi_engine.store import staging
from edi_engine.store.engine import create_store_engine, open_store
from edi_engine.store.ingest import ALREADY, FAILED_STATUS, QUEUED_STATUS, FileResult, expand_paths
from edi_engine.tasks.jobs import DETECT_QUEUE, INGEST_QUEUE, QUEUE_TABLE, ingest_lock, make_app, require_postgresql
from edi_engine.tasks.webhooks import WebhookConfig

__all__ = ["ALREADY_QUEUED", "QUEUED", "Enqueued", "QueuedFile", "enqueue_detect", "enqueue_file", "enqueue_paths",
           "ensure_queue_schema", "open_queue", "open_queue_app", "queue_schema_present", "queued_files", "run_worker",
           "run_workers", "watch_taker"]

QUEUED = QUEUED_STATUS
ALREADY_QUEUED = "already queued"
# A queued file's job, in procrastinate's words: todo (waiting), doing (a worker has it); failed, cancelled or
# aborted when it stopped for good (the file stays staged: queue it again).
_PENDING = ("doing", "todo")


@dataclass(frozen=True, slots=True)
class Enqueued:
    file: str
    status: str  # queued, already queued, already ingested
    digest: str
    job_id: int | None = None


def queue_schema_present(engine: Engine) -> bool:
    return staging.has_table(engine, QUEUE_TABLE)


def ensure_queue_schema(url: str | URL) -> bool:
    """Apply procrastinate's schema to the store's PostgreSQL database when it is not there yet (`db
    upgrade`); True when it was applied now."""
    require_postgresql(url)
    engine = create_store_engine(url)
    try:
        if queue_schema_present(engine):
            return False
    finally:
        engine.dispose()
    app = make_app(url)
    with app.open():
        app.schema_manager.apply_schema()
    return True


def _checked_store(url: str | URL) -> Engine:
    require_postgresql(url)
    engine = open_store(url)
    if not queue_schema_present(engine):
        raise UsageError("the task queue's tables are not in this database yet: run `edi-engine db upgrade`")
    return engine


@contextmanager
def open_queue(url: str | URL) -> Iterator[tuple[Engine, App]]:
    """The store and its queue, opened for deferring jobs from this process."""
    engine = _checked_store(url)
    app = make_app(url)
    try:
        with app.open():
            yield engine, app
    finally:
        engine.dispose()


def enqueue_file(engine: Engine, app: App, path: str | os.PathLike[str], name: str | None = None) -> Enqueued:
    """Stage the file's bytes and defer its ingest job, once per content."""
    staged = staging.stage(engine, path, name)
    if staged.already_ingested:
        return Enqueued(staged.name, ALREADY, staged.digest)
    lock = ingest_lock(staged.digest)
    try:
        job_id = app.configure_task("edi.ingest", queue=INGEST_QUEUE, lock=lock, queueing_lock=lock).defer(
            digest=staged.digest)
    except AlreadyEnqueued:  # the job that waits: its id, so the caller can follow it (gone if it just started)
        waiting = app.job_manager.list_jobs(queueing_lock=lock, status="todo")
        return Enqueued(staged.name, ALREADY_QUEUED, staged.digest, waiting[0].id if waiting else None)
    return Enqueued(staged.name, QUEUED, staged.digest, job_id)


@dataclass(frozen=True, slots=True)
class QueuedFile:
    """A staged file and the ingest job that takes it."""

    file: str
    digest: str
    size: int
    staged_at: datetime
    job_id: int | None  # None: no job holds it (one stopped for good long ago and was removed)
    job_status: str  # procrastinate's: todo, doing, failed, cancelled, aborted; "" with no job


def open_queue_app(url: str | URL) -> App:
    """The store's queue for a long-running front door (the web app), opened: it defers jobs and reads
    their state on a small pool of its own (one connection kept, four at most). The caller closes it."""
    app = make_app(require_postgresql(url), pool_size=(1, 4))
    app.open()
    return app


def queued_files(engine: Engine, app: App, limit: int) -> tuple[int, list[QueuedFile]]:
    """How many files wait in the queue (staged, not yet stored by a worker), and the newest `limit` with
    their jobs. A stored file leaves this list: its result is the store's (source_file, by content hash)."""
    count, staged = staging.staged_files(engine, limit)
    if not staged:
        return count, []
    # The pending jobs, two queries whatever the backlog: procrastinate's list_jobs filters but cannot
    # take a list of locks, and one query per file would scan the jobs table once each.
    jobs = {job.lock: job for status in _PENDING for job in app.job_manager.list_jobs(task="edi.ingest",
                                                                                        status=status)}
    out = []
    for f in staged:
        lock = ingest_lock(f.digest)
        job = jobs.get(lock)
        if job is None:  # not pending: its job stopped for good (rare), the last one says how
            past = app.job_manager.list_jobs(task="edi.ingest", lock=lock)
            job = past[-1] if past else None
        out.append(QueuedFile(f.name, f.digest, f.size, f.staged_at, job.id if job else None,
                              str(job.status or "") if job else ""))
    return count, out


def enqueue_paths(url: str | URL, paths: Iterable[str | os.PathLike[str]],
                  progress: Callable[[Enqueued], None] | None = None) -> list[Enqueued]:
    out = []
    with open_queue(url) as (engine, app):
        for path in expand_paths(paths):
            out.append(enqueue_file(engine, app, path))
            if progress is not None:
                progress(out[-1])
        # A bulk enqueue outruns autovacuum: the workers' first fetches would walk the whole backlog.
        staging.refresh_statistics(engine, QUEUE_TABLE)
    return out


def watch_taker(engine: Engine, app: App) -> Callable[[Path, str], FileResult]:
    """For store.watch(take=...): a claimed drop-folder file goes to the queue instead of being ingested here."""
    def take(path: Path, name: str) -> FileResult:
        try:
            queued = enqueue_file(engine, app, path, name)
        except InputError as exc:  # unreadable, changed while read, too large to queue
            return FileResult(name, FAILED_STATUS, error=str(exc))
        return FileResult(name, QUEUED if queued.status != ALREADY else ALREADY)
    return take


def enqueue_detect(url: str | URL, parts: int, *, as_of: str | None = None, rules_path: str | None = None) -> int:
    """Defer a partitioned detect run's coordinator; its job id."""
    if parts < 1:
        raise UsageError("--partitions must be at least 1")
    with open_queue(url) as (_engine, app):
        try:
            return app.configure_task("edi.detect", queue=DETECT_QUEUE).defer(
                parts=parts, as_of=as_of, rules_path=os.path.abspath(rules_path) if rules_path else None)
        except AlreadyEnqueued:
            raise UsageError("a partitioned detect run is queued already and has not started") from None


def run_worker(url: str | URL, *, queues: list[str] | None = None, burst: bool = False, heartbeat: float = 10.0,
               stalled_after: float = 30.0, name: str | None = None) -> None:
    """Run one worker in this process until SIGINT/SIGTERM (or, with `burst`, until the queues are empty).

    Its heartbeat is sent every `heartbeat` seconds; a worker silent for `stalled_after` seconds is taken
    for dead and its job retried by the others' stalled-job sweep."""
    if not 0 < heartbeat < stalled_after:
        raise UsageError("--heartbeat must be positive and shorter than --stalled-after")
    try:
        hook = WebhookConfig.from_env()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    engine = _checked_store(url)
    app = make_app(url)
    try:
        app.run_worker(queues=queues, wait=not burst, concurrency=1, update_heartbeat_interval=heartbeat,
                       stalled_worker_timeout=stalled_after, delete_jobs="never",
                       name=name or f"{socket.gethostname()}:{os.getpid()}",
                       additional_context={"engine": engine, "stalled_after": stalled_after, "webhook": hook})
    finally:
        engine.dispose()


def _child(url: str, kwargs: dict[str, Any]) -> None:
    run_worker(url, **kwargs)


def run_workers(url: str | URL, processes: int, **kwargs: Any) -> int:
    """`processes` workers on this host, each its own process; returns the first non-zero exit code."""
    if processes < 1:
        raise UsageError("--concurrency must be at least 1")
    if processes == 1:
        run_worker(url, **kwargs)
        return 0
    _checked_store(url).dispose()  # refuse before starting anything
    rendered = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")
    children = [ctx.Process(target=_child, args=(rendered, kwargs), name=f"edi-engine worker {i}")
                for i in range(processes)]
    for child in children:
        child.start()

    def stop(signum: int, _frame: object) -> None:
        for child in children:
            if child.pid is not None and child.is_alive():
                os.kill(child.pid, signum)  # each finishes its job in hand, then stops

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    for child in children:
        child.join()
    return next((c.exitcode for c in children if c.exitcode), 0) or 0
