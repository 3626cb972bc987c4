"""Strict validation of one X12 file: one report from three sources, and the facts a 999/TA1 needs.

Owns combining (1) our reader's envelope problems (delimiters, SE01/GE01/IEA01 counts, control
numbers, missing trailers), (2) the guide walkers' structure and balancing problems, and (3)
pyx12's implementation-guide findings (through `pyx12_bridge`) into one list of `Problem`s sorted
by byte offset, plus an envelope model (`InterchangeResult` > `GroupResult` > `SetResult`) that
records, per interchange, group and transaction set, the codes a TA1 and 999 report. Knows nothing
of how a 999 is written (`ack`) or of the CLI.

The file is read once: every segment our reader yields goes to the walkers (through
`split_transactions`) and to the text handed to pyx12, built one interchange at a time. pyx12
then validates the interchanges several to a run (`run_pyx12_many`: each start loads its maps),
at most BATCH_CHARS of text at once, so memory is bounded by that (or the largest interchange)
rather than the file; each finding is put back where one run per interchange would have put it.

Codes follow 005010X231A1: IK5 (SetResult.codes), AK9 (GroupResult.codes), TA105
(InterchangeResult.codes); each pyx12 segment or element error becomes an `AckError` (IK3/IK4).
"""

from __future__ import annotations

import bisect
import datetime as _dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from edi_engine.errors import InputError, Position, Problem
from edi_engine.parsers.pyx12_bridge import BATCH_CHARS, Pyx12Finding, Pyx12Input, run_pyx12, run_pyx12_many
from edi_engine.parsers.transaction import Walker, split_transactions
from edi_engine.x12.reader import Source, read_segments
from edi_engine.x12.segment import Delimiters, Segment
from edi_engine.x12.writer import functional_id_for

__all__ = ["AckError", "GroupResult", "InterchangeResult", "SetResult", "ValidationReport", "validate_file"]

# Reader warnings a lenient `parse` lets pass but a strict validation does not.
STRICT_ERRORS = frozenset({"missing-terminator", "isa-width", "isa-broken"})

# Reader problems (at a trailer's segment) and the 999/TA1 codes they stand for.
_SET_CODES = {"se01-count": "4", "se02-control": "3"}
_GROUP_CODES = {"ge01-count": "5", "ge02-control": "4"}
_INTERCHANGE_CODES = {"iea01-count": "021", "iea02-control": "001"}

_QUALIFIERS = frozenset({"01", "14", "20", "27", "28", "29", "30", "33", "ZZ"})


@dataclass(frozen=True, slots=True)
class AckError:
    """One IK3 (segment error), with its IK4 when `element_position` is set."""

    segment_id: str  # IK301
    set_position: int  # IK302, ST = 1
    loop_id: str  # IK303, '' when unknown
    segment_code: str  # IK304 ("8" for an element error)
    element_position: int | None = None  # IK401-1
    component_position: int | None = None  # IK401-2
    repetition_position: int | None = None  # IK401-3
    element_reference: str = ""  # IK402
    element_code: str = ""  # IK403


@dataclass(slots=True)
class SetResult:
    st01: str
    st02: str
    st03: str
    segment: int  # ST's segment number in the file
    offset: int
    end: int  # segment number of its SE, or of its last segment when the SE is missing
    codes: list[str] = field(default_factory=list)  # IK502..IK506
    errors: list[AckError] = field(default_factory=list)  # IK3/IK4
    failed: bool = False  # an error of ours (reader or walker) lies inside the set

    @property
    def accepted(self) -> bool:
        return not (self.codes or self.errors or self.failed)

    @property
    def ack_code(self) -> str:
        """IK501: A accepted or R rejected."""
        return "A" if self.accepted else "R"


@dataclass(slots=True)
class GroupResult:
    gs: tuple[str, ...] | None  # the GS elements; None for sets without a functional group
    segment: int
    offset: int
    declared: int | None = None  # GE01, None when missing or not a number
    trailer: int | None = None  # GE's segment number
    codes: list[str] = field(default_factory=list)  # AK905..AK909
    sets: list[SetResult] = field(default_factory=list)

    @property
    def ack_code(self) -> str:
        """AK901: A, E (accepted, group errors noted), P (partially accepted) or R."""
        rejected = sum(1 for s in self.sets if not s.accepted)
        if not self.sets or rejected == len(self.sets):
            return "R"
        if rejected:
            return "P"
        return "E" if self.codes else "A"


@dataclass(slots=True)
class InterchangeResult:
    isa: tuple[str, ...] | None  # the ISA elements; None for a bare ST..SE without envelope
    delimiters: Delimiters
    segment: int
    offset: int
    codes: list[str] = field(default_factory=list)  # TA105 note codes
    trailer: int | None = None  # IEA's segment number
    groups: list[GroupResult] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ValidationReport:
    file: str
    problems: tuple[Problem, ...]
    interchanges: tuple[InterchangeResult, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.errors


def _valid_date(value: str) -> bool:
    try:
        _dt.datetime.strptime(value, "%y%m%d")
    except ValueError:
        return False
    return len(value) == 6


def _valid_time(value: str) -> bool:
    return len(value) == 4 and value.isdecimal() and int(value[:2]) < 24 and int(value[2:]) < 60


def isa_field_codes(isa: Segment) -> list[tuple[str, str]]:
    """(TA105 code, what is wrong) for each bad ISA field; messages carry no values."""
    def g(n: int) -> str:
        return isa.get(n).strip()

    checks = [
        (g(1) in ("00", "03"), "010", "ISA01 is not an authorization qualifier (00 or 03)"),
        (g(3) in ("00", "01"), "012", "ISA03 is not a security qualifier (00 or 01)"),
        (g(5) in _QUALIFIERS, "005", "ISA05 is not an interchange id qualifier"),
        (bool(g(6)), "006", "ISA06 (sender id) is empty"),
        (g(7) in _QUALIFIERS, "007", "ISA07 is not an interchange id qualifier"),
        (bool(g(8)), "008", "ISA08 (receiver id) is empty"),
        (_valid_date(g(9)), "014", "ISA09 is not a date (YYMMDD)"),
        (_valid_time(g(10)), "015", "ISA10 is not a time (HHMM)"),
        (g(12) in ("00401", "00501"), "017", "ISA12 is not a supported version (00501)"),
        (len(g(13)) == 9 and g(13).isdecimal(), "018", "ISA13 is not a nine-digit control number"),
        (g(14) in ("0", "1"), "019", "ISA14 is not 0 or 1"),
        (g(15) in ("P", "T"), "020", "ISA15 is not P or T"),
    ]
    return [(code, message) for ok, code, message in checks if not ok]


@dataclass(slots=True)
class _Pending:
    """An interchange's pyx12 text waiting for its run, and where its findings go."""

    pyx: Pyx12Input
    ic: InterchangeResult
    groups: dict[int, GroupResult]
    sets: dict[int, SetResult]
    text: str
    at: int  # len(problems) when it was read: its findings are spliced in there, as if run then


class _Collector:
    """Follows the envelope of the segments as they stream past and feeds pyx12 its interchanges:
    several to a run (`run_pyx12_many`), or, with batch=False, one run per interchange (the
    reference the batched path is tested against)."""

    def __init__(self, file: str, batch: bool = True) -> None:
        self.file = file
        self.batch = batch
        self._pending: list[_Pending] = []
        self._pending_chars = 0
        self._deferred: list[tuple[int, list[Problem]]] = []
        self.interchanges: list[InterchangeResult] = []
        self.sets: list[SetResult] = []  # in file order, for problem -> set lookups
        self.groups: list[GroupResult] = []
        self.problems: list[Problem] = []  # ours: ISA fields, pyx12 findings, notes
        self.ic: InterchangeResult | None = None
        self.group: GroupResult | None = None
        self.set: SetResult | None = None
        self.pyx: Pyx12Input | None = None
        self.last: Segment | None = None

    def tee(self, segments: Iterator[Segment]) -> Iterator[Segment]:
        for seg in segments:
            self.feed(seg)
            yield seg

    def _close_set(self) -> None:
        if self.set is not None:
            self.set.codes.append("2")  # no SE
            self.set = None

    def _close_group(self) -> None:
        self._close_set()
        if self.group is not None and self.group.gs is not None:
            self.group.codes.append("3")  # no GE
        self.group = None

    def _close_interchange(self) -> None:
        self._close_group()
        if self.ic is not None and self.ic.isa is not None:
            self.ic.codes.append("023")  # no IEA
        self._flush()
        self.ic = None

    def _open_interchange(self, seg: Segment) -> None:
        isa = seg.elements if seg.id == "ISA" else None
        self.ic = InterchangeResult(isa, seg.envelope.delimiters, seg.index, seg.offset)
        self.interchanges.append(self.ic)
        self.pyx = Pyx12Input(seg.envelope.delimiters)
        if isa is not None:
            for code, message in isa_field_codes(seg):
                self.ic.codes.append(code)
                self.problems.append(Problem("error", "isa-field", message, seg.position))

    def feed(self, seg: Segment) -> None:
        sid = seg.id
        if sid == "ISA":
            if self.ic is not None:
                self._close_interchange()
            self._open_interchange(seg)
        elif self.ic is None:
            self._open_interchange(seg)
        ic = self.ic
        assert ic is not None and self.pyx is not None
        self.pyx.add(seg)
        self.last = seg
        if sid == "GS":
            self._close_group()
            self.group = GroupResult(seg.elements, seg.index, seg.offset)
            ic.groups.append(self.group)
            self.groups.append(self.group)
        elif sid == "ST":
            self._close_set()
            if self.group is None:
                self.group = GroupResult(None, seg.index, seg.offset)
                ic.groups.append(self.group)
                self.groups.append(self.group)
                if ic.isa is not None:
                    ic.codes.append("024")  # ST without GS
            self.set = SetResult(seg.get(1), seg.get(2), seg.get(3), seg.index, seg.offset, seg.index)
            gs01 = self.group.gs[1].strip() if self.group.gs and len(self.group.gs) > 1 else ""
            expected = functional_id_for(seg.get(1))
            if gs01 and expected and gs01 != expected:
                self.set.codes.append("6")
                self.problems.append(Problem(
                    "error", "st01-gs01", f"transaction set {seg.get(1)} in a functional group with GS01 "
                    f"{gs01 if gs01.isalpha() and len(gs01) == 2 else '(not a functional id)'} "
                    f"(expected {expected})", seg.position))
            self.group.sets.append(self.set)
            self.sets.append(self.set)
        elif sid == "SE":
            if self.set is not None:
                self.set.end = seg.index
                self.set = None
        elif sid == "GE":
            self._close_set()
            if self.group is not None:
                declared = seg.get(1).strip()
                self.group.declared = int(declared) if declared.isdecimal() else None
                self.group.trailer = seg.index
            self.group = None
        elif sid == "IEA":
            self._close_group()
            ic.trailer = seg.index
            self._flush()
            self.ic = None
        elif self.set is not None:
            self.set.end = seg.index

    def finish(self) -> None:
        if self.ic is not None:
            self._close_interchange()
        self._run_pending()
        for at, found in reversed(self._deferred):
            self.problems[at:at] = found
        self._deferred = []

    # -- pyx12 ---------------------------------------------------------------------------

    def _flush(self) -> None:
        pyx, ic, last = self.pyx, self.ic, self.last
        self.pyx = None
        if pyx is None or ic is None or last is None:
            return
        groups = {g.segment: g for g in ic.groups}
        for gs_index, gs01, gs08 in pyx.unmapped:
            g = groups.get(gs_index)
            position = Position(self.file, g.offset if g else None, gs_index, _control(ic.isa, 13))
            self.problems.append(Problem(
                "warning", "no-pyx12-map",
                f"pyx12 has no map for GS08 {_code(gs08, _VERSION)} (GS01 {_code(gs01, _FUNCTIONAL_ID)}): "
                "implementation-guide checks skipped for this group; envelope and balancing checks still ran",
                position))
        for gs_index, gs08, used in pyx.substituted:
            g = groups.get(gs_index)
            position = Position(self.file, g.offset if g else None, gs_index, _control(ic.isa, 13))
            self.problems.append(Problem(
                "warning", "pyx12-nearest-map",
                f"pyx12 has no map for GS08 {_code(gs08, _VERSION)}; validated against its {used} map", position))
        for st_index in pyx.mismatched:
            st = next((s for g in ic.groups for s in g.sets if s.segment == st_index), None)
            position = Position(self.file, st.offset if st else None, st_index, _control(ic.isa, 13))
            self.problems.append(Problem(
                "warning", "no-pyx12-map", "pyx12's map for this group is not for this transaction set type: "
                "implementation-guide checks skipped for it", position))
        if not pyx.has_content:
            return
        sets = {s.segment: s for g in ic.groups for s in g.sets}
        if not self.batch:
            for finding in run_pyx12(pyx.text(last)):
                self._apply(finding, pyx, ic, groups, sets, self.problems)
            return
        text = pyx.text(last)
        self._pending.append(_Pending(pyx, ic, groups, sets, text, len(self.problems)))
        self._pending_chars += len(text)
        if self._pending_chars >= BATCH_CHARS:
            self._run_pending()

    def _run_pending(self) -> None:
        pending, self._pending, self._pending_chars = self._pending, [], 0
        if not pending:
            return
        results = run_pyx12_many([(p.text, len(p.pyx.line_ids)) for p in pending])
        for p, findings in zip(pending, results, strict=True):
            found: list[Problem] = []
            for finding in findings:
                self._apply(finding, p.pyx, p.ic, p.groups, p.sets, found)
            self._deferred.append((p.at, found))

    def _apply(self, f: Pyx12Finding, pyx: Pyx12Input, ic: InterchangeResult,
               groups: dict[int, GroupResult], sets: dict[int, SetResult], out: list[Problem]) -> None:
        in_sets = f.transaction is not None and f.transaction < len(pyx.set_segments)
        st = sets.get(pyx.set_segments[f.transaction]) if in_sets and f.transaction is not None else None
        in_groups = f.group is not None and f.group < len(pyx.group_segments)
        group = groups.get(pyx.group_segments[f.group]) if in_groups and f.group is not None else None
        if group is None and st is not None:
            group = next((g for g in ic.groups if st in g.sets), None)
        at = pyx.segment_of(f.line)
        if at is not None:
            index, offset = at[0], at[1]
        elif st is not None:
            index, offset = st.segment, st.offset
        elif group is not None:
            index, offset = group.segment, group.offset
        else:
            index, offset = ic.segment, ic.offset
        position = Position(self.file, offset, index, _control(ic.isa, 13),
                            _control(group.gs if group else None, 6), st.st02 if st else None)
        if f.level in ("segment", "element") and st is not None:
            st.errors.append(AckError(
                f.segment_id, f.set_position or 0, f.loop_id, "8" if f.level == "element" else f.code,
                f.element_position, f.component_position, f.repetition_position, f.element_reference,
                f.code if f.level == "element" else ""))
        elif f.level == "transaction" and st is not None:
            st.codes.append(f.code)
        elif f.level == "group" and group is not None:
            group.codes.append(f.code)
        elif f.level == "interchange" and f.code.isdecimal():
            ic.codes.append(f.code)
        code = "guide-" + f.level if f.code != "pyx12-failed" else "pyx12-failed"
        out.append(Problem("error", code, f"{f.description} [pyx12 {f.code}]", position))

    # -- our own problems into the ack model -----------------------------------------------

    def apply_problems(self, problems: list[Problem]) -> None:
        starts = [s.segment for s in self.sets]
        by_ge = {g.trailer: g for g in self.groups if g.trailer is not None}
        by_iea = {ic.trailer: ic for ic in self.interchanges if ic.trailer is not None}
        for p in problems:
            index = p.position.segment
            if p.severity != "error" or index is None:
                continue
            if p.code in _INTERCHANGE_CODES:
                ic = by_iea.get(index)
                if ic is not None:
                    ic.codes.append(_INTERCHANGE_CODES[p.code])
                continue
            if p.code in _GROUP_CODES:
                g = by_ge.get(index)
                if g is not None:
                    g.codes.append(_GROUP_CODES[p.code])
                continue
            i = bisect.bisect_right(starts, index) - 1
            if i < 0:
                continue
            st = self.sets[i]
            if not st.segment <= index <= st.end:
                continue
            if p.code in _SET_CODES:
                st.codes.append(_SET_CODES[p.code])
            elif p.code not in ("missing-se", "missing-ge", "missing-iea"):
                st.failed = True


_VERSION = re.compile(r"\d{6}(X\d{3}(A\d)?)?\Z")  # GS08, e.g. 005010X221A1
_FUNCTIONAL_ID = re.compile(r"[A-Z]{2}\Z")  # GS01, e.g. HP


def _code(value: str, shape: re.Pattern[str]) -> str:
    """An envelope code for a message: shown when it has the code's shape, else not (it may be data)."""
    if not value:
        return "(empty)"
    return value if shape.match(value) else "(not a valid code)"


def _control(elements: tuple[str, ...] | None, n: int) -> str | None:
    if elements is None or n >= len(elements):
        return None
    return elements[n].strip() or None


def _walkers() -> dict[str, Walker]:
    """The guide walkers once they exist; until then envelope checks run without them."""
    try:
        from edi_engine.parsers import walkers
    except ImportError:
        return {}
    try:
        return walkers()
    except ImportError:
        return {}


def validate_file(source: Source, name: str | None = None,
                  walkers: dict[str, Walker] | None = None, *, batch: bool = True) -> ValidationReport:
    """Read `source` once and report every problem of the reader, the walkers and pyx12.

    pyx12 validates the file's interchanges several to a run; batch=False starts it once per
    interchange instead (slower; kept as the reference the tests compare the batched runs with).
    """
    stream = read_segments(source, name=name)
    file = stream.name
    collector = _Collector(file, batch)
    parser_problems: list[Problem] = []
    fatal: list[Problem] = []
    try:
        for _ in split_transactions(collector.tee(iter(stream)), _walkers() if walkers is None else walkers,
                                    parser_problems):
            pass  # the models are not needed here, only the problems found building them
    except InputError as exc:
        fatal.append(Problem("error", "unreadable", exc.message, exc.position or Position(file)))
    except Exception as exc:  # noqa: BLE001 - a bug in a walker must not hide the rest of the report
        fatal.append(Problem("error", "internal-error",
                             f"validation stopped: internal error ({type(exc).__name__})",
                             collector.last.position if collector.last else Position(file)))
    collector.finish()
    reader = [
        Problem("error", p.code, p.message, p.position) if p.code in STRICT_ERRORS and p.severity == "warning" else p
        for p in stream.problems
    ]
    # Without a walker for a kind, the dispatcher says so; pyx12 covers those sets here.
    ours = reader + [p for p in parser_problems if p.code != "unsupported-transaction"]
    collector.apply_problems(ours)
    problems = ours + collector.problems + fatal
    problems.sort(key=lambda p: (p.position.offset if p.position.offset is not None else -1,
                                 p.position.segment or 0))
    return ValidationReport(file, tuple(problems), tuple(collector.interchanges))
