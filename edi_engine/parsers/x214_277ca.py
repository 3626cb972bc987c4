"""The 277CA health care claim acknowledgment (005010X214) read: per claim, did the payer take it.

Owns reading one 277 ST..SE run into `ClaimAckHeader277` (BHT), one `StatusLevel277` per
information receiver (2000B) and provider of service (2000C) batch status, and one
`ClaimStatus277` per patient claim (2000D/2200D, with its 2220D service lines), each yielded
when its HL loop ends (at the next HL or the SE). Knows nothing of storage or of the 837.

The HL tree (X214 1.4): HL03 20 information source (2100A NM1*PR, 2200A TRN*1 and DTP*050
received / DTP*009 processed) > 21 information receiver (2100B NM1*41, 2200B TRN02 = the 837's
BHT03, STC, QTY*90/AA and AMT*YU/YY accepted/rejected counts and amounts) > 19 provider of
service (2100C NM1*85, 2200C) > PT patient (2100D NM1*QC, 2200D TRN*2, STC, REF, DTP*472, and
2220D SVC lines with their STC, REF*FJ and DTP*472).

Links to the 837 claim: 2200D TRN02 carries CLM01 exactly (X12 RFI 1926: "the primary identifier
for associating a 277CA Claim Status to the respective 837 claim"), REF*1K the payer claim
control number the 835 repeats in CLP07 (X12 RFI 1808), STC04 the claim's total charge.

Verdicts come from STC01-1, the claim status category code (X12 external code list 507): A2
acceptance into adjudication and A5 split claim accept; A3 returned as unprocessable, A4 not
found, A6 rejected for missing information, A7 for invalid information and A8 for a relational
field in error reject; A0 forwarded and A1 receipt only say it arrived. A claim is rejected when
any of its STC composites (STC01, STC10, STC11) rejects it.

Real files are not always clean: unreadable dates and amounts here are warnings and None (a
date of the acknowledgment, a charge used only to link), never the end of the set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from edi_engine.errors import Problem, X12Error
from edi_engine.parsers._elements import date_range, optional_amount, parse_date, quantity
from edi_engine.parsers.common_models import RawSegment
from edi_engine.parsers.transaction import TransactionEnd, TransactionInfo, TransactionStart
from edi_engine.x12.segment import Segment

if TYPE_CHECKING:
    from edi_engine.parsers.items import ParseItem

__all__ = [
    "ACCEPTED_CATEGORIES", "ClaimAckHeader277", "ClaimAckTrailer277", "ClaimStatus277", "LineStatus277",
    "Party277", "REJECTED_CATEGORIES", "RECEIVED_CATEGORIES", "StatusInfo277", "StatusLevel277", "disposition",
    "walk_277ca",
]

ACCEPTED_CATEGORIES = frozenset({"A2", "A5"})
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})
RECEIVED_CATEGORIES = frozenset({"A0", "A1"})


@dataclass(frozen=True, slots=True)
class Party277:
    """NM1 of a 277CA level: NM101 entity, NM103 last or organisation name, NM104 first, NM108/NM109 id."""

    entity: str
    last_name: str = ""
    first_name: str = ""
    id_qualifier: str = ""
    id: str = ""


@dataclass(frozen=True, slots=True)
class StatusInfo277:
    """One STC status composite: STC01 (or STC10, STC11) with the STC's date, action and charge."""

    category: str  # STCnn-1: claim status category code (ECL 507), e.g. A2, A7
    status: str  # STCnn-2: claim status code (ECL 508)
    entity: str  # STCnn-3: entity identifier code, e.g. 85 billing provider
    effective_date: date | None  # STC02
    action: str  # STC03: WQ accept, U reject (X214)
    charge: Decimal | None  # STC04: total claim (or line) charge
    element: int = 1  # which STC element carried the composite: 1, 10 or 11
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)

    @property
    def disposition(self) -> str:
        return _category(self.category)


def _optional_date(seg: Segment, n: int) -> date | None:
    return parse_date(seg, n) if seg.get(n) else None


def _category(code: str) -> str:
    if code in ACCEPTED_CATEGORIES:
        return "accepted"
    if code in REJECTED_CATEGORIES:
        return "rejected"
    if code in RECEIVED_CATEGORIES:
        return "received"
    return "pending" if code.startswith("P") else "other"


def disposition(statuses: tuple[StatusInfo277, ...]) -> str:
    """rejected if any composite rejects; else accepted if any accepts; else received, pending, other."""
    found = {s.disposition for s in statuses}
    for verdict in ("rejected", "accepted", "received", "pending"):
        if verdict in found:
            return verdict
    return "other"


@dataclass(frozen=True, slots=True)
class ClaimAckHeader277:
    """BHT: BHT01 0085, BHT02 08 (status), BHT03 reference, BHT04 date, BHT05 time, BHT06 TH."""

    structure: str = ""
    purpose: str = ""
    reference_id: str = ""
    date: date | None = None
    time: str = ""
    transaction_type: str = ""
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class StatusLevel277:
    """A batch status of 2000B (information receiver) or 2000C (provider of service)."""

    level: str  # information_receiver or provider_of_service
    payer: Party277 | None  # 2100A of the information source above it
    party: Party277 | None  # 2100B / 2100C
    trace: str  # 2200B/2200C TRN02 (2200B: the 837's BHT03)
    statuses: tuple[StatusInfo277, ...] = ()
    accepted_quantity: Decimal | None = None  # QTY*90
    rejected_quantity: Decimal | None = None  # QTY*AA
    accepted_amount: Decimal | None = None  # AMT*YU
    rejected_amount: Decimal | None = None  # AMT*YY
    processed: date | None = None  # 2200A DTP*009
    other_segments: tuple[RawSegment, ...] = ()
    segment: int = field(default=0, compare=False)  # the HL
    offset: int = field(default=0, compare=False)

    @property
    def disposition(self) -> str:
        return disposition(self.statuses)


@dataclass(frozen=True, slots=True)
class LineStatus277:
    """A 2220D service line: SVC, its STC, REF*FJ line item control number, DTP*472."""

    procedure: tuple[str, ...]  # SVC01 components (qualifier, code, modifiers...)
    charge: Decimal | None  # SVC02
    revenue_code: str  # SVC04
    units: Decimal | None  # SVC07
    statuses: tuple[StatusInfo277, ...] = ()
    line_control_number: str = ""  # REF*FJ (the 837's REF*6R)
    service_from: date | None = None
    service_to: date | None = None
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class ClaimStatus277:
    """A 2000D/2200D claim status: the payer's verdict on one 837 claim."""

    patient_control_number: str  # 2200D TRN02 = CLM01
    statuses: tuple[StatusInfo277, ...]
    payer: Party277 | None  # 2100A
    provider: Party277 | None  # 2100C
    patient: Party277 | None  # 2100D
    payer_claim_control_number: str = ""  # REF*1K
    clearinghouse_trace_number: str = ""  # REF*D9
    bill_type: str = ""  # REF*BLT (institutional)
    service_from: date | None = None  # DTP*472
    service_to: date | None = None
    received: date | None = None  # 2200A DTP*050
    processed: date | None = None  # 2200A DTP*009
    lines: tuple[LineStatus277, ...] = ()
    other_segments: tuple[RawSegment, ...] = ()
    segment: int = field(default=0, compare=False)  # the HL
    offset: int = field(default=0, compare=False)

    @property
    def disposition(self) -> str:
        return disposition(self.statuses)

    @property
    def charge(self) -> Decimal | None:
        return next((s.charge for s in self.statuses if s.charge is not None), None)


@dataclass(frozen=True, slots=True)
class ClaimAckTrailer277:
    """SE as read, and how many claim statuses the walker yielded."""

    segment_count: str = ""
    control: str = ""
    claims: int = 0
    other_segments: tuple[RawSegment, ...] = ()


_T = TypeVar("_T")
_LEVELS = {"20": "information_source", "21": "information_receiver", "19": "provider_of_service", "PT": "patient"}


@dataclass(slots=True)
class _Level:
    code: str
    hl: Segment
    party: Party277 | None = None
    trace: str = ""
    statuses: list[StatusInfo277] = field(default_factory=list)
    quantities: dict[str, Decimal | None] = field(default_factory=dict)
    amounts: dict[str, Decimal | None] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    dates: dict[str, tuple[date | None, date | None]] = field(default_factory=dict)
    lines: list[LineStatus277] = field(default_factory=list)
    other: list[RawSegment] = field(default_factory=list)


class _Walk:
    """State of one 277CA being read: the open HL level, the source above it, the open SVC line."""

    def __init__(self, info: TransactionInfo, problems: list[Problem]) -> None:
        self.info, self.problems = info, problems
        self.header: ClaimAckHeader277 | None = None
        self.level: _Level | None = None
        self.source: _Level | None = None
        self.providers: dict[str, Party277 | None] = {}  # HL01 of a 19 level -> its NM1*85
        self.parents: dict[str, str] = {}  # HL01 -> HL02
        self.line: LineStatus277 | None = None
        self.claims = 0
        self.se: Segment | None = None
        self.other: list[RawSegment] = []

    def warn(self, seg: Segment, code: str, message: str) -> None:
        self.problems.append(Problem("warning", code, message, seg.position))

    def _soft(self, seg: Segment, read: Callable[[Segment, int], _T | None], n: int, what: str) -> _T | None:
        try:
            return read(seg, n)
        except X12Error:
            self.warn(seg, "unreadable-value", f"{seg.id}{n:02d} is not {what}; read as empty")
            return None

    def _status(self, seg: Segment) -> list[StatusInfo277]:
        when = self._soft(seg, _optional_date, 2, "a CCYYMMDD date")
        charge = self._soft(seg, optional_amount, 4, "an amount")
        out: list[StatusInfo277] = []
        for n in (1, 10, 11):
            parts = seg.components(n)
            if not parts:
                continue
            parts = parts + ("", "", "")
            out.append(StatusInfo277(parts[0], parts[1], parts[2], when, seg.get(3), charge,
                                     n, seg.index, seg.offset))
        if not out:
            self.warn(seg, "277-structure", "STC without a status composite in STC01")
        return out

    def _party(self, seg: Segment) -> Party277:
        return Party277(seg.get(1), seg.get(3), seg.get(4), seg.get(8), seg.get(9).strip())

    def _close_line(self) -> None:
        if self.line is not None and self.level is not None:
            self.level.lines.append(self.line)
        self.line = None

    def close_level(self) -> ParseItem | None:
        self._close_line()
        lv, self.level = self.level, None
        if lv is None:
            return None
        src = self.source
        payer = src.party if src is not None else None
        processed = src.dates.get("009", (None, None))[0] if src is not None else None
        if lv.code == "20":
            return None
        if lv.code in ("21", "19"):
            if lv.code == "19":
                self.providers[lv.hl.get(1)] = lv.party
            return StatusLevel277(_LEVELS[lv.code], payer, lv.party, lv.trace, tuple(lv.statuses),
                                  lv.quantities.get("90"), lv.quantities.get("AA"), lv.amounts.get("YU"),
                                  lv.amounts.get("YY"), processed, tuple(lv.other), lv.hl.index, lv.hl.offset)
        if lv.code == "PT":
            if not lv.trace:
                self.warn(lv.hl, "277-structure", "patient level without TRN02: the claim cannot be linked")
            if not lv.statuses:
                self.warn(lv.hl, "277-structure", "patient level without STC: the claim's verdict is unknown")
            self.claims += 1
            service = lv.dates.get("472", (None, None))
            received = src.dates.get("050", (None, None))[0] if src is not None else None
            return ClaimStatus277(lv.trace, tuple(lv.statuses), payer, self.providers.get(lv.hl.get(2)), lv.party,
                                  lv.refs.get("1K", ""), lv.refs.get("D9", ""), lv.refs.get("BLT", ""),
                                  service[0], service[1], received, processed, tuple(lv.lines), tuple(lv.other),
                                  lv.hl.index, lv.hl.offset)
        return None

    def _dates(self, seg: Segment) -> tuple[date | None, date | None]:
        try:
            return date_range(seg, 2, 3)
        except X12Error:
            self.warn(seg, "unreadable-value", f"DTP03 (qualifier {seg.get(1)[:3]}) is not a date; read as empty")
            return None, None

    def segment(self, seg: Segment) -> ParseItem | None:
        sid, lv = seg.id, self.level
        if sid == "HL":
            done = self.close_level()
            code = seg.get(3)
            if code not in _LEVELS:
                self.warn(seg, "277-structure", "HL03 is not 20, 21, 19 or PT; its segments are kept as read")
            self.level = _Level(code, seg)
            if code == "20":
                self.source = self.level
            return done
        if lv is None:
            self.other.append(seg.elements)
            return None
        if sid == "SVC" and lv.code == "PT":
            self._close_line()
            self.line = LineStatus277(seg.components(1), self._soft(seg, optional_amount, 2, "an amount"),
                                      seg.get(4), self._soft(seg, quantity, 7, "a quantity"),
                                      segment=seg.index, offset=seg.offset)
        elif self.line is not None and sid in ("STC", "REF", "DTP"):
            line = self.line
            if sid == "STC":
                self.line = dataclasses.replace(line, statuses=line.statuses + tuple(self._status(seg)))
            elif sid == "REF" and seg.get(1) == "FJ":
                self.line = dataclasses.replace(line, line_control_number=seg.get(2).strip())
            elif sid == "DTP" and seg.get(1) == "472":
                start, end = self._dates(seg)
                self.line = dataclasses.replace(line, service_from=start, service_to=end)
            else:
                lv.other.append(seg.elements)
        elif sid == "NM1":
            lv.party = self._party(seg)
        elif sid == "TRN":
            lv.trace = seg.get(2).strip()
        elif sid == "STC":
            lv.statuses.extend(self._status(seg))
        elif sid == "QTY":
            lv.quantities[seg.get(1)] = self._soft(seg, quantity, 2, "a quantity")
        elif sid == "AMT":
            lv.amounts[seg.get(1)] = self._soft(seg, optional_amount, 2, "an amount")
        elif sid == "REF":
            lv.refs.setdefault(seg.get(1), seg.get(2).strip())
        elif sid == "DTP":
            lv.dates[seg.get(1)] = self._dates(seg)
        else:
            lv.other.append(seg.elements)
        return None

    def run(self, run: Iterator[Segment]) -> Iterator[ParseItem]:
        started = False
        for seg in run:
            if seg.id == "SE":
                self.se = seg
                break
            if seg.id == "BHT" and self.header is None:
                when = self._soft(seg, _optional_date, 4, "a CCYYMMDD date")
                self.header = ClaimAckHeader277(seg.get(1), seg.get(2), seg.get(3), when, seg.get(5),
                                                seg.get(6), seg.index, seg.offset)
                continue
            if not started and seg.id == "HL":
                started = True
                if self.header is None:
                    self.warn(seg, "277-structure", "277CA without BHT before its first HL")
                yield TransactionStart(self.info, self.header or ClaimAckHeader277())
            done = self.segment(seg)
            if done is not None:
                yield done
        if not started:
            yield TransactionStart(self.info, self.header or ClaimAckHeader277())
        done = self.close_level()
        if done is not None:
            yield done
        se = self.se
        yield TransactionEnd(self.info, ClaimAckTrailer277(se.get(1) if se else "", se.get(2) if se else "",
                                                           self.claims, tuple(self.other)), True, 0)


def walk_277ca(st: Segment, run: Iterator[Segment], info: TransactionInfo,
               problems: list[Problem]) -> Iterator[ParseItem]:
    """The transaction-set walker for the 277CA (see transaction.py for the contract).

    A 277 whose ST03/GS08 is not X214 (a 277 claim status response, X212) is read the same way,
    with a warning: its 2200D carries the same TRN, STC and REF*1K.
    """
    if "X214" in info.implementation:
        info = dataclasses.replace(info, kind="277CA")
    else:
        problems.append(Problem("warning", "277-version", "277 not marked 005010X214; read as a 277CA", st.position))
    return _Walk(info, problems).run(run)
