"""A refund's approval chain as applied: the steps in force on a finding, taking the next one, and
whether its letter and corrected claim may be written yet (only past the last approval).

Owns applying the rule pack's chain (rules/approvals.py) to stored findings: which recorded steps
still stand (those taken on the finding as it is now: store/approvals.basis_of), taking a step
with its audit event in the caller's transaction, and the one release check letters.py,
corrected.py and the review pages ask. Knows nothing of click or HTTP: the caller says who acts
and, in the web app, with which role (None: the CLI's operator, who holds every role).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from edi_engine.errors import NotPermitted, UsageError
from edi_engine.outputs.audit import record
from edi_engine.rules import categories
from edi_engine.rules.approvals import ApprovalChain, Progress, Taken, progress
from edi_engine.rules.lifecycle import RELEASED, Status
from edi_engine.rules.pack import RulePack, load_pack
from edi_engine.store import approvals as stored_steps
from edi_engine.store import findings as stored
from edi_engine.store.approvals import StoredStep
from edi_engine.store.findings import StoredFinding

__all__ = ["Approval", "StepTaken", "approval_of", "approval_on", "release_refusal", "released", "take_step"]


@dataclass(frozen=True, slots=True)
class Approval:
    """A finding's chain as it stands: its `progress` and the recorded steps in force (who, when, note)."""

    progress: Progress
    steps: tuple[StoredStep, ...]


@dataclass(frozen=True, slots=True)
class StepTaken:
    number: int
    of: int
    name: str
    last: bool
    next_label: str  # the step after it, '' when it was the last


def _in_force(row: StoredFinding, recorded: list[StoredStep]) -> list[StoredStep]:
    """The steps taken on the finding as it is now, 1, 2, ... without a gap."""
    basis = stored_steps.basis_of(row.updated_at, row.amount)
    by_number = {s.step: s for s in recorded if s.basis == basis}
    out: list[StoredStep] = []
    while len(out) + 1 in by_number:
        out.append(by_number[len(out) + 1])
    return out


def approval_on(conn: Connection, row: StoredFinding, chain: ApprovalChain) -> Approval:
    steps = _in_force(row, stored_steps.steps_for(conn, [row.id]).get(row.id, []))
    taken = [Taken(s.step, s.name, s.role, s.actor, s.note) for s in steps]
    found = progress(chain, row.amount, taken)
    return Approval(found, tuple(steps[:len(found.taken)]))


def approval_of(engine: Engine, finding_id: int, pack: RulePack | None = None) -> Approval:
    """A finding's approval chain and the steps in force (UsageError for an unknown finding)."""
    chain = (pack or load_pack()).approvals
    with engine.connect() as conn:
        row = stored.finding_by_id(conn, finding_id)
        if row is None:
            raise UsageError(f"no finding {finding_id}")
        return approval_on(conn, row, chain)


def take_step(conn: Connection, row: StoredFinding, chain: ApprovalChain, *, by: str, role: str | None,
              note: str, now: datetime | None = None) -> StepTaken:
    """Take the next step of an open refund's chain as `by` (NotPermitted when the role does not reach
    it or `by` took another step), on the caller's transaction with the finding's row locked. Every
    step but the last records `step_approved`; the caller moves the finding on after the last."""
    if row.status != Status.OPEN:
        raise UsageError(f"finding {row.id} is {row.status}; an approval step needs it open")
    state = approval_on(conn, row, chain).progress
    step = state.next
    assert step is not None  # an open finding has taken no more steps than its chain has (the last approves)
    refusal = state.refusal(by, role)
    if refusal:
        raise NotPermitted(f"finding {row.id}: {refusal}")
    at = now or datetime.now(UTC)
    try:
        stored_steps.insert_step(conn, finding_id=row.id, step=state.number, name=step.name, role=step.role,
                                 actor=by.strip(), at=at, note=note, amount=row.amount,
                                 basis=stored_steps.basis_of(row.updated_at, row.amount))
    except IntegrityError:  # the same step taken meanwhile by someone else
        raise UsageError(f"finding {row.id}: {state.label} was taken meanwhile; look again") from None
    after = progress(chain, row.amount, [*state.taken, Taken(state.number, step.name, step.role, by.strip(), note)])
    done = StepTaken(state.number, len(state.steps), step.name, state.last, after.label)
    if not done.last:
        record(conn, "step_approved", finding_id=row.id, actor=by, note=note, at=at,
               details={"step": done.number, "of": done.of, "name": step.name, "role": step.role,
                        "amount": f"{row.amount:.2f}", "category": row.category, "next": after.label})
    return done


def release_refusal(conn: Connection, row: StoredFinding, what: str = "letter or corrected claim") -> str | None:
    """Why `what` may not be written for the finding yet, or None. A refund's follow only its last approval
    (approved, and then refunded or offset); a dismissed or resolved finding has none at all."""
    category = categories.get(row.category)
    if row.status in (Status.DISMISSED, Status.RESOLVED):
        return f"finding {row.id} is {row.status}: nothing is owed back, so no {what} follows from it"
    if not category.refund or row.status in RELEASED:
        return None
    held = json.loads(row.evidence).get("held")
    if held:
        return f"finding {row.id} is held for review, so no {what} yet: {held}"
    taken = len(_in_force(row, stored_steps.steps_for(conn, [row.id]).get(row.id, [])))
    so_far = f" ({taken} approval step{'s' if taken != 1 else ''} taken so far)" if taken else ""
    return (f"finding {row.id} is {row.status}, not approved{so_far}: a {what} is written only after the last "
            f"approval step (edi-engine findings approve {row.id})")


def released(conn: Connection, finding_id: int, what: str = "letter or corrected claim") -> None:
    """UsageError unless the finding's letter and corrected claim may be written (release_refusal)."""
    row = stored.finding_by_id(conn, finding_id)
    if row is None:
        raise UsageError(f"no finding {finding_id}")
    refusal = release_refusal(conn, row, what)
    if refusal:
        raise UsageError(refusal)
