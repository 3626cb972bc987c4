"""835 balancing checks (005010X221A1 TR3 balancing, domain.md 1.9), reported as warnings.

Owns the three equations, in integer cents with zero tolerance:

- line (2110):        SVC02 - sum(line CAS amounts) = SVC03                       "svc-unbalanced"
- claim (2100):       CLP03 - sum(claim CAS) - sum(line CAS) = CLP04              "clp-unbalanced"
                      (only when the claim has service lines or claim CAS: a bare CLP
                      carries no detail to balance)
- transaction (ST):   sum(CLP04) - sum(PLB amounts) = BPR02                        "transaction-unbalanced"

An unbalanced 835 is still read: the ledger decides what to do with it. Messages carry amounts and
positions only, never patient names or identifiers. Knows nothing of segments or storage: the
walker hands over models and the Position of the transaction set.

Sums are exact Decimal arithmetic; amounts are converted to cents (half-up) only when an equation
does not hold exactly, so the common, balanced case costs a few additions per claim.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from edi_engine.errors import Position, Problem
from edi_engine.parsers.x221a1_835_models import Adjustment, ClaimPayment, ProviderAdjustment, ServicePayment

__all__ = ["TransactionBalance", "check_claim", "check_service", "cents"]

_ZERO = Decimal(0)


def cents(value: Decimal) -> int:
    """An amount in integer cents, half-up (amounts in X12 have at most two decimals in practice)."""
    return int(value.scaleb(2).to_integral_value(ROUND_HALF_UP))


def _sum(adjustments: Iterable[Adjustment]) -> Decimal:
    total = _ZERO
    for adjustment in adjustments:
        total += adjustment.amount
    return total


def _at(position: Position, segment: int, offset: int) -> Position:
    return dataclasses.replace(position, segment=segment, offset=offset)


def _money(value: Decimal | int) -> str:
    if isinstance(value, int):
        sign = "-" if value < 0 else ""
        return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"
    return _money(cents(value))


def check_service(service: ServicePayment, position: Position, problems: list[Problem]) -> bool:
    """SVC02 - line CAS = SVC03; appends a warning and returns False when it does not hold."""
    adjusted = _sum(service.adjustments)
    if service.charge - adjusted == service.paid:
        return True
    lhs = cents(service.charge) - sum(cents(a.amount) for a in service.adjustments)
    if lhs == cents(service.paid):
        return True
    problems.append(Problem(
        "warning", "svc-unbalanced",
        f"service line does not balance: SVC02 {_money(service.charge)} - line CAS {_money(adjusted)} = "
        f"{_money(lhs)}, but SVC03 is {_money(service.paid)}",
        _at(position, service.segment, service.offset)))
    return False


def check_claim(claim: ClaimPayment, position: Position, problems: list[Problem]) -> None:
    """Each line of the claim, then CLP03 - claim CAS - line CAS = CLP04."""
    services = claim.services
    for service in services:
        check_service(service, position, problems)
    if not services and not claim.adjustments:
        return
    adjusted = _sum(claim.adjustments)
    for service in services:
        adjusted += _sum(service.adjustments)
    if claim.charge - adjusted == claim.paid:
        return
    lhs = cents(claim.charge) - sum(cents(a.amount) for a in claim.adjustments) - sum(
        cents(a.amount) for s in services for a in s.adjustments)
    if lhs == cents(claim.paid):
        return
    problems.append(Problem(
        "warning", "clp-unbalanced",
        f"claim does not balance: CLP03 {_money(claim.charge)} - claim and line CAS {_money(adjusted)} = "
        f"{_money(lhs)}, but CLP04 is {_money(claim.paid)}",
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

    def check(self, total_payment: Decimal, position: Position, problems: list[Problem]) -> bool:
        """Compare with BPR02 at `position` (the SE, or the BPR); False when it does not balance."""
        net = cents(self.paid) - cents(self.provider)
        if net == cents(total_payment):
            return True
        problems.append(Problem(
            "warning", "transaction-unbalanced",
            f"transaction set does not balance: sum of CLP04 {_money(self.paid)} - sum of PLB "
            f"{_money(self.provider)} = {_money(net)}, but BPR02 is {_money(total_payment)}",
            position))
        return False
