"""Ingest: 835 and 837 files into the store, one database transaction per file, exactly once.

Owns the per-file protocol and batching. A file is claimed by its content hash (sourcefile.py):
the same content again is "already ingested". Each interchange is keyed by (ISA06 sender,
ISA13): the same key from other content is a "conflict" and nothing of the file is stored. A
file that cannot be read, or with a transaction set the parser could not finish
(TransactionEnd.complete False), is rolled back whole and noted as `failed` with its error.

Rows go in through SQLAlchemy Core executemany in batches of BATCH claims with their lines,
services and adjustments; ids of parents are chosen before the insert (see _FileWriter._ids), so
nothing is inserted one row at a time except the few envelope and header rows.

The file's bytes are kept too, compressed, in the same transaction (content.py): the evidence
outputs show. Knows nothing of folders, watching or printing (watch.py and the CLI).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Date, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError

from edi_engine.errors import InputError
from edi_engine.parsers import TransactionEnd, TransactionStart, parse_file
from edi_engine.store import content, rows, tables
from edi_engine.store.acks import ACK_KINDS, AckWriter
from edi_engine.store.sourcefile import INGESTED, claim_file, content_hash, existing_status, record_failure

__all__ = ["BATCH", "FileResult", "IngestSummary", "expand_paths", "ingest_file", "ingest_paths"]

BATCH = 2000  # claims per flush; their lines/services/adjustments go in the same flush
PREPARSE_BYTES = 32 << 20  # files up to this size are parsed before their transaction begins

INGESTED_STATUS, ALREADY, CONFLICT, FAILED_STATUS = "ingested", "already ingested", "conflict", "failed"

_T = {
    "file": tables.source_file, "interchange": tables.interchange, "set": tables.transaction_set, "claim": tables.claim,
    "line": tables.claim_line, "payment": tables.payment, "clp": tables.claim_payment, "svc": tables.service_payment,
    "cas": tables.adjustment, "plb": tables.provider_adjustment,
}


@dataclass(slots=True)
class FileResult:
    file: str
    status: str  # ingested, already ingested, conflict, failed
    kind: str = ""  # 835, 837, 835+837
    transactions: int = 0
    claims: int = 0  # 837 claims (CLM)
    payments: int = 0  # 835 claim payments (CLP)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in (INGESTED_STATUS, ALREADY)


@dataclass(slots=True)
class IngestSummary:
    results: list[FileResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> bool:
        return any(not r.ok for r in self.results)

    def totals(self) -> dict[str, int]:
        return {"files": len(self.results), "ingested": self.count(INGESTED_STATUS),
                "already_ingested": self.count(ALREADY), "conflicts": self.count(CONFLICT),
                "failed": self.count(FAILED_STATUS),
                "transactions": sum(r.transactions for r in self.results),
                "claims": sum(r.claims for r in self.results), "payments": sum(r.payments for r in self.results)}


class _Conflict(Exception):
    pass


class _Unreadable(Exception):
    pass


_SQL_CACHE: dict[tuple[str, str, tuple[str, ...]], tuple[str, tuple[bool, ...]]] = {}


def bulk_insert(conn: Connection, table: Any, batch: list[dict[str, Any]]) -> None:
    """One batch into one table, in database form (money as int cents, quantities as text).

    SQLite: executemany of one prepared INSERT through the Core connection (exec_driver_sql),
    skipping SQLAlchemy's per-row parameter processing, which costs more than SQLite's own insert;
    dates go as ISO text (SQLAlchemy's own SQLite DATE format). PostgreSQL: COPY (see _pg_copy).
    """
    if not batch:
        return
    cols = tuple(batch[0])
    dialect = conn.dialect
    key = (dialect.name, table.name, cols)
    if key not in _SQL_CACHE:
        quote = dialect.identifier_preparer.quote
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in cols)}) "
               f"VALUES ({', '.join(mark for _ in cols)})")
        is_date = tuple(dialect.name == "sqlite" and isinstance(table.c[c].type, Date) for c in cols)
        _SQL_CACHE[key] = (sql, is_date)
    sql, is_date = _SQL_CACHE[key]
    if dialect.name == "postgresql":
        _pg_copy(conn, table, cols, [tuple(row.values()) for row in batch])
        return
    dates = [i for i, d in enumerate(is_date) if d]
    if dates:
        params = [list(row.values()) for row in batch]
        for i in dates:
            for p in params:
                if p[i] is not None:
                    p[i] = p[i].isoformat()
        conn.exec_driver_sql(sql, [tuple(p) for p in params])
    else:
        conn.exec_driver_sql(sql, [tuple(row.values()) for row in batch])


def _pg_copy(conn: Connection, table: Any, cols: tuple[str, ...], params: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY ... FROM STDIN on the transaction's own connection (psycopg's executemany
    costs a server round of parse/bind/execute per row; COPY streams the batch)."""
    quote = conn.dialect.identifier_preparer.quote
    raw = conn.connection.driver_connection
    sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in cols)}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[union-attr]
        for row in params:
            copy.write_row(row)


def _insert_ignore(conn: Connection, table: Any, index_elements: list[str]) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=index_elements)


class _FileWriter:
    """Turns one file's parse items into batched inserts on one connection (one transaction)."""

    def __init__(self, conn: Connection, file_id: int, name: str, on_batch: Callable[[int], None] | None) -> None:
        self.conn, self.file_id, self.name, self.on_batch = conn, file_id, name, on_batch
        self.interchanges: dict[tuple[str | None, str | None], int] = {}
        self.set_id = 0
        self.payment_id: int | None = None
        self.kinds: set[str] = set()
        self.transactions = self.claims = self.payments = self.batches = 0
        self.pending_837: list[tuple[int, Any]] = []  # (transaction_set_id, Claim837)
        self.pending_835: list[tuple[int, Any]] = []  # (payment_id, ClaimPayment)
        self.next_id: dict[str, int] = {}
        self.acks = AckWriter(conn, file_id)

    def add(self, item: object) -> None:
        if self.acks.add(self.set_id, item):  # TA1, 999 and 277CA verdicts: store/acks.py
            return
        if isinstance(item, TransactionStart):
            self._start(item)
        elif isinstance(item, TransactionEnd):
            self._end(item)
        elif self.payment_id is not None:
            self.pending_835.append((self.payment_id, item))
            if len(self.pending_835) >= BATCH:
                self.flush()
        else:
            self.pending_837.append((self.set_id, item))
            if len(self.pending_837) >= BATCH:
                self.flush()

    def _interchange_id(self, info: Any) -> int | None:
        if info.interchange_control is None:
            return None  # a bare ST..SE without ISA
        key = (info.interchange_sender, info.interchange_control)
        if key not in self.interchanges:
            row = rows.interchange_row(self.file_id, info, info.segment, info.offset)
            stmt = _insert_ignore(self.conn, _T["interchange"], ["sender_id", "control_number"]).values(row)
            new_id = self.conn.execute(stmt.returning(_T["interchange"].c.id)).scalar()
            if new_id is None:
                raise _Conflict(f"interchange control number {info.interchange_control} from sender "
                                f"{info.interchange_sender} is already stored from another file")
            self.interchanges[key] = new_id
        return self.interchanges[key]

    def _start(self, item: TransactionStart) -> None:
        info = item.info
        row = rows.transaction_set_row(self.file_id, self._interchange_id(info), info)
        self.set_id = self.conn.execute(insert(_T["set"]).values(row).returning(_T["set"].c.id)).scalar_one()
        self.kinds.add(info.kind if info.kind in ACK_KINDS else "835" if info.kind == "835" else "837")
        self.payment_id = None
        if info.kind == "835":
            prow = rows.payment_row(self.file_id, self.set_id, item.header, self.name)
            self.payment_id = self.conn.execute(
                insert(_T["payment"]).values(prow).returning(_T["payment"].c.id)).scalar_one()

    def _end(self, item: TransactionEnd) -> None:
        if not item.complete:
            raise _Unreadable(f"transaction set {item.info.transaction_control or '?'} (segment {item.info.segment}) "
                              "could not be read completely")
        self.transactions += 1
        self.conn.execute(update(_T["set"]).where(_T["set"].c.id == self.set_id)
                          .values(segment_count=item.segment_count))
        if self.payment_id is not None:
            plbs = rows.provider_adjustment_rows(self.file_id, self.payment_id, item.trailer, self.name)
            if plbs:
                bulk_insert(self.conn, _T["plb"], plbs)

    def flush(self) -> None:
        if self.pending_837:
            self._flush_837()
        if self.pending_835:
            self._flush_835()
        self.batches += 1
        if self.on_batch is not None:
            self.on_batch(self.batches)

    def _ids(self, table: Any, batch: list[dict[str, Any]]) -> list[int]:
        """Insert with ids chosen here, so children can point at them without a RETURNING round trip
        per row. PostgreSQL: a block from the table's own sequence (safe under concurrency).
        SQLite: max(id)+1 onwards, safe because the file's transaction holds the write lock
        (BEGIN IMMEDIATE) from its first statement."""
        n = len(batch)
        if self.conn.dialect.name == "postgresql":
            ids = list(self.conn.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) "
                                              "FROM generate_series(1, :n)"), {"t": table.name, "n": n}).scalars())
        else:
            start = self.next_id.get(table.name)
            if start is None:
                start = (self.conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
            ids = list(range(start, start + n))
            self.next_id[table.name] = start + n
        for row, new_id in zip(batch, ids, strict=True):
            row["id"] = new_id
        bulk_insert(self.conn, table, batch)
        return ids

    def _flush_837(self) -> None:
        pending, self.pending_837 = self.pending_837, []
        fid, name = self.file_id, self.name
        ids = self._ids(_T["claim"], [rows.claim_row(fid, set_id, clm, name) for set_id, clm in pending])
        lines = [r for cid, (_, clm) in zip(ids, pending, strict=True)
                 for r in rows.claim_line_rows(fid, cid, clm, name)]
        if lines:
            bulk_insert(self.conn, _T["line"], lines)
        self.claims += len(pending)

    def _flush_835(self) -> None:
        pending, self.pending_835 = self.pending_835, []
        fid, name = self.file_id, self.name
        ids = self._ids(_T["clp"], [rows.claim_payment_row(fid, pid, clp, name) for pid, clp in pending])
        cas: list[dict[str, Any]] = []
        svc_rows: list[dict[str, Any]] = []
        svc_models: list[tuple[int, Any]] = []
        for cid, (_, clp) in zip(ids, pending, strict=True):
            cas.extend(rows.adjustment_rows(fid, cid, None, clp.adjustments, name))
            for svc in clp.services:
                svc_rows.append(rows.service_payment_row(fid, cid, svc, name))
                svc_models.append((cid, svc))
        if svc_rows:
            for sid, (cid, svc) in zip(self._ids(_T["svc"], svc_rows), svc_models, strict=True):
                if svc.adjustments:
                    cas.extend(rows.adjustment_rows(fid, cid, sid, svc.adjustments, name))
        if cas:
            bulk_insert(self.conn, _T["cas"], cas)
        self.payments += len(pending)

    def finish(self) -> FileResult:
        self.flush()
        self.acks.flush()
        if not self.transactions and not self.acks.count:
            raise _Unreadable("no 835, 837, 999, 277CA or TA1 in the file")
        kind = "+".join(sorted(self.kinds | self.acks.kinds))
        self.conn.execute(update(_T["file"]).where(_T["file"].c.id == self.file_id).values(
            kind=kind, transactions=self.transactions, claims=self.claims, payments=self.payments))
        return FileResult(self.name, INGESTED_STATUS, kind, self.transactions, self.claims, self.payments)


def ingest_file(engine: Engine, path: str | os.PathLike[str], *, name: str | None = None,
                on_batch: Callable[[int], None] | None = None) -> FileResult:
    """Store one file completely, or not at all; never raises for a bad file (see FileResult.status).

    `on_batch(n)` is called after the n-th batch is written, inside the file's transaction.
    """
    name = name or os.fspath(path)
    try:
        digest, size = content_hash(path)
    except OSError as exc:
        return FileResult(name, FAILED_STATUS, error=f"cannot read: {exc.strerror}")
    if existing_status(engine, digest) == INGESTED:
        content.keep_missing(engine, digest, path)  # stored before contents were kept (migration 0006)
        return FileResult(name, ALREADY)
    items: list[object] | None = None
    try:
        if size <= PREPARSE_BYTES:
            # Parse before taking the write lock: parallel workers then parse while one writes.
            items = list(parse_file(path, name=name))
        kept = content.prepare(path, digest, eager=size <= PREPARSE_BYTES)
        with engine.begin() as conn:
            file_id = claim_file(conn, digest, name, size, "unknown")
            if file_id is None:
                return FileResult(name, ALREADY)
            content.store(conn, file_id, kept)  # the evidence, in the file's own transaction
            writer = _FileWriter(conn, file_id, name, on_batch)
            for item in items if items is not None else parse_file(path, name=name):
                writer.add(item)
            return writer.finish()
    except _Conflict as exc:
        return FileResult(name, CONFLICT, error=str(exc))
    except (_Unreadable, InputError) as exc:
        error = str(exc)
    except IntegrityError as exc:  # a unique key raced by another process: the same interchange
        error = f"database refused a row ({type(exc.orig).__name__}); nothing of the file was stored"
        if "interchange" in str(exc.orig):
            return FileResult(name, CONFLICT, error="interchange already stored from another file")
    except DataError as exc:  # a value the database cannot hold; the message may hold PHI, so not echoed
        error = f"database refused a value ({type(exc.orig).__name__}); nothing of the file was stored"
    record_failure(engine, digest, name, size, "unknown", error)
    return FileResult(name, FAILED_STATUS, error=error)


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files as given, and every file under a folder (recursively, sorted, hidden names skipped)."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if not f.startswith("."):
                        yield Path(root) / f
        else:
            yield path


_WORKER_ENGINE: Engine | None = None


def _init_worker(url: str) -> None:
    global _WORKER_ENGINE
    from edi_engine.store.engine import create_store_engine
    _WORKER_ENGINE = create_store_engine(url)


def _worker_ingest(path: str) -> FileResult:
    assert _WORKER_ENGINE is not None
    return ingest_file(_WORKER_ENGINE, path)


def ingest_paths(engine: Engine, paths: Iterable[str | os.PathLike[str]],
                 progress: Callable[[FileResult], None] | None = None, jobs: int = 1) -> IngestSummary:
    """Ingest every file (folders recursively); with jobs > 1, in that many worker processes.

    Each file is still one transaction of one worker; on SQLite the workers parse in parallel and
    take turns at the write lock. Results are in the order of the paths.
    """
    files = [os.fspath(p) for p in expand_paths(paths)]
    summary = IngestSummary()
    if jobs <= 1 or len(files) <= 1:
        for path in files:
            summary.results.append(ingest_file(engine, path))
            if progress is not None:
                progress(summary.results[-1])
        return summary
    from concurrent.futures import ProcessPoolExecutor, as_completed

    url = engine.url.render_as_string(hide_password=False)
    results: dict[int, FileResult] = {}
    with ProcessPoolExecutor(min(jobs, len(files)), initializer=_init_worker, initargs=(url,)) as pool:
        futures = {pool.submit(_worker_ingest, path): i for i, path in enumerate(files)}
        for future in as_completed(futures):
            results[futures[future]] = result = future.result()
            if progress is not None:
                progress(result)
    summary.results.extend(results[i] for i in range(len(files)))
    return summary
