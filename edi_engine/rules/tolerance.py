"""What "smaller than the tolerance" means, for every tolerance of the rule pack (credits, 835
balancing): strictly smaller, `<`, so an amount equal to the tolerance is reported (domain.md
5.11). Knows nothing of payer types: the pack says which tolerance applies (none for Medicare and
Medicaid credits by default)."""

from __future__ import annotations

__all__ = ["below_tolerance"]


def below_tolerance(amount: int, tolerance: int) -> bool:
    """Nothing, or strictly smaller than the tolerance. `amount` is a credit or an absolute
    difference, in cents."""
    return amount <= 0 or amount < tolerance
