"""The store's reads behind the reports: the 835 facts check reconciliation lists, the findings a
credit balance report ages, and the claim fields of the CMS-838 detail.

Owns the SQL; edi_engine/outputs/reports.py owns the report rows and their sums. Reads return
typed records (money as Decimal), never rows read by position.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from edi_engine.store import tables
from edi_engine.store.findings import StoredFinding, finding_record

__all__ = ["ClaimPaid", "Cms838Claim", "ReconciliationFacts", "RemittedPayment", "claims_for_cms838",
           "credit_findings", "reconciliation_facts"]

_P = tables.payment
_CP = tables.claim_payment
_PLB = tables.provider_adjustment
_M = tables.payment_match
_C = tables.claim


@dataclass(frozen=True, slots=True)
class RemittedPayment:
    """An 835 transaction's BPR/TRN and payer."""

    id: int
    trace_number: str | None  # TRN02
    payer_id: str | None
    payer_name: str | None
    payment_date: date | None  # BPR16
    method: str | None  # BPR04
    amount: Decimal  # BPR02
    credit_debit: str | None  # BPR03


@dataclass(frozen=True, slots=True)
class ClaimPaid:
    claim_payment_id: int
    paid: Decimal  # CLP04


@dataclass(frozen=True, slots=True)
class ReconciliationFacts:
    payments: tuple[RemittedPayment, ...]  # by payment date, trace number, id
    clps: dict[int, list[ClaimPaid]]  # payment id -> its claim payments
    plbs: dict[int, list[Decimal]]  # payment id -> its PLB amounts (positive reduces the payment)
    matched: set[int]  # claim payments (or reversals) detect tied to a claim or a payment


def reconciliation_facts(conn: Connection, check: str | None = None) -> ReconciliationFacts:
    """Every posted 835 payment (or those of one check/EFT trace number) with its CLPs and PLBs; a
    remittance held for review (payment.conflict_of) is the remittance_conflict finding's, not a check's."""
    query = select(_P).where(_P.c.conflict_of.is_(None)).order_by(_P.c.payment_date, _P.c.trace_number, _P.c.id)
    if check:
        query = query.where(_P.c.trace_number == check)
    payments = tuple(RemittedPayment(p.id, p.trace_number, p.payer_id, p.payer_name, p.payment_date, p.method,
                                     p.amount, p.credit_debit) for p in conn.execute(query))
    ids = [p.id for p in payments]
    clps: dict[int, list[ClaimPaid]] = defaultdict(list)
    plbs: dict[int, list[Decimal]] = defaultdict(list)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for r in conn.execute(select(_CP.c.id, _CP.c.payment_id, _CP.c.paid).where(_CP.c.payment_id.in_(chunk))):
            clps[r.payment_id].append(ClaimPaid(r.id, r.paid))
        for plb in conn.execute(select(_PLB.c.payment_id, _PLB.c.amount).where(_PLB.c.payment_id.in_(chunk))):
            plbs[plb.payment_id].append(plb.amount)
    matched = {r[0] for r in conn.execute(select(_M.c.subject_id).where(
        _M.c.subject.in_(("claim_payment", "reversal")),
        (_M.c.claim_id.is_not(None)) | (_M.c.claim_payment_id.is_not(None))))}
    return ReconciliationFacts(payments, dict(clps), dict(plbs), matched)


def credit_findings(conn: Connection, *, categories: Collection[str], statuses: Collection[str],
                    payer_type: str | None = None) -> list[StoredFinding]:
    """Findings of these categories and statuses (and payer type), by payer, category and id."""
    f = tables.finding
    query = select(f).where(f.c.category.in_(list(categories)), f.c.status.in_(list(statuses)))
    if payer_type is not None:
        query = query.where(f.c.payer_type == payer_type)
    return [finding_record(r) for r in conn.execute(query.order_by(f.c.payer_id, f.c.category, f.c.id))]


@dataclass(frozen=True, slots=True)
class Cms838Claim:
    """The 837 claim fields a CMS-838 detail line shows."""

    variant: str
    facility_code: str | None  # CLM05-1
    frequency_code: str | None  # CLM05-3
    patient_last_name: str | None
    patient_first_name: str | None
    subscriber_member_id: str | None
    statement_from: date | None
    statement_to: date | None


def claims_for_cms838(conn: Connection, clm01s: Sequence[str | None]) -> dict[str, Cms838Claim]:
    """CLM01 -> the latest stored submission of that claim."""
    out: dict[str, Cms838Claim] = {}
    for r in conn.execute(select(_C).where(_C.c.patient_control_number.in_(clm01s)).order_by(_C.c.id)):
        out[r.patient_control_number] = Cms838Claim(
            r.variant, r.facility_code, r.frequency_code, r.patient_last_name, r.patient_first_name,
            r.subscriber_member_id, r.statement_from, r.statement_to)
    return out
