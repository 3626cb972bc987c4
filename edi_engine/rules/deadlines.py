"""Refund deadlines: Medicare and Medicaid 60 days from identification (SSA 1128J(d), 42 CFR
401.305; domain.md 5.1, 5.4); Medicare Advantage plans and other payers per the provider's contract
(rule pack `deadlines.contract`), else by state; patients per the rule pack by state (5.5, 5.6, 5.10).
Knows nothing of the ledger."""

from __future__ import annotations

from datetime import date, timedelta

from edi_engine.rules.pack import RulePack

__all__ = ["deadline_for"]

_GOVERNMENT = ("medicare", "medicaid")


def deadline_for(pack: RulePack, refund_to: str | None, payer_type: str | None, identified_on: date,
                 payer_id: str | None = None) -> date | None:
    """`identified_on` is the day the clock starts: identification, or what a category's rule names
    instead (an MSP refund runs from the other primary payment's receipt, 42 CFR 489.20(h))."""
    if refund_to is None:
        return None  # not a refund: unmatched payments, unbalanced remittances
    if payer_type in _GOVERNMENT:
        # Patient over-collections from a Medicare beneficiary also run 60 days (42 CFR 489.41).
        return identified_on + timedelta(days=pack.deadline_days[payer_type])
    if refund_to == "payer":
        # A Medicare Advantage plan (or any payer) is owed what the provider's contract says
        # (domain.md 5.10); else the state's window, else the default.
        days = pack.contract_days.get(payer_id or "", pack.payer_days_by_state.get(
            pack.state, pack.deadline_days["payer_default"]))
    else:
        days = pack.patient_days_by_state.get(pack.state, pack.deadline_days["patient_default"])
    return identified_on + timedelta(days=days)
