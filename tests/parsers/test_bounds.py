"""Memory bounds of a modelled set (parsers/transaction.py MAX_REPEATED, MAX_LOOP): a loop that repeats
one segment without end keeps the first ones and says so, one money depends on fails the set, and
junk that never starts a loop fails the set instead of being held. Figures: bench/junk.py."""

from __future__ import annotations

from pathlib import Path

from edi_engine.parsers import TransactionEnd, parse_file
from edi_engine.parsers.transaction import MAX_LOOP, MAX_REPEATED
from edi_engine.parsers.x221a1_835_models import ClaimPayment

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "patient_exact"
R835 = (FIXTURES / "20241018-835-NSB02-24101850128452.835").read_bytes()
R837 = (FIXTURES / "20241007-837P-0001.837").read_bytes()


def _insert(data: bytes, before: bytes, segments: bytes) -> bytes:
    at = data.index(before)
    return data[:at] + segments + data[at:]


def _read(data: bytes) -> tuple[list[object], list[str]]:
    run = parse_file(data, name="bounds.x12")
    items = list(run)
    return items, [p.code for p in run.problems]


def test_a_million_refs_keep_the_claim_and_the_first_ones() -> None:
    n = MAX_REPEATED * 5
    items, codes = _read(_insert(R835, b"\nSVC*", b"".join(b"\nREF*F8*%09d~" % k for k in range(n))))
    claims = [i for i in items if isinstance(i, ClaimPayment)]
    assert len(claims) == 1 and len(claims[0].services) == 4
    assert len(claims[0].references) == MAX_REPEATED
    assert codes.count("repeated-segment") == 1
    assert all(isinstance(i, TransactionEnd) and i.complete for i in items if isinstance(i, TransactionEnd))


def test_the_837_too() -> None:
    n = MAX_REPEATED + 10
    items, codes = _read(_insert(R837, b"\nHI*", b"".join(b"\nREF*F8*%09d~" % k for k in range(n))))
    assert "repeated-segment" in codes
    ends = [i for i in items if isinstance(i, TransactionEnd)]
    assert ends and all(e.complete for e in ends)


def test_endless_adjustments_fail_the_set() -> None:
    items, codes = _read(_insert(R835, b"\nREF*6R", b"\nCAS*CO*45*0~" * (MAX_REPEATED + 1)))
    ends = [i for i in items if isinstance(i, TransactionEnd)]
    assert [e.complete for e in ends] == [False] and "unreadable-value" in codes


def test_junk_that_never_starts_a_loop_fails_the_set() -> None:
    junk = b"".join(b"\n%s9*JUNK~" % bytes([65 + k % 26, 65 + k // 26 % 26]) for k in range(MAX_LOOP + 5))
    items, codes = _read(_insert(R835, b"\nLX*", junk))
    ends = [i for i in items if isinstance(i, TransactionEnd)]
    assert [e.complete for e in ends] == [False] and "unreadable-value" in codes
