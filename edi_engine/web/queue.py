"""The findings queue: filters read from the query string, turned into the store's `QueueQuery`
(one query for the page, one for the totals of everything the filters select, both in
edi_engine/store/queue.py). Knows nothing of HTTP beyond a mapping of strings, nor of SQL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import Engine

from edi_engine.errors import InputError, UsageError
from edi_engine.money import from_cents, to_cents
from edi_engine.rules import aging
from edi_engine.rules.lifecycle import Status
from edi_engine.store import queue as stored
from edi_engine.web.context import NEAR_DAYS, Chrome, urgency

__all__ = ["PAGE_SIZE", "QueueContext", "QueueFilters", "QueueRow", "SortLink", "find", "parse_filters",
           "queue_page"]

PAGE_SIZE = 50
MAX_AMOUNT = Decimal(10) ** 12  # a bound beyond any claim; larger ones overflow the cents column
MAX_DAYS = 36_500  # an age of more than a century is a typing mistake (and past date.min soon after)
STATUSES = (*(s.value for s in Status), "all")  # the lifecycle's order
DEADLINES = ("", "past", "near", "none")
SORTS = stored.SORT_KEYS
COLUMNS = (("id", "#"), ("category", "Category"), ("claim", "Claim (CLM01)"), ("payer", "Payer"),
           ("amount", "Amount"), ("status", "Status"), ("identified", "Identified"), ("deadline", "Deadline"))


@dataclass(frozen=True, slots=True)
class QueueFilters:
    category: str = ""
    payer: str = ""
    status: str = "open"
    min_amount: str = ""
    max_amount: str = ""
    min_age: str = ""  # days since the credit arose (rules/aging.py)
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
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:  # 1e309 is a finite Decimal, but no BIGINT of cents
        raise UsageError(f"{what} must be an amount such as 125.00")
    try:  # exact, as every amount: a bound below the cent is a mistake to report, not to round
        return from_cents(to_cents(value, what))
    except (InputError, InvalidOperation):
        raise UsageError(f"{what} must be an amount such as 125.00") from None


def _int(text: str, what: str) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 6 or int(text) > MAX_DAYS:
        raise UsageError(f"{what} must be a whole number up to {MAX_DAYS}")
    return int(text)


def parse_filters(args: Mapping[str, str]) -> QueueFilters:
    """Filters from a query string; UsageError for a value that cannot be one."""
    def get(k: str) -> str:
        return str(args.get(k, "")).strip()

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
    age_days: int  # since the credit arose
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


def _query(f: QueueFilters, today: date, page_size: int) -> stored.QueueQuery:
    min_age, max_age = _int(f.min_age, "minimum age"), _int(f.max_age, "maximum age")
    return stored.QueueQuery(
        urgent_by=today + timedelta(days=NEAR_DAYS), status=None if f.status == "all" else f.status,
        category=f.category, payer_id=f.payer,
        min_amount=_decimal(f.min_amount, "minimum amount"), max_amount=_decimal(f.max_amount, "maximum amount"),
        # the credit arose at least min_age days ago, at most max_age days ago (the one aging, rules/aging.py)
        credit_to=today - timedelta(days=min_age) if min_age is not None else None,
        credit_from=today - timedelta(days=max_age) if max_age is not None else None,
        deadline_before=today if f.deadline == "past" else None,
        deadline_by=today + timedelta(days=NEAR_DAYS) if f.deadline == "near" else None,
        no_deadline=f.deadline == "none", sort=f.sort, desc=f.desc, page=f.page, page_size=page_size)


def _row(r: stored.QueueItem, today: date) -> QueueRow:
    return QueueRow(r.id, r.category, r.patient_control_number or "", r.payer_id or "", r.amount, r.refund_to or "",
                    r.status, r.identified_on, aging.age_in_days(r.arose_on, r.identified_on, today), r.deadline,
                    (r.deadline - today).days if r.deadline else None, urgency(r.deadline, today, r.status))


def find(engine: Engine, f: QueueFilters, today: date,
         page_size: int | None = None) -> tuple[stored.QueuePage, tuple[QueueRow, ...]]:
    """One page (of `page_size`, default PAGE_SIZE) of the findings `f` selects, the queue page's and the
    API's, and its rows as of `today`."""
    with engine.connect() as conn:
        found = stored.queue_page(conn, _query(f, today, page_size or PAGE_SIZE))
    return found, tuple(_row(r, today) for r in found.items)


def queue_page(engine: Engine, f: QueueFilters, chrome: Chrome) -> QueueContext:
    today = chrome.today
    found, rows = find(engine, f, today)
    page, pages = found.page, found.pages
    links = tuple(SortLink(k, label, "?" + f.query(sort=k, desc=(f.sort == k and not f.desc), page=1),
                           ("desc" if f.desc else "asc") if f.sort == k else "") for k, label in COLUMNS)
    return QueueContext(
        chrome, f, rows, found.total_count, found.total_amount,
        found.urgent_count, page, pages, "?" + f.query(page=page - 1) if page > 1 else "",
        "?" + f.query(page=page + 1) if page < pages else "", links, found.categories, found.payer_ids, STATUSES,
        NEAR_DAYS)
