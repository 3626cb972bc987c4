"""remittance_conflict: two 835s for the same check or EFT (same TRN02 and payer, domain.md 1.11) that
disagree on the amount (BPR02), the date (BPR16), credit/debit (BPR03) or the claims paid.

A payment device is one payment and one complete 835 (RFI 2287), so both cannot be right: the first
stored is posted, the later one is stored held (ingest.py) and posted nowhere, and this finding asks a
person which one matches the bank deposit. Owed to nobody, no refund, no letter: never a
duplicate_payment, since the money was paid once. The amount is the held remittance's BPR02, the
money not posted until someone decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from edi_engine.ledger import AccountView, StoreFacts
from edi_engine.money import from_cents
from edi_engine.rules.candidate import Candidate
from edi_engine.store.read import RemittanceSide, remittance_conflicts

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "conflicts", "detect"]

CATEGORY = "remittance_conflict"


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    return []  # a remittance's finding, not an account's: see conflicts()


def _record(side: RemittanceSide, role: str) -> dict[str, Any]:
    return {"role": role, "record": "BPR", "file": side.file, "segment": side.segment, "offset": side.offset,
            "isa13": side.isa13, "st02": side.st02, "trn02": side.trace_number, "payer_id": side.payer_id,
            "bpr02": str(from_cents(side.amount)), "bpr03": side.credit_debit or None,
            "check_date": side.payment_date.isoformat() if side.payment_date else None,
            "claims": side.claims, "sum_clp04": str(from_cents(side.sum_clp04))}


def _differs(held: RemittanceSide, posted: RemittanceSide) -> str:
    what = [name for name, a, b in (("amount (BPR02)", held.amount, posted.amount),
                                    ("date (BPR16)", held.payment_date, posted.payment_date),
                                    ("credit/debit (BPR03)", held.credit_debit, posted.credit_debit)) if a != b]
    return ", ".join(what) if what else "claims paid (same check amount and date)"


def conflicts(conn: Connection, facts: StoreFacts) -> list[Candidate]:
    out = []
    for held, posted in remittance_conflicts(conn):
        date = held.payment_date.isoformat() if held.payment_date else ""
        out.append(Candidate(
            CATEGORY, None, facts.canonical(posted.payer_id), abs(held.amount), None,
            cause=f"TRN02={held.trace_number}:BPR02={from_cents(held.amount)}:BPR16={date}:ISA13={held.isa13}"
                  f":ST02={held.st02}",
            evidence={"summary": f"two remittances for check or EFT {held.trace_number} differ in "
                                 f"{_differs(held, posted)}: the later one is held, not posted, until someone "
                                 "checks which one matches the deposit",
                      "records": [_record(posted, "posted"), _record(held, "held")]}))
    return out
