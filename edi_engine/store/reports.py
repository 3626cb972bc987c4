"""The store's reads behind the reports: the 835 facts check reconciliation lists, the findings a
credit balance report ages, and the 835/837 fields of a CMS-838 line.

Owns the SQL; edi_engine/outputs/reports.py owns the report rows and their sums. Reads return
typed records (money as Decimal), never rows read by position.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from edi_engine.store import tables
from edi_engine.store.findings import StoredFinding, finding_record

__all__ = ["BilledClaim", "ClaimPaid", "PaidClaim", "ReconciliationFacts", "RemittedPayment", "billed_claim",
           "credit_findings", "latest_payment_of", "paid_claim", "reconciliation_facts"]

_P = tables.payment
_CP = tables.claim_payment
_PLB = tables.provider_adjustment
_M = tables.payment_match
_C = tables.claim
_CL = tables.claim_line
_SP = tables.service_payment


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
class PaidClaim:
    """The 835 claim payment (CLP) a CMS-838 line reports, with its check and the 837 it paid."""

    claim_payment_id: int
    payment_id: int
    icn: str | None  # CLP07
    filing_indicator: str | None  # CLP06: MA Part A, MB Part B
    facility_code: str | None  # CLP08
    frequency_code: str | None  # CLP09
    patient_last_name: str | None  # NM1*QC
    patient_first_name: str | None
    patient_member_id: str | None
    insured_member_id: str | None  # NM1*IL
    statement_from: date | None  # DTM*232
    statement_to: date | None  # DTM*233
    service_from: date | None  # the SVC dates' span (DTM*472/150/151)
    service_to: date | None
    paid_date: date | None  # BPR16
    check: str | None  # TRN02
    payer_id: str | None
    payer_name: str | None  # N1*PR N102
    claim_id: int | None  # the 837 claim detect matched it to


def paid_claim(conn: Connection, file_id: int, segment: int, record: str) -> PaidClaim | None:
    """The claim payment an evidence record points at: a CLP, or the CLP of an SVC (file, segment)."""
    if record == "SVC":
        cp_id = conn.execute(select(_SP.c.claim_payment_id).where(_SP.c.source_file_id == file_id,
                                                                  _SP.c.segment == segment)).scalar()
        query = select(_CP).where(_CP.c.id == cp_id)
    else:
        query = select(_CP).where(_CP.c.source_file_id == file_id, _CP.c.segment == segment)
    cp = conn.execute(query).first()
    if cp is None:
        return None
    p = conn.execute(select(_P).where(_P.c.id == cp.payment_id)).one()
    span = conn.execute(select(func.min(_SP.c.service_date_from), func.max(func.coalesce(
        _SP.c.service_date_to, _SP.c.service_date_from))).where(_SP.c.claim_payment_id == cp.id)).one()
    claim_id = conn.execute(select(_M.c.claim_id).where(_M.c.subject == "claim_payment",
                                                        _M.c.subject_id == cp.id)).scalar()
    return PaidClaim(cp.id, p.id, cp.payer_claim_control_number, cp.filing_indicator, cp.facility_code,
                     cp.frequency_code, cp.patient_last_name, cp.patient_first_name, cp.patient_member_id,
                     cp.insured_member_id, cp.statement_from, cp.statement_to, span[0], span[1], p.payment_date,
                     p.trace_number, p.payer_id, p.payer_name, claim_id)


@dataclass(frozen=True, slots=True)
class BilledClaim:
    """The 837 claim billed to a payer, as a CMS-838 line shows it."""

    id: int
    variant: str  # P, I or D
    facility_code: str | None  # CLM05-1
    frequency_code: str | None  # CLM05-3
    patient_last_name: str | None
    patient_first_name: str | None
    subscriber_member_id: str | None  # 2010BA NM109: the MBI on a claim billed to Medicare
    statement_from: date | None  # DTP*434 (837I)
    statement_to: date | None
    service_from: date | None  # the lines' DTP*472 span
    service_to: date | None
    billing_provider_id: str | None
    billing_provider_name: str | None


def billed_claim(conn: Connection, claim_id: int | None, clm01: str, payer_id: str | None) -> BilledClaim | None:
    """The 837 claim detect matched the payment to; else the last claim of this CLM01 billed to this
    payer that is no void (CLM05-3 8 withdraws a claim, it bills nothing)."""
    if claim_id is not None:
        row = conn.execute(select(_C).where(_C.c.id == claim_id)).first()
    else:
        row = conn.execute(select(_C).where(_C.c.patient_control_number == clm01, _C.c.payer_id == payer_id,
                                            func.coalesce(_C.c.frequency_code, "") != "8")
                           .order_by(_C.c.id.desc())).first()
    if row is None:
        return None
    span = conn.execute(select(func.min(_CL.c.service_date_from), func.max(func.coalesce(
        _CL.c.service_date_to, _CL.c.service_date_from))).where(_CL.c.claim_id == row.id)).one()
    return BilledClaim(row.id, row.variant, row.facility_code, row.frequency_code, row.patient_last_name,
                       row.patient_first_name, row.subscriber_member_id, row.statement_from, row.statement_to,
                       span[0], span[1], row.billing_provider_id, row.billing_provider_name)


def latest_payment_of(conn: Connection, payer_id: str) -> tuple[int, str | None] | None:
    """(payment id, N1*PR N102) of the last 835 payment stored from this payer."""
    row = conn.execute(select(_P.c.id, _P.c.payer_name).where(_P.c.payer_id == payer_id)
                       .order_by(_P.c.payment_date.desc(), _P.c.id.desc())).first()
    return None if row is None else (row.id, row.payer_name)
