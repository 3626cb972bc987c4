"""payer_overpayment: the primary payer paid more for a line than it owed (domain.md 4.1).

What it owed: the allowed amount (fee schedule when loaded, read for the code the payer
adjudicated, SVC01, when SVC06 says it re-coded or bundled the line; else its own AMT*B6, else
what it paid plus patient responsibility), never more than the billed charge except on bundled
lines and claim-level payments at a prospective or case rate (DRG/PPS: proper payments above
charges are no credit, domain.md 4.4), less the patient responsibility it assigned. The amount
is the sum over lines of the payment's excess, less what the payer already recouped against
that payment (PLB WO/72 on its CLP07). Only the primary: a later payer's excess is a COB
overpayment (cob_overpayment.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edi_engine.ledger import AccountView, StoreFacts, primary_excess
from edi_engine.money import from_cents
from edi_engine.rules.candidate import Candidate, clp_evidence, plb_evidence, svc_evidence
from edi_engine.rules.lifecycle import Status

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "detect"]

CATEGORY = "payer_overpayment"


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    total, still = primary_excess(view)
    payer = view.primary
    if payer is None or total <= 0:
        return []
    records: list[dict[str, object]] = []
    over_clps = set()
    for adj in payer.lines.values():
        if adj.paid - adj.owed > 0:
            over_clps.add(adj.clp.id)
            for svc in adj.services:
                rec = svc_evidence(svc, adj.clp, facts, "paid above what was owed")
                rec.update(owed=str(from_cents(adj.owed)), allowed_from=adj.allowed_source,
                           line_patient_responsibility=str(from_cents(adj.pr)), priced_as=adj.priced_as or None,
                           line_allowed=str(from_cents(adj.allowed)))
                records.append(rec)
            if not adj.services:
                records.append(clp_evidence(adj.clp, facts, "paid above charge less patient responsibility"))
    records.extend(plb_evidence(plb, facts, "recouped") for plb, clp in payer.plbs if clp.id in over_clps)
    return [Candidate(CATEGORY, view.account.clm01, payer.payer_id, still or total, "payer",
                      status=Status.OPEN if still else Status.RESOLVED,
                      evidence={"summary": f"paid {from_cents(total)} more than owed", "records": records,
                                "filing_indicator": payer.filing_indicator})]
