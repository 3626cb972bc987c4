"""Human decisions on a finding: approve, dismiss, mark refunded, offset, and notes.

Owns applying a decision: writing the status change and its audit event in one transaction. Which
decision may start from which status is the lifecycle's one transition table (rules/lifecycle.py),
the same table detect's moves go through; no engine move leaves a decided status, so a decision
recorded here stands across re-runs. A finding that is no refund (the registry's `refund` False:
an unmatched payment, an unbalanced remittance) can only be dismissed: there is nothing to approve,
pay back or offset until the money is matched to a claim. Knows nothing of click or HTTP.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from edi_engine.errors import UsageError
from edi_engine.outputs.audit import record
from edi_engine.rules import categories
from edi_engine.rules.lifecycle import DECISION_NAMES, REFUND_DECISIONS, Decision, next_status, sources
from edi_engine.store import findings as stored

__all__ = ["DECISION_NAMES", "add_note", "decide"]


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
