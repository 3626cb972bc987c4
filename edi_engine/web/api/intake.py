"""Where an API upload goes: ingested in the web process, or staged in the database and queued for the
workers (edi_engine/tasks, as `ingest --watch --queue` and `edi-engine enqueue` do), as
`serve --api-ingest` (WebConfig.api_ingest) says:

- `auto` (the default): the queue when the store is PostgreSQL and has the task queue's tables
  (`edi-engine db upgrade` puts them there), else here. SQLite has no queue: always here.
- `queue`: the queue; the app refuses to start without one.
- `direct`: here, whatever the store (a PostgreSQL deployment that runs no worker).

Decided once, when the app is created: a `db upgrade` that adds the queue later takes effect at the next
start. The queue is opened at the first upload or status read that needs it and kept for the process's
life (closed with the app), on a small connection pool of its own.

Owns the choice and the per-file answers of a queued upload; the staging, the jobs and their locks are
edi_engine.tasks' (procrastinate's). Knows nothing of HTTP.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from edi_engine.errors import InputError, UsageError
from edi_engine.web.api import schemas as s

if TYPE_CHECKING:
    from procrastinate import App

__all__ = ["MODES", "Intake", "intake_for", "totals"]

MODES = ("auto", "queue", "direct")


class Intake:
    """The task queue as the web app uses it: thread-safe (waitress serves from several threads)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._app: App | None = None
        self._lock = threading.Lock()

    def _queue(self) -> App:
        from edi_engine.tasks import open_queue_app
        with self._lock:
            if self._app is None:
                self._app = open_queue_app(self._engine.url)
            return self._app

    def enqueue(self, path: str | os.PathLike[str], name: str) -> s.QueuedUploadFile:
        """Stage the file and defer its ingest job, once per content."""
        from edi_engine.tasks import enqueue_file
        try:
            done = enqueue_file(self._engine, self._queue(), path, name)
        except InputError as exc:  # too large to stage; nothing was queued
            return s.QueuedUploadFile(file=name, status="failed", content_hash="", job_id=None, error=str(exc))
        return s.QueuedUploadFile(file=name, status=done.status, content_hash=done.digest,  # type: ignore[arg-type]
                                  job_id=done.job_id)

    def queued(self, limit: int) -> tuple[int, list[s.QueuedFile]]:
        from edi_engine.tasks import queued_files
        count, files = queued_files(self._engine, self._queue(), limit)
        return count, [s.QueuedFile(file=f.file, content_hash=f.digest, size=f.size, queued_at=f.staged_at,
                                    job_id=f.job_id, job_status=f.job_status) for f in files]

    def close(self) -> None:
        with self._lock:
            if self._app is not None:
                self._app.close()
                self._app = None


def totals(files: list[s.QueuedUploadFile]) -> s.QueuedTotals:
    def count(status: str) -> int:
        return sum(1 for f in files if f.status == status)
    return s.QueuedTotals(files=len(files), queued=count("queued"), already_queued=count("already queued"),
                          already_ingested=count("already ingested"), failed=count("failed"))


def intake_for(engine: Engine, mode: str) -> Intake | None:
    """The queue uploads go to under `mode`, or None when they are ingested in this process."""
    if mode not in MODES:
        raise UsageError(f"API ingest mode {mode!r} is not one of {', '.join(MODES)}")
    if mode == "direct":
        return None
    why = _no_queue(engine)
    if why is None:
        return Intake(engine)
    if mode == "queue":
        raise UsageError(f"--api-ingest queue: {why}")
    return None


def _no_queue(engine: Engine) -> str | None:
    """Why this store has no task queue to hand uploads to, or None when it has one."""
    if engine.dialect.name != "postgresql":
        return "the task queue needs a PostgreSQL store (with SQLite, uploads are ingested by the web app)"
    try:
        from edi_engine.tasks import queue_schema_present
    except ImportError:  # procrastinate is the optional `postgres` extra
        return "the task queue needs procrastinate: pip install 'edi-engine[postgres]'"
    if not queue_schema_present(engine):
        return "the task queue's tables are not in this database yet: run `edi-engine db upgrade`"
    return None
