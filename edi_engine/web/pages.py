"""Contexts of the pages other than the queue: finding detail, dashboard, ingest status, users,
sign-in and errors. Each page renders one frozen dataclass built here by a function a test can
call with an engine; routes only call these. Ledger lines and X12 segments come from
edi_engine.rules.explain (the same reading `edi-engine explain` prints), the history from the
outputs layer's audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from edi_engine.rules import explain
from edi_engine.rules.report import Explanation
from edi_engine.store import tables
from edi_engine.store.types import Money
from edi_engine.web.auth import User, list_users
from edi_engine.web.context import Chrome, urgency

__all__ = [
    "AgingBucket", "ClaimView", "DashboardContext", "DetailContext", "ErrorContext", "FileRow", "GroupTotal",
    "HistoryItem", "IngestContext", "LineView", "LoginContext", "UsersContext", "dashboard_page", "detail_page",
    "history_for", "ingest_page", "users_page",
]

_F = tables.finding
_C = tables.claim
_L = tables.claim_line
_SF = tables.source_file
OPEN_STATUSES = ("open", "approved")  # credit still on the books: found, or approved but not yet paid back


@dataclass(frozen=True, slots=True)
class LineView:
    number: int
    procedure: str
    revenue_code: str
    charge: Decimal
    units: str
    service_from: date | None
    line_control_number: str


@dataclass(frozen=True, slots=True)
class ClaimView:
    variant: str
    patient_control_number: str
    frequency_code: str
    payer: str
    patient_name: str
    member_id: str
    charge: Decimal
    file: str
    segment: int
    lines: tuple[LineView, ...]


@dataclass(frozen=True, slots=True)
class HistoryItem:
    at: str
    event: str
    actor: str
    note: str


@dataclass(frozen=True, slots=True)
class DetailContext:
    chrome: Chrome
    explanation: Explanation
    urgency: str
    claims: tuple[ClaimView, ...]
    history: tuple[HistoryItem, ...]
    letter_to: str  # payer or patient
    history_note: str  # why the history may be empty


@dataclass(frozen=True, slots=True)
class GroupTotal:
    key: str
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AgingBucket:
    label: str
    count: int
    amount: Decimal
    percent: int  # bar length relative to the largest bucket, 0-100


@dataclass(frozen=True, slots=True)
class DashboardContext:
    chrome: Chrome
    by_payer: tuple[GroupTotal, ...]
    by_category: tuple[GroupTotal, ...]
    aging: tuple[AgingBucket, ...]
    total_count: int
    total_amount: Decimal
    past_deadline: int
    near_deadline: int


@dataclass(frozen=True, slots=True)
class FileRow:
    id: int
    name: str
    kind: str
    status: str
    received_at: datetime
    error: str
    claims: int
    payments: int


@dataclass(frozen=True, slots=True)
class IngestContext:
    chrome: Chrome
    recent: tuple[FileRow, ...]
    failures: tuple[FileRow, ...]
    ingested_count: int
    failed_count: int


@dataclass(frozen=True, slots=True)
class UsersContext:
    chrome: Chrome
    users: tuple[User, ...]
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LoginContext:
    csrf_token: str
    username: str
    error: str
    next_url: str
    chrome: None = None  # no one is signed in yet: base.html shows no navigation


@dataclass(frozen=True, slots=True)
class ErrorContext:
    chrome: Chrome | None
    status: int
    title: str
    message: str


def _name(last: str | None, first: str | None) -> str:
    return ", ".join(p for p in (last, first) if p)


def _claims(engine: Engine, clm01: str) -> tuple[ClaimView, ...]:
    with engine.connect() as conn:
        claims = conn.execute(select(_C, _SF.c.name.label("file_name")).join(_SF, _SF.c.id == _C.c.source_file_id)
                              .where(_C.c.patient_control_number == clm01).order_by(_C.c.id)).all()
        lines = conn.execute(select(_L).where(_L.c.claim_id.in_([c.id for c in claims]))
                             .order_by(_L.c.claim_id, _L.c.line_number)).all() if claims else []
    out = []
    for c in claims:
        views = tuple(LineView(ln.line_number, ":".join(p for p in (ln.procedure_code, ln.modifiers) if p),
                               ln.revenue_code or "", ln.charge, "" if ln.units is None else f"{ln.units}",
                               ln.service_date_from, ln.line_control_number or "")
                      for ln in lines if ln.claim_id == c.id)
        out.append(ClaimView(c.variant, c.patient_control_number, c.frequency_code or "",
                             " ".join(p for p in (c.payer_id, f"({c.payer_name})" if c.payer_name else "") if p),
                             _name(c.patient_last_name, c.patient_first_name), c.subscriber_member_id or "",
                             c.charge, Path(c.file_name).name, c.segment, views))
    return tuple(out)


def history_for(engine: Engine, finding_id: int) -> tuple[tuple[HistoryItem, ...], str]:
    """The finding's audit events, oldest first; ('', note) while the outputs layer has no audit trail."""
    from edi_engine import outputs
    if not hasattr(outputs, "audit_events"):
        return (), "The audit trail is not available in this installation."
    events = outputs.audit_events(engine, finding_id=finding_id)
    items = tuple(HistoryItem(_when(e.at), str(e.event), str(e.actor or ""), str(e.note or "")) for e in events)
    return items, "" if items else "No decisions or notes yet."


def _when(at: Any) -> str:
    if isinstance(at, datetime):
        return at.strftime("%Y-%m-%d %H:%M") + (" UTC" if at.tzinfo is None or at.utcoffset() == 0 else "")
    return str(at)


def detail_page(engine: Engine, finding_id: int, chrome: Chrome) -> DetailContext:
    """UsageError (-> 404) for an unknown finding."""
    with engine.connect() as conn:
        e = explain(conn, finding_id)
    f = e.finding
    history, note = history_for(engine, finding_id)
    return DetailContext(chrome, e, urgency(f.deadline, chrome.today, f.status),
                         _claims(engine, f.claim_id) if f.claim_id else (), history,
                         "patient" if f.refund_to == "patient" else "payer", note)


def _bucket(age: int) -> int:
    return 0 if age <= 30 else 1 if age <= 60 else 2 if age <= 90 else 3


def dashboard_page(engine: Engine, chrome: Chrome) -> DashboardContext:
    today = chrome.today
    open_ = _F.c.status.in_(OPEN_STATUSES)
    total_sum = func.coalesce(func.sum(_F.c.amount), 0).cast(Money)
    with engine.connect() as conn:
        by_payer = tuple(GroupTotal(r[0] or "(none)", r[1], r[2]) for r in conn.execute(
            select(_F.c.payer_id, func.count(), total_sum).where(open_).group_by(_F.c.payer_id)
            .order_by(total_sum.desc())))
        by_category = tuple(GroupTotal(r[0], r[1], r[2]) for r in conn.execute(
            select(_F.c.category, func.count(), total_sum).where(open_).group_by(_F.c.category)
            .order_by(total_sum.desc())))
        # Per identification date, then bucketed here: date arithmetic differs between SQLite and PostgreSQL.
        by_day = conn.execute(select(_F.c.identified_on, func.count(), total_sum).where(open_)
                              .group_by(_F.c.identified_on)).all()
        deadlines = [r[0] for r in conn.execute(select(_F.c.deadline).where(open_, _F.c.deadline.is_not(None)))]
    counts, amounts = [0, 0, 0, 0], [Decimal("0.00")] * 4
    for day, n, amount in by_day:
        b = _bucket((today - day).days)
        counts[b] += n
        amounts[b] += amount
    top = max(amounts) or Decimal(1)
    aging = tuple(AgingBucket(label, counts[i], amounts[i], int(amounts[i] * 100 / top))
                  for i, label in enumerate(("0-30 days", "31-60 days", "61-90 days", "90+ days")))
    past = sum(1 for d in deadlines if d < today)
    near = sum(1 for d in deadlines if urgency(d, today, "open") == "near")
    return DashboardContext(chrome, by_payer, by_category, aging, sum(counts), sum(amounts, Decimal("0.00")),
                            past, near)


def _file(r: Any) -> FileRow:
    return FileRow(r.id, Path(r.name).name, r.kind, r.status, r.received_at, r.error or "", r.claims, r.payments)


def ingest_page(engine: Engine, chrome: Chrome, limit: int = 50) -> IngestContext:
    with engine.connect() as conn:
        recent = tuple(_file(r) for r in conn.execute(select(_SF).order_by(_SF.c.received_at.desc(), _SF.c.id.desc())
                                                      .limit(limit)))
        failures = tuple(_file(r) for r in conn.execute(select(_SF).where(_SF.c.status == "failed")
                                                        .order_by(_SF.c.received_at.desc()).limit(limit)))
        counts = dict(conn.execute(select(_SF.c.status, func.count()).group_by(_SF.c.status)).all())
    return IngestContext(chrome, recent, failures, counts.get("ingested", 0), counts.get("failed", 0))


def users_page(engine: Engine, chrome: Chrome) -> UsersContext:
    from edi_engine.web.auth import ROLES
    return UsersContext(chrome, tuple(list_users(engine)), ROLES)
