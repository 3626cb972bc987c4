"""Engines: one place that turns a URL into a configured SQLAlchemy Engine.

SQLite gets WAL (readers never block the writer), synchronous=NORMAL (durable at each commit
in WAL mode, without an fsync per page), foreign keys on, a long busy timeout, and BEGIN
IMMEDIATE so two writers queue for the lock instead of deadlocking on a read-to-write upgrade.
The WAL is checkpointed into the database every WAL_CHECKPOINT_PAGES rather than SQLite's 1,000
(4 MB): one ingested file of 5,000 claims writes about 12 MB, so the default copied every file's
pages back at its commit, the index pages shared by the files once per file; checkpoints move
pages between two files of the same database and change nothing of what a commit makes durable.
Knows nothing of tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine

from edi_engine.store.migrate import ensure_schema
from edi_engine.store.url import resolve_url

__all__ = ["create_store_engine", "open_store"]

SQLITE_BUSY_TIMEOUT_MS = 600_000  # a watcher may hold the write lock for a whole large file
WAL_CHECKPOINT_PAGES = 16_384  # 64 MB of 4 KB pages; the WAL file is cut back to that size after a checkpoint


def create_store_engine(url: str | URL | None = None) -> Engine:
    resolved = resolve_url(url) if not isinstance(url, URL) else url
    if resolved.drivername.startswith("sqlite"):
        engine = create_engine(resolved, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            cur.execute(f"PRAGMA journal_size_limit={WAL_CHECKPOINT_PAGES * 4096}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(resolved, pool_pre_ping=True)


def open_store(url: str | URL | None = None) -> Engine:
    """An engine on a database whose schema is current (an empty one is created)."""
    engine = create_store_engine(url)
    ensure_schema(engine)
    return engine
