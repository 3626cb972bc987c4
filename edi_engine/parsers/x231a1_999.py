"""The 999 implementation acknowledgment (005010X231A1) read, and the TA1 interchange acknowledgment.

Owns reading one 999 ST..SE run into `AckHeader999` (AK1: which functional group it answers),
one `SetAck999` per AK2 loop (2000: which transaction set, its IK3/IK4 errors and the IK5
verdict), yielded as each loop completes, and `AckTrailer999` (AK9: the group's verdict and
counts). Also `read_ta1`, the TA1 segment as an `InterchangeAck`, wherever a sender put it (alone
in an interchange, or before the GS of a 999 interchange; both live in transaction.py, which
reads the envelope, and are re-exported here). The 999 we write lives in `ack.py`;
this module only reads. Knows nothing of storage or of the 837 it answers.

Links, per X231A1: AK102 is the GS06 of the acknowledged group, AK202 its ST02, AK201 its ST01;
the acknowledgment's ISA06/ISA08 are the acknowledged interchange's ISA08/ISA06 (swapped).
Verdicts: IK501 A (accepted) or E (accepted, errors noted) accept the set; M, R, W, X reject it.
AK901 adds P (partially accepted: some sets rejected). TA104 A, E accept the interchange, R rejects.

IK404 (a copy of the bad element) is read but never kept: it may be PHI. CTX is kept as read.
Structure problems (an AK2 before the AK1, an IK5 outside a loop, a count that is not a number)
are warnings; nothing here raises, as no amount or service date is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edi_engine.errors import Problem
from edi_engine.parsers.common_models import RawSegment
from edi_engine.parsers.transaction import InterchangeAck, TransactionEnd, TransactionInfo, TransactionStart, read_ta1
from edi_engine.x12.segment import Segment

if TYPE_CHECKING:
    from edi_engine.parsers.items import ParseItem

__all__ = [
    "ACCEPTED", "AckHeader999", "AckTrailer999", "ElementError999", "InterchangeAck", "REJECTED",
    "SegmentError999", "SetAck999", "read_ta1", "walk_999",
]

ACCEPTED = frozenset({"A", "E"})  # IK501 / AK901 / TA104: accepted (E: with errors noted)
REJECTED = frozenset({"M", "R", "W", "X"})  # IK501 / AK901 rejected; TA104 uses only R


@dataclass(frozen=True, slots=True)
class AckHeader999:
    """AK1: the functional group acknowledged. Anchored at AK1 (segment 0 when it was missing)."""

    functional_id: str = ""  # AK101: HC for 837, HP for 835
    group_control: str = ""  # AK102: GS06 of the acknowledged group
    version: str = ""  # AK103: its GS08
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class ElementError999:
    """IK4 (2110): IK401 position (element, component, repetition), IK402 reference, IK403 code."""

    position: str  # IK401-1
    component: str  # IK401-2
    repetition: str  # IK401-3
    reference: str  # IK402: data element reference number
    code: str  # IK403: implementation data element syntax error code
    contexts: tuple[RawSegment, ...] = ()  # CTX after the IK4
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class SegmentError999:
    """IK3 (2100): IK301 segment id, IK302 position in the set, IK303 loop, IK304 error code."""

    segment_id: str
    position: str
    loop: str
    code: str
    contexts: tuple[RawSegment, ...] = ()  # CTX after the IK3 (business unit, situational trigger)
    elements: tuple[ElementError999, ...] = ()
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class SetAck999:
    """One AK2 loop (2000): the verdict on one transaction set of the acknowledged group."""

    set_id: str  # AK201: ST01 acknowledged, e.g. 837
    control_number: str  # AK202: its ST02
    implementation: str  # AK203: its ST03
    code: str  # IK501 ('' when the loop had no IK5)
    codes: tuple[str, ...] = ()  # IK502..IK506 syntax error codes
    errors: tuple[SegmentError999, ...] = ()
    segment: int = field(default=0, compare=False)  # the AK2
    offset: int = field(default=0, compare=False)

    @property
    def disposition(self) -> str:
        return "accepted" if self.code in ACCEPTED else "rejected" if self.code in REJECTED else "other"


@dataclass(frozen=True, slots=True)
class AckTrailer999:
    """AK9 and SE as read, and the number of AK2 loops the walker yielded."""

    code: str = ""  # AK901: A, E, P (partially accepted), M, R, W, X
    included: int | None = None  # AK902: sets in the acknowledged group (its GE01)
    received: int | None = None  # AK903
    accepted: int | None = None  # AK904
    codes: tuple[str, ...] = ()  # AK905..AK909 group syntax error codes
    segment_count: str = ""  # SE01
    control: str = ""  # SE02
    sets: int = 0
    other_segments: tuple[RawSegment, ...] = ()
    segment: int = field(default=0, compare=False)  # the AK9
    offset: int = field(default=0, compare=False)

    @property
    def disposition(self) -> str:
        if self.code in ACCEPTED:
            return "accepted"
        if self.code in REJECTED:
            return "rejected"
        return "partial" if self.code == "P" else "other"


def _count(seg: Segment, n: int, problems: list[Problem]) -> int | None:
    text = seg.get(n).strip()
    if not text:
        return None
    if not text.isdecimal():
        problems.append(Problem("warning", "unreadable-number", f"{seg.id}{n:02d} is not a count", seg.position))
        return None
    return int(text)


def _raw(seg: Segment) -> RawSegment:
    return seg.elements


class _Walk:
    """State of one 999 being read: the open AK2 loop and its open IK3."""

    def __init__(self, info: TransactionInfo, problems: list[Problem]) -> None:
        self.info, self.problems = info, problems
        self.header: AckHeader999 | None = None
        self.ak2: Segment | None = None
        self.errors: list[SegmentError999] = []
        self.ik3: Segment | None = None
        self.ik3_ctx: list[RawSegment] = []
        self.ik4s: list[ElementError999] = []
        self.ik4: Segment | None = None
        self.ik4_ctx: list[RawSegment] = []
        self.ak9: Segment | None = None
        self.se: Segment | None = None
        self.other: list[RawSegment] = []
        self.sets = 0

    def warn(self, seg: Segment, code: str, message: str) -> None:
        self.problems.append(Problem("warning", code, message, seg.position))

    def _close_ik4(self) -> None:
        if self.ik4 is not None:
            s = self.ik4
            self.ik4s.append(ElementError999(s.component(1, 1), s.component(1, 2), s.component(1, 3), s.get(2),
                                             s.get(3), tuple(self.ik4_ctx), s.index, s.offset))
            self.ik4, self.ik4_ctx = None, []

    def _close_ik3(self) -> None:
        self._close_ik4()
        if self.ik3 is not None:
            s = self.ik3
            self.errors.append(SegmentError999(s.get(1), s.get(2), s.get(3), s.get(4), tuple(self.ik3_ctx),
                                               tuple(self.ik4s), s.index, s.offset))
        self.ik3, self.ik3_ctx, self.ik4s = None, [], []

    def close_set(self, ik5: Segment | None) -> SetAck999 | None:
        self._close_ik3()
        ak2 = self.ak2
        if ak2 is None:
            return None
        if ik5 is None:
            self.warn(ak2, "999-structure", "AK2 loop without IK5: the set's verdict is unknown")
        code = ik5.get(1) if ik5 is not None else ""
        codes = tuple(c for c in (ik5.elements[2:7] if ik5 is not None else ()) if c)
        errors, self.ak2, self.errors = tuple(self.errors), None, []
        self.sets += 1
        return SetAck999(ak2.get(1), ak2.get(2).strip(), ak2.get(3), code, codes, errors, ak2.index, ak2.offset)

    def run(self, run: Iterator[Segment]) -> Iterator[ParseItem]:
        started = False
        for seg in run:
            sid = seg.id
            if sid == "AK1":
                if self.header is not None or started:
                    self.warn(seg, "999-structure", "a second AK1 in one 999 is ignored")
                    continue
                self.header = AckHeader999(seg.get(1).strip(), seg.get(2).strip(), seg.get(3), seg.index, seg.offset)
                continue
            if sid == "SE":
                self.se = seg
                break
            if not started and sid in ("AK2", "IK5", "AK9"):
                started = True
                if self.header is None:
                    self.warn(seg, "999-structure", "999 without AK1 before its first loop")
                yield TransactionStart(self.info, self.header or AckHeader999())
            if sid == "AK2":
                if self.ak2 is not None:
                    done = self.close_set(None)
                    if done is not None:
                        yield done
                self.ak2 = seg
            elif sid == "IK3":
                self._close_ik3()
                if self.ak2 is None:
                    self.warn(seg, "999-structure", "IK3 outside an AK2 loop is ignored")
                    continue
                self.ik3 = seg
            elif sid == "IK4":
                self._close_ik4()
                if self.ik3 is None:
                    self.warn(seg, "999-structure", "IK4 without its IK3 is ignored")
                    continue
                self.ik4 = seg
            elif sid == "CTX":
                target = self.ik4_ctx if self.ik4 is not None else self.ik3_ctx if self.ik3 is not None else None
                if target is None:
                    self.warn(seg, "999-structure", "CTX outside an IK3 or IK4 is ignored")
                else:
                    target.append(_raw(seg))
            elif sid == "IK5":
                if self.ak2 is None:
                    self.warn(seg, "999-structure", "IK5 outside an AK2 loop is ignored")
                    continue
                done = self.close_set(seg)
                if done is not None:
                    yield done
            elif sid == "AK9":
                if self.ak2 is not None:
                    done = self.close_set(None)
                    if done is not None:
                        yield done
                if self.ak9 is not None:
                    self.warn(seg, "999-structure", "a second AK9 is ignored")
                    continue
                self.ak9 = seg
            else:
                self.other.append(_raw(seg))
        if not started:
            yield TransactionStart(self.info, self.header or AckHeader999())
        if self.ak2 is not None:
            done = self.close_set(None)
            if done is not None:
                yield done
        yield TransactionEnd(self.info, self._trailer(), True, 0)

    def _trailer(self) -> AckTrailer999:
        ak9, se, p = self.ak9, self.se, self.problems
        if ak9 is None:
            return AckTrailer999(segment_count=se.get(1) if se else "", control=se.get(2) if se else "",
                                 sets=self.sets, other_segments=tuple(self.other))
        return AckTrailer999(ak9.get(1), _count(ak9, 2, p), _count(ak9, 3, p), _count(ak9, 4, p),
                             tuple(c for c in ak9.elements[5:10] if c), se.get(1) if se else "",
                             se.get(2) if se else "", self.sets, tuple(self.other), ak9.index, ak9.offset)


def walk_999(st: Segment, run: Iterator[Segment], info: TransactionInfo,
             problems: list[Problem]) -> Iterator[ParseItem]:
    """The transaction-set walker for the 999 (see transaction.py for the contract)."""
    return _Walk(info, problems).run(run)
