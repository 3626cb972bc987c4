"""The store's side of refunds: the checks and EFTs that repaid findings (the `refund` table).

Owns every SQL statement on `refund`. Writes take the caller's connection, so a refund, the
finding's status change and its audit event commit or roll back together (outputs/decisions.py).
Amounts are Decimal here, as the Money column reads them; the ledger reads refunds as integer
cents with the rest of an account (store/read.py). Knows nothing of what a finding is owed.

For other layers (the CMS-838 export, reports, letters): `refunds_for(conn, finding_ids)` gives
each finding's refunds, oldest first, with method (check/eft), number, amount and date.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from edi_engine.store import tables
from edi_engine.store.types import Money

__all__ = ["METHODS", "StoredRefund", "insert_refund", "mark_returned", "refund_exists", "refunded_totals",
           "refunds_for", "returned_refunds"]

METHODS = ("check", "eft")
_R = tables.refund


@dataclass(frozen=True, slots=True)
class StoredRefund:
    """One repayment of a finding as recorded."""

    id: int
    finding_id: int
    method: str  # check or eft
    number: str  # check number or EFT trace number
    amount: Decimal
    paid_on: date
    payee: str
    recorded_by: str
    recorded_at: datetime
    source: str
    returned_on: date | None = None  # the check came back or was never cashed: no repayment after all
    returned_reason: str | None = None


def refunds_for(conn: Connection, finding_ids: Collection[int]) -> dict[int, list[StoredRefund]]:
    """Each of `finding_ids`' refunds, oldest payment first (a finding with none is absent)."""
    out: dict[int, list[StoredRefund]] = {}
    ids = sorted(set(finding_ids))
    for i in range(0, len(ids), 500):
        query = select(_R).where(_R.c.finding_id.in_(ids[i:i + 500])).order_by(_R.c.finding_id, _R.c.paid_on, _R.c.id)
        for r in conn.execute(query):
            out.setdefault(r.finding_id, []).append(StoredRefund(
                r.id, r.finding_id, r.method, r.number, r.amount, r.paid_on, r.payee, r.recorded_by, r.recorded_at,
                r.source, r.returned_on, r.returned_reason))
    return out


def refunded_totals(conn: Connection, finding_ids: Collection[int] | None = None) -> dict[int, Decimal]:
    """What has been repaid on each finding (all findings with a refund when `finding_ids` is None); a
    check that came back or was never cashed repaid nothing."""
    query = select(_R.c.finding_id, func.sum(_R.c.amount, type_=Money())).where(_R.c.returned_on.is_(None)) \
        .group_by(_R.c.finding_id)
    if finding_ids is not None:
        query = query.where(_R.c.finding_id.in_(sorted(set(finding_ids))))
    return {r[0]: r[1] for r in conn.execute(query)}  # the sum of cents, read as Decimal by Money


def refund_exists(conn: Connection, finding_id: int, method: str, number: str) -> StoredRefund | None:
    row = conn.execute(select(_R).where(_R.c.finding_id == finding_id, _R.c.method == method,
                                        _R.c.number == number)).first()
    if row is None:
        return None
    return StoredRefund(row.id, row.finding_id, row.method, row.number, row.amount, row.paid_on, row.payee,
                        row.recorded_by, row.recorded_at, row.source, row.returned_on, row.returned_reason)


def mark_returned(conn: Connection, refund_id: int, *, on: date, reason: str) -> bool:
    """Record that a refund did not reach its payee; False when it was already marked (a concurrent change)."""
    done = conn.execute(update(_R).where(_R.c.id == refund_id, _R.c.returned_on.is_(None))
                        .values(returned_on=on, returned_reason=reason))
    return bool(done.rowcount == 1)


def returned_refunds(conn: Connection) -> list[StoredRefund]:
    """Every refund marked returned or uncashed, oldest check first."""
    query = select(_R).where(_R.c.returned_on.is_not(None)).order_by(_R.c.paid_on, _R.c.id)
    return [StoredRefund(r.id, r.finding_id, r.method, r.number, r.amount, r.paid_on, r.payee, r.recorded_by,
                         r.recorded_at, r.source, r.returned_on, r.returned_reason) for r in conn.execute(query)]


def insert_refund(conn: Connection, *, finding_id: int, method: str, number: str, amount: Decimal, paid_on: date,
                  payee: str, recorded_by: str, recorded_at: datetime, source: str) -> int:
    done = conn.execute(insert(_R).values(finding_id=finding_id, method=method, number=number, amount=amount,
                                          paid_on=paid_on, payee=payee, recorded_by=recorded_by,
                                          recorded_at=recorded_at, source=source))
    key = done.inserted_primary_key
    assert key is not None
    return int(key[0])
