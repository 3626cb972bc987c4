"""835 balancing (005010X221A1 TR3 balancing, domain.md 1.9): the one home of its equations.

Owns the equations, with zero tolerance at parse time:

- line (2110):        SVC02 - sum(line CAS amounts) = SVC03                       "svc-unbalanced"
- claim (2100):       CLP03 - sum(claim CAS) - sum(line CAS) = CLP04              "clp-unbalanced"
                      (also for a bare CLP with neither CAS nor SVC: its charge less its payment
                      must then be zero, or the adjustments that explain it are missing)
- claim vs lines:     with service lines and no claim-level CAS, CLP04 = sum(SVC03)
                      (RFI 452)                                                   "clp-svc-unbalanced"
- transaction (ST):   sum(CLP04) - sum(PLB amounts) = BPR02, with BPR02 negative when BPR03 is
                      "D" (a debit: the payer takes money back)                    "transaction-unbalanced"
- payment:            BPR02 >= 0: an 835 cannot be issued for less than zero; a net-negative
                      remittance is balanced with PLB (FB), RFI 2287/2223          "bpr02-negative"

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

__all__ = ["DEBIT", "TransactionBalance", "adjustment_difference", "check_claim", "check_payment_amount",
           "check_service", "claim_imbalance", "lines_difference", "negative_payment", "signed_total",
           "transaction_difference"]

DEBIT = "D"  # BPR03: the payment is a debit to the provider's account (money taken back)

_ZERO = Decimal(0)
N = TypeVar("N", int, Decimal)  # cents as stored, or dollars as parsed


def adjustment_difference(total: N, adjustments: Iterable[N], paid: N) -> N:
    """total - sum(CAS) - paid, for a line (SVC02, SVC03) or a claim (CLP03, CLP04); zero when it balances."""
    for amount in adjustments:
        total -= amount
    return total - paid


def lines_difference(paid: N, service_paid: Iterable[N], claim_adjusted: bool) -> N:
    """CLP04 - sum(SVC03) for a claim with service lines and no claim-level CAS (RFI 452); zero
    otherwise (claim-level CAS legitimately separates the two, and a bare CLP has no lines)."""
    lines = list(service_paid)
    if claim_adjusted or not lines:
        return paid - paid
    for amount in lines:
        paid -= amount
    return paid


def claim_imbalance(claim_difference: N, line_differences: Iterable[N], lines_vs_claim: N) -> N:
    """How much a claim misses balancing by: the largest of |claim equation|, the sum of |line
    equations| and |CLP04 - sum(SVC03)|. One error shows in several equations (a wrong SVC03 puts
    the line and the claim-vs-lines equation out by the same amount), so they are not added."""
    lines = claim_difference - claim_difference
    for d in line_differences:
        lines += abs(d)
    return max(abs(claim_difference), lines, abs(lines_vs_claim))


def negative_payment(total_payment: N) -> bool:
    """BPR02 below zero: not a valid 835 (a net-negative remittance carries a PLB FB instead)."""
    return total_payment < 0


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
    """Each line of the claim, CLP03 - claim CAS - line CAS = CLP04, and CLP04 = sum(SVC03).

    This runs once per claim of every file: the exact (Decimal) sums of the three equations are
    taken in one pass, subtracting in the same order as the functions above, and only an equation
    that does not hold exactly goes on to them (check_service, _check_lines, cents).
    """
    services = claim.services
    total = claim.charge
    for a in claim.adjustments:
        total -= a.amount
    for service in services:
        line = service.charge
        for a in service.adjustments:
            amount = a.amount
            line -= amount
            total -= amount
        if line - service.paid:
            check_service(service, position, problems)
    if services and not claim.adjustments:
        lines = claim.paid
        for service in services:
            lines -= service.paid
        if lines:
            _check_lines(claim, position, problems)
    if not total - claim.paid:
        return
    amounts = [a.amount for a in claim.adjustments]
    for service in services:
        amounts.extend(a.amount for a in service.adjustments)
    charge, paid = round_cents(claim.charge), round_cents(claim.paid)
    adjusted = [round_cents(a) for a in amounts]
    if not adjustment_difference(charge, adjusted, paid):
        return
    bare = "" if services or claim.adjustments else " (a claim with neither CAS nor service lines)"
    problems.append(Problem(
        "warning", "clp-unbalanced",
        f"claim does not balance: CLP03 {_shown(charge)} - claim and line CAS {_shown(sum(adjusted))} = "
        f"{_shown(charge - sum(adjusted))}, but CLP04 is {_shown(paid)}{bare}",
        _at(position, claim.segment, claim.offset)))


def _check_lines(claim: ClaimPayment, position: Position, problems: list[Problem]) -> None:
    if not lines_difference(claim.paid, (s.paid for s in claim.services), False):
        return
    paid = round_cents(claim.paid)
    lines = sum(round_cents(s.paid) for s in claim.services)
    if not lines_difference(paid, [lines], False):
        return
    problems.append(Problem(
        "warning", "clp-svc-unbalanced",
        f"claim payment does not equal its service lines: CLP04 {_shown(paid)}, but the SVC03 amounts sum to "
        f"{_shown(lines)} (difference {_shown(paid - lines)}) and there is no claim-level CAS to explain it",
        _at(position, claim.segment, claim.offset)))


def check_payment_amount(total_payment: Decimal, position: Position, problems: list[Problem]) -> bool:
    """BPR02 must not be negative; appends a warning at the BPR and returns False when it is."""
    if not negative_payment(total_payment):
        return True
    problems.append(Problem(
        "warning", "bpr02-negative",
        f"BPR02 is negative ({_shown(round_cents(total_payment))}): an 835 cannot be issued for less than zero; "
        "a net-negative remittance carries a PLB (FB) instead", position))
    return False


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
