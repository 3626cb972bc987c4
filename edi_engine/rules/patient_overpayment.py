"""patient_overpayment: patient payments exceed the patient's responsibility once every payer
adjudicated (domain.md 4.1, 5.3, 5.6). The final responsibility is the last adjudicating payer's
(CLP05, else its PR adjustments); while a billed or forwarded-to payer has not answered, the
share is not final and nothing is reported. The payer named is the claim's primary payer.
`refund_to` is patient here; run.py turns it into offset when the same patient has another open
balance the credit can go against."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edi_engine.ledger import AccountView, StoreFacts
from edi_engine.money import from_cents
from edi_engine.rules.candidate import Candidate, clp_evidence, patient_payment_evidence

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "detect"]

CATEGORY = "patient_overpayment"


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    if view.pending or view.final_pr is None or not view.account.patient_payments:
        return []
    over = view.patient_paid - view.final_pr
    if over <= 0:
        return []
    primary = view.primary
    payer_id = primary.payer_id if primary else (view.billed_claim.payer_id if view.billed_claim else None)
    records = [patient_payment_evidence(pp, facts, "patient paid") for pp in view.account.patient_payments]
    if view.final_pr_clp is not None:
        records.append(clp_evidence(view.final_pr_clp, facts, "final patient responsibility"))
    return [Candidate(CATEGORY, view.account.clm01, payer_id, over, "patient",
                      evidence={"summary": f"patient paid {from_cents(view.patient_paid)} against a responsibility "
                                           f"of {from_cents(view.final_pr)}", "records": records,
                                "filing_indicator": primary.filing_indicator if primary else ""})]
