"""cob_overpayment: payments from several payers together exceed the allowed amount of the
primary adjudication (domain.md 4.1, 1.10 COB); the refund is owed by the payer that paid last.

Payments counted are each payer's standing payments net of reversals and recoupments, less what
is already explained as a duplicate or as the primary's own overpayment, so a credit is reported
once. The amount is at most what the last payer paid. Where Medicare and a payer primary to it
both paid as primary, the credit is Medicare's (msp_overpayment.py) and this category stands aside."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from edi_engine.ledger import AccountView, StoreFacts, combined_payments
from edi_engine.money import from_cents
from edi_engine.rules import msp_overpayment
from edi_engine.rules.candidate import Candidate, clp_evidence

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "detect"]

CATEGORY = "cob_overpayment"


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    if len(view.order) < 2 or view.primary is None:
        return []
    if msp_overpayment.primacy(view, pack) is not None:
        return []  # Medicare and a payer primary to it both paid as primary: Medicare is owed (MSP)
    combined = combined_payments(view)
    if combined is None:
        return []
    legit, allowed = combined.by_payer, combined.allowed
    over = combined.total - allowed
    if over <= 0:
        return []
    later = view.order[1:]
    undated = sorted({c.payment.trace_number for p in view.order for c in view.payers[p].standing
                      if c.payment is not None and c.payment.payment_date is None})
    if undated:
        # Who paid last cannot be told from the dates: the payer latest in the order of benefits
        # (secondary before tertiary) is taken, and the finding says so.
        last_id = max(later, key=lambda p: (view.payers[p].rank, p))
    else:
        last_id = max(later, key=lambda p: (view.payers[p].last_paid_on or date.min, view.payers[p].rank, p))
    amount = min(over, max(0, legit[last_id]))
    if amount <= 0:
        return []
    records = [clp_evidence(c, facts, "primary adjudication") for c in view.primary.standing]
    for payer_id in view.order[1:]:
        records.extend(clp_evidence(c, facts, "later payer paid") for c in view.payers[payer_id].standing)
    last = view.payers[last_id]
    chosen = " (who paid last taken from the order of benefits: a payment date is unreadable)" if undated else ""
    return [Candidate(CATEGORY, view.account.clm01, last_id, amount, "payer",
                      evidence={"summary": f"payers paid {from_cents(combined.total)} together against "
                                           f"{from_cents(allowed)} allowed by the primary{chosen}",
                                "primary_payer": view.order[0], "allowed": str(from_cents(allowed)),
                                "records": records, "filing_indicator": last.filing_indicator,
                                **({"last_payer_note": f"the payment date (BPR16) of check/EFT {', '.join(undated)} "
                                    "could not be read, so the payer that paid last was taken from the order of "
                                    "benefits (CLP02), not from the payment dates"} if undated else {})})]
