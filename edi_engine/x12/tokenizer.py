"""Bytes to segments, without I/O: `feed()` chunks of bytes, `close()` at the end of input.

Owns delimiter detection (from each ISA, or guessed for a bare ST..SE), splitting into segments
and elements, byte offsets and segment numbers, and the reader's fatal errors. The envelope
(ISA/GS/ST nesting and counts) is delegated to `EnvelopeTracker`. Knows nothing of 835/837.

Any chunking of the same bytes yields the same segments and problems: a segment is only cut once
its terminator has arrived, and the ISA (whose 16th element separator fixes the component
separator and the terminator) is only read once all of it is there.

`feed()` returns the list of segments completed by that chunk instead of one segment per call:
a remittance holds millions of segments and a method call per segment would cost more than the
splitting itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from edi_engine.errors import Position, Problem, ProblemLog, Severity, X12Error
from edi_engine.x12.envelope import ENVELOPE_IDS, EnvelopeTracker
from edi_engine.x12.segment import Delimiters, Segment

__all__ = ["COMPILED", "MAX_SEGMENT_BYTES", "PURE_ENV", "Tokenizer"]

# Set (to anything but "" or "0") to read with the pure-Python loop even where the C one is built.
PURE_ENV = "EDI_ENGINE_PURE_TOKENIZER"

_SPEEDUPS_API = 1  # _speedups.c's API: the scan() signature this file calls
_Scan = Callable[[bytes, int, int, int, int, int, object, type, set[str], frozenset[str], list[Segment]],
                 tuple[int, int]]
_scan: _Scan | None
try:
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        raise ImportError(PURE_ENV)
    from edi_engine.x12 import _speedups

    # A build left from another version of scan() (an old in-place build) is not used.
    _scan = _speedups.scan if getattr(_speedups, "API", None) == _SPEEDUPS_API else None
except ImportError:  # not built (no compiler at install time) or turned off: the loop below in Python
    _scan = None
COMPILED = _scan is not None  # whether Tokenizers made now use the C loop for plain segments

# No 5010 segment comes near this (the longest elements are a few hundred bytes); a "segment"
# this long is a missing terminator, and holding it would unbound the reader's memory.
MAX_SEGMENT_BYTES = 64 * 1024

# An ISA is 106 bytes; a non-fixed-width one, or one broken over lines, is still well under this.
_ISA_SEARCH_BYTES = 1024
# Bytes looked at to guess the component separator of a bare ST..SE without an ISA.
_GUESS_BYTES = 64 * 1024
# Text before the first ISA (an implementation guide's example pasted under its prose, a mail
# header) is skipped with a warning when an ISA starts a line within this many bytes.
MAX_LEADING_TEXT_BYTES = 64 * 1024
_LINE_ISA = re.compile(rb"(?:\A|[\r\n])[ \t]*(ISA)[^A-Za-z0-9\s]")

_SEGMENT_ID = re.compile(r"[A-Z0-9]{2,3}\Z")
_COMPOSITE_QUALIFIERS = rb"(?:HC|AD|NU|N4|ER|IV|WK|HP|ZZ|ABK|ABF|BK|BF|ABJ|ABN|APR)"


def _is_alnum(byte: bytes) -> bool:
    return byte.isalnum()


class Tokenizer:
    """`compiled`: None uses the C loop when it is built (COMPILED); False forces the Python loop.
    Either way the segments, positions and problems are the same (tests/x12/test_speedups.py)."""

    def __init__(self, file: str = "", problems: list[Problem] | None = None, base_offset: int = 0,
                 compiled: bool | None = None) -> None:
        self.file = file
        self.problems: list[Problem] = problems if problems is not None else ProblemLog()
        self.tracker = EnvelopeTracker(file, self.problems)
        self.delimiters: Delimiters | None = None
        self._buf = b""
        self._base = base_offset  # absolute offset of self._buf[0]
        self._index = 0  # segments numbered so far
        self._term: bytes | None = None  # None while looking for the next ISA (or bare ST)
        self._esep = "*"
        self._skipping = False  # inside an over-long segment, discarding up to its terminator
        self._stopped = False  # unreadable data after an interchange: the rest is not read
        self._valid_ids: set[str] = set()
        self._scan = _scan if compiled is None or compiled else None
        self._fast = False  # the C loop for this interchange (one-byte terminator other than newline)

    @property
    def segments_read(self) -> int:
        return self._index

    # -- public --------------------------------------------------------------------------

    def feed(self, data: bytes) -> list[Segment]:
        out: list[Segment] = []
        if self._stopped:
            return out
        self._buf = self._buf + data if self._buf else data
        self._run(out, eof=False)
        return out

    def close(self) -> list[Segment]:
        out: list[Segment] = []
        if not self._stopped:
            self._run(out, eof=True)
        if self._index == 0 and not self._stopped:
            raise X12Error("the file is empty: it holds no X12 segments",
                           Position(self.file, offset=self._base, segment=0))
        self.tracker.close(self._base + len(self._buf), self._index)
        return out

    # -- machinery -----------------------------------------------------------------------

    def _problem(self, severity: Severity, code: str, message: str, offset: int, segment: int | None) -> None:
        self.problems.append(Problem(severity, code, message, Position(self.file, offset=offset, segment=segment)))

    def _fail(self, message: str, offset: int) -> None:
        """Unreadable data: fatal at the start of a file; after an interchange, reported and the rest skipped."""
        position = Position(self.file, offset=offset, segment=self._index + 1)
        if self.tracker.interchanges_seen == 0 and self._index == 0:
            raise X12Error(message, position)
        self.problems.append(Problem("error", "unreadable", message + "; the rest of the file was not read", position))
        self._stopped = True
        self._base += len(self._buf)
        self._buf = b""

    def _run(self, out: list[Segment], eof: bool) -> None:
        while not self._stopped:
            if self._term is None:
                if not self._detect(out, eof):
                    return
                self._fast = self._scan is not None and self._term not in (None, b"\n", b"\r")
            elif not (self._split_compiled(out, eof) if self._fast else self._split(out, eof)):
                return

    def _detect(self, out: list[Segment], eof: bool) -> bool:
        """Find the next interchange's delimiters. True when found (and the ISA emitted)."""
        buf = self._buf
        stripped = buf.lstrip()
        if len(stripped) != len(buf):
            self._base += len(buf) - len(stripped)
            self._buf = buf = stripped
        if not buf or (len(buf) < 4 and not eof):
            return False
        if buf[:3] == b"ISA":
            return self._read_isa(out, eof)
        if buf[:2] == b"ST" and len(buf) > 2 and not _is_alnum(buf[2:3]):
            if not eof and len(buf) < _GUESS_BYTES:
                return False
            self._guess_bare_delimiters()
            return True
        if b"\x00" in buf[:512]:
            self._fail("not X12: binary data where an ISA segment was expected", self._base)
            return False
        if self._index == 0 and self.tracker.interchanges_seen == 0:
            found = _LINE_ISA.search(buf, 0, MAX_LEADING_TEXT_BYTES + 8)
            if found is None and not eof and len(buf) < MAX_LEADING_TEXT_BYTES:
                return False  # the ISA may still come within the window
            if found is not None:
                skip = found.start(1)
                self._problem("warning", "leading-text",
                              f"{skip} bytes of text before the first ISA were skipped", self._base, None)
                self._base += skip
                self._buf = buf[skip:]
                return self._read_isa(out, eof)
        if buf[:2] == b"GS" and not _is_alnum(buf[2:3]):
            self._fail("GS without ISA: the interchange header (ISA) is missing", self._base)
        elif re.match(rb"[A-Z0-9]{2,3}[^A-Za-z0-9\s]", buf[:4]):
            start = buf[:3].decode("ascii", "replace").rstrip()
            self._fail(f"X12 without an ISA interchange header: it starts with {start!r}", self._base)
        else:
            self._fail("not X12: the data does not start with an ISA segment", self._base)
        return False

    def _read_isa(self, out: list[Segment], eof: bool) -> bool:
        buf = self._buf
        esep = buf[3:4]
        if not esep or _is_alnum(esep) or esep.isspace():
            self._fail("ISA has no valid element separator after 'ISA'", self._base)
            return False
        # ISA16 follows the 16th element separator; the terminator follows ISA16.
        p, n = 3, 1
        while n < 16:
            p = buf.find(esep, p + 1, _ISA_SEARCH_BYTES)
            if p < 0:
                break
            n += 1
        need_crlf_check = p >= 0 and buf[p + 2 : p + 3] == b"\r" and len(buf) <= p + 3
        if p < 0 or len(buf) <= p + 2 or need_crlf_check:
            if not eof and len(buf) < _ISA_SEARCH_BYTES:
                return False
            if p >= 0 and n == 16 and len(buf) == p + 2 and eof:
                self._fail("ISA segment is cut off: the file ends before its segment terminator", self._base)
            else:
                found = n if p >= 0 else n - 1
                self._fail(f"ISA segment is incomplete: {found} of its 16 elements found (an ISA is 106 characters)",
                           self._base)
            return False
        component = buf[p + 1 : p + 2]
        t = buf[p + 2 : p + 3]
        consumed = p + 3
        if t == b"\r" and buf[p + 3 : p + 4] == b"\n":
            term, consumed = b"\n", p + 4
        elif t in (b"\r", b"\n"):
            term = b"\n" if t == b"\n" else b"\r"
        else:
            term = t
        if _is_alnum(component) or component in (esep, b"\r", b"\n"):
            self._fail("ISA16 (component separator) is not a valid delimiter", self._base)
            return False
        if _is_alnum(t) or t in (esep, component) or t == b" ":
            self._fail("no valid segment terminator after ISA16", self._base)
            return False
        raw = buf[: p + 2]
        if b"\n" in raw or b"\r" in raw:
            raw = raw.replace(b"\r", b"").replace(b"\n", b"")
            self._problem("warning", "isa-broken", "ISA is broken over several lines", self._base, self._index + 1)
        text = raw.decode("latin-1")
        if len(text) + 1 != 106:  # 106 counts the terminator
            self._problem("warning", "isa-width",
                          f"ISA is {len(text) + 1} characters long; the standard fixes it at 106",
                          self._base, self._index + 1)
        esep_s, comp_s, term_s = esep.decode("latin-1"), component.decode("latin-1"), term.decode("latin-1")
        elements = tuple(text.split(esep_s))
        rep = elements[11] if len(elements) > 11 else ""
        repetition = rep if len(rep) == 1 and not rep.isalnum() and rep not in (esep_s, comp_s, term_s, " ") else None
        self.delimiters = Delimiters(esep_s, comp_s, repetition, term_s)
        self.tracker.start_interchange(self.delimiters)
        self._index += 1
        out.append(self.tracker.on_segment(elements, self._base, self._index))
        self._base += consumed
        self._buf = buf[consumed:]
        self._term = term
        self._esep = esep_s
        return True

    def _guess_bare_delimiters(self) -> None:
        """A bare ST..SE (no ISA): element separator after 'ST', terminator after ST's elements."""
        buf = self._buf
        esep = buf[2:3]
        term = b"~"
        for i in range(3, min(len(buf), 200)):
            b = buf[i : i + 1]
            if not (_is_alnum(b) or b == esep or b == b" "):
                term = b
                break
        if term == b"\r":
            term = b"\n" if b"\n" in buf[:400] else b"\r"
        component = b":"
        best = 0
        sample = buf[:_GUESS_BYTES]
        for candidate in (b":", b">", b"|", b"!", b"\\", b"^"):
            if candidate in (esep, term):
                continue
            pattern = re.escape(esep) + _COMPOSITE_QUALIFIERS + re.escape(candidate) + rb"[A-Z0-9]"
            hits = len(re.findall(pattern, sample))
            if hits > best:
                component, best = candidate, hits
        self.delimiters = Delimiters(esep.decode("latin-1"), component.decode("latin-1"), None, term.decode("latin-1"))
        self.tracker.start_interchange(self.delimiters)
        self._term = term
        self._esep = self.delimiters.element

    def _join_continuations(self, pieces: list[str], term: str, esep: str) -> list[str]:
        """Where newline terminates segments, a line that does not open with a segment id and the
        element separator is the rest of the line before it (a segment wrapped by an editor)."""
        opener = re.compile(r"\s*(?:[A-Z0-9]{2,3}" + re.escape(esep) + r"|[A-Z0-9]{2,3}\s*$|$)")
        joined: list[str] = []
        for piece in pieces:
            if joined and not opener.match(piece):
                joined[-1] = joined[-1] + term + piece
            else:
                joined.append(piece)
        return joined

    def _split(self, out: list[Segment], eof: bool) -> bool:
        """Cut complete segments. True when it stopped at an interchange boundary (ISA/IEA).

        The buffer is decoded as Latin-1, one character per byte, so string offsets are byte
        offsets; a segment with bytes above 0x7F is then re-decoded as the UTF-8 it should be.
        """
        assert self._term is not None
        buf = self._buf
        text = buf.decode("latin-1")
        ascii_only = buf.isascii()
        term = self._term.decode("latin-1")
        tlen = len(term)
        esep = self._esep
        base = self._base
        tracker = self.tracker
        valid_ids = self._valid_ids
        env = tracker.envelope
        in_tx = tracker.in_transaction
        newline_mode = term in ("\n", "\r")
        index = self._index
        append = out.append
        new_segment = tuple.__new__
        pieces = text.split(term)
        tail = pieces.pop()
        if newline_mode:
            # Join wrapped lines first, then hold back the last (joined) segment: the line still
            # arriving may continue it. Holding back only the last line would let a segment go out
            # before its continuation arrives, so small reads would split what large reads join.
            pieces = self._join_continuations(pieces, term, esep)
            if not eof and pieces:
                tail = pieces.pop() + term + tail
        if eof and tail.strip():
            # The last segment has no terminator: read it all the same, and say so.
            self._problem("warning", "missing-terminator", "the last segment has no segment terminator",
                          base + len(text) - len(tail) + (len(tail) - len(tail.lstrip())), index + 1)
            pieces.append(tail)
            tail = ""
        pos = 0
        for piece in pieces:
            start = pos
            pos += len(piece) + tlen
            if self._skipping:
                self._skipping = False
                continue
            seg = piece.strip()
            if not seg:
                if not piece and not newline_mode:
                    self._problem("error", "empty-segment", "empty segment (two terminators in a row)",
                                  base + start, index)
                continue
            if newline_mode and term in seg:
                seg = seg.replace("\r", "").replace("\n", "")
            offset = base + start
            if piece[0] <= " ":
                offset += len(piece) - len(piece.lstrip())
            if len(seg) > MAX_SEGMENT_BYTES:
                index += 1
                self._problem("error", "segment-too-long",
                              f"segment of {len(seg)} bytes is longer than {MAX_SEGMENT_BYTES}; skipped", offset, index)
                continue
            if not ascii_only and not seg.isascii():
                try:
                    seg = seg.encode("latin-1").decode("utf-8")
                except UnicodeDecodeError:
                    self._problem("warning", "not-utf8", "segment is not valid UTF-8; read as Latin-1",
                                  offset, index + 1)
            elements = tuple(seg.split(esep))
            sid = elements[0]
            if sid not in valid_ids:
                if _SEGMENT_ID.match(sid):
                    valid_ids.add(sid)
                else:
                    self._problem("error", "bad-segment-id",
                                  "segment identifier is not 2-3 upper-case letters or digits", offset, index + 1)
            if sid in ENVELOPE_IDS:
                if sid == "ISA":
                    # A new interchange (perhaps with other delimiters): detect them afresh from here.
                    self._index = index
                    self._base = offset
                    self._buf = buf[offset - base :]
                    self._term = None
                    return True
                index += 1
                append(tracker.on_segment(elements, offset, index))
                if sid == "IEA":
                    self._index = index
                    self._base = base + pos
                    self._buf = buf[pos:]
                    self._term = None
                    return True
                env = tracker.envelope
                in_tx = tracker.in_transaction
                continue
            index += 1
            if not in_tx and sid != "TA1":  # a TA1 sits between ISA and GS by design
                self._problem("error", "outside-transaction",
                              f"{sid if sid in valid_ids else 'segment'} outside any transaction set (ST..SE)",
                              offset, index)
            # tuple.__new__ skips the NamedTuple's Python-level __new__: this line runs once per segment.
            append(new_segment(Segment, (sid, elements, offset, index, env)))
        self._index = index
        self._base = base + pos
        if self._skipping or len(tail) > MAX_SEGMENT_BYTES:
            if not self._skipping:
                self._index += 1
                self._problem("error", "segment-too-long",
                              f"segment longer than {MAX_SEGMENT_BYTES} bytes (no terminator); skipped",
                              self._base, self._index)
                self._skipping = True
            self._base += len(tail)
            tail = ""
        self._buf = tail.encode("latin-1")
        return False

    def _split_compiled(self, out: list[Segment], eof: bool) -> bool:
        """`_split` with the C loop cutting the plain segments (see _speedups.c); same result.

        The C loop stops at the first segment it leaves to Python (an envelope segment, an id not
        seen before, whitespace, non-ASCII, outside a transaction set); `_split` then reads that
        one segment alone, as the whole buffer's split would have, and the C loop goes on after it.
        At the end of input all of it goes to `_split`, which reports a last segment without its
        terminator before the segments of the same buffer (a bare ST..SE is only read at the end).
        """
        if eof:
            return self._split(out, eof)
        scan = self._scan
        assert scan is not None and self._term is not None
        buf, base = self._buf, self._base
        term, tbyte = self._term, self._term[0]
        ebyte = self._esep.encode("latin-1")[0]
        tracker, valid_ids = self.tracker, self._valid_ids
        pos = 0
        while True:
            if tracker.in_transaction and not self._skipping:
                pos, self._index = scan(buf, pos, base, self._index, tbyte, ebyte, tracker.envelope, Segment,
                                        valid_ids, ENVELOPE_IDS, out)
            end = buf.find(term, pos)
            if end < 0:
                break
            self._buf, self._base = buf[pos : end + 1], base + pos
            if self._split(out, eof=False):
                # An interchange boundary: `_split` left its own buffer from the ISA (or after the IEA) on.
                self._buf += buf[end + 1 :]
                return True
            pos = end + 1
        self._buf, self._base = buf[pos:], base + pos
        return self._split(out, eof)
