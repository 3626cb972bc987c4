"""837 claim balancing (005010X222A1/X223A2/X224A2): the one home of its equation.

Owns CLM02 Total Claim Charge Amount = sum of the line charges (SV102 / SV203 / SV302), zero
tolerance, code "clm-unbalanced"; checked only when the claim has lines. The 835's equations
live in `balancing_835`; this is the 837's counterpart, so no rule or validator writes either
again. Messages carry amounts and positions only, never names or identifiers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal
from typing import TypeVar

from edi_engine.errors import Position, Problem
from edi_engine.money import from_cents, round_cents
from edi_engine.parsers.x837_models import Claim837

__all__ = ["charge_difference", "check_claim_charge"]

N = TypeVar("N", int, Decimal)  # cents as stored, or dollars as parsed


def charge_difference(claim_charge: N, line_charges: Iterable[N]) -> N:
    """CLM02 - sum(line charges); zero when the claim balances."""
    for charge in line_charges:
        claim_charge -= charge
    return claim_charge


def check_claim_charge(claim: Claim837, position: Position, problems: list[Problem]) -> bool:
    """CLM02 = sum of the line charges; appends a warning at the CLM and returns False when not."""
    if not claim.lines or not charge_difference(claim.charge, (ln.charge for ln in claim.lines)):
        return True
    charge = round_cents(claim.charge)
    lines = sum(round_cents(ln.charge) for ln in claim.lines)
    if not charge_difference(charge, [lines]):
        return True
    problems.append(Problem(
        "warning", "clm-unbalanced",
        f"claim charge does not equal its lines: CLM02 {from_cents(charge)}, but the {len(claim.lines)} line "
        f"charges sum to {from_cents(lines)} (difference {from_cents(charge - lines)})",
        dataclasses.replace(position, segment=claim.segment, offset=claim.offset)))
    return False
