"""Segments to bytes: envelopes with correct counts and control numbers, in the delimiters asked for.

Owns serialisation only. Callers hand it the body of each transaction set (the segments between
ST and SE, as element tuples whose [0] is the segment id); it writes ST/SE, GS/GE and ISA/IEA
around them, so SE01, GE01 and IEA01 are always right by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date as Date
from datetime import time as Time

from edi_engine.errors import UsageError
from edi_engine.x12.segment import DEFAULT_DELIMITERS, Delimiters

__all__ = ["Transaction", "functional_id_for", "write_interchange", "write_segment"]


@dataclass(frozen=True, slots=True)
class Transaction:
    set_id: str  # ST01, e.g. "835"
    control: str  # ST02
    implementation: str  # ST03, e.g. "005010X221A1"
    body: Sequence[tuple[str, ...]]


def functional_id_for(set_id: str) -> str:
    """GS01 for a transaction set: HP for 835, HC for 837, FA for 999."""
    return {"835": "HP", "837": "HC", "999": "FA", "277": "HN", "TA1": ""}.get(set_id, "")


def _check_delimiters(d: Delimiters) -> None:
    values = [d.element, d.component, d.segment] + ([d.repetition] if d.repetition else [])
    if len(set(values)) != len(values) or any(len(v) != 1 or v.isalnum() or v == " " for v in values):
        raise UsageError(f"delimiters must be four distinct single non-alphanumeric characters, got {d!r}")


def write_segment(elements: Sequence[str], d: Delimiters = DEFAULT_DELIMITERS) -> str:
    """One segment without its terminator; trailing empty elements are dropped, as X12 requires."""
    n = len(elements)
    while n > 1 and elements[n - 1] == "":
        n -= 1
    return d.element.join(elements[:n])


def _clean(value: str, d: Delimiters) -> None:
    for ch in (d.element, d.segment) + ((d.repetition,) if d.repetition else ()):
        if ch in value:
            raise UsageError(f"a value contains the delimiter {ch!r}; choose other delimiters")


def write_interchange(
    transactions: Iterable[Transaction],
    *,
    sender_id: str,
    receiver_id: str,
    control_number: int,
    date: Date,
    time: Time,
    functional_id: str | None = None,
    delimiters: Delimiters = DEFAULT_DELIMITERS,
    line_ending: str = "",
    sender_qualifier: str = "ZZ",
    receiver_qualifier: str = "ZZ",
    usage: str = "P",
    group_control: int | None = None,
    application_sender: str | None = None,
    application_receiver: str | None = None,
    ack_requested: str = "0",
) -> bytes:
    """One interchange holding one functional group with every transaction set given.

    All transaction sets of a group share a functional id and version (GS01, GS08), taken from the
    first set unless `functional_id` is given.
    """
    d = delimiters
    _check_delimiters(d)
    if not 0 <= control_number <= 999_999_999:
        raise UsageError("interchange control number must fit in nine digits")
    term = d.segment + line_ending
    gcn = control_number if group_control is None else group_control
    out: list[str] = []
    isa = (
        "ISA", "00", " " * 10, "00", " " * 10,
        sender_qualifier.ljust(2)[:2], sender_id.ljust(15)[:15],
        receiver_qualifier.ljust(2)[:2], receiver_id.ljust(15)[:15],
        date.strftime("%y%m%d"), time.strftime("%H%M"),
        d.repetition or "U", "00501", f"{control_number:09d}", ack_requested, usage, d.component,
    )
    out.append(d.element.join(isa))
    sets = list(transactions)
    gs01 = functional_id or (functional_id_for(sets[0].set_id) if sets else "")
    version = sets[0].implementation if sets else "005010"
    out.append(write_segment(
        ("GS", gs01, application_sender or sender_id.strip(), application_receiver or receiver_id.strip(),
         date.strftime("%Y%m%d"), time.strftime("%H%M"), str(gcn), "X", version), d))
    for tx in sets:
        out.append(write_segment(("ST", tx.set_id, tx.control, tx.implementation), d))
        for elements in tx.body:
            for value in elements:
                _clean(value, d)
            out.append(write_segment(elements, d))
        out.append(write_segment(("SE", str(len(tx.body) + 2), tx.control), d))
    out.append(write_segment(("GE", str(len(sets)), str(gcn)), d))
    out.append(write_segment(("IEA", "1", f"{control_number:09d}"), d))
    return (term.join(out) + term).encode("utf-8")
