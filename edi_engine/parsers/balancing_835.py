"""835 balancing (005010X221A1 TR3 balancing, domain.md 1.9): the one home of its equations.

Owns the three equations, with zero tolerance at parse time:

- line (2110):        SVC02 - sum(line CAS amounts) = SVC03                       "svc-unbalanced"
- claim (2100):       CLP03 - sum(claim CAS) - sum(line CAS) = CLP04              "clp-unbalanced"
                      (at parse time only when the claim has service lines or claim CAS: a bare
                      CLP carries no detail to balance)
- transaction (ST):   sum(CLP04) - sum(PLB amounts) = BPR02, with BPR02 negative when BPR03 is
                      "D" (a debit: the payer takes money back)                    "transaction-unbalanced"

Two callers, one equation each: the parser checks its Decimal models (`check_service`,
`check_claim`, `TransactionBalance`) and reports warnings; the rules layer checks stored facts
in integer cents (`adjustment_difference`, `transaction_difference`, `signed_total`) and reports
findings. Both go through the same functions, which are generic over int (cents) and Decimal.

An unbalanced 835 is still read: the ledger decides what to do with it. Messages carry amounts and
positions only, never patient names or identifiers. Knows nothing of segments or storage: the
walker hands over models and the Position of the transaction set.

At parse time the sums are exact Decimal arithmetic; amounts are converted to cents (half-up,
money.round_cents: the store has not yet refused sub-cent amounts) only when an equation does not
hold exactly, so the common, balanced case costs a few additions per claim.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal
from typing import TypeVar

from edi_engine.errors import Position, Problem
from edi_engine.money import from_cents, round_cents
from edi_engine.parsers.x221a1_835_models import ClaimPayment, ProviderAdjustment, ServicePayment

__all__ = ["DEBIT", "TransactionBalance", "adjustment_difference", "check_claim", "check_service", "signed_total",
           "transaction_difference"]

DEBIT = "D"  # BPR03: the payment is a debit to the provider's account (money taken back)

_ZERO = Decimal(0)
N = TypeVar("N", int, Decimal)  # cents as stored, or dollars as parsed


def adjustment_difference(total: N, adjustments: Iterable[N], paid: N) -> N:
    """total - sum(CAS) - paid, for a line (SVC02, SVC03) or a claim (CLP03, CLP04); zero when it balances."""
    for amount in adjustments:
        total -= amount
    return total - paid


def signed_total(total_payment: N, credit_debit: str | None) -> N:
    """BPR02 as the equation uses it: negative when BPR03 is D (the payer debits the provider)."""
    return -total_payment if credit_debit == DEBIT else total_payment


def transaction_difference(claims_paid: N, provider_adjustments: N, total_payment: N, credit_debit: str | None) -> N:
    """sum(CLP04) - sum(PLB) - BPR02 (signed by BPR03); zero when the transaction set balances."""
    return claims_paid - provider_adjustments - signed_total(total_payment, credit_debit)


def _at(position: Position, segment: int, offset: int) -> Position:
    return dataclasses.replace(position, segment=segment, offset=offset)


def _shown(cents: int) -> str:
    return str(from_cents(cents))


def check_service(service: ServicePayment, position: Position, problems: list[Problem]) -> bool:
    """SVC02 - line CAS = SVC03; appends a warning and returns False when it does not hold."""
    amounts = [a.amount for a in service.adjustments]
    if not adjustment_difference(service.charge, amounts, service.paid):
        return True
    charge, paid = round_cents(service.charge), round_cents(service.paid)
    adjusted = [round_cents(a) for a in amounts]
    if not adjustment_difference(charge, adjusted, paid):
        return True
    problems.append(Problem(
        "warning", "svc-unbalanced",
        f"service line does not balance: SVC02 {_shown(charge)} - line CAS {_shown(sum(adjusted))} = "
        f"{_shown(charge - sum(adjusted))}, but SVC03 is {_shown(paid)}",
        _at(position, service.segment, service.offset)))
    return False


def check_claim(claim: ClaimPayment, position: Position, problems: list[Problem]) -> None:
    """Each line of the claim, then CLP03 - claim CAS - line CAS = CLP04."""
    services = claim.services
    for service in services:
        check_service(service, position, problems)
    if not services and not claim.adjustments:
        return
    amounts = [a.amount for a in claim.adjustments]
    for service in services:
        amounts.extend(a.amount for a in service.adjustments)
    if not adjustment_difference(claim.charge, amounts, claim.paid):
        return
    charge, paid = round_cents(claim.charge), round_cents(claim.paid)
    adjusted = [round_cents(a) for a in amounts]
    if not adjustment_difference(charge, adjusted, paid):
        return
    problems.append(Problem(
        "warning", "clp-unbalanced",
        f"claim does not balance: CLP03 {_shown(charge)} - claim and line CAS {_shown(sum(adjusted))} = "
        f"{_shown(charge - sum(adjusted))}, but CLP04 is {_shown(paid)}",
        _at(position, claim.segment, claim.offset)))


class TransactionBalance:
    """Running totals for sum(CLP04) - sum(PLB) = BPR02, so no claim is kept in memory.

    The totals are exact Decimal sums; they are compared in cents, which for amounts of at most two
    decimals (all real 835s) is the same as summing cents.
    """

    __slots__ = ("paid", "provider")

    def __init__(self) -> None:
        self.paid = _ZERO
        self.provider = _ZERO

    def add_claim(self, claim: ClaimPayment) -> None:
        self.paid += claim.paid

    def add_provider_adjustment(self, adjustment: ProviderAdjustment) -> None:
        self.provider += adjustment.amount

    def check(self, total_payment: Decimal, position: Position, problems: list[Problem],
              credit_debit: str | None = None) -> bool:
        """Compare with BPR02, signed by BPR03, at `position` (the SE, or the BPR); False when unbalanced."""
        paid, provider, total = round_cents(self.paid), round_cents(self.provider), round_cents(total_payment)
        if not transaction_difference(paid, provider, total, credit_debit):
            return True
        debit = " (BPR03 D: a debit)" if credit_debit == DEBIT else ""
        problems.append(Problem(
            "warning", "transaction-unbalanced",
            f"transaction set does not balance: sum of CLP04 {_shown(paid)} - sum of PLB "
            f"{_shown(provider)} = {_shown(paid - provider)}, but BPR02 is "
            f"{_shown(signed_total(total, credit_debit))}{debit}",
            position))
        return False
