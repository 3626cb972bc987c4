"""Ingest: 835 and 837 files into the store, one database transaction per file, exactly once.

Owns the per-file protocol and batching. A file is claimed by its content hash (sourcefile.py):
the same content again is "already ingested". A file is stored whole or not at all: one that
cannot be read, with a transaction set the parser could not finish (TransactionEnd.complete
False), or cut short (a set without SE, a group without GE, an interchange without IEA: the
envelope's problems) is rolled back and noted as `failed` with its reason; a failed attempt holds
no key, so the complete file ingests later.

Identity below the file (domain.md 1.11): envelope numbers identify a file, not a payment. An 835
set's payment is (payer: TRN03 else N1*PR N104, TRN02, BPR16, BPR02, BPR03) with the digest of its
money (rows.RemittanceDigest). (payer, TRN02) is a key (payment_identity) taken in the file's
transaction: the first set under it is posted; a later one with the same payment is a re-delivery
(remittance_delivery: recorded, nothing posted); one that differs is stored held (payment.conflict_of,
read by no ledger) for a remittance_conflict finding. An 837 claim whose signature (rows.
claim_signature) is stored already is another submission (claim_submission), not another claim. The
same (ISA06, ISA13) from another file is a warning: senders reuse control numbers.

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from edi_engine.errors import InputError, Problem
from edi_engine.money import to_cents
from edi_engine.parsers import TransactionEnd, TransactionStart, parse_file
from edi_engine.store import content, rows, tables
from edi_engine.store.acks import ACK_KINDS, AckWriter
from edi_engine.store.sourcefile import INGESTED, claim_file, content_hash, existing_status, record_failure

__all__ = ["BATCH", "FileResult", "IngestSummary", "expand_paths", "ingest_file", "ingest_paths"]

BATCH = 2000  # claims per flush; their lines/services/adjustments go in the same flush
PREPARSE_BYTES = 32 << 20  # files up to this size are parsed before their transaction begins

INGESTED_STATUS, ALREADY, CONFLICT, FAILED_STATUS = "ingested", "already ingested", "conflict", "failed"
QUEUED_STATUS = "queued"  # handed to the task queue (edi_engine/tasks): a worker ingests it

_T = {
    "file": tables.source_file, "interchange": tables.interchange, "set": tables.transaction_set, "claim": tables.claim,
    "line": tables.claim_line, "payment": tables.payment, "clp": tables.claim_payment, "svc": tables.service_payment,
    "cas": tables.adjustment, "plb": tables.provider_adjustment, "identity": tables.payment_identity,
    "delivery": tables.remittance_delivery, "submission": tables.claim_submission,
}
_ATTEMPTS = 3  # a file whose keys raced another process's is tried again: the other's rows are visible then
# Envelope problems that mean the file was cut short or could not be read to its end.
_INCOMPLETE = frozenset({"missing-se", "missing-ge", "missing-iea", "unreadable"})


@dataclass(slots=True)
class FileResult:
    file: str
    status: str  # ingested, already ingested, conflict, failed; queued (for a worker)
    kind: str = ""  # 835, 837, 835+837
    transactions: int = 0
    claims: int = 0  # 837 claims (CLM)
    payments: int = 0  # 835 claim payments (CLP)
    error: str | None = None
    redelivered: int = 0  # 835 sets whose payment was already stored: recorded, nothing posted
    redelivered_from: list[str] = field(default_factory=list)  # the files that stored those payments first
    remittance_conflicts: int = 0  # 835 sets held for review: same TRN02 and payer, other amounts or claims
    resubmitted: int = 0  # 837 claims already stored: another submission, no new charge
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in (INGESTED_STATUS, ALREADY, QUEUED_STATUS)

    def notes(self) -> list[str]:
        """What the counts do not say, in a line each: re-deliveries, held remittances, resubmissions."""
        out = []
        if self.redelivered:
            out.append(f"{self.redelivered} remittance{'s' if self.redelivered > 1 else ''} re-delivered, already "
                       f"stored from {', '.join(self.redelivered_from)}")
        if self.remittance_conflicts:
            out.append(f"{self.remittance_conflicts} remittance{'s' if self.remittance_conflicts > 1 else ''} "
                       "held for review: same check number and payer as a stored one, other amounts or claims")
        if self.resubmitted:
            out.append(f"{self.resubmitted} claim{'s' if self.resubmitted > 1 else ''} submitted again, "
                       "already stored")
        return out


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
                "claims": sum(r.claims for r in self.results), "payments": sum(r.payments for r in self.results),
                "redelivered": sum(r.redelivered for r in self.results),
                "remittance_conflicts": sum(r.remittance_conflicts for r in self.results),
                "resubmitted": sum(r.resubmitted for r in self.results)}


class _Unreadable(Exception):
    pass


def _where(p: Problem) -> str:
    parts = [f"segment {p.position.segment}" if p.position.segment is not None else "",
             f"byte {p.position.offset}" if p.position.offset is not None else ""]
    return ", ".join(x for x in parts if x)


def incomplete_reason(problems: list[Problem]) -> str | None:
    """Why the file cannot be stored whole, from the reader's problems; None when it is complete.

    A set without SE, a group without GE, an interchange without IEA, data the reader could not go
    past; and a last IEA cut inside itself (no terminator, its count or control number cut). Messages
    carry element ids and positions only.
    """
    cut_at = {p.position.segment for p in problems if p.code == "missing-terminator"}
    bad = [p for p in problems if (p.code in _INCOMPLETE and p.severity == "error")
           or (p.code in ("iea01-count", "iea02-control") and p.position.segment in cut_at)]
    if not bad:
        return None
    shown = "; ".join(f"{p.message} ({_where(p)})" for p in bad[:3])
    more = f"; and {len(bad) - 3} more" if len(bad) > 3 else ""
    return f"the file is incomplete, nothing of it was stored: {shown}{more}"


def remittance_digests(items: Iterable[object], name: str) -> list[str | None]:
    """The money digest of each transaction set in order (None for 837 and broken sets)."""
    out: list[str | None] = []
    digest: rows.RemittanceDigest | None = None
    for item in items:
        if isinstance(item, TransactionStart):  # one entry per start, as the writer takes them
            digest = rows.RemittanceDigest(name) if item.info.kind == "835" else None
            out.append(None)
        elif isinstance(item, TransactionEnd):
            if digest is not None and item.complete:
                out[-1] = digest.trailer(item.trailer)
            digest = None
        elif digest is not None:
            digest.claim(item)
    return out


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
    try:
        with raw.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[union-attr]
            for row in params:
                copy.write_row(row)
    except Exception as exc:
        # psycopg's own error, raised outside SQLAlchemy's wrapping: as SQLAlchemy's, so a raced unique key
        # (class 23) or a deadlock (40P01) is retried by ingest_file like any other statement's.
        state = str(getattr(exc, "sqlstate", "") or "")
        if state.startswith("23"):
            raise IntegrityError(sql, None, exc) from exc
        if state in ("40P01", "40001"):
            raise OperationalError(sql, None, exc) from exc
        raise


def _insert_ignore(conn: Connection, table: Any, index_elements: list[str]) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=index_elements)


class _FileWriter:
    """Turns one file's parse items into batched inserts on one connection (one transaction)."""

    def __init__(self, conn: Connection, file_id: int, name: str, on_batch: Callable[[int], None] | None,
                 digests: list[str | None]) -> None:
        self.conn, self.file_id, self.name, self.on_batch = conn, file_id, name, on_batch
        self.digests = iter(digests)
        self.received_at = datetime.now(UTC)
        self.interchanges: dict[tuple[str | None, str | None], int] = {}
        self.set_id = 0
        self.payment_id: int | None = None  # the set's payment, posted or held; None for 837 and re-deliveries
        self.is_835 = False
        self.kinds: set[str] = set()
        self.transactions = self.claims = self.payments = self.batches = 0
        self.redelivered = self.held = self.resubmitted = 0
        self.redelivered_from: list[str] = []
        self.warnings: list[str] = []
        self.signatures: dict[str, int] = {}  # claims stored by this file: signature -> claim id
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
        elif self.is_835:
            if self.payment_id is not None:  # a re-delivery posts nothing
                self.pending_835.append((self.payment_id, item))
                if len(self.pending_835) >= BATCH:
                    self.flush()
        else:
            self.pending_837.append((self.set_id, item))
            if len(self.pending_837) >= BATCH:
                self.flush()

    def _file_name(self, file_id: int) -> str:
        return str(self.conn.execute(select(_T["file"].c.name).where(_T["file"].c.id == file_id)).scalar_one())

    def _interchange_id(self, info: Any) -> int | None:
        if info.interchange_control is None:
            return None  # a bare ST..SE without ISA
        key = (info.interchange_sender, info.interchange_control)
        if key not in self.interchanges:
            t = _T["interchange"]
            before = self.conn.execute(select(t.c.source_file_id).where(
                t.c.sender_id == info.interchange_sender, t.c.control_number == info.interchange_control,
                t.c.source_file_id != self.file_id).order_by(t.c.id).limit(1)).scalar()
            if before is not None:
                control = info.interchange_control
                shown = control if control.isdecimal() and control.isascii() else "(not numeric)"
                self.warnings.append(f"interchange control number ISA13 {shown} from this sender was used before "
                                     f"by {self._file_name(before)}; stored anyway (senders reuse control numbers)")
            row = rows.interchange_row(self.file_id, info, info.segment, info.offset)
            self.interchanges[key] = self.conn.execute(insert(t).values(row).returning(t.c.id)).scalar_one()
        return self.interchanges[key]

    def _start(self, item: TransactionStart) -> None:
        info = item.info
        row = rows.transaction_set_row(self.file_id, self._interchange_id(info), info)
        self.set_id = self.conn.execute(insert(_T["set"]).values(row).returning(_T["set"].c.id)).scalar_one()
        self.kinds.add(info.kind if info.kind in ACK_KINDS else "835" if info.kind == "835" else "837")
        self.payment_id = None
        self.is_835 = info.kind == "835"
        if self.is_835:
            prow = rows.payment_row(self.file_id, self.set_id, item.header, self.name)
            prow["content_digest"] = next(self.digests, None)
            self.payment_id = self.conn.execute(
                insert(_T["payment"]).values(prow).returning(_T["payment"].c.id)).scalar_one()
            self._identify(prow, item.header)
        else:
            next(self.digests, None)

    def _identify(self, prow: dict[str, Any], header: Any) -> None:
        """Post the payment, record it as a re-delivery, or hold it as a conflict (see the module's note)."""
        payer_key, trace = prow["payer_key"], prow["trace_number"]
        if not payer_key or not trace or self.payment_id is None:
            return  # no identity to go by: posted as read
        ident = _T["identity"]
        taken = self.conn.execute(_insert_ignore(self.conn, ident, ["payer_key", "trace_number"]).values(
            payer_key=payer_key, trace_number=trace, payment_id=self.payment_id).returning(ident.c.payment_id)).scalar()
        if taken is not None:
            return  # the first under this payer and trace number
        first = self.conn.execute(select(ident.c.payment_id).where(
            ident.c.payer_key == payer_key, ident.c.trace_number == trace)).scalar_one()
        p = _T["payment"]
        cols = (p.c.id, p.c.source_file_id, p.c.payment_date, p.c.amount, p.c.credit_debit, p.c.content_digest)
        stored = [self.conn.execute(select(*cols).where(p.c.id == first)).one()]
        stored += self.conn.execute(select(*cols).where(p.c.conflict_of == first).order_by(p.c.id)).all()
        mine = (prow["payment_date"], prow["amount"], prow["credit_debit"])
        for other in stored:
            same_money = other.content_digest is None or other.content_digest == prow["content_digest"]
            if (other.payment_date, to_cents(other.amount), other.credit_debit) == mine and same_money:
                self.conn.execute(delete(p).where(p.c.id == self.payment_id))
                self.conn.execute(insert(_T["delivery"]).values(
                    payment_id=other.id, source_file_id=self.file_id, transaction_set_id=self.set_id,
                    segment=header.segment, byte_offset=header.offset, received_at=self.received_at))
                self.payment_id = None
                self.redelivered += 1
                name = self.name if other.source_file_id == self.file_id else self._file_name(other.source_file_id)
                if name not in self.redelivered_from:
                    self.redelivered_from.append(name)
                return
        self.conn.execute(update(p).where(p.c.id == self.payment_id).values(conflict_of=first))
        self.held += 1
        self.warnings.append(f"remittance at segment {header.segment} (BPR) has the check or EFT number (TRN02) and "
                             f"payer of one stored from {self._file_name(stored[0].source_file_id)} but other "
                             "amounts, date or claims: stored, held for review (remittance_conflict), not posted")

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

    def _stored_signatures(self, signatures: set[str]) -> dict[str, int]:
        c = _T["claim"]
        out: dict[str, int] = {}
        wanted = sorted(signatures - set(self.signatures))
        for i in range(0, len(wanted), 500):
            out.update((r[0], r[1]) for r in self.conn.execute(
                select(c.c.signature, c.c.id).where(c.c.signature.in_(wanted[i:i + 500]))))
        return out

    def _flush_837(self) -> None:
        pending, self.pending_837 = self.pending_837, []
        fid, name = self.file_id, self.name
        built = []
        for set_id, clm in pending:
            crow = rows.claim_row(fid, set_id, clm, name)
            lines = rows.claim_line_rows(fid, 0, clm, name)
            crow["signature"] = rows.claim_signature(crow, lines)
            built.append((set_id, clm, crow, lines))
        known = self._stored_signatures({b[2]["signature"] for b in built})
        known.update(self.signatures)
        new: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        again: list[tuple[int, Any, str]] = []  # (set id, claim, signature) of claims already stored
        seen: set[str] = set()
        for set_id, clm, crow, lines in built:
            sig = crow["signature"]
            if sig in known or sig in seen:
                again.append((set_id, clm, sig))
            else:
                seen.add(sig)
                new.append((crow, lines))
        ids = self._ids(_T["claim"], [crow for crow, _ in new]) if new else []
        line_rows = []
        for cid, (crow, lines) in zip(ids, new, strict=True):
            self.signatures[crow["signature"]] = cid
            for ln in lines:
                ln["claim_id"] = cid
            line_rows.extend(lines)
        if line_rows:
            bulk_insert(self.conn, _T["line"], line_rows)
        if again:
            known.update(self.signatures)
            bulk_insert(self.conn, _T["submission"], [
                {"claim_id": known[sig], "source_file_id": fid, "transaction_set_id": set_id, "segment": clm.segment,
                 "byte_offset": clm.offset, "received_at": self.received_at} for set_id, clm, sig in again])
        self.claims += len(new)
        self.resubmitted += len(again)

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
        result = FileResult(self.name, INGESTED_STATUS, kind, self.transactions, self.claims, self.payments,
                            redelivered=self.redelivered, redelivered_from=self.redelivered_from,
                            remittance_conflicts=self.held, resubmitted=self.resubmitted, warnings=self.warnings)
        notes = result.notes() + self.warnings
        self.conn.execute(update(_T["file"]).where(_T["file"].c.id == self.file_id).values(
            kind=kind, transactions=self.transactions, claims=self.claims, payments=self.payments,
            warnings="\n".join(notes) or None))
        return result


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
        content.keep_missing(engine, digest, path)  # stored before contents were kept (migration 0008)
        return FileResult(name, ALREADY)
    error = "database refused a row; nothing of the file was stored"
    for _attempt in range(_ATTEMPTS):
        try:
            return _store(engine, path, name, digest, size, on_batch)
        except (_Unreadable, InputError) as exc:
            error = str(exc)
            break
        except (IntegrityError, OperationalError) as exc:
            # A key raced by another process (a claim signature, or PostgreSQL's deadlock between two
            # files taking the same payment keys in other orders): rolled back; the next attempt sees the
            # other's committed rows. Any other operational error (a lost server, a lock timeout) is raised.
            if isinstance(exc, OperationalError) and getattr(exc.orig, "sqlstate", None) not in ("40P01", "40001"):
                raise
            error = f"database refused a row ({type(exc.orig).__name__}); nothing of the file was stored"
        except DataError as exc:  # a value the database cannot hold; the message may hold PHI, so not echoed
            error = f"database refused a value ({type(exc.orig).__name__}); nothing of the file was stored"
            break
    record_failure(engine, digest, name, size, "unknown", error)
    return FileResult(name, FAILED_STATUS, error=error)


def _store(engine: Engine, path: str | os.PathLike[str], name: str, digest: str, size: int,
           on_batch: Callable[[int], None] | None) -> FileResult:
    """One attempt, in one transaction; raises _Unreadable or InputError for a file that cannot be stored whole."""
    items: list[object] | None = None
    if size <= PREPARSE_BYTES:
        # Parse before taking the write lock: parallel workers then parse while one writes.
        run = parse_file(path, name=name)
        items = list(run)
        reason = incomplete_reason(run.problems)
        if reason is not None:
            raise _Unreadable(reason)
        digests = remittance_digests(items, name)
    else:  # a first pass for the remittances' digests, which decide before their claims are written
        run = parse_file(path, name=name)
        digests = remittance_digests(run, name)
        reason = incomplete_reason(run.problems)
        if reason is not None:
            raise _Unreadable(reason)
    kept_bytes = content.prepare(path, digest, eager=size <= PREPARSE_BYTES)
    with engine.begin() as conn:
        file_id = claim_file(conn, digest, name, size, "unknown")
        if file_id is None:
            return FileResult(name, ALREADY)
        content.store(conn, file_id, kept_bytes)  # the evidence, in the file's own transaction
        writer = _FileWriter(conn, file_id, name, on_batch, digests)
        if items is None:
            run = parse_file(path, name=name)
            for item in run:
                writer.add(item)
            reason = incomplete_reason(run.problems)  # the file may have changed between the passes
            if reason is not None:
                raise _Unreadable(reason)
        else:
            for kept in items:
                writer.add(kept)
        return writer.finish()


# Beside the X12 in a folder (a scenario pack, a `simulate` world, an export): its README, ground
# truth and the CSVs `edi-engine import` reads. Never X12 by their names; a file given by name is
# always read, and anything else in a folder is too, so a damaged 835 still fails loudly.
COMPANION_SUFFIXES = frozenset({".md", ".json", ".csv", ".toml", ".pdf", ".png", ".html"})


def expand_paths(paths: Iterable[str | os.PathLike[str]], skipped: list[Path] | None = None) -> Iterator[Path]:
    """Files as given, and every file under a folder (recursively, sorted, hidden names skipped, and
    the companion files of COMPANION_SUFFIXES, which go to `skipped` when given)."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.startswith("."):
                        continue
                    if Path(f).suffix.lower() in COMPANION_SUFFIXES:
                        if skipped is not None:
                            skipped.append(Path(root) / f)
                        continue
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
