"""cob_secondary_allowable: a secondary paid above what the primary allowed, yet within its own
allowed amount (AMT*B6 on its 835), and the rule pack lists it under `[cob]
own_allowable_secondaries` (commercial to commercial, the secondary's 835 showing OA-23 for the
primary's payment; domain.md 1.10 COB, 4.1).

Under the NAIC Coordination of Benefits Model Regulation (MDL-120, October 2013), "allowable
expense" for plans that pay on negotiated fees goes up to the highest of the negotiated fees, and a
secondary with its own negotiated fee may use it where the provider's contract permits (Section 3,
paraphrased; fixtures/cob_secondary_allowable/README.md); the secondary pays so that all plans
together reach 100% of the allowable expense (Section 7). So such a payment
may well be right: a person checks the contract. A review flag, not a refund: no letter, no
deadline, no "approve refund" (refund_to None); dismissed when the contract allows it. What the
payers paid beyond the secondary's own allowed stays a cob_overpayment (cob_overpayment.py, which
computes both parts, so one excess is never reported twice)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edi_engine.ledger import AccountView, StoreFacts
from edi_engine.money import from_cents
from edi_engine.rules.candidate import Candidate
from edi_engine.rules.cob_overpayment import assess

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "detect"]

CATEGORY = "cob_secondary_allowable"


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    excess = assess(view, facts, pack)
    if excess is None or excess.own_allowed is None or excess.within_own <= 0:
        return []
    last = view.payers[excess.last_id]
    return [Candidate(CATEGORY, view.account.clm01, excess.last_id, excess.within_own, None,
                      evidence={"summary": f"payers paid {from_cents(excess.total)} together against "
                                           f"{from_cents(excess.allowed)} allowed by the primary; "
                                           f"{excess.last_id}'s own allowed is {from_cents(excess.own_allowed)}, so "
                                           f"{from_cents(excess.within_own)} is within it (NAIC COB: the highest "
                                           "negotiated fee, where the provider's contract with the secondary permits): "
                                           "review the contract, no refund",
                                "primary_payer": view.order[0], "allowed": str(from_cents(excess.allowed)),
                                "own_allowed": str(from_cents(excess.own_allowed)), "records": excess.records,
                                "filing_indicator": last.filing_indicator})]
