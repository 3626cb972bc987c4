"""Column types for exact values: money as integer cents, quantities as decimal text.

SQLite has no exact decimal type (SQLAlchemy warns it "does not support Decimal objects
natively"): a NUMERIC column there rounds through a float. So money is stored as integer cents
(BigInteger, exact on every backend) and read back as Decimal, both ways through edi_engine.money
(the one converter); units and other quantities, which may be fractional, are stored as canonical
decimal text. Nothing here knows a table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.types import TypeDecorator

from edi_engine.money import from_cents, to_cents

__all__ = ["Money", "DecimalText"]


class Money(TypeDecorator[Decimal]):
    """Decimal in Python, integer cents in the database. Binds int (already cents) or Decimal."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None or type(value) is int:
            return value
        return to_cents(value)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else from_cents(value)


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
