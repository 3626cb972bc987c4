"""The findings queue: filters and the search box read from the query string, turned into the store's
`QueueQuery` (the page's rows, the totals of everything the filters select, both in
edi_engine/store/queue.py); page numbers, sort links and the CSV export of the same rows. Knows
nothing of HTTP beyond a mapping of strings, nor of SQL. A filter that cannot be one is refused with
the filters shown back (`queue_error_page`); its message never quotes the value."""

from __future__ import annotations

import csv
import io
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

__all__ = [
    "EXPORT_COLUMNS", "PAGE_SIZE", "PageLink", "QueueContext", "QueueFilters", "QueueRow", "SortLink", "export_csv",
    "parse_filters", "queue_error_page", "queue_page", "read_filters",
]

PAGE_SIZE = 50
PAGE_WINDOW = 2  # page numbers shown either side of the current one, with the first and the last
MAX_AMOUNT = Decimal(10) ** 12  # a bound beyond any claim; larger ones overflow the cents column
MAX_DAYS = 36_500  # an age of more than a century is a typing mistake (and past date.min soon after)
STATUSES = (*(s.value for s in Status), "all")  # the lifecycle's order
DEADLINES = ("", "past", "near", "none")
SORTS = stored.SORT_KEYS
COLUMNS = (("id", "#"), ("category", "Category"), ("claim", "Claim (CLM01)"), ("payer", "Payer"),
           ("patient", "Patient"), ("service", "Service dates"), ("check", "Check / EFT"), ("amount", "Amount"),
           ("status", "Status"), ("arose", "Arose"), ("identified", "identified"), ("deadline", "Deadline"))
# The export's columns: the page's, with the ids a program reads kept beside the names.
EXPORT_COLUMNS = ("id", "category", "claim_id", "payer_id", "payer_name", "patient", "member_id", "service_from",
                  "service_to", "check_number", "amount", "refund_to", "status", "arose_on", "identified_on",
                  "age_days", "deadline", "days_left")


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """The query string as typed: kept as text so a page refusing one shows them all back."""

    q: str = ""  # the search box
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


def read_filters(args: Mapping[str, str]) -> QueueFilters:
    """The filters as given, unchecked (a page number that is none is page 1): what a refusing page shows."""
    def get(k: str, limit: int = 200) -> str:
        return str(args.get(k, "")).strip()[:limit]

    page = get("page", 7)
    return QueueFilters(q=get("q", stored.MAX_SEARCH + 1), category=get("category"), payer=get("payer"),
                        status=get("status") or "open", min_amount=get("min_amount"), max_amount=get("max_amount"),
                        min_age=get("min_age"), max_age=get("max_age"), deadline=get("deadline"),
                        sort=get("sort") or "deadline", desc=get("desc") in ("1", "true", "on"),
                        page=int(page) if page.isascii() and page.isdigit() and int(page) > 0 else 1)


def check_filters(f: QueueFilters) -> QueueFilters:
    """`f`, or UsageError naming the first filter that cannot be one (never its value: a search may be a name)."""
    if len(f.q) > stored.MAX_SEARCH:
        raise UsageError(f"search must be at most {stored.MAX_SEARCH} characters")
    if f.status not in STATUSES:
        raise UsageError(f"status must be one of {', '.join(STATUSES)}")
    if f.deadline not in DEADLINES:
        raise UsageError("deadline must be past, near or none")
    if f.sort not in SORTS:
        raise UsageError(f"sort must be one of {', '.join(SORTS)}")
    _decimal(f.min_amount, "minimum amount"), _decimal(f.max_amount, "maximum amount")
    _int(f.min_age, "minimum age"), _int(f.max_age, "maximum age")
    return f


def parse_filters(args: Mapping[str, str]) -> QueueFilters:
    """Filters from a query string; UsageError for a value that cannot be one."""
    return check_filters(read_filters(args))


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
    payer_name: str = ""  # '' for a payer not imported: the id is shown
    patient: str = ""  # LAST, FIRST (PHI: the signed-in page and the export only)
    member_id: str = ""
    service_from: date | None = None
    service_to: date | None = None
    check_number: str = ""
    arose_on: date | None = None

    @property
    def service_dates(self) -> str:
        if self.service_from is None:
            return ""
        if self.service_to is None or self.service_to == self.service_from:
            return self.service_from.isoformat()
        return f"{self.service_from.isoformat()} – {self.service_to.isoformat()}"


@dataclass(frozen=True, slots=True)
class SortLink:
    key: str
    label: str
    url: str
    active: str  # "asc", "desc" or ""


@dataclass(frozen=True, slots=True)
class PageLink:
    number: int  # 0: a gap ("…") between page numbers
    url: str
    current: bool = False


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
    payers: tuple[tuple[str, str], ...]  # (id, name or id) for the payer menu
    statuses: tuple[str, ...]
    near_days: int
    page_links: tuple[PageLink, ...] = ()
    export_url: str = ""
    error: str = ""  # why the filters were refused; they are shown back, with no rows


def _query(f: QueueFilters, today: date, page_size: int | None = None) -> stored.QueueQuery:
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
        no_deadline=f.deadline == "none", search=f.q, sort=f.sort, desc=f.desc, page=f.page,
        page_size=PAGE_SIZE if page_size is None else page_size)


def _row(r: stored.QueueItem, today: date) -> QueueRow:
    return QueueRow(r.id, r.category, r.patient_control_number or "", r.payer_id or "", r.amount, r.refund_to or "",
                    r.status, r.identified_on, aging.age_in_days(r.arose_on, r.identified_on, today), r.deadline,
                    (r.deadline - today).days if r.deadline else None, urgency(r.deadline, today, r.status),
                    r.payer_name or "", r.patient_name or "", r.member_id or "", r.service_from, r.service_to,
                    r.check_number or "", r.arose_on)


def page_numbers(f: QueueFilters, page: int, pages: int) -> tuple[PageLink, ...]:
    """1, a window of PAGE_WINDOW either side of `page`, and `pages`, with a gap (0) where numbers are left out."""
    shown = sorted({1, pages, *range(max(1, page - PAGE_WINDOW), min(pages, page + PAGE_WINDOW) + 1)})
    out: list[PageLink] = []
    for n in shown:
        if out and n > out[-1].number + 1:
            out.append(PageLink(0, ""))
        out.append(PageLink(n, "?" + f.query(page=n), n == page))
    return tuple(out)


def _payer_menu(found: stored.QueuePage) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(((p, found.payer_names.get(p, p)) for p in found.payer_ids), key=lambda x: (x[1], x[0])))


def queue_page(engine: Engine, f: QueueFilters, chrome: Chrome) -> QueueContext:
    """UsageError for a filter that cannot be one (check_filters)."""
    check_filters(f)
    today = chrome.today
    with engine.connect() as conn:
        found = stored.queue_page(conn, _query(f, today))
    page, pages = found.page, found.pages
    links = tuple(SortLink(k, label, "?" + f.query(sort=k, desc=(f.sort == k and not f.desc), page=1),
                           ("desc" if f.desc else "asc") if f.sort == k else "") for k, label in COLUMNS)
    return QueueContext(
        chrome, f, tuple(_row(r, today) for r in found.items), found.total_count, found.total_amount,
        found.urgent_count, page, pages, "?" + f.query(page=page - 1) if page > 1 else "",
        "?" + f.query(page=page + 1) if page < pages else "", links, found.categories, _payer_menu(found), STATUSES,
        NEAR_DAYS, page_numbers(f, page, pages), "export.csv?" + f.query(page=1))


def queue_error_page(engine: Engine, f: QueueFilters, chrome: Chrome, error: str) -> QueueContext:
    """The queue with the filters as typed, no rows and why they were refused (shown inline, status 400)."""
    with engine.connect() as conn:
        categories, payer_ids, names = stored.queue_menus(conn)
    menu = stored.QueuePage((), 0, Decimal("0.00"), 0, 1, 1, categories, payer_ids, names)
    return QueueContext(chrome, f, (), 0, Decimal("0.00"), 0, 1, 1, "", "", (), categories, _payer_menu(menu),
                        STATUSES, NEAR_DAYS, (), "", error)


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: a leading =, +, - or @ in text (a name from an X12 file)
    would be read as a formula, so such text starts with an apostrophe; numbers and dates are as they are."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not isinstance(value, int) else text


def export_csv(engine: Engine, f: QueueFilters, today: date) -> bytes:
    """Every finding the filters select, in the page's order, as CSV for Excel (UTF-8 with a byte-order
    mark, CRLF); UsageError for a filter that cannot be one."""
    check_filters(f)
    with engine.connect() as conn:
        found = stored.queue_page(conn, _query(replace(f, page=1), today, page_size=0))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for r in (_row(i, today) for i in found.items):
        writer.writerow([_cell(v) for v in (
            r.id, r.category, r.claim_id, r.payer_id, r.payer_name, r.patient, r.member_id, r.service_from,
            r.service_to, r.check_number, r.amount, r.refund_to, r.status, r.arose_on, r.identified_on, r.age_days,
            r.deadline, r.days_left)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
