"""The findings queue: filters read from the query string, one SQL query for the page, one for
the totals of everything the filters select. Knows nothing of HTTP beyond a mapping of strings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from edi_engine.errors import UsageError
from edi_engine.store import tables
from edi_engine.store.types import Money
from edi_engine.web.context import NEAR_DAYS, Chrome, urgency

__all__ = ["PAGE_SIZE", "QueueContext", "QueueFilters", "QueueRow", "SortLink", "parse_filters", "queue_page"]

PAGE_SIZE = 50
_F = tables.finding
STATUSES = ("open", "approved", "dismissed", "refunded", "offset", "resolved", "all")
DEADLINES = ("", "past", "near", "none")
SORTS = {"id": _F.c.id, "category": _F.c.category, "payer": _F.c.payer_id, "amount": _F.c.amount,
         "identified": _F.c.identified_on, "deadline": _F.c.deadline, "status": _F.c.status,
         "claim": _F.c.patient_control_number}
COLUMNS = (("id", "#"), ("category", "Category"), ("claim", "Claim (CLM01)"), ("payer", "Payer"),
           ("amount", "Amount"), ("status", "Status"), ("identified", "Identified"), ("deadline", "Deadline"))


@dataclass(frozen=True, slots=True)
class QueueFilters:
    category: str = ""
    payer: str = ""
    status: str = "open"
    min_amount: str = ""
    max_amount: str = ""
    min_age: str = ""  # days since identified
    max_age: str = ""
    deadline: str = ""  # "", past, near (within NEAR_DAYS or past), none
    sort: str = "deadline"
    desc: bool = False
    page: int = 1

    def query(self, **change: Any) -> str:
        """The query string of these filters with `change` applied (defaults left out)."""
        values = asdict(replace(self, **change))
        default = asdict(QueueFilters())
        return urlencode({k: ("1" if v is True else v) for k, v in values.items() if v != default[k]})


def _decimal(text: str, what: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise UsageError(f"{what} must be an amount such as 125.00") from None
    if not value.is_finite():
        raise UsageError(f"{what} must be an amount such as 125.00")
    return value.quantize(Decimal("0.01"))


def _int(text: str, what: str) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise UsageError(f"{what} must be a whole number of days")
    return int(text)


def parse_filters(args: Mapping[str, str]) -> QueueFilters:
    """Filters from a query string; UsageError for a value that cannot be one."""
    get = lambda k: str(args.get(k, "")).strip()  # noqa: E731
    f = QueueFilters(category=get("category"), payer=get("payer"), status=get("status") or "open",
                     min_amount=get("min_amount"), max_amount=get("max_amount"), min_age=get("min_age"),
                     max_age=get("max_age"), deadline=get("deadline"), sort=get("sort") or "deadline",
                     desc=get("desc") in ("1", "true", "on"), page=_int(get("page"), "page") or 1)
    if f.status not in STATUSES:
        raise UsageError(f"status must be one of {', '.join(STATUSES)}")
    if f.deadline not in DEADLINES:
        raise UsageError("deadline must be past, near or none")
    if f.sort not in SORTS:
        raise UsageError(f"sort must be one of {', '.join(SORTS)}")
    _decimal(f.min_amount, "minimum amount"), _decimal(f.max_amount, "maximum amount")
    _int(f.min_age, "minimum age"), _int(f.max_age, "maximum age")
    return f


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: int
    category: str
    claim_id: str
    payer_id: str
    amount: Decimal
    refund_to: str
    status: str
    identified_on: date
    age_days: int
    deadline: date | None
    days_left: int | None
    urgency: str  # past, near or ''


@dataclass(frozen=True, slots=True)
class SortLink:
    key: str
    label: str
    url: str
    active: str  # "asc", "desc" or ""


@dataclass(frozen=True, slots=True)
class QueueContext:
    chrome: Chrome
    filters: QueueFilters
    rows: tuple[QueueRow, ...]
    total_count: int
    total_amount: Decimal
    urgent_count: int
    page: int
    pages: int
    prev_url: str
    next_url: str
    sort_links: tuple[SortLink, ...]
    categories: tuple[str, ...]
    payers: tuple[str, ...]
    statuses: tuple[str, ...]
    near_days: int


def _where(f: QueueFilters, today: date) -> list[Any]:
    cond: list[Any] = []
    if f.status == "all":
        pass
    else:
        cond.append(_F.c.status == f.status)
    if f.category:
        cond.append(_F.c.category == f.category)
    if f.payer:
        cond.append(_F.c.payer_id == f.payer)
    lo, hi = _decimal(f.min_amount, "minimum amount"), _decimal(f.max_amount, "maximum amount")
    if lo is not None:
        cond.append(_F.c.amount >= lo)
    if hi is not None:
        cond.append(_F.c.amount <= hi)
    min_age, max_age = _int(f.min_age, "minimum age"), _int(f.max_age, "maximum age")
    if min_age is not None:  # identified at least min_age days ago
        cond.append(_F.c.identified_on <= today - timedelta(days=min_age))
    if max_age is not None:
        cond.append(_F.c.identified_on >= today - timedelta(days=max_age))
    if f.deadline == "past":
        cond.append(_F.c.deadline < today)
    elif f.deadline == "near":
        cond.append(_F.c.deadline <= today + timedelta(days=NEAR_DAYS))
    elif f.deadline == "none":
        cond.append(_F.c.deadline.is_(None))
    return cond


def _row(r: Any, today: date) -> QueueRow:
    return QueueRow(r.id, r.category, r.patient_control_number or "", r.payer_id or "", r.amount, r.refund_to or "",
                    r.status, r.identified_on, (today - r.identified_on).days, r.deadline,
                    (r.deadline - today).days if r.deadline else None, urgency(r.deadline, today, r.status))


def queue_page(engine: Engine, f: QueueFilters, chrome: Chrome) -> QueueContext:
    today = chrome.today
    cond = _where(f, today)
    col = SORTS[f.sort]
    # Findings without a deadline sort after those with one, whichever the direction.
    order = [col.is_(None), col.desc() if f.desc else col.asc(), _F.c.id]
    with engine.connect() as conn:
        count, total = conn.execute(select(func.count(), func.coalesce(func.sum(_F.c.amount), 0).cast(Money))
                                    .select_from(_F).where(*cond)).one()
        urgent = conn.execute(select(func.count()).select_from(_F).where(
            *cond, _F.c.status.in_(("open", "approved")),
            _F.c.deadline <= today + timedelta(days=NEAR_DAYS))).scalar_one()
        pages = max(1, -(-count // PAGE_SIZE))
        page = min(max(f.page, 1), pages)
        rows = conn.execute(select(_F.c.id, _F.c.category, _F.c.patient_control_number, _F.c.payer_id, _F.c.amount,
                                   _F.c.refund_to, _F.c.status, _F.c.identified_on, _F.c.deadline)
                            .where(*cond).order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
        categories = tuple(sorted(r[0] for r in conn.execute(select(_F.c.category).distinct())))
        payers = tuple(sorted(r[0] for r in conn.execute(select(_F.c.payer_id).distinct()) if r[0]))
    links = tuple(SortLink(k, label, "?" + f.query(sort=k, desc=(f.sort == k and not f.desc), page=1),
                           ("desc" if f.desc else "asc") if f.sort == k else "") for k, label in COLUMNS)
    return QueueContext(
        chrome, f, tuple(_row(r, today) for r in rows), count, total if total is not None else Decimal("0.00"),
        urgent, page, pages, "?" + f.query(page=page - 1) if page > 1 else "",
        "?" + f.query(page=page + 1) if page < pages else "", links, categories, payers, STATUSES, NEAR_DAYS)
