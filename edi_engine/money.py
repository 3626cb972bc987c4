"""Money: the one `Cents` type, the one conversion each way, and the one display format.

Amounts are `Decimal` dollars in the parsed models and in what the outputs show; from the store
on they are integer cents, because SQLite has no exact decimal type and integer cents are exact on
every backend. This module is the only place that converts between the two forms; every layer may
import it, and it imports nothing from edi_engine but the error tree (it sits below x12, like
errors.py).

- `to_cents` is exact: a sub-cent amount is an input error, never rounded, because rounding a
  remittance amount would silently change what the payer said.
- `round_cents` is the one rounding conversion (half-up). Only the 835 balancing checks use it:
  they run at parse time, before the store has rejected sub-cent amounts, and must report rather
  than raise.
- `from_cents` gives the Decimal quantized to the cent, so "12" cents reads back as 0.12 and
  0 as 0.00 (templates and reports print it as is).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import NewType

from edi_engine.errors import InputError, Position

__all__ = ["Cents", "format_amount", "from_cents", "round_cents", "to_cents"]

Cents = NewType("Cents", int)
"""An amount in integer cents (stored form). Sums of Cents are plain ints until the ledger names them."""

_CENT = Decimal("0.01")


def to_cents(value: Decimal, what: str = "amount", position: Position | None = None) -> Cents:
    """Decimal dollars to integer cents, exactly; a sub-cent amount is an input error, never rounded.

    Runs for every amount of every ingested file, so the happy path is two operations and the
    error message (with `what` and `position`) is built only when the amount is wrong.
    """
    cents = value.scaleb(2)
    whole = int(cents)
    if whole != cents:
        raise InputError(f"{what} has more than two decimal places; amounts are stored to the cent", position)
    return Cents(whole)


def round_cents(value: Decimal) -> Cents:
    """Decimal dollars to cents, half-up: only for checks over not yet validated input (835 balancing)."""
    return Cents(int(value.scaleb(2).to_integral_value(ROUND_HALF_UP)))


def from_cents(cents: int) -> Decimal:
    """Integer cents (a stored amount or a ledger sum) to Decimal dollars, quantized to the cent."""
    return Decimal(cents).scaleb(-2).quantize(_CENT)


def format_amount(value: Decimal) -> str:
    """An amount as people read it in letters and pages: thousands separated, two decimals."""
    return f"{value:,.2f}"
