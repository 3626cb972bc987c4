"""The store's side of manual matching: payments matched to a claim (or a line) by a person.

Owns every SQL statement on `manual_match`, and the reads that deciding a manual match needs: the
835 payment an unmatched_payment finding's evidence names (by file and segment), what detect matched
it to already (payment_match), and the claims a poster may pick from (by claim number, patient name,
payer, charge and dates of service). Writes take the caller's connection, so a match and its audit
event commit or roll back together (outputs/manual.py). Money is Decimal here, as the Money columns
read it. Knows nothing of what a finding is or who may match.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql import Select

from edi_engine.store import tables

__all__ = ["ClaimCandidate", "ManualMatchRow", "PaymentSubject", "automatic_match", "claim_candidates",
           "in_force", "in_force_for", "insert_manual_match", "matches_for_finding", "subject_at", "undo_manual_match"]

SUBJECTS = ("claim_payment", "service_payment")
_MM = tables.manual_match
_C = tables.claim
_L = tables.claim_line
_CP = tables.claim_payment
_SP = tables.service_payment
_P = tables.payment
_PM = tables.payment_match


@dataclass(frozen=True, slots=True)
class ManualMatchRow:
    """One manual match as recorded, with the CLM01 of its claim and the LX01 of its line."""

    id: int
    subject: str  # claim_payment or service_payment
    subject_id: int
    claim_id: int
    claim_line_id: int | None
    finding_id: int | None
    note: str
    matched_by: str
    matched_at: datetime
    undone_by: str | None
    undone_at: datetime | None
    undo_note: str | None
    clm01: str  # the claim's CLM01
    line_number: int | None  # the line's LX01

    @property
    def in_force(self) -> bool:
        return self.undone_at is None


def _query() -> Select[Any]:
    return (select(_MM, _C.c.patient_control_number.label("clm01"), _L.c.line_number)
            .join(_C, _C.c.id == _MM.c.claim_id)
            .outerjoin(_L, _L.c.id == _MM.c.claim_line_id))


def _row(r: Row[Any]) -> ManualMatchRow:
    return ManualMatchRow(r.id, r.subject, r.subject_id, r.claim_id, r.claim_line_id, r.finding_id, r.note,
                          r.matched_by, r.matched_at, r.undone_by, r.undone_at, r.undo_note, r.clm01, r.line_number)


def in_force(conn: Connection) -> list[ManualMatchRow]:
    """Every manual match in force (not undone), oldest first: what the ledger reads."""
    return [_row(r) for r in conn.execute(_query().where(_MM.c.undone_at.is_(None)).order_by(_MM.c.id))]


def in_force_for(conn: Connection, subject: str, subject_id: int) -> ManualMatchRow | None:
    r = conn.execute(_query().where(_MM.c.subject == subject, _MM.c.subject_id == subject_id,
                                    _MM.c.undone_at.is_(None))).first()
    return None if r is None else _row(r)


def matches_for_finding(conn: Connection, finding_id: int) -> list[ManualMatchRow]:
    """The manual matches made from one finding, undone ones included, oldest first."""
    return [_row(r) for r in conn.execute(_query().where(_MM.c.finding_id == finding_id).order_by(_MM.c.id))]


def insert_manual_match(conn: Connection, *, subject: str, subject_id: int, claim_id: int,
                        claim_line_id: int | None, finding_id: int | None, note: str, by: str, at: datetime) -> int:
    if subject not in SUBJECTS:
        raise ValueError(f"unknown manual match subject {subject!r}")
    result = conn.execute(insert(_MM).values(subject=subject, subject_id=subject_id, claim_id=claim_id,
                                             claim_line_id=claim_line_id, finding_id=finding_id, note=note,
                                             matched_by=by, matched_at=at))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def undo_manual_match(conn: Connection, match_id: int, *, by: str, note: str, at: datetime) -> bool:
    """Mark a match undone; False when it was undone already (guarded on undone_at, as decisions are)."""
    result = conn.execute(update(_MM).where(_MM.c.id == match_id, _MM.c.undone_at.is_(None))
                          .values(undone_by=by, undone_at=at, undo_note=note))
    return result.rowcount == 1


@dataclass(frozen=True, slots=True)
class PaymentSubject:
    """An 835 claim payment (CLP) or service payment (SVC) as stored, with what a match is checked on."""

    subject: str  # claim_payment or service_payment
    id: int
    claim_payment_id: int  # the CLP (itself, for a claim payment)
    clp01: str
    payer_id: str  # as the 835 names it (not canonical)
    member_id: str  # NM1*IL, else NM1*QC NM109
    charge: Decimal  # CLP03 or SVC02
    paid: Decimal  # CLP04 or SVC03
    services: int  # SVCs of the CLP
    statement_from: date | None  # CLP DTM*232, else the first SVC date
    statement_to: date | None


def subject_at(conn: Connection, record: str, file_id: int, segment: int) -> PaymentSubject | None:
    """The CLP or SVC stored from this file at this segment number (an evidence record's position)."""
    svc = _SP.alias("svc")
    services = select(func.count()).where(svc.c.claim_payment_id == _CP.c.id).scalar_subquery()
    first = select(func.min(svc.c.service_date_from)).where(svc.c.claim_payment_id == _CP.c.id).scalar_subquery()
    last = (select(func.max(func.coalesce(svc.c.service_date_to, svc.c.service_date_from)))
            .where(svc.c.claim_payment_id == _CP.c.id).scalar_subquery())
    cols = (_CP.c.id.label("clp_id"), _CP.c.patient_control_number, _P.c.payer_id, _CP.c.insured_member_id,
            _CP.c.patient_member_id, func.coalesce(_CP.c.statement_from, first).label("date_from"),
            func.coalesce(_CP.c.statement_to, last).label("date_to"), services.label("services"))
    if record == "CLP":
        r = conn.execute(select(*cols, _CP.c.id, _CP.c.charge, _CP.c.paid).join(_P, _P.c.id == _CP.c.payment_id)
                         .where(_CP.c.source_file_id == file_id, _CP.c.segment == segment)).first()
        subject = "claim_payment"
    elif record == "SVC":
        r = conn.execute(select(*cols, _SP.c.id, _SP.c.charge, _SP.c.paid)
                         .join(_CP, _CP.c.id == _SP.c.claim_payment_id).join(_P, _P.c.id == _CP.c.payment_id)
                         .where(_SP.c.source_file_id == file_id, _SP.c.segment == segment)).first()
        subject = "service_payment"
    else:
        return None
    if r is None:
        return None
    return PaymentSubject(subject, r.id, r.clp_id, r.patient_control_number, (r.payer_id or "").strip(),
                          (r.insured_member_id or r.patient_member_id or "").strip(), r.charge, r.paid,
                          int(r.services), _day(r.date_from), _day(r.date_to))


def _day(value: object) -> date | None:
    # COALESCE over a subquery loses the column type: SQLite hands back ISO text.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def automatic_match(conn: Connection, subject: str, subject_id: int) -> tuple[int | None, str] | None:
    """What detect last matched this payment to: (claim row id, method), or None."""
    r = conn.execute(select(_PM.c.claim_id, _PM.c.method)
                     .where(_PM.c.subject == subject, _PM.c.subject_id == subject_id)).first()
    return None if r is None else (r.claim_id, r.method)


@dataclass(frozen=True, slots=True)
class ClaimCandidate:
    """An 837 claim a payment might belong to, as a poster picks it: who, when, how much."""

    id: int
    clm01: str
    payer_id: str | None
    payer_name: str | None
    patient_last_name: str | None
    patient_first_name: str | None
    member_id: str | None
    charge: Decimal
    frequency_code: str | None
    service_from: date | None
    service_to: date | None
    lines: int


def claim_candidates(conn: Connection, *, search: str = "", payer_ids: Collection[str] = (),
                     charge: Decimal | None = None, dates: tuple[date | None, date | None] = (None, None),
                     limit: int = 200) -> list[ClaimCandidate]:
    """Claims (not voids) whose CLM01 or patient last name begins with `search` (case-insensitive); without
    a search, those billed to one of `payer_ids` whose charge is `charge` or whose dates of service meet
    `dates`. Unordered: the caller ranks them."""
    first = (select(func.min(_L.c.service_date_from)).where(_L.c.claim_id == _C.c.id).scalar_subquery())
    last = (select(func.max(func.coalesce(_L.c.service_date_to, _L.c.service_date_from)))
            .where(_L.c.claim_id == _C.c.id).scalar_subquery())
    count = select(func.count()).where(_L.c.claim_id == _C.c.id).scalar_subquery()
    query = select(_C.c.id, _C.c.patient_control_number, _C.c.payer_id, _C.c.payer_name, _C.c.patient_last_name,
                   _C.c.patient_first_name, _C.c.subscriber_member_id, _C.c.charge, _C.c.frequency_code,
                   _C.c.statement_from, _C.c.statement_to, first.label("first"), last.label("last"),
                   count.label("lines")).where(func.coalesce(_C.c.frequency_code, "") != "8")
    text = search.strip()
    if text:
        like = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").upper() + "%"
        query = query.where(or_(func.upper(_C.c.patient_control_number).like(like, escape="\\"),
                                func.upper(_C.c.patient_last_name).like(like, escape="\\")))
    else:
        near = []
        if charge is not None:
            near.append(_C.c.charge == charge)
        start, end = dates
        if start is not None:
            end = end or start
            near.append(and_(func.coalesce(_C.c.statement_from, first) <= end,
                             func.coalesce(_C.c.statement_to, last, first) >= start))
        if not near or not payer_ids:
            return []
        query = query.where(_C.c.payer_id.in_(sorted(payer_ids)), or_(*near))
    rows = conn.execute(query.order_by(_C.c.id.desc()).limit(limit)).all()
    return [ClaimCandidate(r.id, r.patient_control_number, r.payer_id, r.payer_name, r.patient_last_name,
                           r.patient_first_name, r.subscriber_member_id, r.charge, r.frequency_code,
                           r.statement_from or _day(r.first), r.statement_to or _day(r.last) or _day(r.first),
                           int(r.lines))
            for r in rows]
