"""Transaction sets out of the segment stream: the envelope facts, and dispatch to a guide's walker.

Owns cutting the stream into ST..SE runs and choosing the walker by ST01/ST03 (or GS08). Each
walker consumes one run and yields its header, then each claim as it completes, then its
trailer; nothing holds a whole transaction set in memory.

A walker raises X12Error for a value it cannot read; here that becomes a Problem, the rest of the
set is skipped, and reading goes on with the next set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from edi_engine.errors import Problem, X12Error
from edi_engine.x12.segment import Segment

if TYPE_CHECKING:  # the guides' models import TransactionInfo from here; the union is in items.py
    from edi_engine.parsers.items import ParseItem, TransactionHeader, TransactionTrailer

__all__ = [
    "InterchangeAck", "SegmentText", "TransactionEnd", "TransactionInfo", "TransactionStart", "UnmodelledSet",
    "Walker", "read_ta1", "split_transactions", "transaction_kind",
]

# Segments of one unmodelled set kept for printing; a set past this is cut (and says so), so a
# stray huge set cannot unbound memory.
MAX_UNMODELLED_SEGMENTS = 100_000

# Memory bounds for a modelled set; walkers keep a loop's segments until the loop ends, so a loop
# that never ends (junk after a valid ST) or repeats one segment without end (a million REFs in
# one claim) would hold them all. No implementation guide repeats a segment 1,000 times in a row
# or has a loop of 20,000 segments: past the first, the rest of the run is dropped with a warning
# (or, for a segment money depends on, the set fails); past the second, the set fails.
MAX_REPEATED = 1_000
MAX_LOOP = 20_000
_MONEY = frozenset({"BPR", "CLP", "CAS", "SVC", "PLB", "AMT", "CLM", "SV1", "SV2", "SV3", "SBR", "HL"})
_LOOP_STARTS = {"835": frozenset({"LX", "CLP", "SVC", "PLB", "N1", "SE"}),
                "837": frozenset({"HL", "CLM", "LX", "NM1", "SBR", "SE"})}


@dataclass(frozen=True, slots=True)
class TransactionInfo:
    """Envelope facts of one transaction set, for provenance and idempotent ingest."""

    file: str
    kind: str  # "835", "837P", "837I", "837D", or ST01 for sets we do not model
    implementation: str  # ST03, else GS08, e.g. "005010X221A1"
    interchange_control: str | None  # ISA13
    interchange_sender: str | None  # ISA06, stripped
    interchange_receiver: str | None  # ISA08, stripped
    interchange_date: date | None  # ISA09 (YYMMDD)
    group_control: str | None  # GS06
    group_sender: str | None  # GS02
    group_receiver: str | None  # GS03
    group_date: date | None  # GS04
    transaction_control: str | None  # ST02
    segment: int  # ST's segment number in the file
    offset: int  # ST's byte offset


@dataclass(frozen=True, slots=True)
class TransactionStart:
    info: TransactionInfo
    header: TransactionHeader  # the guide module's header model


@dataclass(frozen=True, slots=True)
class TransactionEnd:
    info: TransactionInfo
    trailer: TransactionTrailer | None  # the guide module's trailer model; None when the set was broken
    complete: bool  # False when a value could not be read and the rest of the set was skipped
    segment_count: int  # segments ST..SE read


@dataclass(frozen=True, slots=True)
class SegmentText:
    """One segment as read, with where it was: what an unmodelled set is printed as."""

    id: str
    elements: tuple[str, ...]  # the elements after the segment id
    segment: int
    offset: int


@dataclass(frozen=True, slots=True)
class UnmodelledSet:
    """A transaction set of a kind we do not model (270, 834, ...), as its segments.

    Only yielded when the caller asks (`keep_unmodelled`): `parse` prints every set; ingest skips them.
    """

    info: TransactionInfo
    segments: tuple[SegmentText, ...]
    complete: bool  # False when the set was longer than MAX_UNMODELLED_SEGMENTS and was cut


@dataclass(frozen=True, slots=True)
class InterchangeAck:
    """TA1: the verdict on one interchange's envelope (TA101 is the ISA13 it answers), read wherever it
    sits (between ISA and GS, alone or before a 999's group). TA104 A, E accept; R rejects."""

    info: TransactionInfo  # the envelope the TA1 was read under (kind "TA1")
    control_number: str  # TA101: ISA13 of the acknowledged interchange
    interchange_date: date | None  # TA102 (YYMMDD)
    interchange_time: str  # TA103
    code: str  # TA104: A accepted, E accepted with errors, R rejected
    note: str  # TA105: 000 no error, else the interchange note code
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)

    @property
    def disposition(self) -> str:
        return "accepted" if self.code in ("A", "E") else "rejected" if self.code == "R" else "other"


def _text(seg: Segment) -> SegmentText:
    return SegmentText(seg.id, seg.elements[1:], seg.index, seg.offset)


Walker = Callable[[Segment, Iterator[Segment], TransactionInfo, list[Problem]], Iterator["ParseItem"]]


def transaction_kind(st: Segment) -> str:
    st01 = st.get(1)
    if st01 != "837":
        return st01
    version = st.envelope.implementation or st.get(3)
    for marker, kind in (("X222", "837P"), ("X223", "837I"), ("X224", "837D")):
        if marker in st.get(3):
            return kind
    for marker, kind in (("X222", "837P"), ("X223", "837I"), ("X224", "837D")):
        if marker in version:
            return kind
    # No usable version (bare ST, masked ids): the first service line tells; the walker decides.
    return "837"


def _yymmdd(value: str) -> date | None:
    value = value.strip()
    if len(value) == 6 and value.isdecimal():
        try:
            return date(2000 + int(value[:2]), int(value[2:4]), int(value[4:]))
        except ValueError:
            return None
    return None


def _ccyymmdd(value: str) -> date | None:
    value = value.strip()
    if len(value) == 8 and value.isdecimal():
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            return None
    return None


def make_info(st: Segment, kind: str) -> TransactionInfo:
    env = st.envelope
    isa, gs = env.isa, env.gs
    return TransactionInfo(
        file=env.file,
        kind=kind,
        implementation=env.implementation,
        interchange_control=env.interchange_control,
        interchange_sender=isa.get(6).strip() or None if isa else None,
        interchange_receiver=isa.get(8).strip() or None if isa else None,
        interchange_date=_yymmdd(isa.get(9)) if isa else None,
        group_control=env.group_control,
        group_sender=gs.get(2).strip() or None if gs else None,
        group_receiver=gs.get(3).strip() or None if gs else None,
        group_date=_ccyymmdd(gs.get(4)) if gs else None,
        transaction_control=env.transaction_control,
        segment=st.index,
        offset=st.offset,
    )


def read_ta1(seg: Segment, problems: list[Problem]) -> InterchangeAck:
    """A TA1 segment; an unreadable TA102 date is a warning and None (the verdict does not depend on it)."""
    when = _yymmdd(seg.get(2))
    if seg.get(2) and when is None:
        problems.append(Problem("warning", "unreadable-date", "TA102 is not a YYMMDD date", seg.position))
    if seg.get(4) not in ("A", "E", "R"):
        problems.append(Problem("warning", "unknown-code", "TA104 is not A, E or R", seg.position))
    return InterchangeAck(make_info(seg, "TA1"), seg.get(1).strip(), when, seg.get(3), seg.get(4), seg.get(5),
                          seg.index, seg.offset)


_RUN_STOPS = frozenset({"ST", "GE", "IEA", "ISA", "GS"})


class _Run:
    """The segments after one ST, up to and including its SE; stops early at the next envelope header.

    Iterating it gives a generator, not a __next__ method: this sits on every segment's path and
    a generator step is several times cheaper than a method call.
    """

    def __init__(self, st: Segment, segments: Iterator[Segment], kind: str = "",
                 problems: list[Problem] | None = None) -> None:
        self.pending: Segment | None = None  # a segment read past the end of this run
        self.count = 1  # segments ST..SE read; the ST is counted
        self.problems = problems
        self._gen = self._segments(st, segments, _LOOP_STARTS.get(kind[:3]))

    def _segments(self, st: Segment, segments: Iterator[Segment],
                  loop_starts: frozenset[str] | None) -> Iterator[Segment]:
        first = expected = st.index + 1
        last, repeated, in_loop = "", 0, 0
        max_repeated, max_loop = MAX_REPEATED, MAX_LOOP if loop_starts is not None else 1 << 62
        starts = loop_starts or frozenset()
        try:
            for seg in segments:
                sid = seg[0]  # seg.id; by position, as seg[3] is seg.index: a NamedTuple's name costs more
                if sid in _RUN_STOPS:
                    self.pending = seg
                    return
                if seg[3] != expected:
                    # The tokenizer numbered a segment it could not read (over-long, skipped): what
                    # follows would attach to the loop before it, so the set cannot be trusted.
                    raise X12Error(f"segment {expected} before this one could not be read (segment-too-long), so "
                                   "this segment cannot be placed in its loop", seg.position)
                expected += 1
                if sid == last:
                    repeated += 1
                    if repeated > max_repeated and self._too_many(seg, repeated):
                        continue
                else:
                    last = sid
                    repeated = 1
                if sid in starts:
                    in_loop = 0
                else:
                    in_loop += 1
                    if in_loop > max_loop:
                        raise X12Error(f"more than {MAX_LOOP} segments without a loop starting; this is not "
                                       "a transaction set that can be read", seg.position)
                yield seg
                if sid == "SE":
                    return
        finally:
            self.count = expected - first + 1  # the ST and each segment that passed the number check

    def _too_many(self, seg: Segment, repeated: int) -> bool:
        """True to drop `seg`, the repeated-th of its id in a row; raises when money depends on it."""
        sid = seg.id
        shown = sid if 2 <= len(sid) <= 3 and sid.isascii() and sid.isalnum() and sid.isupper() else "segment"
        if sid in _MONEY:
            raise X12Error(f"more than {MAX_REPEATED} {shown} segments in a row", seg.position)
        if repeated == MAX_REPEATED + 1 and self.problems is not None:
            self.problems.append(Problem("warning", "repeated-segment",
                                         f"more than {MAX_REPEATED} {shown} segments in a row; the rest of "
                                         "them are not kept", seg.position))
        return True

    def __iter__(self) -> Iterator[Segment]:
        return self._gen

    def __next__(self) -> Segment:
        return next(self._gen)

    def drain(self) -> None:
        for _ in self._gen:
            pass


def split_transactions(
    segments: Iterator[Segment], walkers: dict[str, Walker], problems: list[Problem], keep_unmodelled: bool = False
) -> Iterator[ParseItem]:
    """Yield TransactionStart, the walker's items, TransactionEnd for each ST..SE in the stream.

    With `keep_unmodelled`, a set no walker reads comes as one UnmodelledSet instead. A TA1 comes
    as one InterchangeAck wherever it sits.
    """
    it = iter(segments)
    pending: Segment | None = None
    while True:
        seg = pending if pending is not None else next(it, None)
        pending = None
        if seg is None:
            return
        if seg.id != "ST":
            if seg.id == "TA1":  # alone in its interchange or before a GS (of a 999, say): read either way
                yield read_ta1(seg, problems)
            continue
        kind = transaction_kind(seg)
        info = make_info(seg, kind)
        walker = walkers.get(kind) or walkers.get(seg.get(1))
        run = _Run(seg, it, kind, problems)
        if walker is None:
            st01 = seg.get(1)
            named = st01 if len(st01) == 3 and st01.isdecimal() else "with an unreadable ST01"
            done = "printed as its segments" if keep_unmodelled else "skipped"
            problems.append(Problem("warning", "unsupported-transaction",
                                    f"transaction set {named} is not an 835, 837, 999 or 277CA; {done}",
                                    seg.position))
            if keep_unmodelled:
                yield _unmodelled(seg, run, info, problems)
            else:
                run.drain()
            pending = run.pending
            continue
        complete, trailer = True, None
        try:
            for item in walker(seg, run, info, problems):
                if isinstance(item, TransactionEnd):
                    trailer = item.trailer
                    continue
                if isinstance(item, TransactionStart):
                    info = item.info  # the walker may settle the kind (an 837 without version)
                yield item
        except X12Error as exc:
            complete = False
            problems.append(Problem("error", "unreadable-value",
                                    f"{exc.message}; the rest of this transaction set was skipped",
                                    exc.position or seg.position))
            run.drain()
        yield TransactionEnd(info, trailer if complete else None, complete, run.count)
        pending = run.pending


def _unmodelled(st: Segment, run: _Run, info: TransactionInfo, problems: list[Problem]) -> UnmodelledSet:
    kept = [_text(st)]
    try:
        for seg in run:
            if len(kept) < MAX_UNMODELLED_SEGMENTS:
                kept.append(_text(seg))
    except X12Error as exc:
        problems.append(Problem("error", "unreadable-value", exc.message, exc.position or st.position))
        run.drain()
        return UnmodelledSet(info, tuple(kept), False)
    if len(kept) == MAX_UNMODELLED_SEGMENTS and run.count > MAX_UNMODELLED_SEGMENTS:
        problems.append(Problem("warning", "set-too-long-to-print",
                                f"only the first {MAX_UNMODELLED_SEGMENTS} segments of this set are printed",
                                st.position))
        return UnmodelledSet(info, tuple(kept), False)
    return UnmodelledSet(info, tuple(kept), True)
