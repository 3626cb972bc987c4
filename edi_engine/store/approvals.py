"""The store's side of the approval chain: the `approval_step` rows (store/tables.py).

Owns every SQL statement on `approval_step`. Writes take the caller's connection, so a step, the
finding's status change and their audit events commit or roll back together (outputs/approvals.py).
Which steps a chain has and who may take them is the rules' (rules/approvals.py); this module only
keeps what was taken.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from edi_engine.store import tables

__all__ = ["StoredStep", "basis_of", "insert_step", "steps_for"]

_S = tables.approval_step


@dataclass(frozen=True, slots=True)
class StoredStep:
    id: int
    finding_id: int
    step: int
    name: str
    role: str
    actor: str
    at: datetime
    note: str
    amount: Decimal
    basis: str


def basis_of(updated_at: datetime | None, amount: Decimal) -> str:
    """What a step approved: the finding as detect last changed it, at this amount."""
    return f"{updated_at.isoformat() if updated_at is not None else '-'}|{amount:.2f}"


def steps_for(conn: Connection, finding_ids: Collection[int]) -> dict[int, list[StoredStep]]:
    """Each finding's steps ever taken, oldest first (a finding with none is absent)."""
    out: dict[int, list[StoredStep]] = {}
    ids = sorted(set(finding_ids))
    for i in range(0, len(ids), 500):
        query = select(_S).where(_S.c.finding_id.in_(ids[i:i + 500])).order_by(_S.c.finding_id, _S.c.id)
        for r in conn.execute(query):
            out.setdefault(r.finding_id, []).append(StoredStep(r.id, r.finding_id, r.step, r.name, r.role, r.actor,
                                                               r.at, r.note, r.amount, r.basis))
    return out


def insert_step(conn: Connection, *, finding_id: int, step: int, name: str, role: str, actor: str, at: datetime,
                note: str, amount: Decimal, basis: str) -> None:
    """Record a step taken; IntegrityError when the same step on the same basis is already recorded."""
    conn.execute(insert(_S).values(finding_id=finding_id, step=step, name=name, role=role, actor=actor, at=at,
                                   note=note, amount=amount, basis=basis))
