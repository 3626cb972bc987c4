"""unbalanced_remittance: an 835 whose amounts do not balance (domain.md 1.9): line
SVC02 - sum(CAS) = SVC03, claim CLP03 - sum(CAS) = CLP04, CLP04 = sum(SVC03) when there is no
claim-level CAS (RFI 452), transaction sum(CLP04) - sum(PLB) = BPR02 (signed by BPR03), and
BPR02 not negative. A data-quality finding: the remittance is posted as sent, never silently
corrected; where CLP04 and its lines disagree the ledger books the difference at claim level
(postings.py, kind "unbalanced"), and this finding is what says so. The equations are
parsers.balancing_835's, the same the parser warns with, over stored cents.

A claim's amount is the most any one equation misses by (balancing_835.claim_imbalance): a line
out by 21,253.50 inside a claim whose own equation holds is a 21,253.50 finding, not 0.00."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from edi_engine.ledger import AccountView, StoreFacts
from edi_engine.money import from_cents
from edi_engine.parsers.balancing_835 import (
    adjustment_difference,
    claim_imbalance,
    lines_difference,
    negative_payment,
    transaction_difference,
)
from edi_engine.rules.candidate import Candidate, clp_evidence, svc_evidence
from edi_engine.rules.tolerance import below_tolerance
from edi_engine.store.read import payment_totals

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "detect", "transactions"]

CATEGORY = "unbalanced_remittance"


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    tolerance = pack.balancing_tolerance
    out = []
    for clp in view.account.clps:
        diff = adjustment_difference(clp.charge, (a.amount for a in clp.all_adjustments()), clp.paid)
        records = []
        failed = []
        if not below_tolerance(abs(diff), tolerance):
            failed.append(f"CLP03 - CAS - CLP04 = {from_cents(diff)}")
            records.append(clp_evidence(clp, facts, failed[-1]))
        vs_lines = lines_difference(clp.paid, (s.paid for s in clp.services), bool(clp.adjustments))
        if not below_tolerance(abs(vs_lines), tolerance):
            failed.append(f"CLP04 - sum(SVC03) = {from_cents(vs_lines)} with no claim-level CAS; the ledger books "
                          "it at claim level, on no line")
            records.append(clp_evidence(clp, facts, failed[-1]))
        line_diffs = []
        for svc in clp.services:
            line_diff = adjustment_difference(svc.charge, (a.amount for a in svc.adjustments), svc.paid)
            if not below_tolerance(abs(line_diff), tolerance):
                line_diffs.append(line_diff)
                records.append(svc_evidence(svc, clp, facts, f"SVC02 - CAS - SVC03 = {from_cents(line_diff)}"))
        if line_diffs:
            failed.append(f"{len(line_diffs)} service line(s) out by {from_cents(sum(abs(d) for d in line_diffs))}")
        if records:
            trn = clp.payment.trace_number if clp.payment else ""
            amount = claim_imbalance(diff if not below_tolerance(abs(diff), tolerance) else 0, line_diffs,
                                     vs_lines if not below_tolerance(abs(vs_lines), tolerance) else 0)
            out.append(Candidate(CATEGORY, clp.clp01, clp.payer_id, amount, None,
                                 cause=f"claim:CLP07={clp.clp07}:CLP02={clp.status}:TRN02={trn}",
                                 evidence={"summary": "claim payment does not balance: " + "; ".join(failed),
                                           "records": records}))
    return out


def transactions(conn: Connection, facts: StoreFacts, tolerance: int = 0) -> list[Candidate]:
    out = []
    for t in payment_totals(conn):
        pid, bpr02, cd, clp_total, plb_total = t.payment_id, t.bpr02, t.credit_debit, t.sum_clp04, t.sum_plb
        diff = transaction_difference(clp_total, plb_total, bpr02, cd)
        negative = negative_payment(bpr02)
        if below_tolerance(abs(diff), tolerance) and not negative:
            continue
        p = facts.payments[pid]
        off = not below_tolerance(abs(diff), tolerance)
        failed = [f"sum(CLP04) - sum(PLB) - BPR02 = {from_cents(diff)}"] if off else []
        if negative:
            failed.append(f"BPR02 is negative ({from_cents(bpr02)}): an 835 cannot be issued for less than zero "
                          "(a net-negative remittance carries a PLB FB)")
        out.append(Candidate(CATEGORY, None, p.payer_id, max(abs(diff), abs(bpr02) if negative else 0), None,
                             cause=f"transaction:TRN02={p.trace_number}:ST02={p.st02}:ISA13={p.isa13}",
                             evidence={"summary": "; ".join(failed),
                                       "records": [{"role": "payment", "record": "BPR",
                                                    "file": facts.files[p.file_id].name if p.file_id in facts.files
                                                    else None, "file_id": p.file_id, "segment": p.segment,
                                                    "offset": p.offset,
                                                    "isa13": p.isa13, "st02": p.st02, "trn02": p.trace_number,
                                                    "bpr02": str(from_cents(bpr02)),
                                                    "sum_clp04": str(from_cents(clp_total)),
                                                    "sum_plb": str(from_cents(plb_total))}]}))
    return out
