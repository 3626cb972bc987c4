"""cob_overpayment: payments from several payers together exceed the allowed amount of the
primary adjudication (domain.md 4.1, 1.10 COB); the refund is owed by the payer that paid last.

Payments counted are each payer's standing payments net of reversals and recoupments, less what
is already explained as a duplicate, a deferred recoupment or as the primary's own overpayment, so
a credit is reported once. The amount is at most what the last payer paid. Where Medicare and a
payer primary to it both paid as primary, the credit is Medicare's (msp_overpayment.py) and this
category stands aside.

A secondary the rule pack lists under `[cob] own_allowable_secondaries` may pay up to its own
allowed amount (AMT*B6 on its 835): under the NAIC Coordination of Benefits Model Regulation
(MDL-120, Section 3 "allowable expense": the highest of the negotiated fees, and the secondary's
own negotiated fee where the provider's contract with it permits; Section 7) that is allowable
expense, not an overpayment. The part of the excess within it is cob_secondary_allowable's (a
review flag, cob_secondary_allowable.py); only the rest is a cob_overpayment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from edi_engine.ledger import AccountView, StoreFacts, combined_payments, own_allowed
from edi_engine.money import from_cents
from edi_engine.rules import msp_overpayment
from edi_engine.rules.candidate import Candidate, clp_evidence

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "CobExcess", "assess", "detect"]

CATEGORY = "cob_overpayment"


@dataclass(frozen=True, slots=True)
class CobExcess:
    """What the payers together paid above the primary's allowed, and whose it is."""

    last_id: str  # the payer that paid last: the excess is its to return
    total: int  # all payers' standing payments together
    allowed: int  # the primary's allowed amount
    over: int  # total - allowed, at most what the last payer paid
    own_allowed: int | None  # the last payer's own allowed (AMT*B6) when the pack lets it count, else None
    within_own: int  # the part of `over` within that own allowed (a review flag, no refund)
    records: list[dict[str, Any]]
    undated: list[str]  # traces whose BPR16 could not be read (who paid last was taken from CLP02)

    @property
    def refund(self) -> int:
        return self.over - self.within_own


def assess(view: AccountView, facts: StoreFacts, pack: RulePack) -> CobExcess | None:
    if len(view.order) < 2 or view.primary is None:
        return None
    if msp_overpayment.primacy(view, pack) is not None:
        return None  # Medicare and a payer primary to it both paid as primary: Medicare is owed (MSP)
    combined = combined_payments(view)
    if combined is None:
        return None
    legit, allowed = combined.by_payer, combined.allowed
    over = combined.total - allowed
    if over <= 0:
        return None
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
        return None
    # A listed secondary's own allowed counts (its AMT*B6 on every line; unknown without them).
    own = own_allowed(view.payers[last_id]) if last_id in pack.cob_own_allowable else None
    within = max(0, min(amount, own - allowed)) if own is not None else 0
    records = [clp_evidence(c, facts, "primary adjudication") for c in view.primary.standing]
    for payer_id in view.order[1:]:
        records.extend(clp_evidence(c, facts, "later payer paid") for c in view.payers[payer_id].standing)
    return CobExcess(last_id, combined.total, allowed, amount, own, within, records, undated)


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    excess = assess(view, facts, pack)
    if excess is None or excess.refund <= 0:
        return []
    last = view.payers[excess.last_id]
    chosen = " (who paid last taken from the order of benefits: a payment date is unreadable)" \
        if excess.undated else ""
    own = (f"; {from_cents(excess.within_own)} of it within {excess.last_id}'s own allowed "
           f"{from_cents(excess.own_allowed)} is a review flag (cob_secondary_allowable)"
           if excess.own_allowed is not None and excess.within_own else "")
    return [Candidate(CATEGORY, view.account.clm01, excess.last_id, excess.refund, "payer",
                      evidence={"summary": f"payers paid {from_cents(excess.total)} together against "
                                           f"{from_cents(excess.allowed)} allowed by the primary{chosen}{own}",
                                "primary_payer": view.order[0], "allowed": str(from_cents(excess.allowed)),
                                **({"own_allowed": str(from_cents(excess.own_allowed))}
                                   if excess.own_allowed is not None else {}),
                                "records": excess.records, "filing_indicator": last.filing_indicator,
                                **({"last_payer_note": f"the payment date (BPR16) of check/EFT "
                                    f"{', '.join(excess.undated)} could not be read, so the payer that paid last "
                                    "was taken from the order of benefits (CLP02), not from the payment dates"}
                                   if excess.undated else {})})]
