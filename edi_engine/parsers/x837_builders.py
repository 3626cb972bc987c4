"""Mutable builders for the 837 loops being read; each `build()` freezes one into its model.

Owns nothing but accumulation: the walker (x837.py) decides which segment goes where. Kept apart so
the walker module stays readable; knows nothing of segment order or of the guides' rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TypeVar

from edi_engine.errors import Problem
from edi_engine.parsers._elements import soft_date
from edi_engine.parsers.x837_models import (
    Adjustment,
    Claim837,
    Contact,
    DateSpan,
    DateText,
    LineAdjudication,
    OtherPayer,
    Party,
    RawSegment,
    Reference,
    ServiceLine,
    Tooth,
)
from edi_engine.x12.segment import Segment

__all__ = ["PERSON", "OTHER_PAYER", "ClaimB", "LevelB", "LineB", "AdjudicationB", "OtherPayerB", "PartyB",
           "build_party", "remember"]

_CONTEXT_MEMORY = 64  # HL contexts remembered for HL02 look-ups; files can hold 100,000 HLs
_BLANK = ("",) * 10

# Party builder kinds: plain, a person with DMG (2010BA/2010CA), the 2330B other payer (DTP*573, REF*F8).
PLAIN, PERSON, OTHER_PAYER = range(3)


class PartyB:
    __slots__ = ("nm1", "kind", "address", "n4", "refs", "contacts", "other", "dmg", "dtp573", "f8")

    def __init__(self, nm1: Segment, kind: int = PLAIN) -> None:
        self.nm1 = nm1
        self.kind = kind
        self.address: tuple[str, ...] | None = None
        self.n4: Segment | None = None
        self.refs: list[Reference] = []
        self.contacts: list[Contact] = []
        self.other: list[RawSegment] = []
        self.dmg: Segment | None = None
        self.dtp573: date | None = None
        self.f8: str | None = None

    def build(self) -> Party:
        e = self.nm1.elements
        if len(e) < 10:
            e = e + _BLANK[: 10 - len(e)]
        n = self.n4.elements if self.n4 is not None else _BLANK
        if len(n) < 8:
            n = n + _BLANK[: 8 - len(n)]
        return Party(e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8], e[9], self.address or (), n[1], n[2], n[3], n[4],
                     n[7], tuple(self.refs), tuple(self.contacts), tuple(self.other), self.nm1.index, self.nm1.offset)

    def demographics(self, problems: list[Problem]) -> tuple[date | None, str]:
        """DMG02 birth date (None, with a warning, when unreadable: it is not money) and DMG03 gender."""
        if self.dmg is None:
            return None, ""
        return soft_date(self.dmg, 2, problems, what="a birth date"), self.dmg.get(3)


def build_party(p: PartyB | None) -> Party | None:
    return p.build() if p is not None else None


class LevelB:
    """One HL level being read: 2000A, 2000B or 2000C."""

    __slots__ = ("hl", "head", "name", "second", "third", "other")

    def __init__(self, hl: Segment) -> None:
        self.hl = hl
        self.head: Segment | None = None  # SBR (2000B) or PAT (2000C)
        self.name: PartyB | None = None  # 2010AA, 2010BA, 2010CA
        self.second: PartyB | None = None  # 2010AB pay-to, 2010BB payer
        self.third: PartyB | None = None  # 2010AC pay-to plan
        self.other: list[RawSegment] = []


class OtherPayerB:
    __slots__ = ("sbr", "adjustments", "amounts", "oi", "mia", "moa", "subscriber", "payer", "providers", "other")

    def __init__(self, sbr: Segment) -> None:
        self.sbr = sbr
        self.adjustments: list[Adjustment] = []
        self.amounts: dict[str, Decimal] = {}
        self.oi: RawSegment | None = None
        self.mia: RawSegment | None = None
        self.moa: RawSegment | None = None
        self.subscriber: PartyB | None = None
        self.payer: PartyB | None = None
        self.providers: list[PartyB] = []
        self.other: list[RawSegment] = []

    def build(self) -> OtherPayer:
        g, payer = self.sbr.get, self.payer
        return OtherPayer(
            g(1), g(2), g(3), g(4), g(5), g(9), tuple(self.adjustments), self.amounts.get("D"),
            self.amounts.get("A8"), self.amounts.get("EAF"), self.oi, self.mia, self.moa, build_party(self.subscriber),
            build_party(payer), (payer.f8 or "") if payer else "", payer.dtp573 if payer else None,
            tuple(p.build() for p in self.providers), tuple(self.other), self.sbr.index, self.sbr.offset,
        )


class AdjudicationB:
    __slots__ = ("svd", "fields", "adjustments", "date", "eaf", "other")

    def __init__(self, svd: Segment, fields: dict[str, object]) -> None:
        self.svd = svd
        self.fields = fields
        self.adjustments: list[Adjustment] = []
        self.date: date | None = None
        self.eaf: Decimal | None = None
        self.other: list[RawSegment] = []

    def build(self) -> LineAdjudication:
        return LineAdjudication(
            **self.fields, adjustments=tuple(self.adjustments), adjudication_date=self.date,  # type: ignore[arg-type]
            remaining_patient_liability=self.eaf, other_segments=tuple(self.other),
            segment=self.svd.index, offset=self.svd.offset)


class LineB:
    __slots__ = ("lx", "number", "service", "fields", "teeth", "dates", "texts", "r6", "refs", "drug",
                 "providers", "adjudications", "other")

    def __init__(self, lx: Segment, number: int) -> None:
        self.lx = lx
        self.number = number
        self.service = ""  # SV1, SV2 or SV3 once read
        self.fields: dict[str, object] = {}
        self.teeth: list[Tooth] = []
        self.dates: list[DateSpan] = []
        self.texts: list[DateText] = []
        self.r6: str | None = None
        self.refs: list[Reference] = []
        self.drug: list[RawSegment] = []
        self.providers: list[PartyB] = []
        self.adjudications: list[LineAdjudication] = []
        self.other: list[RawSegment] = []

    def build(self) -> ServiceLine:
        fields = self.fields or {"charge": Decimal(0)}
        return ServiceLine(
            line_number=self.number, **fields, teeth=tuple(self.teeth), dates=tuple(self.dates),  # type: ignore[arg-type]
            date_texts=tuple(self.texts), line_control_number=self.r6 or "", refs=tuple(self.refs),
            drug=tuple(self.drug), providers=tuple(p.build() for p in self.providers),
            adjudications=tuple(self.adjudications), other_segments=tuple(self.other),
            segment=self.lx.index, offset=self.lx.offset)


class ClaimB:
    __slots__ = ("clm", "fields", "context", "f8", "d9", "refs", "dates", "texts", "hi", "cl1", "providers",
                 "other_payers", "lines", "other")

    def __init__(self, clm: Segment, fields: dict[str, object], context: Mapping[str, object]) -> None:
        self.clm = clm
        self.fields = fields
        self.context = context
        self.f8: str | None = None
        self.d9: str | None = None
        self.refs: list[Reference] = []
        self.dates: list[DateSpan] = []
        self.texts: list[DateText] = []
        self.hi: list[tuple[tuple[str, ...], ...]] = []
        self.cl1: tuple[str, str, str] | None = None
        self.providers: list[PartyB] = []
        self.other_payers: list[OtherPayer] = []
        self.lines: list[ServiceLine] = []
        self.other: list[RawSegment] = []

    def build(self, variant: str) -> Claim837:
        return Claim837(
            variant=variant, **self.fields, **self.context,  # type: ignore[arg-type]
            original_reference=self.f8 or "", claim_identifier=self.d9 or "", refs=tuple(self.refs),
            dates=tuple(self.dates), date_texts=tuple(self.texts), hi=tuple(self.hi), cl1=self.cl1,
            providers=tuple(p.build() for p in self.providers), other_payers=tuple(self.other_payers),
            lines=tuple(self.lines), other_segments=tuple(self.other), segment=self.clm.index,
            offset=self.clm.offset)


_V = TypeVar("_V")


def remember(memory: dict[str, _V], key: str, value: _V) -> None:
    memory[key] = value
    if len(memory) > _CONTEXT_MEMORY:
        del memory[next(iter(memory))]
