"""The store's read side for the review app's pages: the findings queue, the dashboard sums and the
files ingested.

Owns the SQL behind them. The web layer turns a query string into a `QueueQuery` (what to select,
in what order, which page) and gets back a `QueuePage` of typed items; it never sees a column.
Sums are done here by the database because a page shows the totals of every finding the filters
select, not only of the fifty on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from edi_engine.store import tables
from edi_engine.store.types import Money

__all__ = [
    "DashboardSums", "FileActivity", "FileRow", "GroupSum", "QueueItem", "QueuePage", "QueueQuery", "SORT_KEYS",
    "dashboard_sums", "file_activity", "queue_page",
]

_F = tables.finding
_SORTS = {"id": _F.c.id, "category": _F.c.category, "payer": _F.c.payer_id, "amount": _F.c.amount,
          "identified": _F.c.identified_on, "deadline": _F.c.deadline, "status": _F.c.status,
          "claim": _F.c.patient_control_number}
SORT_KEYS = tuple(_SORTS)


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """Which findings (None: no condition), in which order, which page; `urgent_by` bounds the urgent count."""

    urgent_by: date
    status: str | None = None
    category: str = ""
    payer_id: str = ""
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    # The credit's date (arose_on, else identified_on) in this range: the queue's age filter.
    credit_from: date | None = None
    credit_to: date | None = None
    deadline_before: date | None = None  # deadline < this
    deadline_by: date | None = None  # deadline <= this
    no_deadline: bool = False
    sort: str = "deadline"
    desc: bool = False
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    category: str
    patient_control_number: str | None  # CLM01
    payer_id: str | None
    amount: Decimal
    refund_to: str | None
    status: str
    identified_on: date
    deadline: date | None
    arose_on: date | None = None


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: tuple[QueueItem, ...]
    total_count: int
    total_amount: Decimal
    urgent_count: int  # open or approved, deadline by `urgent_by`
    page: int  # the page shown, clamped to 1..pages
    pages: int
    categories: tuple[str, ...]  # every category and payer that has a finding, for the filter menus
    payer_ids: tuple[str, ...]


def _where(q: QueueQuery) -> list[Any]:
    cond: list[Any] = []
    if q.status is not None:
        cond.append(_F.c.status == q.status)
    if q.category:
        cond.append(_F.c.category == q.category)
    if q.payer_id:
        cond.append(_F.c.payer_id == q.payer_id)
    if q.min_amount is not None:
        cond.append(_F.c.amount >= q.min_amount)
    if q.max_amount is not None:
        cond.append(_F.c.amount <= q.max_amount)
    credit_date = func.coalesce(_F.c.arose_on, _F.c.identified_on)  # rules/aging.credit_date
    if q.credit_to is not None:
        cond.append(credit_date <= q.credit_to)
    if q.credit_from is not None:
        cond.append(credit_date >= q.credit_from)
    if q.deadline_before is not None:
        cond.append(_F.c.deadline < q.deadline_before)
    if q.deadline_by is not None:
        cond.append(_F.c.deadline <= q.deadline_by)
    if q.no_deadline:
        cond.append(_F.c.deadline.is_(None))
    return cond


def queue_page(conn: Connection, q: QueueQuery) -> QueuePage:
    cond = _where(q)
    col = _SORTS[q.sort]
    # Findings without a deadline sort after those with one, whichever the direction.
    order = [col.is_(None), col.desc() if q.desc else col.asc(), _F.c.id]
    count, total = conn.execute(select(func.count(), func.coalesce(func.sum(_F.c.amount), 0).cast(Money))
                                .select_from(_F).where(*cond)).one()
    urgent = conn.execute(select(func.count()).select_from(_F).where(
        *cond, _F.c.status.in_(("open", "approved")), _F.c.deadline <= q.urgent_by)).scalar_one()
    pages = max(1, -(-count // q.page_size))
    page = min(max(q.page, 1), pages)
    rows = conn.execute(select(_F.c.id, _F.c.category, _F.c.patient_control_number, _F.c.payer_id, _F.c.amount,
                               _F.c.refund_to, _F.c.status, _F.c.identified_on, _F.c.deadline, _F.c.arose_on)
                        .where(*cond).order_by(*order).limit(q.page_size).offset((page - 1) * q.page_size)).all()
    categories = tuple(sorted(r[0] for r in conn.execute(select(_F.c.category).distinct())))
    payers = tuple(sorted(r[0] for r in conn.execute(select(_F.c.payer_id).distinct()) if r[0]))
    items = tuple(QueueItem(r.id, r.category, r.patient_control_number, r.payer_id, r.amount, r.refund_to, r.status,
                            r.identified_on, r.deadline, r.arose_on) for r in rows)
    return QueuePage(items, count, total if total is not None else Decimal("0.00"), urgent, page, pages,
                     categories, payers)


@dataclass(frozen=True, slots=True)
class GroupSum:
    key: str | date | None  # payer id, category or identification date
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class DatedSum:
    arose_on: date | None
    identified_on: date
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class DashboardSums:
    """Findings in `statuses`, summed per payer and per category (largest amount first) and per
    (arose_on, identified_on) pair: the caller ages them through rules/aging.py (date arithmetic
    differs between SQLite and PostgreSQL, and the buckets are the rule pack's)."""

    by_payer: tuple[GroupSum, ...]
    by_category: tuple[GroupSum, ...]
    by_day: tuple[DatedSum, ...]
    deadlines: tuple[date, ...]


def dashboard_sums(conn: Connection, statuses: tuple[str, ...],
                   categories: tuple[str, ...] | None = None) -> DashboardSums:
    """With `categories`, only findings of those (the credit balances: the refund categories)."""
    selected: Any = _F.c.status.in_(statuses)
    if categories is not None:
        selected = and_(selected, _F.c.category.in_(categories))
    # What is still owed: a partial refund (store/refunds.py) leaves only the rest of a credit on the books.
    repaid = select(func.coalesce(func.sum(tables.refund.c.amount), 0)).where(
        tables.refund.c.finding_id == _F.c.id).scalar_subquery()
    total = func.coalesce(func.sum(_F.c.amount - repaid), 0).cast(Money)

    def grouped(column: Any, order: bool) -> tuple[GroupSum, ...]:
        query = select(column, func.count(), total).where(selected).group_by(column)
        if order:
            query = query.order_by(total.desc())
        return tuple(GroupSum(r[0], r[1], r[2]) for r in conn.execute(query))

    deadlines = tuple(r[0] for r in conn.execute(select(_F.c.deadline).where(selected, _F.c.deadline.is_not(None))))
    by_day = tuple(DatedSum(r[0], r[1], r[2], r[3]) for r in conn.execute(
        select(_F.c.arose_on, _F.c.identified_on, func.count(), total).where(selected)
        .group_by(_F.c.arose_on, _F.c.identified_on)))
    return DashboardSums(grouped(_F.c.payer_id, True), grouped(_F.c.category, True), by_day, deadlines)


@dataclass(frozen=True, slots=True)
class FileRow:
    """A source_file row: a file handed to ingest or import."""

    id: int
    name: str  # path as given
    kind: str
    status: str  # ingested or failed
    received_at: datetime
    error: str | None
    claims: int
    payments: int
    warnings: str | None = None  # one a line: re-deliveries, held remittances, resubmissions, reused ISA13


@dataclass(frozen=True, slots=True)
class FileActivity:
    recent: tuple[FileRow, ...]  # newest first
    failures: tuple[FileRow, ...]  # newest first
    counts: dict[str, int]  # per status


def file_activity(conn: Connection, limit: int) -> FileActivity:
    sf = tables.source_file

    def rows(query: Any) -> tuple[FileRow, ...]:
        return tuple(FileRow(r.id, r.name, r.kind, r.status, r.received_at, r.error, r.claims, r.payments,
                             r.warnings) for r in conn.execute(query))

    recent = rows(select(sf).order_by(sf.c.received_at.desc(), sf.c.id.desc()).limit(limit))
    failures = rows(select(sf).where(sf.c.status == "failed").order_by(sf.c.received_at.desc()).limit(limit))
    counts = {r[0]: r[1] for r in conn.execute(select(sf.c.status, func.count()).group_by(sf.c.status))}
    return FileActivity(recent, failures, counts)
