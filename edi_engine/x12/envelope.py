"""The ISA > GS > ST..SE > GE > IEA envelope: one transition table and the control checks.

Owns envelope nesting and the counts and control numbers of the trailers (SE01/SE02, GE01/GE02,
IEA01/IEA02). Knows nothing of what a transaction set means.

A (state, segment id) pair missing from TRANSITIONS is a structural problem; the tracker reports
it and recovers the way a reader of the file would (an ST without GS opens a transaction anyway,
a new ISA closes whatever was open), so one broken envelope never hides the rest of the file.
"""

from __future__ import annotations

from enum import Enum

from edi_engine.errors import Position, Problem, Severity
from edi_engine.x12.segment import Delimiters, Envelope, Segment

__all__ = ["ENVELOPE_IDS", "EnvelopeTracker"]


class _State(Enum):
    OUTSIDE = "outside any interchange"
    INTERCHANGE = "in an interchange"
    GROUP = "in a functional group"
    TRANSACTION = "in a transaction set"


ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
_HEADERS = frozenset({"ISA", "GS", "ST"})

_O, _I, _G, _T = _State.OUTSIDE, _State.INTERCHANGE, _State.GROUP, _State.TRANSACTION

TRANSITIONS: dict[tuple[_State, str], _State] = {
    (_O, "ISA"): _I,
    (_I, "GS"): _G,
    (_I, "IEA"): _O,
    (_G, "ST"): _T,
    (_G, "GE"): _I,
    (_T, "SE"): _G,
}


def _same_number(a: str, b: str) -> bool:
    # GS06/GE02 and ISA13/IEA02 are numeric (N0): "02" and "2" are the same control number.
    a, b = a.strip(), b.strip()
    if a.isdecimal() and b.isdecimal():
        return int(a) == int(b)
    return a == b


def _says(declared: str) -> str:
    """A trailer's count as a message reads it: the number, or that it is none (never other text: PHI)."""
    if declared.isdecimal() and declared.isascii():
        return f"says {int(declared)}"
    return "is not a number of" if declared else "gives no number of"


class EnvelopeTracker:
    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        self.state = _O
        self.envelope = Envelope(file, Delimiters("*", ":", None, "~"))
        self.group_count = 0  # GS seen in the current interchange
        self.transaction_count = 0  # ST seen in the current group
        self.transactions_seen = 0  # in the whole file, for callers that need "anything read?"
        self.interchanges_seen = 0

    @property
    def in_transaction(self) -> bool:
        return self.state is _T

    def _problem(self, severity: Severity, code: str, message: str, seg: Segment | None) -> None:
        position = seg.position if seg is not None else Position(self.file)
        self.problems.append(Problem(severity, code, message, position))

    def start_interchange(self, delimiters: Delimiters) -> None:
        """Called by the tokenizer when it has read an ISA's delimiters, before the ISA itself."""
        self.envelope = Envelope(self.file, delimiters)

    def on_segment(self, elements: tuple[str, ...], offset: int, index: int) -> Segment:
        sid = elements[0]
        seg = Segment(sid, elements, offset, index, self.envelope)
        target = TRANSITIONS.get((self.state, sid))
        if target is None:
            self._recover(seg)
            target = TRANSITIONS.get((self.state, sid))
            if target is None:  # a trailer with nothing open: reported, nothing to close
                return seg
        getattr(self, "_on_" + sid)(seg)
        self.state = target
        if sid in _HEADERS:
            # A header belongs to the envelope it opens, so its position names its own control number.
            return seg._replace(envelope=self.envelope)
        return seg

    # -- recovery from a missing (state, id) pair ------------------------------------------

    def _recover(self, seg: Segment) -> None:
        sid, state = seg.id, self.state
        if sid == "ISA":
            self._close_open(seg, "a new ISA")
        elif sid == "ST" and state is _O:
            if self.interchanges_seen == 0:
                self._problem("warning", "no-envelope",
                              "transaction set without ISA/GS envelope; delimiters were guessed", seg)
            else:
                self._problem("error", "st-outside-interchange", "ST outside any interchange", seg)
            self.state = _G
        elif sid == "ST" and state is _I:
            self._problem("error", "st-without-gs", "ST without a GS functional group header", seg)
            self.state = _G
        elif sid == "ST" and state is _T:
            self._missing_se(seg)
        elif sid == "GS" and state is _G:
            self._problem("error", "missing-ge", "GS before the previous group's GE", seg)
            self.state = _I
        elif sid == "GS" and state is _T:
            self._missing_se(seg)
            self._problem("error", "missing-ge", "GS before the previous group's GE", seg)
            self.state = _I
        elif sid == "GS" and state is _O:
            self._problem("error", "gs-without-isa", "GS without an ISA interchange header", seg)
        elif sid in ("GE", "IEA") and state is _T:
            self._missing_se(seg)
            if sid == "IEA":
                self._problem("error", "missing-ge", "IEA before the group's GE", seg)
                self.state = _I
        elif sid == "IEA" and state is _G:
            self._problem("error", "missing-ge", "IEA before the group's GE", seg)
            self.state = _I
        else:
            self._problem("error", f"unexpected-{sid.lower()}", f"{sid} {state.value}", seg)

    def _missing_se(self, seg: Segment) -> None:
        self._problem("error", "missing-se", f"{seg.id} before the transaction set's SE", seg)
        self.envelope = self.envelope._replace(st=None)
        self.state = _G

    def _close_open(self, seg: Segment, what: str) -> None:
        state = self.state
        if state is _T:
            self._problem("error", "missing-se", f"{what} before the transaction set's SE", seg)
        if state in (_T, _G) and self.envelope.gs is not None:
            self._problem("error", "missing-ge", f"{what} before the group's GE", seg)
        if state is not _O and self.envelope.isa is not None:
            self._problem("error", "missing-iea", f"{what} before the interchange's IEA", seg)
        self.state = _O

    # -- transitions ----------------------------------------------------------------------

    def _on_ISA(self, seg: Segment) -> None:
        self.envelope = self.envelope._replace(isa=seg, gs=None, st=None)
        self.group_count = 0
        self.interchanges_seen += 1

    def _on_GS(self, seg: Segment) -> None:
        self.envelope = self.envelope._replace(gs=seg, st=None)
        self.group_count += 1
        self.transaction_count = 0

    def _on_ST(self, seg: Segment) -> None:
        self.envelope = self.envelope._replace(st=seg)
        self.transaction_count += 1
        self.transactions_seen += 1

    def _on_SE(self, seg: Segment) -> None:
        st = self.envelope.st
        if st is not None:
            counted = seg.index - st.index + 1
            declared = seg.get(1).strip()
            if not declared.isdecimal() or int(declared) != counted:
                self._problem("error", "se01-count",
                              f"SE01 {_says(declared)} segments, the transaction set has {counted}", seg)
            if seg.get(2) != st.get(2):
                self._problem("error", "se02-control", "SE02 does not match ST02", seg)
        self.envelope = self.envelope._replace(st=None)

    def _on_GE(self, seg: Segment) -> None:
        declared = seg.get(1).strip()
        if not declared.isdecimal() or int(declared) != self.transaction_count:
            self._problem("error", "ge01-count",
                          f"GE01 {_says(declared)} transaction sets, the group has {self.transaction_count}", seg)
        gs = self.envelope.gs
        if gs is not None and not _same_number(seg.get(2), gs.get(6)):
            self._problem("error", "ge02-control", "GE02 does not match GS06", seg)
        self.envelope = self.envelope._replace(gs=None, st=None)

    def _on_IEA(self, seg: Segment) -> None:
        declared = seg.get(1).strip()
        if not declared.isdecimal() or int(declared) != self.group_count:
            self._problem("error", "iea01-count",
                          f"IEA01 {_says(declared)} groups, the interchange has {self.group_count}", seg)
        isa = self.envelope.isa
        if isa is not None and not _same_number(seg.get(2), isa.get(13)):
            self._problem("error", "iea02-control", "IEA02 does not match ISA13", seg)
        self.envelope = self.envelope._replace(isa=None, gs=None, st=None)

    def close(self, offset: int, index: int) -> None:
        """End of file: report whatever is still open."""
        end = Position(self.file, offset=offset, segment=index)
        state = self.state
        if state is _T:
            self.problems.append(Problem("error", "missing-se", "file ends inside a transaction set (no SE)", end))
        if state in (_T, _G) and self.envelope.gs is not None:
            self.problems.append(Problem("error", "missing-ge", "file ends inside a functional group (no GE)", end))
        if state is not _O and self.envelope.isa is not None:
            self.problems.append(Problem("error", "missing-iea", "file ends inside an interchange (no IEA)", end))
