"""Typed element values: Decimal amounts, dates, quantities, composites.

Shared by every guide module. A value that does not read as its type raises X12Error at the
segment's position; the transaction-set dispatcher turns that into a Problem and skips the rest of
that transaction set, so one broken set never hides the others in the file.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from edi_engine.errors import X12Error
from edi_engine.x12.segment import Segment

__all__ = ["amount", "optional_amount", "parse_date", "optional_date", "date_range", "quantity", "format_amount"]

_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)\Z")


def _decimal(seg: Segment, n: int, text: str) -> Decimal:
    text = text.strip()
    if not _NUMBER.match(text):
        raise X12Error(f"{seg.id}{n:02d} is not a number", seg.position)
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise X12Error(f"{seg.id}{n:02d} is not a number", seg.position) from None


def amount(seg: Segment, n: int) -> Decimal:
    """A required monetary amount (X12 type R)."""
    text = seg.get(n)
    if not text:
        raise X12Error(f"{seg.id}{n:02d} (an amount) is missing", seg.position)
    return _decimal(seg, n, text)


def optional_amount(seg: Segment, n: int) -> Decimal | None:
    text = seg.get(n)
    return _decimal(seg, n, text) if text else None


def quantity(seg: Segment, n: int) -> Decimal | None:
    """Units and other R-type quantities; Decimal because units may be fractional (e.g. 1.5)."""
    text = seg.get(n)
    return _decimal(seg, n, text) if text else None


def parse_date(seg: Segment, n: int, text: str | None = None) -> date:
    """CCYYMMDD (D8)."""
    value = (seg.get(n) if text is None else text).strip()
    if len(value) != 8 or not value.isdecimal():
        raise X12Error(f"{seg.id}{n:02d} is not a CCYYMMDD date", seg.position)
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise X12Error(f"{seg.id}{n:02d} is not a valid calendar date", seg.position) from None


def optional_date(seg: Segment, n: int) -> date | None:
    return parse_date(seg, n) if seg.get(n) else None


def date_range(seg: Segment, qualifier_n: int, value_n: int) -> tuple[date, date]:
    """A DTP/DTM value under qualifier D8 (one day) or RD8 (CCYYMMDD-CCYYMMDD)."""
    value = seg.get(value_n).strip()
    if seg.get(qualifier_n) == "RD8" or "-" in value:
        start, _, end = value.partition("-")
        return parse_date(seg, value_n, start), parse_date(seg, value_n, end or start)
    day = parse_date(seg, value_n, value)
    return day, day


def format_amount(value: Decimal) -> str:
    """An amount as X12 writes it: no exponent, no trailing zeros past the cents, no '+'."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
