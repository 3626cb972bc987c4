"""The store's side of findings, payment matches and the audit trail: named, typed reads and writes.

Owns every SQL statement on `finding`, `payment_match` and `audit_event`. Callers (rules' detect,
the outputs' decisions and audit trail, the CLI and the web app) get frozen records, never rows read
by position; they decide what a finding is, this module only keeps it. Writes take the caller's
connection so a change and its audit event commit or roll back together.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from edi_engine.store import tables
from edi_engine.store.tables import EVENTS

__all__ = [
    "EVENTS", "AuditRow", "MatchKey", "StoredFinding", "StoredMatch", "all_findings", "audit_rows",
    "delete_matches", "finding_by_id", "finding_ids", "finding_record", "findings",
    "findings_by_key", "insert_audit_event", "insert_findings", "insert_matches", "mark_reported_if",
    "open_categories", "set_status_if", "stored_matches", "unidentified_findings", "update_finding", "update_match",
    "viewed_since",
]

_F = tables.finding
_M = tables.payment_match
_A = tables.audit_event


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """One `finding` row as stored: `evidence` is the JSON text, `patient_control_number` the CLM01."""

    id: int
    natural_key: str
    category: str
    patient_control_number: str | None
    payer_id: str | None
    line_key: str
    cause: str
    amount: Decimal
    refund_to: str | None
    payer_type: str | None
    identified_on: date
    deadline: date | None
    status: str
    resolved_on: date | None
    evidence: str
    updated_at: datetime | None
    arose_on: date | None = None  # when the money that made the credit was received
    investigation_started_on: date | None = None
    investigation_ended_on: date | None = None
    reported_on: date | None = None  # the last CMS-838 that listed it
    reported_amount: Decimal | None = None


def finding_record(r: Row[Any]) -> StoredFinding:
    """A `finding` row read by another store module, as its typed record."""
    return StoredFinding(r.id, r.natural_key, r.category, r.patient_control_number, r.payer_id, r.line_key or "",
                         r.cause or "", r.amount, r.refund_to, r.payer_type, r.identified_on, r.deadline, r.status,
                         r.resolved_on, r.evidence, r.updated_at, r.arose_on, r.investigation_started_on,
                         r.investigation_ended_on, r.reported_on, r.reported_amount)


def findings(conn: Connection, *, status: str | None = None, category: str | None = None,
             categories: Collection[str] | None = None) -> list[StoredFinding]:
    """Findings (of one status and/or category when given), by category, CLM01, payer and id."""
    query = select(_F)
    if status is not None:
        query = query.where(_F.c.status == status)
    if category:
        query = query.where(_F.c.category == category)
    if categories is not None:
        query = query.where(_F.c.category.in_(sorted(categories)))
    query = query.order_by(_F.c.category, _F.c.patient_control_number, _F.c.payer_id, _F.c.id)
    return [finding_record(r) for r in conn.execute(query)]


def all_findings(conn: Connection, accounts: Collection[str] | None = None,
                 unattached: bool = False) -> list[StoredFinding]:
    """Every finding, in the database's order (detect's reconciliation reads them all once); or only
    those of some CLM01s, and with `unattached` those of none (an incremental run's)."""
    if accounts is None:
        return [finding_record(r) for r in conn.execute(select(_F))]
    out = [finding_record(r) for r in conn.execute(select(_F).where(_F.c.patient_control_number.is_(None)))] \
        if unattached else []
    keys = sorted(accounts)
    for i in range(0, len(keys), 500):
        out.extend(finding_record(r) for r in conn.execute(select(_F).where(
            _F.c.patient_control_number.in_(keys[i:i + 500]))))
    return out


def finding_by_id(conn: Connection, finding_id: int, *, for_update: bool = False) -> StoredFinding | None:
    """One finding; `for_update` locks its row until the transaction ends (PostgreSQL; SQLite's BEGIN
    IMMEDIATE already serializes writers), so two decisions on one finding queue instead of racing."""
    query = select(_F).where(_F.c.id == finding_id)
    row = conn.execute(query.with_for_update() if for_update else query).first()
    return None if row is None else finding_record(row)


def finding_ids(conn: Connection, *, status: str, categories: Collection[str]) -> list[int]:
    """Ids of the findings in `status` of any of `categories`, oldest first."""
    return [r[0] for r in conn.execute(select(_F.c.id).where(_F.c.status == status,
                                                             _F.c.category.in_(sorted(categories))).order_by(_F.c.id))]


def open_categories(conn: Connection) -> list[str]:
    """The category of every open finding (one entry per finding)."""
    return [r[0] for r in conn.execute(select(_F.c.category).where(_F.c.status == "open"))]


def insert_findings(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(insert(_F), list(rows))


def update_finding(conn: Connection, finding_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(update(_F).where(_F.c.id == finding_id).values(**values))


def set_status_if(conn: Connection, finding_id: int, current: str, target: str) -> bool:
    """Move a finding from `current` to `target`; False when it is no longer `current` (a concurrent change)."""
    done = conn.execute(update(_F).where(_F.c.id == finding_id, _F.c.status == current).values(status=target))
    return bool(done.rowcount == 1)


def mark_reported_if(conn: Connection, finding_id: int, *, was_on: date | None, was_amount: Decimal | None,
                     current: Decimal, amount: Decimal, on: date) -> bool:
    """Record that a CMS-838 listed the finding at `amount` on `on`, guarded on what was recorded before
    and on the finding's amount (`current`) as read: False when either changed since (another filing
    recorded it, a detect run changed it)."""
    query = update(_F).where(_F.c.id == finding_id, _F.c.amount == current)
    query = query.where(_F.c.reported_on.is_(None)) if was_on is None else query.where(_F.c.reported_on == was_on)
    query = query.where(_F.c.reported_amount.is_(None)) if was_amount is None else \
        query.where(_F.c.reported_amount == was_amount)
    done = conn.execute(query.values(reported_on=on, reported_amount=amount))
    return bool(done.rowcount == 1)


MatchKey = tuple[str, int]  # (subject, subject_id)


class StoredMatch(NamedTuple):
    """A frozen record like the others, but a tuple: detect reads every match row of the store (435,570 at
    100,000 claims), and a frozen dataclass's __init__ cost more than the read."""

    id: int
    claim_id: int | None  # claim.id (a row id, not a CLM01)
    claim_line_id: int | None
    claim_payment_id: int | None
    method: str


def stored_matches(conn: Connection, subjects: Iterable[MatchKey] | None = None) -> dict[MatchKey, StoredMatch]:
    """Every match row, or those of some subjects (an incremental run's)."""
    make = StoredMatch._make
    query = select(_M.c.subject, _M.c.subject_id, _M.c.id, _M.c.claim_id, _M.c.claim_line_id,
                   _M.c.claim_payment_id, _M.c.method)
    if subjects is None:
        return {(subject, subject_id): make(rest) for subject, subject_id, *rest in conn.execute(query).fetchall()}
    by_subject: dict[str, list[int]] = {}
    for subject, subject_id in subjects:
        by_subject.setdefault(subject, []).append(subject_id)
    out: dict[MatchKey, StoredMatch] = {}
    for subject, ids in sorted(by_subject.items()):
        ids.sort()
        for i in range(0, len(ids), 500):
            part = query.where(_M.c.subject == subject, _M.c.subject_id.in_(ids[i:i + 500]))
            out.update({(s, sid): make(rest) for s, sid, *rest in conn.execute(part).fetchall()})
    return out


def update_match(conn: Connection, match_id: int, *, claim_id: int | None, claim_line_id: int | None,
                 claim_payment_id: int | None, method: str) -> None:
    conn.execute(update(_M).where(_M.c.id == match_id).values(
        claim_id=claim_id, claim_line_id=claim_line_id, claim_payment_id=claim_payment_id, method=method))


_MATCH_COLUMNS = ("subject", "subject_id", "claim_id", "claim_line_id", "claim_payment_id", "method")


def insert_matches(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        # SQLite: one prepared executemany through the driver. SQLAlchemy's per-row parameter processing
        # cost more than SQLite's own insert (a first detect writes a row per matched CLP, SVC and PLB);
        # the values are plain text and integers, which the driver binds as SQLAlchemy would.
        sql = (f"INSERT INTO payment_match ({', '.join(_MATCH_COLUMNS)}) "
               f"VALUES ({', '.join('?' for _ in _MATCH_COLUMNS)})")
        conn.exec_driver_sql(sql, [tuple(row[c] for c in _MATCH_COLUMNS) for row in rows])
        return
    conn.execute(insert(_M), list(rows))


def delete_matches(conn: Connection, match_ids: Iterable[int]) -> None:
    ids = list(match_ids)
    for i in range(0, len(ids), 500):
        conn.execute(delete(_M).where(_M.c.id.in_(ids[i:i + 500])))


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One `audit_event` row as stored: `details` is the JSON text, `at` aware UTC."""

    id: int
    finding_id: int | None
    event: str
    actor: str
    at: datetime
    note: str
    details: str


def insert_audit_event(conn: Connection, *, finding_id: int | None, event: str, actor: str, note: str,
                       at: datetime, details: str) -> None:
    conn.execute(insert(_A).values(finding_id=finding_id, event=event, actor=actor, note=note, at=at,
                                   details=details))


def audit_rows(conn: Connection, finding_id: int | None = None) -> list[AuditRow]:
    """Every event (or one finding's), oldest first."""
    query = select(_A).order_by(_A.c.id)
    if finding_id is not None:
        query = query.where(_A.c.finding_id == finding_id)
    return [AuditRow(r.id, r.finding_id, r.event, r.actor, r.at, r.note, r.details) for r in conn.execute(query)]


def unidentified_findings(conn: Connection) -> list[StoredFinding]:
    """Findings with no `identified` event yet: new, or older than the audit trail."""
    identified = select(_A.c.finding_id).where(_A.c.event == "identified", _A.c.finding_id.is_not(None))
    if conn.dialect.name == "postgresql":
        # An anti-join: PostgreSQL runs NOT IN (SELECT ...) as a scan of the events per finding once they
        # outgrow work_mem (a store of 100,000s of findings).
        query = select(_F).where(~identified.where(_A.c.finding_id == _F.c.id).exists())
    else:
        # NOT IN over the events, not a correlated NOT EXISTS: SQLite ran that one through the `event`
        # index once per finding (4 s at 20,000 claims).
        query = select(_F).where(_F.c.id.not_in(identified))
    return [finding_record(r) for r in conn.execute(query)]


def findings_by_key(conn: Connection, natural_keys: Collection[str]) -> dict[str, StoredFinding]:
    keys = sorted(natural_keys)
    out: dict[str, StoredFinding] = {}
    for i in range(0, len(keys), 500):
        out.update((r.natural_key, finding_record(r)) for r in conn.execute(
            select(_F).where(_F.c.natural_key.in_(keys[i:i + 500]))))
    return out


def viewed_since(conn: Connection, finding_id: int, actor: str, since: datetime) -> bool:
    """`actor` has a `viewed` event on the finding at or after `since`."""
    return conn.execute(select(_A.c.id).where(_A.c.finding_id == finding_id, _A.c.event == "viewed",
                                              _A.c.actor == actor, _A.c.at >= since).limit(1)).first() is not None
