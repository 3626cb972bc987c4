"""deposit_without_era: money reached the bank as a health care claim payment (NACHA HCCLAIMPMT
or a TRN reassociation addenda in the BAI2 text, or a row of the deposits CSV) and no stored 835
reassociates to it (ledger/reassociation.py) after deposits.deposit_wait_days. The money cannot
be posted to any claim until the payer's ERA arrives: unapplied cash, not a credit (domain.md
1.11). Not a refund: owed to nobody, no letter; the office requests the 835 from the payer (CORE
370 has payers publish how a lost ERA is resolved). Resolved by itself when the 835 arrives.

Store-wide: rules/reassociation.py builds these candidates in a full detect run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edi_engine.ledger import AccountView, StoreFacts
from edi_engine.money import from_cents
from edi_engine.rules.candidate import Candidate
from edi_engine.rules.era_without_deposit import deposit_evidence
from edi_engine.store.deposits import DepositFact

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "candidate", "detect"]

CATEGORY = "deposit_without_era"


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    return []  # not per account: rules/reassociation.py


def candidate(d: DepositFact, wait: int) -> Candidate:
    reference = d.trace_number or d.customer_reference or d.bank_reference
    return Candidate(
        CATEGORY, None, d.originator or None, d.amount, None,
        # Content, not row ids or file names: the same deposit read again keeps its finding. Only the
        # account's last four digits, as on a statement.
        cause=f"deposit:{d.deposit_date.isoformat()}:{from_cents(d.amount)}:{reference}:{d.account[-4:]}",
        evidence={"summary": f"deposit of {from_cents(d.amount)} on {d.deposit_date.isoformat()} "
                             f"(trace {d.trace_number or 'none'}) has no 835 {wait} days later",
                  "records": [deposit_evidence(d)]})
