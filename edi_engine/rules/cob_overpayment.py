"""cob_overpayment: payments from several payers together exceed the allowed amount of the
primary adjudication (domain.md 4.1, 1.10 COB); the refund is owed by the payer that paid last.

Payments counted are each payer's standing payments net of reversals and recoupments, less what
is already explained as a duplicate or as the primary's own overpayment, so a credit is reported
once. The amount is at most what the last payer paid."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from edi_engine.ledger import AccountView, StoreFacts, to_decimal
from edi_engine.rules import payer_overpayment
from edi_engine.rules.candidate import Candidate, clp_evidence

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "detect"]

CATEGORY = "cob_overpayment"


def _duplicate_open(view: AccountView, payer_id: str) -> int:
    payer = view.payers[payer_id]
    total = 0
    for dup, _first in payer.duplicates:
        recovered = payer.recovered.get(dup.id, 0) + (dup.paid if dup.id in view.matches.reversed_by else 0)
        total += max(0, dup.paid - recovered)
    return total


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    if len(view.order) < 2 or view.primary is None:
        return []
    allowed = sum(adj.allowed for adj in view.primary.lines.values())
    legit: dict[str, int] = {}
    for payer_id in view.order:
        legit[payer_id] = view.payers[payer_id].net_paid - _duplicate_open(view, payer_id)
    legit[view.order[0]] -= payer_overpayment.excess(view)[1]
    over = sum(legit.values()) - allowed
    if over <= 0:
        return []
    last_id = max(view.order[1:], key=lambda p: (view.payers[p].last_paid_on or date.min, view.payers[p].rank, p))
    amount = min(over, max(0, legit[last_id]))
    if amount <= 0:
        return []
    records = [clp_evidence(c, facts, "primary adjudication") for c in view.primary.standing]
    for payer_id in view.order[1:]:
        records.extend(clp_evidence(c, facts, "later payer paid") for c in view.payers[payer_id].standing)
    last = view.payers[last_id]
    return [Candidate(CATEGORY, view.account.clm01, last_id, amount, "payer",
                      evidence={"summary": f"payers paid {to_decimal(sum(legit.values()))} together against "
                                           f"{to_decimal(allowed)} allowed by the primary",
                                "primary_payer": view.order[0], "allowed": str(to_decimal(allowed)),
                                "records": records, "filing_indicator": last.filing_indicator})]
