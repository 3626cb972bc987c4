"""Workers on several machines: the jobs (ingest one file, a partitioned detect run) that any number
of `edi-engine worker` processes on any hosts sharing the PostgreSQL store take from procrastinate's
queue in that database. A thin layer over store/ ingest and rules/ detect: queueing, locks, retries
and stalled-job recovery are procrastinate's (jobs.py says which mechanism does what).

Public API (other layers import only these names; procrastinate is needed only here):
    run_worker(url, ...), run_workers(url, n, ...)      workers in this process / in n processes
    enqueue_paths(url, paths) -> [Enqueued]             files staged in the database and queued once each
    open_queue(url), enqueue_file(engine, app, path)    the same, one file at a time (the watcher's)
    open_queue_app(url), queued_files(engine, app, n)   the web app's queue: defer uploads, show waiting files
    watch_taker(engine, app)                            store.watch(take=...) for `ingest --watch --queue`
    enqueue_detect(url, parts, ...) -> job id           a partitioned detect run's coordinator
    ensure_queue_schema(url)                            procrastinate's tables (`db upgrade`)
"""

from __future__ import annotations

from edi_engine.tasks.jobs import PartitionsPending, require_postgresql
from edi_engine.tasks.workers import (
    ALREADY_QUEUED,
    QUEUED,
    Enqueued,
    QueuedFile,
    enqueue_detect,
    enqueue_file,
    enqueue_paths,
    ensure_queue_schema,
    open_queue,
    open_queue_app,
    queue_schema_present,
    queued_files,
    run_worker,
    run_workers,
    watch_taker,
)

__all__ = ["ALREADY_QUEUED", "QUEUED", "Enqueued", "PartitionsPending", "QueuedFile", "enqueue_detect",
           "enqueue_file", "enqueue_paths", "ensure_queue_schema", "open_queue", "open_queue_app",
           "queue_schema_present", "queued_files", "require_postgresql", "run_worker", "run_workers", "watch_taker"]
