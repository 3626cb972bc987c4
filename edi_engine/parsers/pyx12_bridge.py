"""The pyx12 bridge: implementation-guide validation of one interchange, as PHI-free findings.

Owns everything pyx12-specific: which guides pyx12 has maps for, turning the segments our reader
read back into text pyx12 can take, calling `pyx12.x12n_document.x12n_document` with its JSON
error tree, and reading that tree back as `Pyx12Finding`s. Knows nothing of the 999 we write, of
Problems or of the CLI.

pyx12 (pinned at 4.0.0 in pyproject.toml) is the authority for the guides, not for the bytes:
it raises on a UTF-8 BOM or non-ASCII bytes, insists on a 106-character ISA, and silently stops at
an empty segment. So it is never handed the file itself. `Pyx12Input` re-serialises what our
reader read, one interchange at a time, with the file's own delimiters, the ISA padded to its
fixed widths, non-ASCII characters replaced, and a well-formed envelope: missing SE/GE/IEA are
supplied, SE01/GE01/IEA01 and the trailer control numbers are recomputed, and groups pyx12 has
no map for are left out. Envelope counts and control numbers are our reader's job (it reports
them with byte offsets); pyx12 judges what lies inside the envelope.

pyx12's own messages quote element values (names, member ids, dates of birth). They are never
passed on: each finding's description is built from its error code, the element reference
(e.g. NM109) and the names pyx12's maps give segments and elements. The one thing pyx12 copies
from the data into its report, the segment id, is kept only when it has the shape of a segment id
(two or three upper-case letters or digits): a line of data whose id is a name or a number is
reported as "segment", by position. pyx12 also logs those messages, values included, so its
logger is silenced here.
"""

from __future__ import annotations

import io
import json
import logging
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from edi_engine.x12.segment import Delimiters, Segment

__all__ = [
    "BATCH_CHARS",
    "ELEMENT_CODES",
    "ISA_WIDTHS",
    "SEGMENT_CODES",
    "SET_CODES",
    "GROUP_CODES",
    "INTERCHANGE_CODES",
    "Pyx12Finding",
    "Pyx12Input",
    "fixed_width_isa",
    "pyx12_map",
    "run_pyx12",
    "run_pyx12_many",
]

# pyx12 logs every error with the offending value; with no handler configured Python's
# last-resort handler would print those values (PHI) on stderr.
_log = logging.getLogger("pyx12")
_log.addHandler(logging.NullHandler())
_log.propagate = False
# Their DEBUG lines quote element values (PHI): keep them from ever being created.
_log.setLevel(logging.CRITICAL + 1)

# ISA01..ISA16 are fixed width; the ISA is 106 characters with its terminator.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)

# 005010X231A1 code lists, used for the descriptions (and by the 999 writer).
SEGMENT_CODES = {  # IK304
    "1": "unrecognized segment ID",
    "2": "unexpected segment",
    "3": "required segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
    "I4": "implementation 'not used' segment present",
    "I6": "implementation dependent segment missing",
    "I7": "implementation loop occurs under minimum times",
    "I8": "implementation segment below minimum use",
    "I9": "implementation dependent 'not used' segment present",
}
ELEMENT_CODES = {  # IK403
    "1": "required data element missing",
    "2": "conditional required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value not used in implementation",
    "I9": "implementation dependent data element missing",
    "I10": "implementation 'not used' data element present",
    "I11": "implementation too few repetitions",
    "I12": "implementation pattern match failure",
    "I13": "implementation dependent 'not used' data element present",
}
SET_CODES = {  # IK502..IK506
    "1": "transaction set not supported",
    "2": "transaction set trailer missing",
    "3": "transaction set control number in header and trailer do not match",
    "4": "number of included segments does not match actual count",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid transaction set control number",
    "23": "transaction set control number not unique within the functional group",
    "I5": "implementation one or more segments in error",
    "I6": "implementation convention not supported",
}
GROUP_CODES = {  # AK905..AK909
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer missing",
    "4": "group control number in the functional group header and trailer do not agree",
    "5": "number of included transaction sets does not match actual count",
    "6": "group control number violates syntax or is not unique",
}
INTERCHANGE_CODES = {  # TA105
    "001": "the interchange control number in the header and trailer do not match",
    "005": "invalid interchange ID qualifier for sender",
    "006": "invalid interchange sender ID",
    "007": "invalid interchange ID qualifier for receiver",
    "008": "invalid interchange receiver ID",
    "010": "invalid authorization information qualifier value",
    "012": "invalid security information qualifier value",
    "014": "invalid interchange date value",
    "015": "invalid interchange time value",
    "017": "invalid interchange version ID value",
    "018": "invalid interchange control number value",
    "019": "invalid acknowledgment requested value",
    "020": "invalid test indicator value",
    "021": "invalid number of included groups value",
    "022": "invalid control structure",
    "023": "improper (premature) end-of-file",
    "024": "invalid interchange content",
    "025": "duplicate interchange control number",
    "026": "invalid data element separator",
    "027": "invalid component element separator",
}
# pyx12 codes outside the 999 lists, with what they mean.
_PYX12_SEGMENT_CODES = {
    "HL1": "HL01 does not count the HL segments up from 1",
    "HL2": "HL02 does not name an earlier HL as parent",
    "LX": "LX01 does not count the service lines up from 1",
    "SEG1": "segment ends with trailing element separators",
}
# Envelope errors pyx12 reports that our reader already reports (with byte offsets); the text
# pyx12 is given has its trailers rebuilt, so any it still finds are artefacts of that.
_ENVELOPE_CODES = {"interchange": {"001", "021", "023", "024"}, "group": {"3", "4", "5"},
                   "transaction": {"2", "3", "4"}}


@dataclass(frozen=True, slots=True)
class Pyx12Finding:
    """One pyx12 error, with where it is in the text pyx12 was given and no element values."""

    level: str  # "interchange", "group", "transaction", "segment" or "element"
    code: str  # TA105, AK905, IK502, IK304 or IK403 code as pyx12 gives it (or HL1, HL2, LX, SEG1)
    description: str
    line: int | None = None  # 1-based segment number in the text (segment and element levels)
    group: int | None = None  # 0-based ordinal of the functional group in the text
    transaction: int | None = None  # 0-based ordinal of the transaction set in the text
    segment_id: str = ""
    set_position: int | None = None  # segment position in the transaction set, ST = 1 (IK302)
    loop_id: str = ""  # IK303
    element_position: int | None = None  # IK401-1
    component_position: int | None = None  # IK401-2
    repetition_position: int | None = None  # IK401-3
    element_reference: str = ""  # data element number, IK402 (e.g. "782")

    @property
    def reference(self) -> str:
        """The element's reference designator, e.g. 'NM109' or 'CLM05-1'; '' at segment level."""
        if self.element_position is None:
            return ""
        ref = f"{self.segment_id}{self.element_position:02d}"
        return f"{ref}-{self.component_position}" if self.component_position else ref


def fixed_width_isa(elements: tuple[str, ...]) -> tuple[str, ...]:
    """The ISA's elements padded (or cut) to their fixed widths; numbers are zero-padded."""
    values = list(elements[1:17]) + [""] * (16 - len(elements[1:17]))
    out = ["ISA"]
    for i, (value, width) in enumerate(zip(values, ISA_WIDTHS, strict=True), start=1):
        value = value.strip() if i not in (2, 4) else value
        if i == 13 and value.isdecimal():
            value = value.zfill(width)
        out.append(value.ljust(width)[:width])
    return tuple(out)


@lru_cache(maxsize=1)
def _map_index() -> Any:
    import pyx12.map_index

    return pyx12.map_index.map_index()


def pyx12_map(isa12: str, gs08: str, gs01: str) -> tuple[str, str] | None:
    """(pyx12 map file, GS08 to hand pyx12) for an ISA12/GS08/GS01, or None when pyx12 has no map.

    A later addendum of a guide pyx12 knows (837P X222A2, 837I X223A3) is validated against the
    nearest map of the same guide; 837D (X224), 4010 and masked versions have none.
    """
    if isa12 not in ("00401", "00501"):
        return None
    index = _map_index()
    name = index.get_filename(isa12, gs08, gs01)
    if name is not None and not name.startswith("x12.control"):
        return str(name), gs08
    base = gs08[:10]
    if len(base) < 10 or "X" not in base:
        return None
    near = sorted((m["vriic"], m["map_file"]) for m in index.maps
                  if m["icvn"] == isa12 and m["fic"] == gs01 and (m["vriic"] or "").startswith(base))
    return (str(near[-1][1]), str(near[-1][0])) if near else None


_FUNCTIONAL_IDS = {"835": "HP", "837": "HC", "999": "FA", "997": "FA", "277": "HN", "276": "HR",
                   "270": "HS", "271": "HB", "834": "BE", "820": "RA", "278": "HI"}


class Pyx12Input:
    """The text of one interchange for pyx12, built segment by segment as our reader yields them.

    `lines` maps each line of the text (1-based) back to the file: the segment number and byte
    offset of the segment it came from, or, for a trailer supplied here, of the segment where the
    missing one was noticed. `set_lines[k]` is the file segment number of the k-th ST in the text,
    `group_segments[g]` that of the g-th GS (the ST's for a group header supplied here).
    `unmapped` lists (GS segment number, GS01, GS08) of groups pyx12 has no map for, `substituted`
    the groups validated against the nearest map (see `pyx12_map`), `mismatched` the ST segment
    numbers of sets left out because their ST01 is not what the group's map is for.
    """

    def __init__(self, delimiters: Delimiters) -> None:
        term = delimiters.segment
        self.element = delimiters.element
        self.component = delimiters.component
        self.repetition = delimiters.repetition or next(
            c for c in "^{}|!" if c not in (delimiters.element, delimiters.component, term))
        self.terminator = term
        self._text: list[str] = []
        self.line_index = array("q")
        self.line_offset = array("q")
        self.line_ids: list[str] = []
        self.set_segments: list[int] = []
        self.group_segments: list[int] = []
        self.unmapped: list[tuple[int, str, str]] = []
        self.substituted: list[tuple[int, str, str]] = []  # (GS segment number, GS08, GS08 of the map used)
        self.mismatched: list[int] = []  # ST segment numbers of sets the group's map is not for
        self._map_file = ""
        self._isa: tuple[str, ...] | None = None
        self._in_group = False  # GS written and not yet closed
        self._skip_group = False  # inside a group left out (no map)
        self._set_count: int | None = None  # segments of the open set, None when none is open
        self._group_sets = 0
        self._groups = 0
        self._st02 = ""

    @property
    def has_content(self) -> bool:
        return bool(self.set_segments)

    def _write(self, elements: tuple[str, ...], seg: Segment) -> None:
        text = self.element.join(elements)
        if not text.isascii():
            text = text.encode("ascii", "replace").decode("ascii")
        self._text.append(text)
        self.line_index.append(seg.index)
        self.line_offset.append(seg.offset)
        self.line_ids.append(elements[0])

    def _isa_line(self, seg: Segment, elements: tuple[str, ...] | None) -> None:
        if elements is None:  # bare ST..SE: an envelope is supplied
            elements = ("ISA", "00", "", "00", "", "ZZ", "EDI-ENGINE", "ZZ", "EDI-ENGINE", "000101", "0000",
                        "", "00501", "1", "0", "P", "")
        isa = list(fixed_width_isa(elements))
        isa[11] = self.repetition if isa[12] == "00501" else isa[11]
        isa[16] = self.component
        self._isa = tuple(isa)
        self._write(self._isa, seg)

    def _close_set(self, seg: Segment) -> None:
        if self._set_count is not None:
            self._write(("SE", str(self._set_count + 1), self._st02), seg)
            self._set_count = None

    def _close_group(self, seg: Segment) -> None:
        self._close_set(seg)
        if self._in_group:
            self._write(("GE", str(self._group_sets), str(self._groups)), seg)
            self._in_group = False

    def _open_group(self, seg: Segment, gs01: str, gs08: str) -> bool:
        """Write a GS (numbered 1, 2, ... in the text); False when pyx12 has no map for the group."""
        assert self._isa is not None
        found = pyx12_map(self._isa[12], gs08, gs01)
        if found is None:
            self.unmapped.append((seg.index, gs01, gs08))
            self._skip_group = True
            return False
        if found[1] != gs08:
            self.substituted.append((seg.index, gs08, found[1]))
        self._map_file = found[0]
        self._skip_group = False
        self._groups += 1
        self._group_sets = 0
        gs = seg.elements if seg.id == "GS" else (
            "GS", gs01, "EDI-ENGINE", "EDI-ENGINE", "20000101", "0000", "", "X", gs08)
        gs = tuple(gs[:6]) + (str(self._groups), gs[7] if len(gs) > 7 else "X", found[1])
        self._write(gs, seg)
        self.group_segments.append(seg.index)
        self._in_group = True
        return True

    def add(self, seg: Segment) -> None:
        sid = seg.id
        if self._isa is None:
            self._isa_line(seg, seg.elements if sid == "ISA" else None)
            if sid == "ISA":
                return
        if sid == "GS":
            self._close_group(seg)
            self._open_group(seg, seg.get(1), seg.get(8))
        elif sid == "ST":
            self._close_set(seg)
            # ST without GS: a group header is supplied from ST01/ST03.
            if (not self._in_group and not self._skip_group
                    and not self._open_group(seg, _FUNCTIONAL_IDS.get(seg.get(1), ""), seg.get(3))):
                return
            if self._skip_group:
                return
            if not self._map_file.startswith(seg.get(1) or "?"):
                self.mismatched.append(seg.index)  # an 837 in an 835 group: its map would judge nonsense
                return
            self._group_sets += 1
            self._set_count = 1
            self._st02 = seg.get(2)
            self._write(seg.elements, seg)
            self.set_segments.append(seg.index)
        elif sid == "SE":
            self._close_set(seg)
        elif sid == "GE":
            self._close_group(seg)
            self._skip_group = False
        elif sid in ("IEA", "ISA"):
            pass  # the IEA is written by text()
        elif self._set_count is not None:
            self._set_count += 1
            self._write(seg.elements, seg)
        # anything else lies outside a transaction set (or in a group left out): our reader reports it

    def text(self, last: Segment) -> str:
        """The whole interchange, closed with whatever trailers are missing."""
        self._close_group(last)
        assert self._isa is not None
        self._write(("IEA", str(self._groups), self._isa[13]), last)
        term = self.terminator
        return term.join(self._text) + term

    def segment_of(self, line: int | None) -> tuple[int, int, str] | None:
        """(file segment number, byte offset, segment id) behind a 1-based text line."""
        if line is None or not 1 <= line <= len(self.line_ids):
            return None
        return self.line_index[line - 1], self.line_offset[line - 1], self.line_ids[line - 1]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")


def segment_id_of(value: object) -> str:
    """A segment id pyx12 read from the data, or '' when it is not shaped like one (it may be PHI)."""
    text = str(value or "")
    return text if _SEGMENT_ID.match(text) else ""


def _describe_segment(seg: dict[str, Any], code: str, err_str: str) -> str:
    what = _PYX12_SEGMENT_CODES.get(code) or SEGMENT_CODES.get(code) or f"pyx12 error {code}"
    if code == "3" and err_str.startswith("Mandatory loop"):
        what = "required loop missing"
    # pyx12 names the map node it was at; only for a missing segment is that the segment's name.
    name = (seg.get("name") or "") if code in ("3", "I6", "I7", "I8") else ""
    return f"{segment_id_of(seg.get('seg_id')) or 'segment'}{f' ({name})' if name else ''}: {what}"


def _describe_element(seg: dict[str, Any], ele: dict[str, Any], ref: str, code: str, err_str: str) -> str:
    what = ELEMENT_CODES.get(code) or f"pyx12 error {code}"
    if "marked as Not Used" in err_str:
        what = "marked as Not Used in this guide"
    elif "trailing spaces" in err_str:
        what = "has trailing spaces"
    elif "regular expression" in err_str:
        what = "does not match the pattern the guide requires"
    name = ele.get("name") or ""
    return f"{ref}{f' ({name})' if name else ''}: {what}"


def _findings(doc: dict[str, Any]) -> Iterator[Pyx12Finding]:
    for isa in doc.get("interchanges", []):
        yield from _interchange_findings(isa)


def _interchange_findings(isa: dict[str, Any], line_base: int = 0) -> Iterator[Pyx12Finding]:
    """One interchange of pyx12's report; `line_base` lines of the text came before it."""
    g = t = -1
    for err in isa.get("errors", []):
        code = str(err.get("err_cde"))
        if code not in _ENVELOPE_CODES["interchange"]:
            yield Pyx12Finding("interchange", code, INTERCHANGE_CODES.get(code, f"pyx12 interchange error {code}"))
    for gs in isa.get("groups", []):
        g += 1
        for err in gs.get("errors", []):
            code = str(err.get("err_cde"))
            if code not in _ENVELOPE_CODES["group"]:
                yield Pyx12Finding("group", code, GROUP_CODES.get(code, f"pyx12 group error {code}"), group=g)
        for st in gs.get("transactions", []):
            t += 1
            for err in st.get("errors", []):
                code = str(err.get("err_cde"))
                if code not in _ENVELOPE_CODES["transaction"]:
                    message = SET_CODES.get(code, f"pyx12 transaction set error {code}")
                    yield Pyx12Finding("transaction", code, message, group=g, transaction=t)
            for seg in st.get("segments", []):
                line = _int(seg.get("cur_line"))
                common = {"line": None if line is None else line - line_base, "group": g, "transaction": t,
                          "segment_id": segment_id_of(seg.get("seg_id")),
                          "set_position": _int(seg.get("seg_count")),
                          "loop_id": str(seg.get("ls_id") or "")}
                for err in seg.get("errors", []):
                    code = str(err.get("err_cde"))
                    yield Pyx12Finding("segment", code, _describe_segment(seg, code, str(err.get("err_str") or "")),
                                       **common)  # type: ignore[arg-type]
                for ele in seg.get("elements", []):
                    pos, sub = _int(ele.get("ele_pos")), _int(ele.get("subele_pos"))
                    ref = f"{common['segment_id'] or 'element '}{(pos or 0):02d}" + (f"-{sub}" if sub else "")
                    for err in ele.get("errors", []):
                        code = str(err.get("err_cde"))
                        yield Pyx12Finding(
                            "element", code,
                            _describe_element(seg, ele, ref, code, str(err.get("err_str") or "")),
                            element_position=pos, component_position=sub,
                            repetition_position=_int(ele.get("repeat_pos")),
                            element_reference=str(ele.get("ele_ref_num") or ""), **common)  # type: ignore[arg-type]


def run_pyx12(text: str) -> list[Pyx12Finding]:
    """Validate one interchange's text (as built by Pyx12Input) against pyx12's maps.

    A pyx12 failure (an exception inside it) becomes one interchange-level finding with code
    "pyx12-failed", naming only the exception's type: its message may quote the data.
    """
    import pyx12.params
    import pyx12.x12n_document

    out = io.StringIO()
    try:
        pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None, None, out)
        doc = json.loads(out.getvalue() or '{"interchanges": []}')
    except Exception as exc:  # noqa: BLE001 - any pyx12 failure is reported, never raised
        return [Pyx12Finding("interchange", "pyx12-failed",
                             f"pyx12 could not validate this interchange ({type(exc).__name__})")]
    return list(_findings(doc))


BATCH_CHARS = 8 << 20  # text per pyx12 run at most (memory stays bounded by it, not by the file)


def batch_key(text: str) -> tuple[str, ...]:
    """What one pyx12 run must share: its reader takes the delimiters and the control map (ISA12)
    from the first ISA of the text. `text` is one interchange as built by Pyx12Input."""
    # The ISA is fixed width: the element separator, ISA11, ISA12, ISA16 and the terminator.
    return text[3], text[82], text[84:89], text[104], text[105]


def _renumbered(text: str, isa13: str) -> str:
    """`text` with its ISA13 and IEA02 replaced (both are nine characters in a Pyx12Input text)."""
    term = text[105]
    end = text.rstrip(term).rfind(term) + 1  # start of the IEA
    iea = text[end:]
    return text[:90] + isa13 + text[99:end] + iea[: len(iea) - 10] + isa13 + term


def run_pyx12_many(texts: list[tuple[str, int]]) -> list[list[Pyx12Finding]]:
    """Validate several interchanges' texts (each as built by Pyx12Input, with its number of
    lines) in as few pyx12 runs as they allow: pyx12 loads its maps at each start, which costs far
    more than most interchanges take to validate. Returns each interchange's findings, the same as
    `run_pyx12` on its text alone (tests/parsers/test_validation_batch.py compares on the corpus).

    One run takes consecutive interchanges with the same delimiters and ISA12 (`batch_key`), up
    to `BATCH_CHARS`. pyx12 checks that ISA13 is unique within its input: a nine-digit ISA13
    seen earlier in the run is renumbered in the text (its format pyx12 judges the same), any
    other repeat starts a new run. Each finding's line, group and set are made relative to its
    own interchange. A run that fails, or whose report does not have one interchange per text, is
    redone one interchange at a time, so a failure is reported for the interchange that has it.
    """
    out: list[list[Pyx12Finding]] = []
    i = 0
    while i < len(texts):
        key = batch_key(texts[i][0])
        run: list[tuple[str, int]] = []
        seen: set[str] = set()
        size = 0
        while i < len(texts) and (not run or (batch_key(texts[i][0]) == key and size < BATCH_CHARS)):
            text, lines = texts[i]
            isa13 = text[90:99]
            if isa13 in seen:
                if not isa13.isdecimal():
                    break
                n = int(isa13)
                while f"{n:09d}" in seen:
                    n = (n + 1) % 1_000_000_000
                isa13 = f"{n:09d}"
                text = _renumbered(text, isa13)
            seen.add(isa13)
            run.append((text, lines))
            size += len(text)
            i += 1
        out.extend(_run_batch(run))
    return out


def _groups_of(text: str) -> tuple[tuple[str, str], ...]:
    """(GS01, GS08) of each group in an interchange's text: which maps pyx12 will load for it."""
    element, term = text[3], text[105]
    return tuple((gs[1], gs[8]) for gs in (line.split(element) for line in text.split(term)
                                            if line.startswith("GS" + element)) if len(gs) > 8)


def _run_batch(run: list[tuple[str, int]]) -> list[list[Pyx12Finding]]:
    if len(run) == 1:
        return [run_pyx12(run[0][0])]
    # pyx12 loads a guide's map each time the map changes from one group to the next (0.3-1 s a
    # load): the interchanges go in by the maps they need, and their findings come back in order.
    order = sorted(range(len(run)), key=lambda k: _groups_of(run[k][0]))
    found = _run_ordered([run[k] for k in order])
    out: list[list[Pyx12Finding]] = [[] for _ in run]
    for k, findings in zip(order, found, strict=True):
        out[k] = findings
    return out


def _run_ordered(run: list[tuple[str, int]]) -> list[list[Pyx12Finding]]:
    import pyx12.params
    import pyx12.x12n_document

    out = io.StringIO()
    try:
        pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO("".join(t for t, _ in run)),
                                          None, None, None, out)
        interchanges = json.loads(out.getvalue() or '{"interchanges": []}').get("interchanges", [])
    except Exception:  # noqa: BLE001 - redone one by one below, where the failure is reported
        interchanges = []
    if len(interchanges) != len(run):
        return [run_pyx12(text) for text, _ in run]
    found: list[list[Pyx12Finding]] = []
    base = 0
    for isa, (_, lines) in zip(interchanges, run, strict=True):
        found.append(list(_interchange_findings(isa, base)))
        base += lines
    return found
