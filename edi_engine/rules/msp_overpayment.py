"""msp_overpayment: Medicare paid as primary and another payer primary to Medicare (an employer
plan, workers' compensation, no-fault, liability) paid as primary too (both CLP02 1 or 19): a
primacy finding owed to Medicare (domain.md 5.9, 5.2).

Under the Medicare Secondary Payer rules the other payer is primary; Medicare is owed what it paid
less what it owes as secondary payer (42 CFR 411.33; ledger.msp_terms), within 60 days of the
provider's receipt of the other payment (42 CFR 489.20(h)): the refund clock starts at the later
of the two payments' BPR16, not at identification. On the CMS-838 it is reason 2 "primary payment
by another insurer" with the MSP code (column 14) where the rule pack knows it: by the other
payer's id, else its CLP06 (WC workers' compensation, AM no-fault, LM liability). Medicaid,
TRICARE and Medicare Advantage are never primary to Medicare here; two non-Medicare primaries are
COB (cob_overpayment.py), which stands aside where this finding applies."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from edi_engine.ledger import AccountView, PayerView, StoreFacts, msp_terms
from edi_engine.money import from_cents
from edi_engine.rules.candidate import Candidate, clp_evidence

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "detect", "primacy"]

CATEGORY = "msp_overpayment"
_NEVER_PRIMARY_TO_MEDICARE = frozenset({"medicare", "medicare_advantage", "medicaid", "tricare"})


def _supplemental(view: AccountView, payer: PayerView) -> bool:
    """The payer answered as a supplemental one: Medicare's crossover brought it the claim (no 837
    went to it), or it reported the prior payer's impact (OA-23, RFI 2806)."""
    ids = {c.id for c in payer.standing}
    crossed = any(m.subject == "claim_payment" and m.subject_id in ids and "crossover" in m.method
                  for m in view.matches.matches)
    return crossed or any(a.group == "OA" and a.reason == "23" for c in payer.standing for a in c.all_adjustments())


def primacy(view: AccountView, pack: RulePack) -> tuple[PayerView, list[PayerView]] | None:
    """(Medicare, the other payers primary to it) when both paid as primary, else None.

    Not primary to Medicare: Medicaid, TRICARE, Medicare Advantage, a payer the rule pack lists
    under `msp.secondary_to_medicare` (a retiree plan, a small employer's plan, a Medigap plan),
    and a payer that answered as a supplemental one even if it wrote CLP02 1."""
    primaries = [view.payers[p] for p in view.order if view.payers[p].rank == 1]
    medicare = [p for p in primaries if pack.payer_type(p.payer_id, p.filing_indicator) == "medicare"]
    if len(medicare) != 1:  # before the others: _supplemental reads every match of the account
        return None
    others = [p for p in primaries
              if pack.payer_type(p.payer_id, p.filing_indicator) not in _NEVER_PRIMARY_TO_MEDICARE
              and p.payer_id not in pack.msp_secondary_payers and not _supplemental(view, p)]
    if not others:
        return None
    return medicare[0], others


def _msp_code(pack: RulePack, others: list[PayerView]) -> str:
    for o in others:
        code = pack.msp_code_by_payer.get(o.payer_id) or pack.msp_code_by_filing.get(o.filing_indicator, "")
        if code:
            return code
    return ""


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    pair = primacy(view, pack)
    if pair is None:
        return []
    medicare, others = pair
    terms = msp_terms(view, medicare, others)
    if terms.owed <= 0:
        return []
    records = [clp_evidence(c, facts, "Medicare paid as primary") for c in medicare.standing]
    for o in others:
        records.extend(clp_evidence(c, facts, "other payer paid as primary") for c in o.standing)
    received = [d for d in [medicare.last_paid_on] + [o.last_paid_on for o in others] if d is not None]
    due_from: date | None = max(received) if received else None
    names = ", ".join(o.payer_id for o in others)
    code = _msp_code(pack, others)
    money = {k: str(from_cents(getattr(terms, k))) for k in ("charge", "medicare_paid", "medicare_allowed",
                                                             "other_paid", "other_allowed", "obligated", "secondary")}
    return [Candidate(CATEGORY, view.account.clm01, medicare.payer_id, terms.owed, "payer", deadline_from=due_from,
                      evidence={"summary": f"Medicare paid {money['medicare_paid']} as primary and {names} paid "
                                           f"{money['other_paid']} as primary; as secondary payer Medicare owes "
                                           f"{money['secondary']} (42 CFR 411.33), so {from_cents(terms.owed)} "
                                           "is returned to Medicare",
                                "primary_payer": names, "msp_code": code, "msp": money,
                                "deadline_from": due_from.isoformat() if due_from else None,
                                "deadline_rule": "60 days from receipt of the other primary payment "
                                                 "(42 CFR 489.20(h))",
                                "records": records, "filing_indicator": medicare.filing_indicator})]
