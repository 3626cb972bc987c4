"""Files queued for workers, and the partitions of a partitioned detect run: the store's side of the
task queue (edi_engine/tasks schedules the jobs; this module only keeps their data).

Owns `ingest_staged` and `detect_partition`. A queued file's bytes are kept here whole, compressed,
keyed by content hash, so a worker on any host sharing the database can ingest it (no shared folder
needed); `stage` of the same content again keeps one row. A worker writes the bytes back to a private
temporary file and ingests that through ingest.py like any file, then `unstage`s it.

Knows nothing of the queue engine (job ids, retries, locks): those are procrastinate's.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from edi_engine.errors import InputError
from edi_engine.store import tables
from edi_engine.store.sourcefile import INGESTED, content_hash, existing_status

__all__ = ["MAX_STAGED_BYTES", "Staged", "StagedFile", "clear_partitions", "has_table", "partition_scans",
           "save_partition", "source_file_id", "stage", "staged_copy", "staged_files", "unstage"]

# PostgreSQL's bytea holds up to 1 GiB; X12 compresses 5-6x (content.py), so this leaves room.
MAX_STAGED_BYTES = 2 << 30
_F = tables.ingest_staged
_P = tables.detect_partition


@dataclass(frozen=True, slots=True)
class Staged:
    digest: str
    name: str
    size: int
    already_ingested: bool  # the content is stored already: nothing was staged


def _insert_ignore(conn: Connection, table: object, keys: list[str]):  # type: ignore[no-untyped-def]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=keys)


def stage(engine: Engine, path: str | os.PathLike[str], name: str | None = None) -> Staged:
    """Keep the file's bytes for a worker (once per content); nothing when the content is ingested already."""
    name = name or os.fspath(path)
    try:
        digest, size = content_hash(path)
        if existing_status(engine, digest) == INGESTED:
            return Staged(digest, name, size, True)
        if size > MAX_STAGED_BYTES:
            raise InputError(f"{name}: {size} bytes is more than a queued file may have ({MAX_STAGED_BYTES}); "
                             "ingest it directly with `edi-engine ingest`")
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise InputError(f"{name}: the file changed while it was being queued; queue it again")
    with engine.begin() as conn:
        conn.execute(_insert_ignore(conn, _F, ["content_hash"]).values(
            content_hash=digest, name=name, size=size, data=zlib.compress(data, 6), staged_at=datetime.now(UTC)))
    return Staged(digest, name, size, False)


@dataclass(frozen=True, slots=True)
class StagedFile:
    """A file waiting for a worker (or in one's hands): its row until the worker has stored it."""

    digest: str
    name: str
    size: int
    staged_at: datetime


def staged_files(engine: Engine, limit: int) -> tuple[int, list[StagedFile]]:
    """How many files are staged, and the newest `limit` of them (the bytes are not read)."""
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(_F)).scalar_one()
        rows = conn.execute(select(_F.c.content_hash, _F.c.name, _F.c.size, _F.c.staged_at)
                            .order_by(_F.c.staged_at.desc(), _F.c.content_hash).limit(limit))
        return int(count), [StagedFile(r.content_hash, r.name, r.size, r.staged_at) for r in rows]


@contextmanager
def staged_copy(engine: Engine, digest: str) -> Iterator[tuple[Path, str] | None]:
    """The staged file as a private temporary file and its queued name; None when nothing is staged
    under `digest` (a worker already stored it and unstaged it)."""
    with engine.connect() as conn:
        row = conn.execute(select(_F.c.name, _F.c.data).where(_F.c.content_hash == digest)).first()
    if row is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="edi-engine-job-") as tmp:
        path = Path(tmp) / "file"
        path.write_bytes(zlib.decompress(row.data))
        yield path, str(row.name)


def unstage(engine: Engine, digest: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(_F).where(_F.c.content_hash == digest))


def save_partition(conn: Connection, run_token: str, part: int, parts: int, scan: bytes) -> None:
    """One partition's result, in the caller's transaction (with the partition's match rows); a retried
    partition replaces what an earlier attempt wrote."""
    conn.execute(delete(_P).where(_P.c.run_token == run_token, _P.c.part == part))
    conn.execute(insert(_P).values(run_token=run_token, part=part, parts=parts, scan=scan,
                                   finished_at=datetime.now(UTC)))


def partition_scans(conn: Connection, run_token: str) -> dict[int, bytes]:
    return {r.part: bytes(r.scan) for r in conn.execute(
        select(_P.c.part, _P.c.scan).where(_P.c.run_token == run_token).order_by(_P.c.part))}


def clear_partitions(conn: Connection, run_token: str) -> None:
    conn.execute(delete(_P).where(_P.c.run_token == run_token))


def has_table(engine: Engine, name: str) -> bool:
    """Whether the database has table `name` in the schema the store uses (the task queue's, say)."""
    with engine.connect() as conn:
        return bool(inspect(conn).has_table(name))


def refresh_statistics(engine: Engine, table: str) -> bool:
    """ANALYZE `table` (PostgreSQL) when its planner statistics are stale by autovacuum's own measure
    (50 rows changed plus a tenth of the table; 500 here, to stay cheap); True when it ran.

    For the task queue's job table: on a server with autovacuum off, or behind a bulk enqueue,
    PostgreSQL plans procrastinate's job fetch as a walk over every waiting job per waiting job. With
    12,000 files queued and no statistics a worker took 2-3 s to fetch each job; after ANALYZE, a few
    milliseconds (bench/workers.py, bench/RESULTS.md)."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.begin() as conn:
        stale = conn.execute(text(
            "SELECT coalesce(n_mod_since_analyze > 500 + n_live_tup / 10, false) FROM pg_stat_user_tables"
            " WHERE relid = to_regclass(:table)"), {"table": table}).scalar()
        if not stale:
            return False
        conn.execute(text(f'ANALYZE "{table}"'))
    return True


def source_file_id(engine: Engine, digest: str) -> int | None:
    """The store's id of the file with this content (ingested or failed), for ids-only events."""
    with engine.connect() as conn:
        found = conn.execute(select(tables.source_file.c.id).where(tables.source_file.c.content_hash == digest))
        return found.scalar()
