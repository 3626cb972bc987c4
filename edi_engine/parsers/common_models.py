"""Value types the 835 and 837 guides share: CAS adjustments, PER contacts, raw segments.

The 835 (2100/2110 CAS) and the 837 (2320/2430 CAS, PER in 1000A/2010AA) use the same segments
with the same meaning, so one model serves both; each guide module re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["Adjustment", "Contact", "RawSegment"]

RawSegment = tuple[str, ...]  # a segment kept as read; [0] is the segment id


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One CAS triplet: CAS01 group with CAS02/05/.. reason, CAS03/06/.. amount, CAS04/07/.. quantity.

    A positive amount reduces the payment, a negative one increases it (domain.md 1.5).
    """

    group: str  # CAS01: CO, PR, OA, PI (CR in 4010 files and in 837 2320/2430 CAS)
    reason: str  # CARC
    amount: Decimal
    quantity: Decimal | None = None
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Contact:
    """PER: PER01 function (IC, CX business, BL technical), PER02 name, PER03..08 pairs."""

    function: str
    name: str = ""
    communications: tuple[tuple[str, str], ...] = ()  # (qualifier, number), e.g. ("TE", "8005551212")
