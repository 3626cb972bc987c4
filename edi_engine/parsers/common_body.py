"""Writing models back to segments: what the 835 and 837 writers share.

Element text as X12 writes it (amounts without exponent, CCYYMMDD dates, composites without
trailing empty components) and CAS segments regrouped from one Adjustment per triplet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from edi_engine.parsers._elements import format_amount
from edi_engine.parsers.common_models import Adjustment, RawSegment

__all__ = ["amount_text", "cas_segments", "composite", "date_text", "trimmed"]


def trimmed(elements: Sequence[str]) -> RawSegment:
    """A segment's elements without trailing empty ones."""
    n = len(elements)
    while n > 1 and not elements[n - 1]:
        n -= 1
    return tuple(elements[:n])


def amount_text(value: Decimal | None) -> str:
    return "" if value is None else format_amount(value)


def date_text(value: date | None) -> str:
    return "" if value is None else value.strftime("%Y%m%d")


def composite(separator: str, *parts: str) -> str:
    """Components joined, trailing empty ones dropped."""
    n = len(parts)
    while n > 1 and not parts[n - 1]:
        n -= 1
    return separator.join(parts[:n])


def cas_segments(adjustments: Sequence[Adjustment]) -> list[RawSegment]:
    """Consecutive triplets of one group share a CAS, at most six to a segment."""
    out: list[RawSegment] = []
    i, n = 0, len(adjustments)
    while i < n:
        group = adjustments[i].group
        elements = ["CAS", group]
        j = i
        while j < n and j - i < 6 and adjustments[j].group == group:
            a = adjustments[j]
            elements += [a.reason, format_amount(a.amount), amount_text(a.quantity)]
            j += 1
        out.append(trimmed(elements))
        i = j
    return out
