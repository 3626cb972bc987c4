"""era_without_deposit: cash posted but not received. An 835 says the payer paid (BPR02 by EFT or
check, BPR16, TRN02) and no bank deposit reassociates to it (ledger/reassociation.py) after the
rule pack's wait (deposits.era_wait_days, deposits.check_wait_days for checks). Posting that 835
puts money on accounts that the bank never saw: a false credit waiting to happen (domain.md 1.11:
unapplied cash, not a credit). Not a refund: owed to nobody, no letter; the office asks the payer
for an EFT trace or a reissued check. Resolved by itself when the deposit arrives.

Store-wide, like the transaction checks: rules/reassociation.py builds these candidates in a full
detect run; `detect` per account finds none.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from edi_engine.ledger import AccountView, StoreFacts
from edi_engine.money import from_cents
from edi_engine.rules.candidate import Candidate
from edi_engine.store.deposits import DepositFact, EraPaymentFact

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "candidate", "deposit_evidence", "detect", "payment_evidence"]

CATEGORY = "era_without_deposit"


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    return []  # not per account: rules/reassociation.py


def payment_evidence(p: EraPaymentFact, trn_offset: int | None, role: str = "payment") -> list[dict[str, Any]]:
    """The 835's BPR and TRN segments (TRN follows BPR in table 1 of 005010X221A1)."""
    common = {"file": p.file, "isa13": p.isa13 or None, "st02": p.st02 or None, "trn02": p.trace_number or None}
    return [
        {"role": role, "record": "BPR", "segment": p.segment, "offset": p.offset, **common,
         "bpr02": str(from_cents(p.amount)), "bpr03": p.credit_debit or None, "bpr04": p.method or None,
         "bpr16": p.payment_date.isoformat() if p.payment_date else None, "payer_id": p.payer_id or None},
        {"role": "reassociation trace", "record": "TRN", "segment": p.segment + 1, "offset": trn_offset, **common,
         "trn03": p.trace_payer_id or None},
    ]


def _masked(account: str) -> str:
    return ("…" + account[-4:]) if len(account) > 4 else account


def deposit_evidence(d: DepositFact, role: str = "deposit") -> dict[str, Any]:
    return {"role": role, "record": "BAI2 16" if d.type_code else "deposits CSV", "file": d.file, "line": d.line,
            "date": d.deposit_date.isoformat(), "amount": str(from_cents(d.amount)),
            "trace": d.trace_number or None, "customer_reference": d.customer_reference or None,
            "type_code": d.type_code or None, "account": _masked(d.account), "originator": d.originator or None}


def candidate(p: EraPaymentFact, trn_offset: int | None, same_trace: tuple[DepositFact, ...], wait: int,
              as_of: date) -> Candidate:
    paid_on = p.payment_date.isoformat() if p.payment_date else "no BPR16"
    how = "check" if p.method == "CHK" else "EFT"
    records = payment_evidence(p, trn_offset)
    records += [deposit_evidence(d, "deposit with the same trace and another amount") for d in same_trace]
    return Candidate(
        CATEGORY, None, p.payer_id or None, p.amount, None,
        cause=f"TRN02={p.trace_number}:TRN03={p.trace_payer_id}:BPR16={paid_on}:BPR02={from_cents(p.amount)}",
        evidence={"summary": f"cash posted but not received: the 835 pays {from_cents(p.amount)} by {how} "
                             f"(TRN02 {p.trace_number or 'none'}, {paid_on}) and no deposit reassociates to it "
                             f"{wait} days later",
                  "records": records, "bpr16": p.payment_date.isoformat() if p.payment_date else None,
                  "as_of": as_of.isoformat()})
