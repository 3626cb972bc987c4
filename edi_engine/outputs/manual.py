"""Manual matching (issue 13 item 2): a payment that matched no claim (an `unmatched_payment` finding)
matched by a person to a claim, or to a line of it, with a note, and undone the same way.

Owns deciding a manual match: which 835 payment the finding is (its evidence's CLP or SVC), what is
refused (a finding that is no unmatched payment, a payment detect matched already or one matched by
hand already, a claim not stored, a line not on the claim, a claim of another payer or member id
without `override`), and writing the match with its audit event (`payment_matched`,
`payment_unmatched`) in one transaction. The ledger reads the matches in force (store/read.py) and
matches those payments as said (method `manual`), so the next detect resolves the unmatched payment
and the claim's own categories (a duplicate, an overpayment) speak; an undone match is read no more,
and the next detect reopens the finding. Also the claims a poster may pick from, ranked. Errors name
claim numbers, payer ids and segment positions, never a patient's name or member id.
Knows nothing of click or HTTP.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection, Engine

from edi_engine.errors import UsageError
from edi_engine.outputs.audit import record
from edi_engine.rules.unmatched_payment import CATEGORY as UNMATCHED
from edi_engine.store import findings as stored
from edi_engine.store import manual as manual_store
from edi_engine.store.account import ClaimRow, claims_of
from edi_engine.store.manual import ClaimCandidate, ManualMatchRow, PaymentSubject
from edi_engine.store.payers import alias_map

__all__ = ["CandidateClaim", "ManualMatchRow", "MatchDone", "manual_matches", "match_candidates", "match_payment",
           "unmatch_payment"]

_NOTE_MAX = 2000


@dataclass(frozen=True, slots=True)
class MatchDone:
    """What a manual match recorded: one row per payment of the finding (two identical unmatched
    payments share a finding)."""

    finding_id: int
    claim: str  # CLM01
    line: int | None  # LX01
    match_ids: tuple[int, ...]
    amount: Decimal


def _required(by: str, note: str, what: str) -> tuple[str, str]:
    if not by or not by.strip():
        raise UsageError(f"{what} needs who makes it (--by NAME)")
    if not note or not note.strip():
        raise UsageError(f"{what} needs a note saying why (--note TEXT): the audit trail keeps it")
    return by.strip(), note.strip()[:_NOTE_MAX]


def _finding(conn: Connection, finding_id: int) -> stored.StoredFinding:
    row = stored.finding_by_id(conn, finding_id)
    if row is None:
        raise UsageError(f"no finding {finding_id}")
    if row.category != UNMATCHED:
        raise UsageError(f"finding {finding_id} is a {row.category}, not an unmatched payment: only a payment that "
                         "matched no claim is matched by hand")
    return row


def _subjects(conn: Connection, row: stored.StoredFinding) -> list[PaymentSubject]:
    """The CLPs (or SVCs) of an unmatched_payment finding, from its evidence's first records."""
    records = json.loads(row.evidence).get("records", [])
    wanted = [r for r in records if r.get("record") == "SVC"] or [r for r in records if r.get("record") == "CLP"]
    if not wanted:
        raise UsageError(f"finding {row.id} is a provider-level adjustment (PLB), matched by its reference, not by "
                         "hand: only claim and service payments are matched to a claim")
    out: list[PaymentSubject] = []
    for rec in wanted:
        found = manual_store.subject_at(conn, str(rec["record"]), int(rec["file_id"]), int(rec["segment"])) \
            if rec.get("file_id") is not None else None
        if found is None:
            raise UsageError(f"finding {row.id}: the {rec.get('record')} at {rec.get('file')} segment "
                             f"{rec.get('segment')} is no longer stored")
        if found.id not in {s.id for s in out}:
            out.append(found)
    return out


def _claim_row(conn: Connection, clm01: str, subject: PaymentSubject, override: bool) -> ClaimRow:
    rows = [r for r in claims_of(conn, clm01) if r.frequency_code != "8"]
    if not rows:
        raise UsageError(f"no stored claim {clm01!r}: give the patient control number (CLM01) of a claim "
                         "this provider billed")
    aliases = alias_map(conn)

    def canonical(payer: str | None) -> str:
        payer = (payer or "").strip()
        return aliases.get(payer, payer)

    sender = canonical(subject.payer_id)
    same_payer = [r for r in rows if canonical(r.payer_id) == sender]
    if not same_payer and not override:
        billed = ", ".join(sorted({canonical(r.payer_id) or "?" for r in rows}))
        raise UsageError(f"claim {clm01} was billed to {billed}, not to {sender or 'the payer'} who sent this "
                         "payment; give --override to match it anyway (a crossover, a payer that changed its id)")
    chosen = max(same_payer or rows, key=lambda r: r.id)  # the latest submission to that payer
    member = (chosen.subscriber_member_id or "").strip()
    if subject.member_id and member and subject.member_id != member and not override:
        raise UsageError(f"the payment names another member id (NM1 NM109) than claim {clm01} was billed under: "
                         "it may be another patient's; give --override to match it anyway")
    return chosen


def _refuse_matched(conn: Connection, subject: PaymentSubject, finding_id: int) -> None:
    what = "claim payment" if subject.subject == "claim_payment" else "service payment"
    by_hand = manual_store.in_force_for(conn, subject.subject, subject.id)
    if by_hand is not None:
        raise UsageError(f"finding {finding_id}: the {what} is already matched by hand to claim {by_hand.clm01} "
                         f"(manual match #{by_hand.id} by {by_hand.matched_by} on "
                         f"{by_hand.matched_at.date().isoformat()}); unmatch it first")
    auto = manual_store.automatic_match(conn, subject.subject, subject.id)
    if auto is not None:
        raise UsageError(f"finding {finding_id}: the {what} is already matched automatically (method {auto[1]}); "
                         "run detect to bring the finding up to date: there is nothing to match by hand")


def match_payment(engine: Engine, finding_id: int, *, claim: str, line: int | None = None, by: str, note: str,
                  override: bool = False, at: datetime | None = None) -> MatchDone:
    """Match the payment of unmatched_payment finding `finding_id` to claim CLM01 `claim` (or its line
    LX01 `line`). The next detect posts it to that claim's ledger."""
    by, note = _required(by, note, "a manual match")
    clm01 = (claim or "").strip()
    if not clm01:
        raise UsageError("a manual match needs the claim (--claim CLM01)")
    with engine.begin() as conn:
        row = _finding(conn, finding_id)
        subjects = _subjects(conn, row)
        for subject in subjects:
            _refuse_matched(conn, subject, finding_id)
        if row.status != "open":
            raise UsageError(f"finding {finding_id} is {row.status}: only an open unmatched payment is matched by "
                             "hand")
        first = subjects[0]
        claim_row = _claim_row(conn, clm01, first, override)
        line_id = _line(claim_row, first, line, subjects)
        if first.subject == "service_payment":
            auto = manual_store.automatic_match(conn, "claim_payment", first.claim_payment_id)
            by_hand = manual_store.in_force_for(conn, "claim_payment", first.claim_payment_id)
            matched_to = by_hand.claim_id if by_hand else auto[0] if auto else None
            same = {r.id for r in claims_of(conn, claim_row.patient_control_number)}
            if matched_to is None or matched_to not in same:
                raise UsageError(f"finding {finding_id} is a service line of a claim payment matched to another "
                                 f"claim than {clm01}: match the line on the claim its payment is matched to")
        now = at or datetime.now(UTC)
        ids = tuple(manual_store.insert_manual_match(
            conn, subject=s.subject, subject_id=s.id, claim_id=claim_row.id, claim_line_id=line_id,
            finding_id=finding_id, note=note, by=by, at=now) for s in subjects)
        amount = sum((s.paid for s in subjects), Decimal("0.00"))
        record(conn, "payment_matched", finding_id=finding_id, actor=by, note=note, at=now, details={
            "manual_match": list(ids), "claim_id": clm01, "claim_row": claim_row.id, "line": line,
            "subject": first.subject, "subject_ids": [s.id for s in subjects], "payer_id": row.payer_id,
            "amount": f"{amount:.2f}", "override": override})
    return MatchDone(finding_id, clm01, line, ids, amount)


def _line(claim_row: ClaimRow, first: PaymentSubject, line: int | None, subjects: list[PaymentSubject]) -> int | None:
    clm01 = claim_row.patient_control_number
    if line is None:
        if first.subject == "service_payment":
            raise UsageError(f"a service payment (SVC) is matched to a line: give --line N, one of claim {clm01}'s "
                             f"lines {_numbers(claim_row)}")
        return None
    if first.subject == "claim_payment":
        if first.services == 0:
            raise UsageError("this claim payment has no service lines (SVC): it is matched to the claim as a "
                             "whole; leave out --line")
        if first.services > 1 or len(subjects) > 1:
            raise UsageError(f"this claim payment has {first.services} service lines (SVC): each is matched to its "
                             f"line of claim {clm01} by the usual rules once the payment is matched to the claim; "
                             "leave out --line (a line left unmatched is its own finding, matched by line)")
    found = next((ln for ln in claim_row.lines if ln.line_number == line), None)
    if found is None:
        raise UsageError(f"claim {clm01} has no line {line}: its lines are {_numbers(claim_row)}")
    return found.id


def _numbers(claim_row: ClaimRow) -> str:
    numbers = [ln.line_number for ln in claim_row.lines]
    if not numbers:
        return "none"
    return f"{min(numbers)} to {max(numbers)}" if numbers == list(range(min(numbers), max(numbers) + 1)) \
        else ", ".join(str(n) for n in numbers)


def unmatch_payment(engine: Engine, finding_id: int, *, by: str, note: str,
                    at: datetime | None = None) -> list[ManualMatchRow]:
    """Undo the manual matches in force made from finding `finding_id`; the next detect reads the payment
    as unmatched again (and reopens the finding). Returns the matches undone."""
    by, note = _required(by, note, "undoing a manual match")
    with engine.begin() as conn:
        _finding(conn, finding_id)
        live = [m for m in manual_store.matches_for_finding(conn, finding_id) if m.in_force]
        if not live:
            raise UsageError(f"finding {finding_id} has no manual match in force: nothing to undo")
        now = at or datetime.now(UTC)
        for m in live:
            if not manual_store.undo_manual_match(conn, m.id, by=by, note=note, at=now):
                raise UsageError(f"manual match #{m.id} changed while undoing; look again and retry")
        record(conn, "payment_unmatched", finding_id=finding_id, actor=by, note=note, at=now, details={
            "manual_match": [m.id for m in live], "claim_id": live[0].clm01, "line": live[0].line_number,
            "matched_by": live[0].matched_by, "matched_at": live[0].matched_at.isoformat(timespec="seconds")})
    return live


def manual_matches(engine: Engine, finding_id: int) -> list[ManualMatchRow]:
    """The manual matches made from a finding, undone ones included, oldest first."""
    with engine.connect() as conn:
        return manual_store.matches_for_finding(conn, finding_id)


@dataclass(frozen=True, slots=True)
class CandidateClaim:
    """A claim a poster might match the payment to, with why it is offered."""

    clm01: str
    payer: str
    patient: str
    charge: Decimal
    service_from: date | None
    service_to: date | None
    lines: int
    reasons: tuple[str, ...]  # same payer, same charge, dates of service meet, claim number alike


def match_candidates(engine: Engine, finding_id: int, search: str = "", limit: int = 10) -> list[CandidateClaim]:
    """The claims to offer for an unmatched payment: those found by claim number or patient last name
    (`search`), else the claims of its payer with its charge or dates of service; best first."""
    with engine.connect() as conn:
        row = _finding(conn, finding_id)
        subject = _subjects(conn, row)[0]
        aliases = alias_map(conn)
        sender = aliases.get(subject.payer_id, subject.payer_id)
        payer_ids = {sender, subject.payer_id} | {a for a, p in aliases.items() if p == sender}
        found = manual_store.claim_candidates(
            conn, search=search[:64], payer_ids=payer_ids,
            charge=subject.charge if subject.subject == "claim_payment" else None,
            dates=(subject.statement_from, subject.statement_to))
    ranked = sorted(found, key=lambda c: _score(c, subject, sender, aliases), reverse=True)
    out: list[CandidateClaim] = []
    seen: set[str] = set()
    for c in ranked:
        if c.clm01 in seen:
            continue  # one row per claim number (its latest submission)
        seen.add(c.clm01)
        out.append(CandidateClaim(c.clm01, " ".join(p for p in (
            c.payer_id or "", f"({c.payer_name})" if c.payer_name else "") if p),
            ", ".join(p for p in (c.patient_last_name, c.patient_first_name) if p), c.charge, c.service_from,
            c.service_to, c.lines, _reasons(c, subject, sender, aliases)))
        if len(out) >= limit:
            break
    return out


def _meets(c: ClaimCandidate, subject: PaymentSubject) -> bool:
    start, end = subject.statement_from, subject.statement_to or subject.statement_from
    return bool(start and end and c.service_from and (c.service_to or c.service_from)
                and c.service_from <= end and (c.service_to or c.service_from) >= start)


def _reasons(c: ClaimCandidate, subject: PaymentSubject, sender: str, aliases: dict[str, str]) -> tuple[str, ...]:
    out = []
    if aliases.get(c.payer_id or "", c.payer_id or "") == sender:
        out.append(f"billed to {sender}")
    if subject.subject == "claim_payment" and c.charge == subject.charge:
        out.append("same charge")
    if _meets(c, subject):
        out.append("dates of service meet")
    if difflib.SequenceMatcher(None, c.clm01, subject.clp01).ratio() >= 0.8:
        out.append("claim number alike")
    return tuple(out)


def _score(c: ClaimCandidate, subject: PaymentSubject, sender: str, aliases: dict[str, str]) -> tuple[Any, ...]:
    reasons = _reasons(c, subject, sender, aliases)
    return (len(reasons), difflib.SequenceMatcher(None, c.clm01, subject.clp01).ratio(), c.id)
