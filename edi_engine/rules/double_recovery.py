"""double_recovery: the provider refunded a payer by check or EFT, and the payer then took the same
money again through a PLB recoupment (WO, or a 72 "authorized return") on a later remittance.

A provider's refund check is acknowledged by PLB 72 paired with WO of the same reference in one
remittance (RFI 1374, 1976; domain.md 1.8, 4.6): that pair nets to nothing and is no recovery (the
ledger skips it once the refund is recorded). A positive WO or 72 standing alone, dated on or after
the refund, is money taken back a second time: the payer now owes the provider (domain.md 4.6,
[DERIVED]); "check has been submitted" is the listed reason to rebut such an offset (NOR-DME). Not
a credit and not a refund the provider makes: a letter asks the payer to return the recoupment.
The ledger (balances.double_recovery) says how much; this module gives it its proof: the refund
rows and the PLB segments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edi_engine.ledger import AccountView, StoreFacts, double_recovery
from edi_engine.money import from_cents
from edi_engine.rules.candidate import Candidate, plb_evidence

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "detect"]

CATEGORY = "double_recovery"


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    out: list[Candidate] = []
    for payer in view.payers.values():
        twice = double_recovery(view, payer, facts)
        if twice.owed <= 0:
            continue
        records: list[dict[str, object]] = [
            {"role": "refunded by the provider", "record": "refund", "refund_id": r.id, "finding_id": r.finding_id,
             "category": r.category, "method": r.method, "number": r.number, "date": r.paid_on.isoformat(),
             "amount": str(from_cents(r.amount)), "payer_id": r.party} for r in twice.refunds]
        for plb in twice.recoupments:
            rec = plb_evidence(plb, facts, "recouped again by the payer")
            payment = facts.payments.get(plb.payment_id)
            if payment is not None and payment.payment_date is not None:
                rec["check_date"] = payment.payment_date.isoformat()  # when the money was taken the second time
            records.append(rec)
        checks = ", ".join(f"{r.method} {r.number} of {r.paid_on.isoformat()}" for r in twice.refunds)
        plbs = ", ".join(f"PLB {p.reason} {from_cents(p.amount)} ref {p.reference}" for p in twice.recoupments)
        out.append(Candidate(
            CATEGORY, view.account.clm01, payer.payer_id, twice.owed, None,
            evidence={"summary": f"refunded by {checks}, then recouped again ({plbs}): "
                                 f"{from_cents(twice.owed)} owed back to the provider",
                      "records": records, "refunded": str(from_cents(twice.refunded)),
                      "recouped": str(from_cents(twice.recouped)), "filing_indicator": payer.filing_indicator}))
    return out
