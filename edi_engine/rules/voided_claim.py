"""voided_claim_paid and voided_claim_patient_paid: a paid claim the provider voided (837 CLM05-3
= 8, REF*F8 = the payer's claim control number, CLP07; domain.md 4.1, 7, 7.1).

A void says the claim should not exist (billed in error, wrong patient, a duplicate of a paid
claim): "a void recovers the full payment". So from the void until the payer's CLP02 22 reversal
(or a PLB WO recoupment) everything each payer paid on the claim is owed back to it
(`voided_claim_paid`, one finding per payer, resolved once the payer has taken it all back), and
everything the patient paid is owed back to the patient (`voided_claim_patient_paid`): a claim that
does not exist leaves no patient share. The ledger (AccountView.void, postings "void") takes the
charge out of receivables; this module turns the void into findings with their proof: the voided
claim, the void, each payment, each reversal and recoupment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edi_engine.ledger import AccountView, StoreFacts, void_totals
from edi_engine.ledger.matching import REVERSAL
from edi_engine.money import from_cents
from edi_engine.rules.candidate import (
    Candidate,
    claim_evidence,
    clp_evidence,
    patient_payment_evidence,
    plb_evidence,
)
from edi_engine.rules.lifecycle import Status

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "PATIENT_CATEGORY", "detect", "detect_patient"]

CATEGORY = "voided_claim_paid"
PATIENT_CATEGORY = "voided_claim_patient_paid"


def _claims(view: AccountView, facts: StoreFacts) -> list[dict[str, Any]]:
    assert view.void is not None and view.billed_claim is not None
    void = claim_evidence(view.void, facts, "void (CLM05-3 8)")
    if view.void.sent_on is not None:
        # The credit arises when the provider voids the claim, not when the payer paid it: from that
        # day nothing on it is owed (its `date` is what rules/deadlines.arose_on reads).
        void["date"] = view.void.sent_on.isoformat()
    return [claim_evidence(view.billed_claim, facts, "voided claim"), void]


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    void = view.void
    if void is None or view.billed_claim is None:
        return []
    out: list[Candidate] = []
    for payer in view.payers.values():
        totals = void_totals(payer)
        if totals.paid <= 0:
            continue
        records = _claims(view, facts)
        for clp in payer.clps:
            role = "reversed by payer" if clp.status == REVERSAL else "paid on the voided claim"
            records.append(clp_evidence(clp, facts, role))
        records.extend(plb_evidence(plb, facts, "recouped") for plb, _clp in payer.plbs)
        taken_back = totals.paid - totals.still_open
        summary = (f"claim voided by the provider (837 CLM05-3 8, REF*F8 {void.original_reference}); "
                   f"{payer.payer_id} paid {from_cents(totals.paid)} on it")
        summary += (f" and has taken back {from_cents(taken_back)}" if taken_back else "") + (
            f": {from_cents(totals.still_open)} is owed back until the payer reverses it (CLP02 22)"
            if totals.still_open else ": all of it reversed or recouped")
        out.append(Candidate(
            CATEGORY, view.account.clm01, payer.payer_id, totals.still_open or totals.paid, "payer",
            status=Status.OPEN if totals.still_open else Status.RESOLVED,
            evidence={"summary": summary, "records": records, "voided_icn": void.original_reference,
                      "filing_indicator": payer.filing_indicator}))
    return out


def detect_patient(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    void = view.void
    if void is None or view.billed_claim is None or view.patient_paid <= 0:
        return []
    primary = view.primary
    payer_id = primary.payer_id if primary else view.billed_claim.payer_id
    records = _claims(view, facts) + [patient_payment_evidence(pp, facts, "patient paid")
                                      for pp in view.account.patient_payments]
    return [Candidate(PATIENT_CATEGORY, view.account.clm01, payer_id, view.patient_paid, "patient",
                      evidence={"summary": f"claim voided by the provider (837 CLM05-3 8, REF*F8 "
                                           f"{void.original_reference}): no patient share remains, and the "
                                           f"patient paid {from_cents(view.patient_paid)} on it",
                                "records": records, "voided_icn": void.original_reference,
                                "filing_indicator": primary.filing_indicator if primary else ""})]
