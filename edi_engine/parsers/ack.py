"""Our own 999 (005010X231A1) and TA1 writer, from a `ValidationReport`.

Owns the acknowledgement segments: AK1/AK2/IK3/IK4/IK5/AK9 and TA1 as element tuples, serialised
by `edi_engine.x12.writer.write_interchange`. Knows nothing of how the problems were found
(`validation`, `pyx12_bridge`) or of the CLI.

pyx12 4.0.0 has a 999 writer, but it raises KeyError on 835s, never sends AK901=P and merges all
interchanges into one acknowledgement; hence this one. Rules kept here:

- each input interchange gets its own acknowledgement interchange (sender and receiver swapped,
  the input's usage indicator and, where valid, its delimiters), never merged with another;
- inside it one functional group (GS01 FA) holding one 999 per input functional group;
- a TA1 follows the ISA when the input interchange has envelope errors (TA104 E, or R when no
  group could be acknowledged) or when ISA14 asked for one (TA104 A, TA105 000);
- IK404 (a copy of the bad element) is never written: it may be PHI. CTX is not written either:
  its business-unit form carries the claim's patient control number, and pyx12 gives no
  situational-trigger context to fill the other form.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

from edi_engine.parsers.validation import GroupResult, InterchangeResult, SetResult, ValidationReport
from edi_engine.x12.segment import DEFAULT_DELIMITERS, Delimiters
from edi_engine.x12.writer import Transaction, write_interchange, write_segment

__all__ = ["IMPLEMENTATION_999", "acknowledge", "acknowledge_interchange", "body_999", "ta1_elements"]

IMPLEMENTATION_999 = "005010X231A1"

_IK304 = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6", "I7", "I8", "I9"})
_IK403 = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12", "13",
                    "I6", "I9", "I10", "I11", "I12", "I13"})
_IK5_CODES = frozenset({str(n) for n in range(1, 28)} | {"I5", "I6"})
_AK9_CODES = frozenset({str(n) for n in (1, 2, 3, 4, 5, 6, *range(10, 28))})


def _unique(codes: Iterable[str], allowed: frozenset[str]) -> list[str]:
    out: list[str] = []
    for code in codes:
        if code in allowed and code not in out:
            out.append(code)
    return out


def _set_loop(st: SetResult, component: str) -> list[tuple[str, ...]]:
    """AK2, its IK3/IK4 and IK5 for one transaction set (loop 2000)."""
    out: list[tuple[str, ...]] = [("AK2", st.st01, st.st02, st.st03)]
    # One IK3 per segment and code; element errors gather under that segment's IK3*8.
    segments: dict[tuple[str, int, str], dict[str, list[tuple[str, ...]]]] = {}
    for e in st.errors:
        segment_id = "".join(c for c in e.segment_id.upper() if c.isalnum())[:3]
        if len(segment_id) < 2:
            continue  # no usable IK301; IK5 still rejects the set with code 5
        codes = segments.setdefault((segment_id, max(e.set_position, 1), e.loop_id), {})
        if e.element_position is None:
            codes.setdefault(e.segment_code if e.segment_code in _IK304 else "8", [])
            continue
        ik4s = codes.setdefault("8", [])
        if e.element_code not in _IK403:
            continue
        position = str(e.element_position)
        if e.component_position or e.repetition_position:
            position += component + str(e.component_position or "")
            if e.repetition_position:
                position += component + str(e.repetition_position)
        ik4 = ("IK4", position, e.element_reference, e.element_code)
        if ik4 not in ik4s:
            ik4s.append(ik4)
    for (segment_id, set_position, loop_id), codes in segments.items():
        for code, ik4s in codes.items():
            out.append(("IK3", segment_id, str(set_position), loop_id, code))
            out.extend(ik4s)
    if st.accepted:
        out.append(("IK5", "A"))
    else:
        ik5_codes = _unique(st.codes, _IK5_CODES)
        if (st.errors or st.failed) and "5" not in ik5_codes:
            ik5_codes.append("5")
        out.append(("IK5", "R", *ik5_codes[:5]))
    return out


def body_999(group: GroupResult, component: str = ":") -> list[tuple[str, ...]]:
    """The segments between ST and SE of the 999 acknowledging one functional group."""
    gs = group.gs or ()
    def get(n: int) -> str:
        return gs[n].strip() if n < len(gs) else ""

    body: list[tuple[str, ...]] = [("AK1", get(1), get(6), get(8))]
    for st in group.sets:
        body.extend(_set_loop(st, component))
    received = len(group.sets)
    accepted = sum(1 for st in group.sets if st.accepted)
    included = group.declared if group.declared is not None else received
    codes = _unique(group.codes, _AK9_CODES)
    body.append(("AK9", group.ack_code, str(included), str(received), str(accepted), *codes[:5]))
    return body


def ta1_elements(ic: InterchangeResult, acknowledged_groups: int) -> tuple[str, ...] | None:
    """TA1 for an interchange, or None when it has no envelope errors and ISA14 asked for none."""
    isa = ic.isa or ()
    def get(n: int) -> str:
        return isa[n].strip() if n < len(isa) else ""

    def echo(n: int, width: int) -> str:
        # TA101-TA103 echo ISA13, ISA09 and ISA10, which are numeric; a value that is not (non-ASCII
        # bytes, junk) cannot be written in the basic character set and is sent as zeros.
        value = get(n)
        return value if len(value) == width and value.isdecimal() and value.isascii() else "0" * width

    codes = [c for c in ic.codes if len(c) == 3 and c.isdecimal()]
    if not codes and get(14) != "1":
        return None
    if not codes:
        return ("TA1", echo(13, 9), echo(9, 6), echo(10, 4), "A", "000")
    return ("TA1", echo(13, 9), echo(9, 6), echo(10, 4), "E" if acknowledged_groups else "R", codes[0])


def _delimiters(d: Delimiters) -> Delimiters:
    values = [d.element, d.component, d.segment, d.repetition or ""]
    if len(set(values)) != 4 or any(len(v) != 1 or v.isalnum() or v.isspace() for v in values):
        return DEFAULT_DELIMITERS
    return d


def acknowledge_interchange(ic: InterchangeResult, *, control_number: int, when: _dt.datetime,
                            line_ending: str = "\n") -> bytes:
    """One acknowledgement interchange: ISA, TA1 when due, GS*FA with a 999 per input group, IEA.

    Input without an ISA (a bare ST..SE) cannot be acknowledged: b"" is returned.
    """
    if ic.isa is None:
        return b""
    isa = ic.isa
    d = _delimiters(ic.delimiters)
    groups = [g for g in ic.groups if g.gs is not None]
    transactions = [
        Transaction("999", f"{n:04d}", IMPLEMENTATION_999, body_999(g, d.component))
        for n, g in enumerate(groups, start=1)
    ]
    first = groups[0].gs if groups else None
    usage = isa[15].strip() if len(isa) > 15 and isa[15].strip() in ("P", "T") else "P"
    out = write_interchange(
        transactions,
        sender_id=isa[8].strip(), sender_qualifier=isa[7].strip() or "ZZ",
        receiver_id=isa[6].strip(), receiver_qualifier=isa[5].strip() or "ZZ",
        control_number=control_number, date=when.date(), time=when.time(),
        functional_id="FA", delimiters=d, line_ending=line_ending, usage=usage,
        application_sender=first[3].strip() if first and len(first) > 3 and first[3].strip() else None,
        application_receiver=first[2].strip() if first and len(first) > 2 and first[2].strip() else None,
    )
    ta1 = ta1_elements(ic, len(groups))
    if ta1 is None:
        return out
    term = (d.segment + line_ending).encode("ascii")
    head, rest = out.split(term, 1)
    ta1_bytes = write_segment(ta1, d).encode("ascii") + term
    if not groups:  # TA1 only: ISA, TA1, IEA with no functional group
        iea = write_segment(("IEA", "0", f"{control_number:09d}"), d).encode("ascii") + term
        return head + term + ta1_bytes + iea
    return head + term + ta1_bytes + rest


def acknowledge(reports: Iterable[ValidationReport], *, control_start: int, when: _dt.datetime,
                line_ending: str = "\n") -> bytes:
    """Acknowledgements for every interchange of every report, numbered from `control_start`."""
    out: list[bytes] = []
    number = control_start
    for report in reports:
        for ic in report.interchanges:
            ack = acknowledge_interchange(ic, control_number=number % 1_000_000_000, when=when,
                                          line_ending=line_ending)
            if ack:
                out.append(ack)
                number += 1
    return b"".join(out)
