"""Each ingested file's bytes, compressed, kept in the store: the evidence `explain`, letters,
corrected claims and the web app show, so none of them opens the path typed at ingest.

Owns writing `source_content` and its codec. A file is cut into chunks of CHUNK_BYTES (1 MiB) of
its own bytes, each compressed with zlib at LEVEL 6 and stored as one row keyed by (source_file_id,
start_offset): a segment at a byte offset is read by decompressing one chunk (two when it crosses a
boundary), and a file of any size streams in and out in bounded memory. The rows go in inside the
file's own ingest transaction, so a file is stored with its contents or not at all. The bytes are
hashed again while they are read and must match the content hash the file was claimed under.

Why the whole file and why zlib (measured, bench/RESULTS.md "evidence"): a corrected claim
resends everything the 837 carried (HI, providers, COB loops, kept segments) and letters need the
parties (N1/N3/N4/REF/PER of the payer, payee, billing provider and patient), so keeping only each
fact's own segment would not serve them, and the fact segments alone are already 48-53% of an 835's
bytes uncompressed, while the whole file compressed is 9-18%. zlib level 6 compresses X12 as well as
zstandard level 3 on realistic files (5.7x against 5.6x), costs 1-2% of ingest's CPU and needs no
new dependency; `codec` is stored per chunk so another codec can be added without rewriting rows.

Files stored before migration 0008 have no rows here: `keep_missing` stores them when the same
file is ingested again. Reads are in store/read.py. Knows nothing of X12 meaning.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from edi_engine.errors import InputError
from edi_engine.store import tables

__all__ = ["CHUNK_BYTES", "CODEC", "LEVEL", "PreparedContent", "decompress", "has_content", "keep_missing",
           "prepare", "store"]

CHUNK_BYTES = 1 << 20
CODEC = "zlib"
LEVEL = 6
_T = tables.source_content


@dataclass(frozen=True, slots=True)
class _Chunk:
    start: int
    length: int
    data: bytes  # compressed


@dataclass(frozen=True, slots=True)
class PreparedContent:
    """A file's bytes ready to store: compressed already (`chunks`), or read from `path` when stored."""

    path: str
    digest: str
    chunks: tuple[_Chunk, ...] | None


def _compressed(path: str, digest: str) -> Iterator[_Chunk]:
    """The file's chunks, compressed; InputError when it cannot be read or its bytes changed since hashed."""
    hasher = hashlib.sha256()
    start = 0
    try:
        with open(path, "rb") as fh:
            while raw := fh.read(CHUNK_BYTES):
                hasher.update(raw)
                yield _Chunk(start, len(raw), zlib.compress(raw, LEVEL))
                start += len(raw)
    except OSError as exc:
        raise InputError(f"cannot read the file to keep its contents: {exc.strerror}") from None
    if hasher.hexdigest() != digest:
        raise InputError("the file changed while it was being ingested; nothing of it was stored")


def prepare(path: str | os.PathLike[str], digest: str, *, eager: bool) -> PreparedContent:
    """Compress now (`eager`, before the write lock is taken) or later, streaming, inside `store`."""
    name = os.fspath(path)
    return PreparedContent(name, digest, tuple(_compressed(name, digest)) if eager else None)


def store(conn: Connection, file_id: int, prepared: PreparedContent) -> None:
    """Insert the file's chunks in the caller's transaction."""
    chunks = prepared.chunks if prepared.chunks is not None else _compressed(prepared.path, prepared.digest)
    batch: list[dict[str, object]] = []
    for chunk in chunks:
        batch.append({"source_file_id": file_id, "start_offset": chunk.start, "length": chunk.length,
                      "codec": CODEC, "data": chunk.data})
        if len(batch) >= 16:
            conn.execute(_T.insert(), batch)
            batch = []
    if batch:
        conn.execute(_T.insert(), batch)


def has_content(conn: Connection, file_id: int) -> bool:
    return bool(conn.execute(select(exists().where(_T.c.source_file_id == file_id))).scalar())


def keep_missing(engine: Engine, digest: str, path: str | os.PathLike[str]) -> bool:
    """Keep the contents of an already ingested file stored before contents were kept (migration 0008).

    True when they were stored now; False when they were there already, or the file cannot be read
    or no longer has the content it was stored with (nothing changes then).
    """
    sf = tables.source_file
    try:
        with engine.begin() as conn:
            file_id = conn.execute(select(sf.c.id).where(sf.c.content_hash == digest,
                                                         sf.c.status == "ingested")).scalar()
            if file_id is None or has_content(conn, file_id):
                return False
            store(conn, file_id, prepare(path, digest, eager=False))
            return True
    except (InputError, IntegrityError):  # unreadable, changed, or another process kept them meanwhile
        return False


def decompress(codec: str, data: bytes) -> bytes:
    if codec != CODEC:
        raise InputError(f"stored file contents use codec {codec!r}, which this edi-engine cannot read")
    return zlib.decompress(data)
