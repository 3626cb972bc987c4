"""How a payer adjudicates a line and a claim, in the simulated world.

Owns the arithmetic of every 2110/2100 the generator emits, so that each one balances by
construction (SVC02 - line CAS = SVC03; CLP03 - CAS = CLP04; claim totals are line sums):

- a normal line: allowed A = contract (fees.py); CO-45 = charge - A; patient responsibility
  split into PR-1 deductible, PR-2 coinsurance, PR-3 copay by payer type; paid = A - PR;
  AMT*B6 = A when the payer reports it;
- a denied line (CO-97 bundled, CO-50 not necessary): paid 0, the whole charge CO;
- an underpaid line (payer used a lower fee): A' < A, paid A' - PR; not a credit;
- a secondary line, correct COB: OA-23 = charge - primary PR, paid = the primary's PR;
- a secondary line paying as if primary (COB overpayment): CO-45 = charge - A2, paid A2, no PR.

Knows nothing of X12 text, dates of checks or findings.
"""

from __future__ import annotations

import random
from decimal import Decimal

from edi_engine.simulate.fees import FeeSchedule
from edi_engine.simulate.model import ZERO, Adj, Claim, ClaimResult, Coverage, Line, LineResult, money

__all__ = [
    "adjudicate",
    "deny_duplicate",
    "line_result",
    "secondary_correct",
    "secondary_as_primary",
    "shares",
]

_EM = ("99202", "99203", "99204", "99212", "99213", "99214", "99215", "99396", "G0439", "99284")


def shares(payer_type: str, line: Line, allowed: Decimal, rng: random.Random,
           deductible_left: list[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    """(deductible, coinsurance, copay) of one line; deductible_left is the claim's remaining deductible."""
    ded = coins = copay = ZERO
    if allowed <= 0:
        return ded, coins, copay
    if payer_type == "medicare":
        ded = min(allowed, deductible_left[0])
        deductible_left[0] -= ded
        coins = money((allowed - ded) * Decimal("0.20"))
    elif payer_type == "medicaid":
        if line.procedure in _EM:
            copay = min(allowed, Decimal(rng.choice(("0.00", "2.00", "3.00"))))
    else:
        if line.procedure in _EM and rng.random() < 0.7:
            copay = min(allowed, Decimal(rng.choice(("20.00", "25.00", "30.00", "40.00"))))
        else:
            ded = min(allowed, deductible_left[0])
            deductible_left[0] -= ded
            coins = money((allowed - ded) * Decimal(rng.choice(("0.10", "0.20", "0.30"))))
    return ded, coins, copay


def line_result(line: Line, allowed: Decimal, pr: tuple[Decimal, Decimal, Decimal], *,
                report_allowed: bool, paid: Decimal | None = None, co_reason: str = "45") -> LineResult:
    """A paid line: CO for charge - allowed, PR-1/2/3, paid = allowed - PR unless given.

    When `paid` is given (an overpayment), the CO amount absorbs the difference so the line still
    balances; it may go negative (a payer paying above the charge).
    """
    pr_total = pr[0] + pr[1] + pr[2]
    if paid is None:
        paid = allowed - pr_total
    co = line.charge - pr_total - paid
    adjustments: list[Adj] = []
    if co != 0:
        adjustments.append(Adj("CO", co_reason, co))
    for reason, amount in zip(("1", "2", "3"), pr, strict=True):
        if amount:
            adjustments.append(Adj("PR", reason, amount))
    return LineResult(line, paid, tuple(adjustments), allowed if report_allowed else None)


def _denied_line(line: Line, reason: str) -> LineResult:
    return LineResult(line, ZERO, (Adj("CO", reason, line.charge),), None)


def adjudicate(claim: Claim, coverage: Coverage, fees: FeeSchedule, rng: random.Random, *,
               control_number: str, status: str = "1", lines: tuple[Line, ...] | None = None,
               allow_denials: bool = True, allow_underpayment: bool = True) -> ClaimResult:
    """A payer's normal adjudication of `lines` (default: all) at or below contract."""
    payer = coverage.payer
    deductible = ZERO
    if payer.payer_type != "medicaid" and rng.random() < 0.12:
        deductible = Decimal("240.00") if payer.payer_type == "medicare" else Decimal(rng.choice(("100.00", "250.00")))
    left = [deductible]
    results: list[LineResult] = []
    for line in claim.lines if lines is None else lines:
        roll = rng.random()
        if allow_denials and roll < 0.03 and len(claim.lines) > 1:
            results.append(_denied_line(line, rng.choice(("97", "50"))))
            continue
        allowed = fees.allowed(payer.payer_id, line)
        if allow_underpayment and roll > 0.98:
            allowed = money(allowed * Decimal("0.92"))
        pr = shares(payer.payer_type, line, allowed, rng, left)
        results.append(line_result(line, allowed, pr, report_allowed=payer.sends_allowed))
    return ClaimResult(claim, coverage, status, control_number, tuple(results))


def secondary_correct(primary: ClaimResult, coverage: Coverage, fees: FeeSchedule, *,
                      control_number: str) -> ClaimResult:
    """The secondary pays exactly the primary's patient responsibility, line by line (OA-23)."""
    results = []
    for r in primary.lines:
        pr = r.patient_responsibility
        adjustments = (Adj("OA", "23", r.line.charge - pr),) if r.line.charge != pr else ()
        allowed = fees.allowed(coverage.payer.payer_id, r.line) if coverage.payer.sends_allowed else None
        results.append(LineResult(r.line, pr, adjustments, allowed))
    return ClaimResult(primary.claim, coverage, "2", control_number, tuple(results))


def secondary_as_primary(primary: ClaimResult, coverage: Coverage, fees: FeeSchedule, *,
                         control_number: str) -> ClaimResult:
    """The secondary ignores the primary's payment and pays its own full contract (no OA-23, no PR)."""
    results = []
    for r in primary.lines:
        if r.paid == 0 and r.patient_responsibility == 0:  # a line the primary denied stays denied
            results.append(LineResult(r.line, ZERO, (Adj("CO", "97", r.line.charge),), None))
            continue
        allowed = fees.allowed(coverage.payer.payer_id, r.line)
        results.append(line_result(r.line, allowed, (ZERO, ZERO, ZERO), report_allowed=coverage.payer.sends_allowed))
    return ClaimResult(primary.claim, coverage, "2", control_number, tuple(results))


def deny_duplicate(claim: Claim, coverage: Coverage, *, control_number: str) -> ClaimResult:
    """CLP02 4: the payer denies a resubmission as an exact duplicate (OA-18 on every line)."""
    results = tuple(LineResult(line, ZERO, (Adj("OA", "18", line.charge),), None) for line in claim.lines)
    return ClaimResult(claim, coverage, "4", control_number, results)
