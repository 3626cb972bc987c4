"""unbalanced_remittance: an 835 whose amounts do not balance (domain.md 1.9): line
SVC02 - sum(CAS) = SVC03, claim CLP03 - sum(CAS) = CLP04, transaction sum(CLP04) - sum(PLB) =
BPR02. A data-quality finding: the remittance is posted as sent, never silently corrected."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from edi_engine.ledger import AccountView, StoreFacts, to_decimal
from edi_engine.rules.candidate import Candidate, clp_evidence, svc_evidence
from edi_engine.store.read import payment_totals

__all__ = ["CATEGORY", "detect", "transactions"]

CATEGORY = "unbalanced_remittance"


def detect(view: AccountView, facts: StoreFacts, tolerance: int = 0) -> list[Candidate]:
    out = []
    for clp in view.account.clps:
        adjustments = sum(a.amount for a in clp.all_adjustments())
        diff = clp.charge - adjustments - clp.paid
        records = []
        if abs(diff) > tolerance:
            records.append(clp_evidence(clp, facts, f"CLP03 - CAS - CLP04 = {to_decimal(diff)}"))
        for svc in clp.services:
            line_diff = svc.charge - sum(a.amount for a in svc.adjustments) - svc.paid
            if abs(line_diff) > tolerance:
                records.append(svc_evidence(svc, clp, facts, f"SVC02 - CAS - SVC03 = {to_decimal(line_diff)}"))
        if records:
            trn = clp.payment.trace_number if clp.payment else ""
            out.append(Candidate(CATEGORY, clp.clp01, clp.payer_id, abs(diff), None,
                                 cause=f"claim:CLP07={clp.clp07}:CLP02={clp.status}:TRN02={trn}",
                                 evidence={"summary": "claim payment does not balance", "records": records}))
    return out


def transactions(conn: Connection, facts: StoreFacts, tolerance: int = 0) -> list[Candidate]:
    out = []
    for t in payment_totals(conn):
        pid, bpr02, cd, clp_total, plb_total = t.payment_id, t.bpr02, t.credit_debit, t.sum_clp04, t.sum_plb
        expected = (-bpr02 if cd == "D" else bpr02)
        diff = clp_total - plb_total - expected
        if abs(diff) <= tolerance:
            continue
        p = facts.payments[pid]
        out.append(Candidate(CATEGORY, None, p.payer_id, abs(diff), None,
                             cause=f"transaction:TRN02={p.trace_number}:ST02={p.st02}:ISA13={p.isa13}",
                             evidence={"summary": f"sum(CLP04) - sum(PLB) - BPR02 = {to_decimal(diff)}",
                                       "records": [{"role": "payment", "record": "BPR",
                                                    "file": facts.files[p.file_id].name if p.file_id in facts.files
                                                    else None, "segment": p.segment, "offset": p.offset,
                                                    "isa13": p.isa13, "st02": p.st02, "trn02": p.trace_number,
                                                    "bpr02": str(to_decimal(bpr02)),
                                                    "sum_clp04": str(to_decimal(clp_total)),
                                                    "sum_plb": str(to_decimal(plb_total))}]}))
    return out
