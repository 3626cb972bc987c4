"""The store's read side for the review app's pages: the findings queue, the dashboard sums and the
files ingested.

Owns the SQL behind them. The web layer turns a query string into a `QueueQuery` (what to select,
in what order, which page) and gets back a `QueuePage` of typed items; it never sees a column.
Sums are done here by the database because a page shows the totals of every finding the filters
select, not only of the fifty on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select, type_coerce
from sqlalchemy.engine import Connection

from edi_engine.store import tables
from edi_engine.store.types import Money

__all__ = [
    "DashboardSums", "FileActivity", "FileRow", "GroupSum", "QueueItem", "QueuePage", "QueueQuery", "SORT_KEYS",
    "dashboard_sums", "file_activity", "queue_menus", "queue_page", "search_condition",
]

_F = tables.finding
_C = tables.claim
_CL = tables.claim_line
_CP = tables.claim_payment
_SP = tables.service_payment
_PM = tables.payment
_PY = tables.payer
MAX_SEARCH = 100  # characters of the search box


def _latest_claim(column: Any) -> Any:
    """`column` of the finding's 837 claim (the latest stored under its CLM01)."""
    return (select(column).where(_C.c.patient_control_number == _F.c.patient_control_number)
            .order_by(_C.c.id.desc()).limit(1).scalar_subquery())


def _latest_remit(column: Any) -> Any:
    """`column` of the latest 835 claim payment (CLP) under the finding's CLM01, by BPR16 then as stored."""
    return (select(column).select_from(_CP.join(_PM, _PM.c.id == _CP.c.payment_id))
            .where(_CP.c.patient_control_number == _F.c.patient_control_number)
            .order_by(_PM.c.payment_date.desc(), _CP.c.id.desc()).limit(1).scalar_subquery())


def _name(last: Any, first: Any) -> Any:
    return func.coalesce(last, "") + case((first.is_(None), ""), else_=", " + first)


# The columns of a queue row the finding does not hold: read from the claim (837, else the 835's CLP
# and NM1*QC for a payment no claim matched), per finding, only for the rows shown or sorted by.
_PATIENT = func.coalesce(_latest_claim(_name(_C.c.patient_last_name, _C.c.patient_first_name)),
                         _latest_remit(_name(_CP.c.patient_last_name, _CP.c.patient_first_name)))
_MEMBER = func.coalesce(_latest_claim(_C.c.subscriber_member_id),
                        _latest_remit(func.coalesce(_CP.c.patient_member_id, _CP.c.insured_member_id)))
_SERVICE_FROM = func.coalesce(
    _latest_claim(func.coalesce(_C.c.statement_from, select(func.min(_CL.c.service_date_from))
                                .where(_CL.c.claim_id == _C.c.id).scalar_subquery())),
    _latest_remit(func.coalesce(_CP.c.statement_from, select(func.min(_SP.c.service_date_from))
                                .where(_SP.c.claim_payment_id == _CP.c.id).scalar_subquery())))
_SERVICE_TO = func.coalesce(
    _latest_claim(func.coalesce(_C.c.statement_to, select(func.max(func.coalesce(_CL.c.service_date_to,
                                                                                   _CL.c.service_date_from)))
                                .where(_CL.c.claim_id == _C.c.id).scalar_subquery())),
    _latest_remit(func.coalesce(_CP.c.statement_to, select(func.max(func.coalesce(_SP.c.service_date_to,
                                                                                   _SP.c.service_date_from)))
                                .where(_SP.c.claim_payment_id == _CP.c.id).scalar_subquery())))
_CHECK = _latest_remit(_PM.c.trace_number)  # TRN02 of the latest remittance on the claim
_PAYER_NAME = select(_PY.c.name).where(_PY.c.id == _F.c.payer_id).scalar_subquery()

_SORTS = {"id": _F.c.id, "category": _F.c.category, "payer": func.coalesce(_PAYER_NAME, _F.c.payer_id),
          "amount": _F.c.amount, "identified": _F.c.identified_on, "deadline": _F.c.deadline, "status": _F.c.status,
          "claim": _F.c.patient_control_number, "patient": _PATIENT, "service": _SERVICE_FROM, "check": _CHECK,
          "arose": func.coalesce(_F.c.arose_on, _F.c.identified_on)}
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
    # One box: CLM01, patient name, member id, check/EFT number (TRN02) or payer name (search_condition).
    search: str = ""
    sort: str = "deadline"
    desc: bool = False
    page: int = 1
    page_size: int = 50  # 0: every row (the export)


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
    payer_name: str | None = None  # of the payers imported
    patient_name: str | None = None  # "LAST, FIRST": PHI, for the signed-in pages and the export only
    member_id: str | None = None
    service_from: date | None = None
    service_to: date | None = None
    check_number: str | None = None  # TRN02 of the latest remittance on the claim


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
    payer_names: dict[str, str] = field(default_factory=dict)  # of those payers, the ones imported


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _starts(column: Any, prefix: str) -> Any:
    """lower(column) starts with `prefix` (lower case): a range the lower() index answers, and LIKE to be exact."""
    low = func.lower(column)
    like = low.like(_like(prefix) + "%", escape="\\")
    if ord(prefix[-1]) >= 0x10FFFF:  # no character after it to bound the range with
        return like
    return and_(low >= prefix, low < prefix[:-1] + chr(ord(prefix[-1]) + 1), like)


def _named(last: Any, first: Any, words: list[str]) -> Any:
    if len(words) == 1:
        return or_(_starts(last, words[0]), _starts(first, words[0]))
    one, two = words[0], " ".join(words[1:])
    return or_(and_(_starts(last, one), _starts(first, two)), and_(_starts(first, one), _starts(last, " ".join(
        words[1:]))))


def search_condition(text: str) -> Any:
    """Findings whose CLM01 or payer (id or name) contains `text`; whose claim's patient has a last or first
    name starting with it, or, for two words ("SMITH, DAVID", "David Smith"), a last and first name
    starting with them; whose member id starts with it (837 2010BA, 835 NM1*QC/IL); or whose claim
    was paid on the check or EFT of that TRN02. Case-insensitive. Names and member ids are found through
    their lower() indexes (migration 0013), then the findings of those CLM01s."""
    q = " ".join(text.strip().lower().split())
    inside = f"%{_like(q)}%"
    words = [w for w in q.replace(",", " ").split() if w]
    cond = [func.lower(_F.c.patient_control_number).like(inside, escape="\\"),
            func.lower(_F.c.payer_id).like(inside, escape="\\"),
            _F.c.payer_id.in_(select(_PY.c.id).where(func.lower(_PY.c.name).like(inside, escape="\\")))]
    if words:
        cond.append(_F.c.patient_control_number.in_(select(_C.c.patient_control_number).where(or_(
            _named(_C.c.patient_last_name, _C.c.patient_first_name, words),
            _starts(_C.c.subscriber_member_id, q)))))
        cond.append(_F.c.patient_control_number.in_(select(_CP.c.patient_control_number).where(or_(
            _named(_CP.c.patient_last_name, _CP.c.patient_first_name, words),
            _starts(_CP.c.patient_member_id, q), _starts(_CP.c.insured_member_id, q)))))
        cond.append(_F.c.patient_control_number.in_(
            select(_CP.c.patient_control_number).select_from(_CP.join(_PM, _PM.c.id == _CP.c.payment_id))
            .where(_PM.c.trace_number == text.strip())))
    return or_(*cond)


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
    if q.search.strip():
        cond.append(search_condition(q.search))
    return cond


def queue_menus(conn: Connection) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, str]]:
    """Every category and payer id that has a finding, and the names of those payers imported."""
    categories = tuple(sorted(r[0] for r in conn.execute(select(_F.c.category).distinct())))
    payers = tuple(sorted(r[0] for r in conn.execute(select(_F.c.payer_id).distinct()) if r[0]))
    names = {r.id: r.name for r in conn.execute(select(_PY.c.id, _PY.c.name).where(_PY.c.id.in_(payers)))}
    return categories, payers, names


def queue_page(conn: Connection, q: QueueQuery) -> QueuePage:
    cond = _where(q)
    col = _SORTS[q.sort]
    # Findings without a deadline sort after those with one, whichever the direction.
    order = [col.is_(None), col.desc() if q.desc else col.asc(), _F.c.id]
    urgent_case = case((and_(_F.c.status.in_(("open", "approved")), _F.c.deadline <= q.urgent_by), 1), else_=0)
    # One statement selects the page's ids and the totals of every finding selected (window sums), so
    # the filters and the search are evaluated once; the sort key alone is computed over the rows selected.
    totals = (func.count().over(), type_coerce(func.sum(_F.c.amount).over(), Money), func.sum(urgent_case).over())

    def fetch(page: int, size: int) -> list[Any]:
        return list(conn.execute(select(_F.c.id, *totals).where(*cond).order_by(*order).limit(size)
                                 .offset((page - 1) * size)))

    size = q.page_size or 1_000_000_000
    page = max(q.page, 1)
    found = fetch(page, size)
    if not found and page > 1:  # past the last page: show the last
        count = conn.execute(select(func.count()).select_from(_F).where(*cond)).scalar_one()
        page = max(1, -(-count // size))
        found = fetch(page, size)
    count, total, urgent = (found[0][1], found[0][2], found[0][3]) if found else (0, Decimal("0.00"), 0)
    pages = max(1, -(-count // size))
    ids = [r[0] for r in found]
    rows = {r.id: r for r in conn.execute(
        select(_F.c.id, _F.c.category, _F.c.patient_control_number, _F.c.payer_id, _F.c.amount, _F.c.refund_to,
               _F.c.status, _F.c.identified_on, _F.c.deadline, _F.c.arose_on, _PAYER_NAME.label("payer_name"),
               _PATIENT.label("patient"), _MEMBER.label("member"), _SERVICE_FROM.label("service_from"),
               _SERVICE_TO.label("service_to"), _CHECK.label("check_number"))
        .where(_F.c.id.in_(ids)))} if ids else {}
    categories, payers, names = queue_menus(conn)
    items = tuple(QueueItem(r.id, r.category, r.patient_control_number, r.payer_id, r.amount, r.refund_to, r.status,
                            r.identified_on, r.deadline, r.arose_on, r.payer_name, r.patient or None, r.member,
                            r.service_from, r.service_to, r.check_number)
                  for r in (rows[i] for i in ids))
    return QueuePage(items, count, total if total is not None else Decimal("0.00"), int(urgent or 0), page, pages,
                     categories, payers, names)


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
    content_hash: str = ""  # SHA-256 of its bytes: what a queued upload's answer names it by


@dataclass(frozen=True, slots=True)
class FileActivity:
    recent: tuple[FileRow, ...]  # newest first
    failures: tuple[FileRow, ...]  # newest first
    counts: dict[str, int]  # per status


def file_activity(conn: Connection, limit: int) -> FileActivity:
    sf = tables.source_file

    def rows(query: Any) -> tuple[FileRow, ...]:
        return tuple(FileRow(r.id, r.name, r.kind, r.status, r.received_at, r.error, r.claims, r.payments,
                             r.warnings, r.content_hash or "") for r in conn.execute(query))

    recent = rows(select(sf).order_by(sf.c.received_at.desc(), sf.c.id.desc()).limit(limit))
    failures = rows(select(sf).where(sf.c.status == "failed").order_by(sf.c.received_at.desc()).limit(limit))
    counts = {r[0]: r[1] for r in conn.execute(select(sf.c.status, func.count()).group_by(sf.c.status))}
    return FileActivity(recent, failures, counts)
