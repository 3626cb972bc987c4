"""Human decisions on a finding: approve, dismiss, mark refunded, offset, notes, and the
investigation that suspends a Medicare refund deadline (42 CFR 401.305(b)(2); rules/deadlines.py).

Owns applying a decision: writing the status change and its audit event in one transaction. Which
decision may start from which status is the lifecycle's one transition table (rules/lifecycle.py),
the same table detect's moves go through; no engine move leaves a decided status, so a decision
recorded here stands across re-runs. A finding that is no refund (the registry's `refund` False:
an unmatched payment, an unbalanced remittance) can only be dismissed: there is nothing to approve,
pay back or offset until the money is matched to a claim. Knows nothing of click or HTTP.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy.engine import Engine

from edi_engine.errors import UsageError
from edi_engine.outputs.audit import record
from edi_engine.rules import categories, resolve_as_of
from edi_engine.rules.deadlines import clock_for
from edi_engine.rules.lifecycle import DECISION_NAMES, ON_BOOKS, REFUND_DECISIONS, Decision, next_status, sources
from edi_engine.rules.pack import load_pack
from edi_engine.store import findings as stored

__all__ = ["DECISION_NAMES", "add_note", "decide", "end_investigation", "start_investigation"]


def decide(engine: Engine, finding_id: int, action: str, *, by: str, note: str = "") -> None:
    """Apply decision `action` to a finding and record who, when and why, atomically.
    The audit event is named for the status the decision leads to (approved, dismissed, ...)."""
    if action not in DECISION_NAMES:
        raise UsageError(f"unknown action {action!r}; use one of {', '.join(DECISION_NAMES)}")
    if not by or not by.strip():
        raise UsageError("a decision needs who made it (--by NAME)")
    decision = Decision(action)
    starts = sources(decision)
    with engine.begin() as conn:
        row = stored.finding_by_id(conn, finding_id)
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
        event = target.value
        # Guarded on the status read: a concurrent decision makes this update match nothing.
        if not stored.set_status_if(conn, finding_id, row.status, target):
            raise UsageError(f"finding {finding_id} changed while deciding; look again and retry")
        record(conn, event, finding_id=finding_id, actor=by, note=note,
               details={"from": row.status, "to": target, "amount": f"{row.amount:.2f}",
                        "category": row.category, "refund_to": row.refund_to})


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
