"""duplicate_payment: the same claim or line paid more than once by the same payer and not
reversed or recouped (domain.md 4.1). Not duplicates: a reversal followed by re-adjudication
(the earlier payment is reversed), a claim split over several CLPs (disjoint lines), a
duplicate-claim denial (CARC 18, CLP02 4: no payment). The ledger's adjudication view decides
which payment repeats which; this module turns each repeat into a finding with its proof."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edi_engine.ledger import AccountView, StoreFacts, duplicate_totals
from edi_engine.money import from_cents
from edi_engine.rules.candidate import Candidate, clp_evidence, plb_evidence
from edi_engine.rules.lifecycle import Status

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "detect"]

CATEGORY = "duplicate_payment"


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    out: list[Candidate] = []
    for payer in view.payers.values():
        totals = duplicate_totals(view, payer)
        open_total, paid_total = totals.still_open, totals.paid_again
        evidence: list[dict[str, object]] = []
        recoveries: list[dict[str, object]] = []
        for dup, first in payer.duplicates:
            reversal = view.matches.reversed_by.get(dup.id)
            evidence.append(clp_evidence(first, facts, "first payment"))
            evidence.append(clp_evidence(dup, facts, "paid again"))
            if reversal is not None:
                recoveries.append(clp_evidence(reversal, facts, "reversed by payer"))
            recoveries.extend(plb_evidence(plb, facts, "recouped") for plb, clp in payer.plbs if clp.id == dup.id)
        if paid_total <= 0:
            continue
        out.append(Candidate(
            CATEGORY, view.account.clm01, payer.payer_id, open_total if open_total else paid_total, "payer",
            status=Status.OPEN if open_total else Status.RESOLVED,
            evidence={"summary": f"paid {len(payer.duplicates) + 1} times for the same services; "
                                 f"{from_cents(paid_total)} paid again", "records": evidence + recoveries,
                      "filing_indicator": payer.filing_indicator}))
    return out
