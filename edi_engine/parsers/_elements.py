"""Typed element values: Decimal amounts, dates, quantities, composites.

Shared by every guide module. Two kinds of damage, two outcomes:

- A value the money depends on (an amount, a service date) that does not read as its type raises
  X12Error at the segment's position; the transaction-set dispatcher turns that into a Problem and
  skips the rest of that transaction set, so one broken set never hides the others in the file.
- Any other date (BPR16, DTM*405, a birth date, ...) goes through `soft_date`: when it cannot be
  read it becomes None and an "unreadable-element" warning at its segment, and the set still loads.

Composites written with another separator than ISA16 (`HC>55669` under ISA16 `:`) are split by
`split_composite`, which both guides call and which says which separator it used.
Messages name the element and its position, never its value (it may be PHI).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from edi_engine.errors import Problem, X12Error
from edi_engine.x12.segment import Segment

__all__ = ["COMPOSITE_SEPARATOR", "FALLBACK_COMPONENT", "UNREADABLE", "amount", "composite_warning", "date_range",
           "format_amount", "optional_amount", "optional_date", "parse_date", "quantity", "soft_date",
           "split_composite"]

UNREADABLE = "unreadable-element"  # a value outside the money that could not be read: a warning and a null
COMPOSITE_SEPARATOR = "composite-separator"  # a composite split on another separator than ISA16
# Separators seen in place of ISA16 inside composites (x12/ppo-repriced-claim.837i writes 13>A>1).
FALLBACK_COMPONENT = (">", ":", "!", "^", "|", "\\", "`")

_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)\Z")
# X12 type R holds at most 18 digits (element 782, Monetary Amount, is R 1/18; sign and decimal
# point do not count). A longer value is not an amount the payer could have meant, and past 28
# digits Decimal arithmetic in the default context stops being exact, so it is refused here.
_MAX_DIGITS = 18


def _decimal(seg: Segment, n: int, text: str) -> Decimal:
    text = text.strip()
    if not _NUMBER.match(text):
        raise X12Error(f"{seg.id}{n:02d} is not a number", seg.position)
    # The length test first: only a value longer than 18 characters can hold more than 18 digits.
    if len(text) > _MAX_DIGITS and sum(ch.isdigit() for ch in text) > _MAX_DIGITS:
        raise X12Error(f"{seg.id}{n:02d} has more than the {_MAX_DIGITS} digits an X12 number may hold", seg.position)
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


def soft_date(seg: Segment, n: int, problems: list[Problem], text: str | None = None,
              what: str = "a date") -> date | None:
    """A date the money does not depend on: None when empty; None and a warning when unreadable.

    The warning names the element, its segment number and byte offset (the Problem's position),
    and says the value was set aside; it never quotes the value.
    """
    value = seg.get(n) if text is None else text
    if not value.strip():
        return None
    try:
        return parse_date(seg, n, value)
    except X12Error as exc:
        problems.append(Problem("warning", UNREADABLE,
                                f"{exc.message} ({what}); read as empty, the rest of the transaction set is read",
                                seg.position))
        return None


def split_composite(value: str, component: str) -> tuple[tuple[str, ...], str | None]:
    """The components of `value`, and the stray separator used when ISA16 is not in it (else None).

    A value with ISA16 in it, or with none of the separators seen in its place, is split on ISA16
    (a value with no separator at all is one component).
    """
    if not value:
        return (), None
    if component in value:
        return tuple(value.split(component)), None
    for ch in FALLBACK_COMPONENT:
        if ch != component and ch in value:
            return tuple(value.split(ch)), ch
    return (value,), None


def composite_warning(seg: Segment, n: int, used: str, component: str) -> Problem:
    """The warning for a composite split on `used` instead of ISA16: names the separators, not the value."""
    return Problem("warning", COMPOSITE_SEPARATOR, f"{seg.id}{n:02d} is a composite written with {used!r} "
                   f"instead of the component separator {component!r}; split on {used!r}", seg.position)


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
