"""Column types for exact values: money as integer cents, quantities as decimal text.

SQLite has no exact decimal type (SQLAlchemy warns it "does not support Decimal objects
natively"): a NUMERIC column there rounds through a float. So money is stored as integer cents
(BigInteger, exact on every backend) and read back as Decimal; units and other quantities, which
may be fractional, are stored as canonical decimal text. Nothing here knows a table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.types import TypeDecorator

from edi_engine.errors import InputError, Position

__all__ = ["Money", "DecimalText", "to_cents", "from_cents"]

_CENT = Decimal("0.01")


def to_cents(value: Decimal | None, what: str = "amount", position: Position | None = None) -> int | None:
    """Decimal dollars to integer cents, exactly; a sub-cent amount is an input error, never rounded."""
    if value is None:
        return None
    cents = value.scaleb(2)
    whole = int(cents)
    if whole != cents:
        raise InputError(f"{what} has more than two decimal places; amounts are stored to the cent", position)
    return whole


def from_cents(cents: int | None) -> Decimal | None:
    if cents is None:
        return None
    return Decimal(cents).scaleb(-2).quantize(_CENT)


class Money(TypeDecorator[Decimal]):
    """Decimal in Python, integer cents in the database. Binds int (already cents) or Decimal."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None or type(value) is int:
            return value
        return to_cents(value)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return from_cents(value)


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal kept as its exact text (e.g. units "1.5"), never a float."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("DecimalText takes Decimal or str, never float")
        return str(value)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)
