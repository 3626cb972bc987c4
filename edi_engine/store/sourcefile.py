"""The source_file row: the idempotency key of ingest and imports, and the record of failures.

Owns the protocol that makes a file count exactly once, even with several processes on several
machines: inside the file's own transaction, a row keyed by the SHA-256 of its content is
inserted with ON CONFLICT DO NOTHING. The process whose insert returns an id stores the file;
any other finds the content already there (on PostgreSQL it waits on the unique index until the
first commits or rolls back, so a crashed or failed first attempt leaves the key free).
A `failed` row is only a note: the next attempt at the same content replaces it.

Nothing here opens a file after ingest: the file's contents are kept in the store (content.py) and
evidence is read from there (read.py).
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from typing import BinaryIO

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from edi_engine.store import tables

__all__ = ["INGESTED", "FAILED", "content_hash", "claim_file", "record_failure", "existing_status"]

INGESTED = "ingested"
FAILED = "failed"
_TABLE = tables.source_file


def content_hash(source: str | os.PathLike[str] | BinaryIO) -> tuple[str, int]:
    """(SHA-256 hex, size in bytes), read in chunks."""
    digest = hashlib.sha256()
    size = 0
    handle = open(source, "rb") if isinstance(source, (str, os.PathLike)) else source  # noqa: SIM115
    try:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    finally:
        if handle is not source:
            handle.close()
    return digest.hexdigest(), size


def _insert(conn: Connection):  # type: ignore[no-untyped-def]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(_TABLE)


def existing_status(conn: Connection | Engine, digest: str) -> str | None:
    """Status of the stored row for this content, without waiting for anyone's transaction."""
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return existing_status(c, digest)
    return conn.execute(select(_TABLE.c.status).where(_TABLE.c.content_hash == digest)).scalar()


def claim_file(conn: Connection, digest: str, name: str, size: int, kind: str) -> int | None:
    """Insert the `ingested` row in the caller's transaction; None when the content is already stored."""
    conn.execute(delete(_TABLE).where(_TABLE.c.content_hash == digest, _TABLE.c.status == FAILED))
    stmt = _insert(conn).values(
        content_hash=digest, name=name, size=size, kind=kind, received_at=datetime.now(UTC),
        status=INGESTED, transactions=0, claims=0, payments=0,
    ).on_conflict_do_nothing(index_elements=["content_hash"]).returning(_TABLE.c.id)
    return conn.execute(stmt).scalar()


def record_failure(engine: Engine, digest: str, name: str, size: int, kind: str, error: str) -> None:
    """Note a failed file in its own transaction; a no-op if the content got stored meanwhile."""
    with engine.begin() as conn:
        conn.execute(delete(_TABLE).where(_TABLE.c.content_hash == digest, _TABLE.c.status == FAILED))
        conn.execute(_insert(conn).values(
            content_hash=digest, name=name, size=size, kind=kind, received_at=datetime.now(UTC),
            status=FAILED, error=error, transactions=0, claims=0, payments=0,
        ).on_conflict_do_nothing(index_elements=["content_hash"]))

