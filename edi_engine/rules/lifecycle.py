"""The life of a finding: its statuses and the one transition table that moves it, for both the
engine's moves (a detect run finds a credit again, or sees it recovered), people's decisions
(approve, dismiss, mark refunded, offset; an approval may take several steps, rules/approvals.py)
and the bank's word on a refund (a check returned or never cashed puts the credit back on the books).

Owns which status may follow which. As h11 keeps its state machine as data, a move missing from
the table for a status is the answer "not allowed": detect never touches a decided finding
because no engine move leaves a decided status, and a person cannot approve a resolved one
because no decision leaves `resolved`. Knows nothing of the database, the ledger or HTTP.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DECIDED", "DECISION_NAMES", "CashMove", "Decision", "EngineMove", "Move", "ON_BOOKS", "REFUND_DECISIONS",
           "RELEASED", "REPAID", "Status", "TRANSITIONS", "next_status", "sources"]


class Status(StrEnum):
    """The `finding.status` column. Declared in the order the review queue offers them."""

    OPEN = "open"  # a credit detect found and no one has decided yet
    APPROVED = "approved"  # a person approved the refund; not yet paid back
    DISMISSED = "dismissed"  # a person decided it is not a credit (with a reason)
    REFUNDED = "refunded"  # paid back by check or recoupment
    OFFSET = "offset"  # applied against the same patient's other open balance
    RESOLVED = "resolved"  # detect saw it recovered (reversal, PLB recoupment) or gone


class EngineMove(StrEnum):
    """What one detect run says of a finding's natural key."""

    FOUND = "found"  # computed again as an open credit
    RECOVERED = "recovered"  # computed as already recovered, or not computed at all any more


class Decision(StrEnum):
    """What a person decides on a finding (`edi-engine findings approve ...`, the detail page)."""

    APPROVE = "approve"
    DISMISS = "dismiss"
    MARK_REFUNDED = "mark-refunded"
    OFFSET = "offset"


class CashMove(StrEnum):
    """What the bank says of a recorded refund (`refunds returned`)."""

    REFUND_RETURNED = "refund-returned"  # the check came back or was never cashed: the credit is on the books again


Move = EngineMove | Decision | CashMove

# status (None: not stored yet) -> move -> the status it leads to. The one table of the lifecycle.
TRANSITIONS: dict[Status | None, dict[Move, Status]] = {
    None: {EngineMove.FOUND: Status.OPEN, EngineMove.RECOVERED: Status.RESOLVED},
    Status.OPEN: {EngineMove.FOUND: Status.OPEN, EngineMove.RECOVERED: Status.RESOLVED,
                  Decision.APPROVE: Status.APPROVED, Decision.DISMISS: Status.DISMISSED},
    Status.RESOLVED: {EngineMove.FOUND: Status.OPEN, EngineMove.RECOVERED: Status.RESOLVED},  # FOUND reopens
    # Approved and not yet paid back: a payer that takes the money back itself first (a recoupment, a
    # reversal) resolves it, or the check would pay it twice; found again, the approval stands.
    Status.APPROVED: {EngineMove.RECOVERED: Status.RESOLVED,
                      Decision.DISMISS: Status.DISMISSED, Decision.MARK_REFUNDED: Status.REFUNDED,
                      Decision.OFFSET: Status.OFFSET, CashMove.REFUND_RETURNED: Status.APPROVED},
    Status.DISMISSED: {},
    Status.REFUNDED: {CashMove.REFUND_RETURNED: Status.APPROVED},
    Status.OFFSET: {},
}

# A person's decision stands across re-runs: no engine move leaves these (an approval gives way only
# to the payer's own recovery, above).
DECIDED = frozenset(s for s, moves in TRANSITIONS.items()
                    if s is not None and not any(isinstance(m, EngineMove) for m in moves))
# The credit is still on the books: found, or approved but not yet paid back.
ON_BOOKS = (Status.OPEN, Status.APPROVED)
# Paid back: the CMS-838 lists these with the amount repaid.
REPAID = (Status.REFUNDED, Status.OFFSET)
# Past the last approval step (rules/approvals.py): a refund's letter and corrected claim may be written.
# Every status an approval leads to, and those a decision leads to from it.
RELEASED = frozenset({TRANSITIONS[Status.OPEN][Decision.APPROVE]}
                     | {t for m, t in TRANSITIONS[Status.APPROVED].items() if isinstance(m, Decision)}
                     ) - {Status.DISMISSED}
DECISION_NAMES = tuple(d.value for d in Decision)
# The decisions that pay a credit back: only a category that is a refund (rules/categories.py) takes them.
REFUND_DECISIONS = frozenset({Decision.APPROVE, Decision.MARK_REFUNDED, Decision.OFFSET})


def next_status(status: str | None, move: Move) -> Status | None:
    """The status `move` leads to from `status`, or None when the table has no such move."""
    current = None if status is None else Status(status)
    return TRANSITIONS[current].get(move)


def sources(move: Move) -> frozenset[Status]:
    """The stored statuses `move` may start from."""
    return frozenset(s for s, moves in TRANSITIONS.items() if s is not None and move in moves)
