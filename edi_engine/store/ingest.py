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

A file goes in three steps (ingest_file): read (its hash; stored already?), parse (the items, each
claim built into its rows, rows.py, before any lock is taken, so --jobs workers parse while one
writes), write (the transaction). Rows go in through executemany (SQLite) or COPY (PostgreSQL) in
batches of BATCH claims with their lines, services and adjustments; ids of parents are chosen
before the insert (see _FileWriter._ids), so nothing is inserted one row at a time except the few
envelope and header rows.

The file's bytes are kept too, compressed, in the same transaction (content.py): the evidence
outputs show. Knows nothing of folders, watching or printing (watch.py and the CLI).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from edi_engine.collector import cycle_collector_paused
from edi_engine.errors import InputError, Problem
from edi_engine.money import to_cents
from edi_engine.parsers import TransactionEnd, TransactionStart, parse_file
from edi_engine.store import content, rows, tables
from edi_engine.store.acks import ACK_KINDS, AckWriter, is_ack
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


class _SetStart:
    """A transaction set's start, with the digest of its remittance's money (835; None for others and for a
    broken set), which decides before its claims are written whether they are posted (see _identify)."""

    __slots__ = ("digest", "item")

    def __init__(self, item: TransactionStart, digest: str | None = None) -> None:
        self.item, self.digest = item, digest


def _prepared(items: Iterable[object], name: str, digests: Iterator[str | None] | None = None) -> Iterator[object]:
    """The parse items with each claim in database form (rows.Claim837, rows.Payment835): the CPU of the
    rows is spent here, before the file's transaction when the file was parsed ahead (_store), so under
    --jobs the write lock is held for the inserts only. A set's start is a _SetStart: its digest is set
    at the set's end, or taken from `digests` (a first pass's, for a file streamed in its transaction)."""
    start: _SetStart | None = None
    digest: rows.RemittanceDigest | None = None
    is_835 = False
    for item in items:
        if isinstance(item, TransactionStart):
            start = _SetStart(item, next(digests, None) if digests is not None else None)
            is_835 = item.info.kind == "835"
            digest = rows.RemittanceDigest(name) if is_835 and digests is None else None
            yield start
        elif isinstance(item, TransactionEnd):
            if digest is not None and item.complete and start is not None:
                start.digest = digest.trailer(item.trailer)
            digest = None
            yield item
        elif is_ack(item):
            yield item
        elif is_835:
            payment = rows.payment_835(item, name)
            if digest is not None:
                digest.claim(payment)
            yield payment
        else:
            yield rows.claim_837(item, name)


_SQL_CACHE: dict[tuple[str, str, tuple[str, ...]], str] = {}


def _insert(conn: Connection, table: Any, cols: tuple[str, ...], params: list[tuple[Any, ...]]) -> None:
    """Rows (tuples in `cols` order, already in database form: int cents, ISO dates, quantities as text)
    into one table. SQLite: executemany of one prepared INSERT through the Core connection
    (exec_driver_sql), skipping SQLAlchemy's per-row parameter processing, which costs more than
    SQLite's own insert. PostgreSQL: COPY (see _pg_copy)."""
    if not params:
        return
    if conn.dialect.name == "postgresql":
        _pg_copy(conn, table, cols, params)
        return
    key = (conn.dialect.name, table.name, cols)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        quote = conn.dialect.identifier_preparer.quote
        sql = _SQL_CACHE[key] = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in cols)}) "
                                 f"VALUES ({', '.join('?' for _ in cols)})")
    conn.exec_driver_sql(sql, params)


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

    def __init__(self, conn: Connection, file_id: int, name: str, on_batch: Callable[[int], None] | None) -> None:
        self.conn, self.file_id, self.name, self.on_batch = conn, file_id, name, on_batch
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
        self.pending_837: list[tuple[int, rows.Claim837]] = []  # (transaction_set_id, claim)
        self.pending_835: list[tuple[int, rows.Payment835]] = []  # (payment_id, claim payment)
        self.next_id: dict[str, int] = {}
        self.acks = AckWriter(conn, file_id)

    def add(self, item: object) -> None:
        """One of _prepared's items."""
        if isinstance(item, rows.Claim837):
            self.pending_837.append((self.set_id, item))
            if len(self.pending_837) >= BATCH:
                self.flush()
        elif isinstance(item, rows.Payment835):
            if self.payment_id is not None:  # a re-delivery posts nothing
                self.pending_835.append((self.payment_id, item))
                if len(self.pending_835) >= BATCH:
                    self.flush()
        elif isinstance(item, _SetStart):
            self.acks.add(self.set_id, item.item)  # looked at only
            self._start(item.item, item.digest)
        elif isinstance(item, TransactionEnd):
            self.acks.add(self.set_id, item)  # looked at only
            self._end(item)
        else:
            self.acks.add(self.set_id, item)  # TA1, 999 and 277CA verdicts: store/acks.py

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

    def _start(self, item: TransactionStart, digest: str | None) -> None:
        info = item.info
        row = rows.transaction_set_row(self.file_id, self._interchange_id(info), info)
        self.set_id = self.conn.execute(insert(_T["set"]).values(row).returning(_T["set"].c.id)).scalar_one()
        self.kinds.add(info.kind if info.kind in ACK_KINDS else "835" if info.kind == "835" else "837")
        self.payment_id = None
        self.is_835 = info.kind == "835"
        if self.is_835:
            prow = rows.payment_row(self.file_id, self.set_id, item.header, self.name)
            prow["content_digest"] = digest
            self.payment_id = self.conn.execute(
                insert(_T["payment"]).values(prow).returning(_T["payment"].c.id)).scalar_one()
            self._identify(prow, item.header)

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
            lead = (self.payment_id, self.file_id)
            _insert(self.conn, _T["plb"], rows.PLB_LEAD + rows.PLB_REST,
                    [lead + p for p in rows.provider_adjustments_835(item.trailer, self.name)])

    def flush(self) -> None:
        if self.pending_837:
            self._flush_837()
        if self.pending_835:
            self._flush_835()
        self.batches += 1
        if self.on_batch is not None:
            self.on_batch(self.batches)

    def _ids(self, table: Any, n: int) -> Sequence[int]:
        """Ids for n new rows, chosen here, so children can point at them without a RETURNING round trip
        per row. PostgreSQL: a block from the table's own sequence (safe under concurrency).
        SQLite: max(id)+1 onwards, safe because the file's transaction holds the write lock
        (BEGIN IMMEDIATE) from its first statement."""
        if self.conn.dialect.name == "postgresql":
            return list(self.conn.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) "
                                               "FROM generate_series(1, :n)"), {"t": table.name, "n": n}).scalars())
        start = self.next_id.get(table.name)
        if start is None:
            start = (self.conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        self.next_id[table.name] = start + n
        return range(start, start + n)

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
        fid = self.file_id
        known = self._stored_signatures({clm.signature for _, clm in pending})
        known.update(self.signatures)
        new: list[tuple[int, rows.Claim837]] = []
        again: list[tuple[int, rows.Claim837]] = []  # claims already stored
        seen: set[str] = set()
        for set_id, clm in pending:
            if clm.signature in known or clm.signature in seen:
                again.append((set_id, clm))
            else:
                seen.add(clm.signature)
                new.append((set_id, clm))
        claim_rows: list[tuple[Any, ...]] = []
        line_rows: list[tuple[Any, ...]] = []
        for cid, (set_id, clm) in zip(self._ids(_T["claim"], len(new)), new, strict=True):
            self.signatures[clm.signature] = cid
            claim_rows.append((cid, fid, set_id) + clm.row)
            lead = (cid, fid)
            line_rows.extend([lead + ln for ln in clm.lines])
        _insert(self.conn, _T["claim"], rows.CLAIM_LEAD + rows.CLAIM_REST, claim_rows)
        _insert(self.conn, _T["line"], rows.LINE_LEAD + rows.LINE_REST, line_rows)
        if again:
            known.update(self.signatures)
            self.conn.execute(insert(_T["submission"]), [
                {"claim_id": known[clm.signature], "source_file_id": fid, "transaction_set_id": set_id,
                 "segment": clm.segment, "byte_offset": clm.offset, "received_at": self.received_at}
                for set_id, clm in again])
        self.claims += len(new)
        self.resubmitted += len(again)

    def _flush_835(self) -> None:
        pending, self.pending_835 = self.pending_835, []
        fid = self.file_id
        clp_rows: list[tuple[Any, ...]] = []
        svc_rows: list[tuple[Any, ...]] = []
        cas_rows: list[tuple[Any, ...]] = []
        svc_cas: list[list[tuple[Any, ...]]] = []
        svc_parent: list[int] = []
        for cid, (pid, clp) in zip(self._ids(_T["clp"], len(pending)), pending, strict=True):
            clp_rows.append((cid, pid, fid) + clp.row)
            if clp.adjustments:
                claim_level = (cid, None, fid)
                cas_rows.extend([claim_level + a for a in clp.adjustments])
            for svc, adjustments in clp.services:
                svc_rows.append((cid, fid) + svc)  # its id goes in front below
                svc_cas.append(adjustments)
                svc_parent.append(cid)
        if svc_rows:
            ids = self._ids(_T["svc"], len(svc_rows))
            svc_rows = [(sid,) + row for sid, row in zip(ids, svc_rows, strict=True)]
            for sid, cid, adjustments in zip(ids, svc_parent, svc_cas, strict=True):
                if adjustments:
                    lead = (cid, sid, fid)
                    cas_rows.extend([lead + a for a in adjustments])
        _insert(self.conn, _T["clp"], rows.CLP_LEAD + rows.CLP_REST, clp_rows)
        _insert(self.conn, _T["svc"], rows.SVC_LEAD + rows.SVC_REST, svc_rows)
        _insert(self.conn, _T["cas"], rows.CAS_LEAD + rows.CAS_REST, cas_rows)
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
                on_batch: Callable[[int], None] | None = None,
                write_lock: AbstractContextManager[Any] | None = None) -> FileResult:
    """Store one file completely, or not at all; never raises for a bad file (see FileResult.status).

    `on_batch(n)` is called after the n-th batch is written, inside the file's transaction.
    `write_lock`, when given, is held around the file's transaction (not its parse): ingest_paths'
    SQLite workers queue on it, woken as soon as it is free, instead of polling SQLite's busy lock.
    """
    read = _read(engine, path, name or os.fspath(path))
    if isinstance(read, FileResult):
        return read
    return _ingest_read(engine, read, _parsed(read), on_batch, write_lock)


@dataclass(frozen=True, slots=True)
class _File:
    """A file whose content is not stored yet: what the attempts at it need."""

    path: str | os.PathLike[str]
    name: str
    digest: str
    size: int


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A file parsed ahead of its transaction: its items in database form (None for a file streamed in
    its transaction, over PREPARSE_BYTES, with the digests of its remittances from a first pass) and its
    bytes to keep. Or the reason it cannot be stored (`error`, raised again where the attempt is made)."""

    events: list[object] | None = None
    digests: list[str | None] = field(default_factory=list)
    kept: content.PreparedContent | None = None
    error: Exception | None = None


def _read(engine: Engine, path: str | os.PathLike[str], name: str) -> _File | FileResult:
    """The content's hash, and whether it is stored already (a result then, as for a file that cannot be read)."""
    try:
        digest, size = content_hash(path)
    except OSError as exc:
        return FileResult(name, FAILED_STATUS, error=f"cannot read: {exc.strerror}")
    if existing_status(engine, digest) == INGESTED:
        content.keep_missing(engine, digest, path)  # stored before contents were kept (migration 0008)
        return FileResult(name, ALREADY)
    return _File(path, name, digest, size)


def _ingest_read(engine: Engine, f: _File, parsed: _Parsed, on_batch: Callable[[int], None] | None,
                 write_lock: AbstractContextManager[Any] | None) -> FileResult:
    error = "database refused a row; nothing of the file was stored"
    for attempt in range(_ATTEMPTS):
        try:
            return _write(engine, f, parsed if attempt == 0 else _parsed(f), on_batch, write_lock)
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
    record_failure(engine, f.digest, f.name, f.size, "unknown", error)
    return FileResult(f.name, FAILED_STATUS, error=error)


def _parsed(f: _File) -> _Parsed:
    """Parse and build the rows before the write lock is taken (parallel workers then do that while one
    writes); never raises for a bad file: the error goes in the result."""
    try:
        if f.size <= PREPARSE_BYTES:
            with cycle_collector_paused():
                run = parse_file(f.path, name=f.name)
                events = list(_prepared(run, f.name))
            reason = incomplete_reason(run.problems)
            if reason is not None:
                raise _Unreadable(reason)
            return _Parsed(events, kept=content.prepare(f.path, f.digest, eager=True))
        # A first pass for the remittances' digests, which decide before their claims are written.
        run = parse_file(f.path, name=f.name)
        starts = [e for e in _prepared(run, f.name) if isinstance(e, _SetStart)]
        reason = incomplete_reason(run.problems)
        if reason is not None:
            raise _Unreadable(reason)
        return _Parsed(None, [e.digest for e in starts], content.prepare(f.path, f.digest, eager=False))
    except (_Unreadable, InputError) as exc:
        return _Parsed(error=exc)


def _write(engine: Engine, f: _File, parsed: _Parsed, on_batch: Callable[[int], None] | None,
           write_lock: AbstractContextManager[Any] | None) -> FileResult:
    """One attempt, in one transaction; raises _Unreadable or InputError for a file that cannot be stored whole."""
    if parsed.error is not None:
        raise parsed.error
    assert parsed.kept is not None
    with (cycle_collector_paused() if parsed.events is not None else nullcontext()), write_lock or nullcontext(), \
            engine.begin() as conn:
        file_id = claim_file(conn, f.digest, f.name, f.size, "unknown")
        if file_id is None:
            return FileResult(f.name, ALREADY)
        content.store(conn, file_id, parsed.kept)  # the evidence, in the file's own transaction
        writer = _FileWriter(conn, file_id, f.name, on_batch)
        if parsed.events is None:
            run = parse_file(f.path, name=f.name)
            for event in _prepared(run, f.name, iter(parsed.digests)):
                writer.add(event)
            reason = incomplete_reason(run.problems)  # the file may have changed between the passes
            if reason is not None:
                raise _Unreadable(reason)
        else:
            for event in parsed.events:
                writer.add(event)
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


class _Turn:
    """The SQLite workers' turn at writing: a process lock waited on for as long as SQLite's own busy
    timeout, then gone without (a worker killed while holding it must not stop the others for good;
    SQLite's lock still orders their transactions)."""

    def __init__(self, lock: Any) -> None:
        self.lock, self.held = lock, False

    def __enter__(self) -> None:
        from edi_engine.store.engine import SQLITE_BUSY_TIMEOUT_MS
        self.held = self.lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)

    def __exit__(self, *exc: object) -> None:
        if self.held:
            self.held = False
            self.lock.release()


_WORKER_ENGINE: Engine | None = None
_WORKER_LOCK: AbstractContextManager[Any] | None = None


def _init_worker(url: str, lock: Any) -> None:
    global _WORKER_ENGINE, _WORKER_LOCK
    from edi_engine.store.engine import create_store_engine
    _WORKER_ENGINE = create_store_engine(url)
    _WORKER_LOCK = _Turn(lock) if lock is not None else None


def _worker_ingest(path: str) -> FileResult:
    assert _WORKER_ENGINE is not None
    return ingest_file(_WORKER_ENGINE, path, write_lock=_WORKER_LOCK)


def ingest_paths(engine: Engine, paths: Iterable[str | os.PathLike[str]],
                 progress: Callable[[FileResult], None] | None = None, jobs: int = 1) -> IngestSummary:
    """Ingest every file (folders recursively); with jobs > 1, in that many worker processes.

    Each file is still one transaction of one worker; on SQLite the workers parse and build rows in
    parallel and take turns at the write lock. Results are in the order of the paths.
    """
    files = [os.fspath(p) for p in expand_paths(paths)]
    summary = IngestSummary()
    if jobs <= 1 or len(files) <= 1:
        for path in files:
            summary.results.append(ingest_file(engine, path))
            if progress is not None:
                progress(summary.results[-1])
        return summary
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    url = engine.url.render_as_string(hide_password=False)
    results: dict[int, FileResult] = {}
    context = multiprocessing.get_context()
    # SQLite has one writer: the workers parse and build rows in parallel and queue on this lock for their
    # transactions. PostgreSQL takes their transactions side by side.
    lock = context.Lock() if engine.dialect.name == "sqlite" else None
    with ProcessPoolExecutor(min(jobs, len(files)), mp_context=context, initializer=_init_worker,
                             initargs=(url, lock)) as pool:
        futures = {pool.submit(_worker_ingest, path): i for i, path in enumerate(files)}
        for future in as_completed(futures):
            results[futures[future]] = result = future.result()
            if progress is not None:
                progress(result)
    summary.results.extend(results[i] for i in range(len(files)))
    return summary
