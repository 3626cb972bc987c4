"""Human decisions on a finding: approve (step by step: outputs/approvals.py), dismiss, mark
refunded, offset, notes, and the investigation that suspends a Medicare refund deadline (42 CFR
401.305(b)(2); rules/deadlines.py).

Owns applying a decision: writing the status change and its audit event in one transaction. Which
decision may start from which status is the lifecycle's one transition table (rules/lifecycle.py),
the same table detect's moves go through; no engine move leaves a decided status, so a decision
recorded here stands across re-runs. A finding that is no refund (the registry's `refund` False:
an unmatched payment, an unbalanced remittance) can only be dismissed: there is nothing to approve,
pay back or offset until the money is matched to a claim. Knows nothing of click or HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.engine import Connection, Engine

from edi_engine.errors import UsageError
from edi_engine.money import from_cents, to_cents
from edi_engine.outputs.approvals import StepTaken, take_step
from edi_engine.outputs.audit import record
from edi_engine.rules import categories, resolve_as_of
from edi_engine.rules.deadlines import clock_for
from edi_engine.rules.lifecycle import (
    DECISION_NAMES,
    ON_BOOKS,
    REFUND_DECISIONS,
    CashMove,
    Decision,
    Status,
    next_status,
    sources,
)
from edi_engine.rules.pack import RulePack, load_pack
from edi_engine.store import findings as stored
from edi_engine.store import refunds as refund_store

__all__ = ["DECISION_NAMES", "RETURN_REASONS", "Decided", "RefundRecorded", "add_note", "decide", "end_investigation",
           "record_refund", "record_refund_on", "return_refund", "start_investigation"]


@dataclass(frozen=True, slots=True)
class Decided:
    """What a decision did: the finding's status now, and for an approval the step it took."""

    finding_id: int
    status: str
    step: StepTaken | None = None


def decide(engine: Engine, finding_id: int, action: str, *, by: str, note: str = "", role: str | None = None,
           rules_path: str | None = None, pack: RulePack | None = None) -> Decided:
    """Apply decision `action` to a finding and record who, when and why, atomically.
    The audit event is named for the status the decision leads to (approved, dismissed, ...).

    An approval takes the next step of the rule pack's chain ([approvals]): NotPermitted when `role`
    (the web user's; None for the CLI's operator) does not reach it or `by` took another step of the
    finding (four eyes). Every step but the last records `step_approved` and leaves the finding open."""
    if action not in DECISION_NAMES:
        raise UsageError(f"unknown action {action!r}; use one of {', '.join(DECISION_NAMES)}")
    if not by or not by.strip():
        raise UsageError("a decision needs who made it (--by NAME)")
    decision = Decision(action)
    starts = sources(decision)
    chain = (pack or load_pack(rules_path)).approvals if decision is Decision.APPROVE else None
    with engine.begin() as conn:
        row = stored.finding_by_id(conn, finding_id, for_update=True)
        if row is None:
            raise UsageError(f"no finding {finding_id}")
        if decision in REFUND_DECISIONS and not categories.get(row.category).refund:
            raise UsageError(f"finding {finding_id} is a {row.category}, not a refund: it cannot be "
                             f"{'approved' if decision is Decision.APPROVE else action} until the payment is "
                             "matched to a claim; dismiss it or match it")
        target = next_status(row.status, decision)
        if target is None:
            raise UsageError(f"finding {finding_id} is {row.status}; {action} needs it "
                             f"{' or '.join(sorted(starts))}")
        held = json.loads(row.evidence).get("held")
        if held and decision is Decision.APPROVE and not note.strip():
            # rules/run.hold_unbalanced: a refund out of a remittance that does not balance waits for a
            # person to check the EOB, and the note says what they checked (at every step).
            raise UsageError(f"finding {finding_id} is held for review: {held}")
        if decision is Decision.MARK_REFUNDED:
            # A refund is cash: which check or EFT repaid how much, and when (record_refund).
            raise UsageError(f"finding {finding_id}: a refund needs its check or EFT number and date "
                             "(findings mark-refunded ID --check NUMBER | --eft TRACE --date YYYY-MM-DD "
                             "[--amount N.NN])")
        step = None
        if chain is not None:
            step = take_step(conn, row, chain, by=by, role=role, note=note)
            if not step.last:
                return Decided(finding_id, row.status, step)
        event = target.value
        # Guarded on the status read: a concurrent decision makes this update match nothing.
        if not stored.set_status_if(conn, finding_id, row.status, target):
            raise UsageError(f"finding {finding_id} changed while deciding; look again and retry")
        steps = {"step": step.number, "of": step.of, "name": step.name} if step is not None else {}
        record(conn, event, finding_id=finding_id, actor=by, note=note,
               details={"from": row.status, "to": target, "amount": f"{row.amount:.2f}",
                        "category": row.category, "refund_to": row.refund_to, **steps,
                        **({"held_for_review": True} if held else {})})
    return Decided(finding_id, target.value, step)


def add_note(engine: Engine, finding_id: int, *, by: str, note: str) -> None:
    if not note.strip():
        raise UsageError("a note needs text (--note TEXT)")
    with engine.begin() as conn:
        if stored.finding_by_id(conn, finding_id) is None:
            raise UsageError(f"no finding {finding_id}")
        record(conn, "note", finding_id=finding_id, actor=by, note=note)


def start_investigation(engine: Engine, finding_id: int, *, by: str, note: str, on: date | str | None = None,
                        rules_path: str | None = None) -> date:
    """Record a timely, good-faith investigation of related overpayments: the Medicare deadline is
    suspended until it ends or the rule pack's 180 days pass (42 CFR 401.305(b)(2)). Returns the
    new latest deadline. The note says what is being looked into; the audit trail keeps it."""
    return _investigation(engine, finding_id, by=by, note=note, on=on, rules_path=rules_path, start=True)


def end_investigation(engine: Engine, finding_id: int, *, by: str, note: str = "", on: date | str | None = None,
                      rules_path: str | None = None) -> date:
    """The investigation is over: the 60 days run from `on` (or from its 180-day limit, if earlier)."""
    return _investigation(engine, finding_id, by=by, note=note, on=on, rules_path=rules_path, start=False)


def _investigation(engine: Engine, finding_id: int, *, by: str, note: str, on: date | str | None,
                   rules_path: str | None, start: bool) -> date:
    if not by or not by.strip():
        raise UsageError("an investigation needs who records it (--by NAME)")
    if start and not note.strip():
        raise UsageError("say what the investigation looks into (--note TEXT): the audit trail keeps it")
    day = resolve_as_of(on)
    if day > datetime.now(UTC).date():
        raise UsageError(f"--on {day.isoformat()} is in the future: record an investigation when it begins or ends")
    pack = load_pack(rules_path)
    with engine.begin() as conn:
        row = stored.finding_by_id(conn, finding_id)
        if row is None:
            raise UsageError(f"no finding {finding_id}")
        if row.status not in ON_BOOKS or row.refund_to is None or row.deadline is None:
            raise UsageError(f"finding {finding_id} is {row.status} with no refund deadline running: "
                             "there is no clock to suspend")
        if row.refund_to != "payer" or row.payer_type not in pack.investigation_payer_types:
            owed = "a patient" if row.refund_to != "payer" else f"a {row.payer_type or 'commercial'} payer"
            raise UsageError(f"finding {finding_id} is owed to {owed}: an investigation suspends only the "
                             + ", ".join(sorted(pack.investigation_payer_types))
                             + " overpayment deadline (42 CFR 401.305(b)(2); rule pack "
                             "deadlines.investigation_payer_types)")
        started, ended = row.investigation_started_on, row.investigation_ended_on
        if start:
            if started is not None and ended is not None:
                raise UsageError(f"finding {finding_id} was investigated from {started.isoformat()} to "
                                 f"{ended.isoformat()}: 401.305(b)(2) suspends a deadline once")
            if started is not None:
                raise UsageError(f"finding {finding_id} has been under investigation since {started.isoformat()}")
            if day > row.deadline:
                raise UsageError(f"finding {finding_id} was due {row.deadline.isoformat()}: an investigation begun "
                                 f"{day.isoformat()} is not timely and suspends nothing")
            if day < row.identified_on:
                raise UsageError(f"an investigation cannot begin before the finding was identified "
                                 f"({row.identified_on.isoformat()})")
            started = day
        else:
            if started is None or ended is not None:
                raise UsageError(f"finding {finding_id} is not under investigation")
            if day < started:
                raise UsageError(f"the investigation began {started.isoformat()}; it cannot end {day.isoformat()}")
            ended = day
        evidence = json.loads(row.evidence)
        from_day = evidence.get("deadline_from")
        clock = clock_for(pack, row.refund_to, row.payer_type, row.payer_id, identified_on=row.identified_on,
                          arose=row.arose_on, deadline_from=date.fromisoformat(from_day) if from_day else None,
                          investigation_started_on=started, investigation_ended_on=ended)
        assert clock.due is not None  # a refund with a deadline, checked above
        evidence["clock"] = clock.as_evidence()
        stored.update_finding(conn, finding_id, {
            "investigation_started_on": started, "investigation_ended_on": ended, "deadline": clock.due,
            "evidence": json.dumps(evidence, sort_keys=True, default=str)})
        record(conn, "investigation_started" if start else "investigation_ended", finding_id=finding_id, actor=by,
               note=note, details={"on": day.isoformat(), "deadline_before": row.deadline.isoformat(),
                                   "deadline": clock.due.isoformat(), "rule": clock.rule})
    return clock.due


@dataclass(frozen=True, slots=True)
class RefundRecorded:
    """What recording a refund did: `new` False when the same check or EFT was already recorded for the
    finding (nothing written); `outstanding` what is still owed after it; `status` the finding's now."""

    finding_id: int
    new: bool
    amount: Decimal
    outstanding: Decimal
    status: str


_NUMBER_MAX = 50  # TRN02 (Check or EFT Trace Number) is AN 1-50 (PYXDE 127): the longest reference we hold


def parse_amount(value: str | Decimal | None, what: str = "--amount") -> Decimal | None:
    """A refund amount as people type it ("12.34"): positive, to the cent; None when not given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value.strip().replace(",", ""))
    except InvalidOperation:
        raise UsageError(f"{what} must be an amount such as 12.34, got {value!r}") from None
    if not amount.is_finite() or amount <= 0:
        raise UsageError(f"{what} must be more than 0, got {value}")
    if amount != amount.quantize(Decimal("0.01")):
        raise UsageError(f"{what} {value} has more than two decimal places; refunds are paid to the cent")
    return amount.quantize(Decimal("0.01"))


def parse_paid_on(value: date | str | None, what: str = "--date") -> date:
    if isinstance(value, date):
        return value
    if not value or not value.strip():
        raise UsageError(f"a refund needs the day the check was issued or the EFT paid ({what} YYYY-MM-DD)")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{what} must be a date YYYY-MM-DD, got {value!r}") from None


def record_refund(engine: Engine, finding_id: int, *, by: str, method: str, number: str,
                  paid_on: date | str | None, amount: str | Decimal | None = None, note: str = "",
                  source: str = "mark-refunded") -> RefundRecorded:
    """Record a check or EFT that repaid an approved finding, in one transaction with its audit event.

    `amount` defaults to what is still outstanding; less than that is a partial refund (the finding
    stays approved, the rest still on the books); the whole remainder moves it to refunded; more is
    refused. The same check or EFT recorded again for the finding with the same amount and date is
    no new refund (`new` False), so reading an issued-checks file twice records nothing twice."""
    with engine.begin() as conn:
        return record_refund_on(conn, finding_id, by=by, method=method, number=number, paid_on=paid_on,
                                amount=amount, note=note, source=source)


def record_refund_on(conn: Connection, finding_id: int, *, by: str, method: str, number: str,
                     paid_on: date | str | None, amount: str | Decimal | None = None, note: str = "",
                     source: str = "mark-refunded", today: date | None = None) -> RefundRecorded:
    """record_refund on the caller's transaction (`refunds post` records a whole file in one)."""
    if not by or not by.strip():
        raise UsageError("a refund needs who records it (--by NAME)")
    method = (method or "").strip().lower()
    if method not in refund_store.METHODS:
        raise UsageError(f"a refund is paid by check or eft, not {method!r} (--check NUMBER or --eft TRACE)")
    number = (number or "").strip()
    if not number or len(number) > _NUMBER_MAX or not number.isprintable():
        raise UsageError(f"a {'check' if method == 'check' else 'EFT trace'} number is 1 to {_NUMBER_MAX} "
                         f"printable characters, got {number!r}")
    day = parse_paid_on(paid_on)
    wanted = parse_amount(amount)
    row = stored.finding_by_id(conn, finding_id)
    if row is None:
        raise UsageError(f"no finding {finding_id}")
    if not categories.get(row.category).refund:
        raise UsageError(f"finding {finding_id} is a {row.category}, not a refund: nothing is paid back on it")
    if day > (today or date.today()):
        raise UsageError(f"finding {finding_id}: a refund dated {day.isoformat()} has not been paid yet; "
                         "record it when the check is issued")
    if row.arose_on is not None and day < row.arose_on:
        raise UsageError(f"finding {finding_id}: a refund dated {day.isoformat()} is before the credit arose "
                         f"({row.arose_on.isoformat()})")
    repaid = refund_store.refunded_totals(conn, [finding_id]).get(finding_id, Decimal("0.00"))
    outstanding = row.amount - repaid
    same = refund_store.refund_exists(conn, finding_id, method, number)
    if same is not None:
        if same.paid_on == day and (wanted is None or wanted == same.amount):
            return RefundRecorded(finding_id, False, same.amount, outstanding, row.status)
        raise UsageError(f"finding {finding_id}: {method} {number} is already recorded for {same.amount:.2f} on "
                         f"{same.paid_on.isoformat()}; a different amount or date under the same number is refused")
    target = next_status(row.status, Decision.MARK_REFUNDED)
    if target is None:
        starts = " or ".join(sorted(sources(Decision.MARK_REFUNDED)))
        raise UsageError(f"finding {finding_id} is {row.status}; a refund needs it {starts}"
                         + (" (nothing is outstanding)" if row.status == Status.REFUNDED else ""))
    paid = outstanding if wanted is None else wanted
    if paid > outstanding:
        raise UsageError(f"finding {finding_id}: {paid:.2f} is more than the {outstanding:.2f} outstanding "
                         f"(credit {row.amount:.2f}, repaid {repaid:.2f}); record only what repaid this finding")
    left = from_cents(to_cents(outstanding) - to_cents(paid))
    # The party the money went to: the payer, else the patient (an offset credit paid by check after all).
    payee = (row.payer_id or "payer") if row.refund_to == "payer" else "patient"
    refund_id = refund_store.insert_refund(conn, finding_id=finding_id, method=method, number=number, amount=paid,
                                           paid_on=day, payee=payee, recorded_by=by.strip(),
                                           recorded_at=datetime.now(UTC), source=source)
    details = {"refund_id": refund_id, "method": method, "number": number, "amount": f"{paid:.2f}",
               "paid_on": day.isoformat(), "payee": payee, "credit": f"{row.amount:.2f}",
               "repaid": f"{repaid + paid:.2f}", "outstanding": f"{left:.2f}", "category": row.category,
               "refund_to": row.refund_to, "source": source}
    record(conn, "refund_recorded", finding_id=finding_id, actor=by, note=note, details=details)
    status = row.status
    if left == 0:
        if not stored.set_status_if(conn, finding_id, row.status, target):
            raise UsageError(f"finding {finding_id} changed while recording the refund; look again and retry")
        record(conn, target.value, finding_id=finding_id, actor=by, note=note,
               details={"from": row.status, "to": target, "amount": f"{row.amount:.2f}", "category": row.category,
                        "refund_to": row.refund_to, "method": method, "number": number})
        status = target.value
    return RefundRecorded(finding_id, True, paid, left, status)


RETURN_REASONS = ("returned", "uncashed")


def return_refund(engine: Engine, finding_id: int, number: str, *, by: str, on: date | str | None,
                  reason: str, note: str = "") -> None:
    """Record that a refund check (or EFT) did not reach its payee: it came back undeliverable, or
    was never cashed and is void. It repaid nothing, so the credit is on the books again (a
    refunded finding goes back to approved); a patient's then ages toward unclaimed property
    (`report unclaimed`, the state's dormancy period in the rule pack's [states])."""
    if not by or not by.strip():
        raise UsageError("a returned refund needs who records it (--by NAME)")
    if reason not in RETURN_REASONS:
        raise UsageError(f"--reason must be one of {', '.join(RETURN_REASONS)}")
    day = resolve_as_of(on)
    with engine.begin() as conn:
        row = stored.finding_by_id(conn, finding_id)
        if row is None:
            raise UsageError(f"no finding {finding_id}")
        refund = next((r for r in refund_store.refunds_for(conn, [finding_id]).get(finding_id, [])
                       if r.number == number), None)
        if refund is None:
            raise UsageError(f"finding {finding_id} has no refund with check or EFT number {number!r}")
        if refund.returned_on is not None:
            raise UsageError(f"refund {number} of finding {finding_id} was already recorded {refund.returned_reason} "
                             f"on {refund.returned_on.isoformat()}")
        if day < refund.paid_on:
            raise UsageError(f"refund {number} was issued {refund.paid_on.isoformat()}; it cannot have come back "
                             f"{day.isoformat()}")
        target = next_status(row.status, CashMove.REFUND_RETURNED)
        if target is None:
            raise UsageError(f"finding {finding_id} is {row.status}; a returned refund needs it refunded or approved")
        if not refund_store.mark_returned(conn, refund.id, on=day, reason=reason):
            raise UsageError(f"refund {number} changed while recording; look again and retry")
        if target != row.status and not stored.set_status_if(conn, finding_id, row.status, target):
            raise UsageError(f"finding {finding_id} changed while recording; look again and retry")
        record(conn, "refund_returned", finding_id=finding_id, actor=by, note=note,
               details={"refund_id": refund.id, "number": number, "amount": f"{refund.amount:.2f}",
                        "paid_on": refund.paid_on.isoformat(), "on": day.isoformat(), "reason": reason,
                        "payee": refund.payee, "from": row.status, "to": target})
