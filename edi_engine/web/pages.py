"""Contexts of the pages other than the queue: finding detail, dashboard, ingest status, users,
sign-in and errors. Each page renders one frozen dataclass built here by a function a test can
call with an engine; routes only call these. Ledger lines and X12 segments come from
edi_engine.rules.explain (the same reading `edi-engine explain` prints), the history from the
outputs layer's audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from edi_engine.errors import UsageError
from edi_engine.outputs.letters import NO_LETTER_STATUSES
from edi_engine.outputs.manual import CandidateClaim, ManualMatchRow, manual_matches, match_candidates
from edi_engine.rules import aging, categories, explain
from edi_engine.rules.approvals import Progress
from edi_engine.rules.categories import Owed
from edi_engine.rules.lifecycle import ON_BOOKS, REFUND_DECISIONS, Decision, Status, next_status
from edi_engine.rules.pack import RulePack, load_pack
from edi_engine.rules.report import Explanation
from edi_engine.store import queue as stored
from edi_engine.store.account import claims_of
from edi_engine.store.payers import payer_names
from edi_engine.store.refunds import StoredRefund, refunds_for
from edi_engine.web.auth import User, list_users
from edi_engine.web.context import Chrome, urgency

__all__ = [
    "AccountContext", "AgingBucket", "ClaimView", "DashboardContext", "DetailContext", "ErrorContext", "FileRow",
    "GroupTotal", "HistoryItem", "IngestContext", "LineView", "LoginContext", "StepView", "UsersContext",
    "dashboard_page",
    "detail_page", "history_for", "ingest_page", "users_page",
]

OPEN_STATUSES = ON_BOOKS  # credit still on the books: found, or approved but not yet paid back


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
class StepView:
    """One step of the finding's approval chain as the page shows it: taken (by whom, when) or waiting."""

    number: int
    name: str
    role: str
    actor: str = ""  # '' while waiting
    at: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class DetailContext:
    chrome: Chrome
    explanation: Explanation
    urgency: str
    claims: tuple[ClaimView, ...]
    history: tuple[HistoryItem, ...]
    letter_to: str  # payer or patient
    history_note: str  # why the history may be empty
    # Manual matching of an unmatched payment (outputs/manual.py): the claims offered, the search that
    # found them, and the matches made from this finding (undone ones included).
    candidates: tuple[CandidateClaim, ...] = ()
    match_search: str = ""
    manual: tuple[ManualMatchRow, ...] = ()
    payment_found: bool = False  # the finding is a claim or service payment still stored (not a PLB)
    approval: Progress | None = None  # a refund's chain (rules/approvals.py); None: no refund
    steps: tuple[StepView, ...] = ()  # the chain's steps, taken or waiting, while the finding is open
    released: bool = True  # its letter and corrected claim may be written (outputs/approvals.release_refusal)
    viewers: tuple[str, ...] = ()  # who opened the page, and when last ("abe 2025-08-05")
    payer_names: dict[str, str] = field(default_factory=dict)  # the ledger's parties, by payer id
    refunds: tuple[StoredRefund, ...] = ()  # the checks and EFTs recorded against it, returned ones too

    # What the template may offer is read from the lifecycle, the chain and the registry, never named in Jinja.
    def may(self, decision: str) -> bool:
        """The signed-in user may take this decision, the lifecycle allows it from the finding's status,
        and a decision that pays a credit back is on a category that is a refund. An approval is the
        chain's next step: the user's role reaches it, and (four eyes) they took no other step."""
        if decision in REFUND_DECISIONS and not self.refund:
            return False
        if next_status(self.explanation.finding.status, Decision(decision)) is None:
            return False
        if decision == Decision.APPROVE:
            return self.approval is not None and self.approval.refusal(self.chrome.username, self.chrome.role) is None
        return self.chrome.can(decision)

    @property
    def approve_blocked(self) -> str:
        """Why this user is offered no approval of an open refund ('' when they are, or it is not open)."""
        f = self.explanation.finding
        if self.approval is None or f.status != Status.OPEN or not self.refund:
            return ""
        return self.approval.refusal(self.chrome.username, self.chrome.role) or ""

    @property
    def refund(self) -> bool:
        """The category is a refund (letter, approve, mark refunded); else unapplied or data quality."""
        return categories.get(self.explanation.finding.category).refund

    @property
    def letter(self) -> bool:
        """A letter is offered where one may be written: a refund past its last approval step (or a double
        recovery's request to return it) not resolved or dismissed (letters.py, outputs/approvals.py)."""
        category = categories.get(self.explanation.finding.category)
        return (category.refund or category.owed is Owed.PROVIDER) and self.released and \
            self.explanation.finding.status not in NO_LETTER_STATUSES

    @property
    def manual_in_force(self) -> ManualMatchRow | None:
        return next((m for m in self.manual if m.in_force), None)

    @property
    def matchable(self) -> bool:
        """An open unmatched payment not matched by hand yet, and a user who may match it."""
        f = self.explanation.finding
        return f.category == "unmatched_payment" and f.status == "open" and self.manual_in_force is None \
            and self.chrome.can("match") and self.payment_found

    @property
    def on_books(self) -> bool:
        return self.explanation.finding.status in ON_BOOKS

    @property
    def correction(self) -> str:
        """The corrected 837 the finding's category proposes: replace, void or none."""
        return categories.get(self.explanation.finding.category).correction.value


@dataclass(frozen=True, slots=True)
class GroupTotal:
    key: str
    count: int
    amount: Decimal
    label: str = ""  # a payer's name, when imported (store/payers.py)


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
    notes: tuple[str, ...] = ()  # what ingest noted: re-delivered or held remittances, resubmitted claims, ISA13 reuse
    content_hash: str = ""  # SHA-256 of the bytes: links a queued upload (API) to its result


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
    min_length: int = 12  # of a new password


@dataclass(frozen=True, slots=True)
class AccountContext:
    chrome: Chrome
    min_length: int
    error: str = ""


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
        claims = claims_of(conn, clm01)
    out = []
    for c in claims:
        views = tuple(LineView(ln.line_number, ":".join(p for p in (ln.procedure_code, ln.modifiers) if p),
                               ln.revenue_code or "", ln.charge, "" if ln.units is None else f"{ln.units}",
                               ln.service_date_from, ln.line_control_number or "")
                      for ln in c.lines)
        out.append(ClaimView(c.variant, c.patient_control_number, c.frequency_code or "",
                             " ".join(p for p in (c.payer_id, f"({c.payer_name})" if c.payer_name else "") if p),
                             _name(c.patient_last_name, c.patient_first_name), c.subscriber_member_id or "",
                             c.charge, Path(c.file_name).name, c.segment, views))
    return tuple(out)


def history_for(engine: Engine, finding_id: int) -> tuple[tuple[HistoryItem, ...], str]:
    """The finding's audit events, oldest first, but its views (detail_page lists who viewed apart);
    ('', note) while the outputs layer has no audit trail."""
    items, note, _ = _history(engine, finding_id)
    return items, note


def _history(engine: Engine, finding_id: int) -> tuple[tuple[HistoryItem, ...], str, tuple[str, ...]]:
    from edi_engine import outputs
    if not hasattr(outputs, "audit_events"):
        return (), "The audit trail is not available in this installation.", ()
    events = outputs.audit_events(engine, finding_id=finding_id)
    items = tuple(HistoryItem(_when(e.at), _event(e), str(e.actor or ""), str(e.note or ""))
                  for e in events if e.event != "viewed")
    last: dict[str, str] = {}
    for e in events:
        if e.event == "viewed":
            last.pop(e.actor, None)  # latest last
            last[e.actor] = e.at.strftime("%Y-%m-%d")
    return items, "" if items else "No decisions or notes yet.", tuple(f"{who} {day}" for who, day in last.items())


def _event(e: Any) -> str:
    """An event as the history shows it: an approval step with its place in the chain."""
    d = e.details
    if e.event in ("step_approved", "approved") and int(d.get("of") or 1) > 1:
        return f"{e.event} (step {d.get('step')} of {d.get('of')}: {d.get('name')})"
    return str(e.event)


def _when(at: Any) -> str:
    if isinstance(at, datetime):
        return at.strftime("%Y-%m-%d %H:%M") + (" UTC" if at.tzinfo is None or at.utcoffset() == 0 else "")
    return str(at)


def _steps(approval: Any) -> tuple[StepView, ...]:
    taken = {s.step: s for s in approval.steps}
    return tuple(StepView(i, st.name, st.role, taken[i].actor, _when(taken[i].at), taken[i].note) if i in taken
                 else StepView(i, st.name, st.role) for i, st in enumerate(approval.progress.steps, 1))


def detail_page(engine: Engine, finding_id: int, chrome: Chrome, match_search: str = "",
                pack: RulePack | None = None) -> DetailContext:
    """UsageError (-> 404) for an unknown finding. For an unmatched payment, the claims it may be matched
    to (found by `match_search`, else the payer's claims of its charge or dates) when the user may match.
    `pack`: the rule pack whose [approvals] chain applies."""
    from edi_engine.outputs.approvals import approval_on, release_refusal
    from edi_engine.store.findings import finding_by_id
    with engine.connect() as conn:
        e = explain(conn, finding_id)
        row = finding_by_id(conn, finding_id)
        assert row is not None  # explain found it
        approval = approval_on(conn, row, (pack or load_pack()).approvals) if categories.get(row.category).refund \
            else None
        released = release_refusal(conn, row) is None
        names = payer_names(conn)
        refunds = tuple(refunds_for(conn, [finding_id]).get(finding_id, ()))
    f = e.finding
    history, note, viewers = _history(engine, finding_id)
    steps = _steps(approval) if approval is not None and f.status == Status.OPEN else ()
    manual: tuple[ManualMatchRow, ...] = ()
    candidates: tuple[CandidateClaim, ...] = ()
    found = False
    if f.category == "unmatched_payment":
        manual = tuple(manual_matches(engine, finding_id))
        if f.status == "open" and chrome.can("match") and not any(m.in_force for m in manual):
            try:
                candidates, found = tuple(match_candidates(engine, finding_id, match_search)), True
            except UsageError:  # a PLB, or a payment no longer stored: nothing to match by hand
                candidates = ()
    return DetailContext(chrome, e, urgency(f.deadline, chrome.today, f.status),
                         _claims(engine, f.claim_id) if f.claim_id else (), history,
                         categories.get(f.category).letter_to, note, candidates, match_search[:64], manual, found,
                         approval.progress if approval is not None else None, steps, released, viewers, names,
                         refunds)


def dashboard_page(engine: Engine, chrome: Chrome, pack: RulePack) -> DashboardContext:
    today = chrome.today
    with engine.connect() as conn:
        # Credit balances only: an unmatched payment is unapplied cash, not money owed back.
        sums = stored.dashboard_sums(conn, OPEN_STATUSES, categories.refund_names())
        names = payer_names(conn)
    by_payer = tuple(GroupTotal(str(g.key or "(none)"), g.count, g.amount, names.get(str(g.key or ""), ""))
                     for g in sums.by_payer)
    by_category = tuple(GroupTotal(str(g.key), g.count, g.amount) for g in sums.by_category)
    deadlines = sums.deadlines
    # The one aging (rules/aging.py): by the day each credit arose, in the rule pack's buckets.
    buckets = aging.aging(pack, ((g.arose_on, g.identified_on, g.amount) for g in sums.by_day), today)
    counts = [sum(g.count for g in sums.by_day
                  if aging.bucket_index(pack, aging.age_in_days(g.arose_on, g.identified_on, today)) == i)
              for i in range(len(buckets))]
    amounts = [b.amount for b in buckets]
    top = max(amounts) or Decimal(1)
    ages = tuple(AgingBucket(f"{b.label} days", counts[i], b.amount, int(b.amount * 100 / top))
                 for i, b in enumerate(buckets))
    past = sum(1 for d in deadlines if d < today)
    near = sum(1 for d in deadlines if urgency(d, today, "open") == "near")
    return DashboardContext(chrome, by_payer, by_category, ages, sum(counts), sum(amounts, Decimal("0.00")),
                            past, near)


def _file(r: stored.FileRow) -> FileRow:
    return FileRow(r.id, Path(r.name).name, r.kind, r.status, r.received_at, r.error or "", r.claims, r.payments,
                   tuple((r.warnings or "").splitlines()), r.content_hash)


def ingest_page(engine: Engine, chrome: Chrome, limit: int = 50) -> IngestContext:
    with engine.connect() as conn:
        files = stored.file_activity(conn, limit)
    recent = tuple(_file(r) for r in files.recent)
    failures = tuple(_file(r) for r in files.failures)
    counts = files.counts
    return IngestContext(chrome, recent, failures, counts.get("ingested", 0), counts.get("failed", 0))


def users_page(engine: Engine, chrome: Chrome, min_length: int = 12) -> UsersContext:
    from edi_engine.web.auth import ROLES
    return UsersContext(chrome, tuple(list_users(engine)), ROLES, min_length)
