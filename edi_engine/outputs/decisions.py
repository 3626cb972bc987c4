"""Human decisions on a finding: approve, dismiss, mark refunded, offset, and notes.

Owns the allowed transitions (a table, as h11 keeps its state machine) and writing the status
change and its audit event in one transaction. The status column belongs to the rules layer's
`finding` table; detect never overwrites a decision (rules/run.py DECISIONS), so a decision
recorded here stands across re-runs. Knows nothing of click or HTTP.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from edi_engine.errors import UsageError
from edi_engine.outputs.audit import record
from edi_engine.store import findings as stored

__all__ = ["ACTIONS", "TRANSITIONS", "add_note", "decide"]

# action -> (statuses it may start from, status it leads to, audit event)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "approve": (frozenset({"open"}), "approved", "approved"),
    "dismiss": (frozenset({"open", "approved"}), "dismissed", "dismissed"),
    "mark-refunded": (frozenset({"approved"}), "refunded", "refunded"),
    "offset": (frozenset({"approved"}), "offset", "offset"),
}
ACTIONS = tuple(TRANSITIONS)


def decide(engine: Engine, finding_id: int, action: str, *, by: str, note: str = "") -> None:
    """Apply `action` to a finding and record who, when and why, atomically."""
    if action not in TRANSITIONS:
        raise UsageError(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
    if not by or not by.strip():
        raise UsageError("a decision needs who made it (--by NAME)")
    sources, target, event = TRANSITIONS[action]
    with engine.begin() as conn:
        row = stored.finding_by_id(conn, finding_id)
        if row is None:
            raise UsageError(f"no finding {finding_id}")
        if row.status not in sources:
            raise UsageError(f"finding {finding_id} is {row.status}; {action} needs it "
                             f"{' or '.join(sorted(sources))}")
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
