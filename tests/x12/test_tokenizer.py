"""The tokenizer and reader: delimiters, line endings, encodings, positions, bad input."""

from __future__ import annotations

import codecs
import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edi_engine.errors import X12Error
from edi_engine.x12 import MAX_SEGMENT_BYTES, Delimiters, Tokenizer, read_segments

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*P*:"


def interchange(body: list[str], term: str = "~", after: str = "", isa: str = ISA, st02: str = "0001") -> str:
    esep = isa[3]
    envelope = ["GS*HP*S*R*20260101*1200*1*X*005010X221A1", f"ST*835*{st02}*005010X221A1"]
    trailer = [f"SE*{len(body) + 2}*{st02}", "GE*1*1", "IEA*1*000000001"]
    segs = [isa, *(s.replace("*", esep) for s in envelope), *body, *(s.replace("*", esep) for s in trailer)]
    return "".join(s + term + after for s in segs)


BODY = ["BPR*I*100*C*CHK", "TRN*1*CHECK1*1999999999", "CLP*PCN1*1*150*100*50*12*PAYERCN1", "SVC*HC:99213:25*150*100"]


def read(data: bytes) -> tuple[list, list]:
    stream = read_segments(data, name="t.edi")
    return list(stream), stream.problems


@pytest.mark.parametrize(
    ("label", "term", "after"),
    [("tilde", "~", ""), ("tilde+LF", "~", "\n"), ("tilde+CRLF", "~", "\r\n"), ("tilde+CR", "~", "\r"),
     ("LF terminator", "\n", ""), ("CRLF terminator", "\r\n", ""), ("0x1D", "\x1d", "")],
)
def test_terminators_and_line_endings_read_the_same_segments(label: str, term: str, after: str) -> None:
    segs, problems = read(interchange(BODY, term, after).encode())
    assert [s.id for s in segs] == ["ISA", "GS", "ST", "BPR", "TRN", "CLP", "SVC", "SE", "GE", "IEA"]
    assert segs[5].get(7) == "PAYERCN1"
    assert segs[6].components(1) == ("HC", "99213", "25")
    assert [p for p in problems if p.severity == "error"] == []


def test_offsets_and_segment_numbers_point_at_the_segment() -> None:
    data = interchange(BODY, "~", "\r\n").encode()
    segs, _ = read(data)
    for number, seg in enumerate(segs, start=1):
        assert seg.index == number
        assert data[seg.offset : seg.offset + len(seg.id)].decode() == seg.id
    clp = segs[5].position
    assert (clp.interchange, clp.group, clp.transaction, clp.segment) == ("000000001", "1", "0001", 6)


def test_delimiters_come_from_each_isa() -> None:
    other_isa = ISA.replace("*", "|").replace("^", "!")[:-1] + ">"
    first = interchange(BODY)
    second = interchange([b.replace("*", "|").replace(":", ">") for b in BODY], "\n", "", isa=other_isa)
    stream = read_segments((first + "\n\n  " + second).encode())
    segs = list(stream)
    svcs = [s for s in segs if s.id == "SVC"]
    assert [s.components(1) for s in svcs] == [("HC", "99213", "25")] * 2
    assert svcs[1].envelope.delimiters == Delimiters("|", ">", "!", "\n")
    assert not [p for p in stream.problems if p.severity == "error"]


def test_repeated_elements_split_on_isa11() -> None:
    segs, _ = read(interchange(BODY + ["REF*ZZ*A^B^C"]).encode())
    ref = next(s for s in segs if s.id == "REF")
    assert ref.repetitions(2) == ("A", "B", "C")


def test_utf8_bom_keeps_byte_offsets_of_the_file() -> None:
    data = codecs.BOM_UTF8 + interchange(BODY).encode()
    segs, _ = read(data)
    assert segs[0].offset == 3
    assert data[segs[3].offset : segs[3].offset + 3] == b"BPR"


@pytest.mark.parametrize("bom", [True, False])
def test_utf16_is_decoded_and_offsets_map_to_the_file(bom: bool) -> None:
    data = interchange(BODY).encode("utf-16-le")
    if bom:
        data = codecs.BOM_UTF16_LE + data
    segs, problems = read(data)
    assert [s.id for s in segs][:4] == ["ISA", "GS", "ST", "BPR"]
    bpr = segs[3]
    assert data[bpr.offset : bpr.offset + 6].decode("utf-16-le") == "BPR"
    assert any(p.code == "utf16" for p in problems)


def test_bare_transaction_set_without_envelope_guesses_delimiters() -> None:
    data = b"ST*835*0001~BPR*I*100*C*CHK~CLP*A*1*1*1~SVC*HC>99213*1*1~SE*5*0001~"
    segs, problems = read(data)
    assert next(s for s in segs if s.id == "SVC").components(1) == ("HC", "99213")
    assert [p.code for p in problems] == ["no-envelope"]


def test_leading_whitespace_and_blank_lines_are_accepted() -> None:
    segs, problems = read(("\n\n   " + interchange(BODY, "~", "\n\n")).encode())
    assert len(segs) == 10
    assert not [p for p in problems if p.severity == "error"]


# -- bad input: one clear message with file, segment number and byte offset ------------------


@pytest.mark.parametrize(
    ("label", "data", "fragment"),
    [
        ("empty file", b"", "empty"),
        ("whitespace only", b"\n\n  \r\n", "empty"),
        ("not X12", b"Dear billing office,\nplease find attached", "not X12"),
        ("binary", bytes(range(256)) * 4, "binary"),
        ("ISA shorter than 106", ISA[:60].encode(), "ISA segment is incomplete"),
        ("GS without ISA", b"GS*HP*S*R*20260101*1200*1*X*005010X221A1~ST*835*1~SE*2*1~GE*1*1~", "GS without ISA"),
    ],
)
def test_unreadable_input_raises_one_positioned_error(label: str, data: bytes, fragment: str) -> None:
    with pytest.raises(X12Error) as info:
        read(data)
    assert fragment in info.value.message
    text = str(info.value)
    assert "t.edi" in text and "byte" in text and "segment" in text


def problem_codes(data: bytes) -> dict[str, tuple[int | None, int | None]]:
    _, problems = read(data)
    return {p.code: (p.position.segment, p.position.offset) for p in problems}


def test_empty_segment_is_reported_with_its_position() -> None:
    data = interchange(BODY).replace("TRN*", "~TRN*", 1).encode()
    codes = problem_codes(data)
    assert "empty-segment" in codes
    assert codes["empty-segment"][1] == data.index(b"~~") + 1


def test_missing_final_terminator_still_reads_the_last_segment() -> None:
    data = interchange(BODY).encode()[:-1]
    segs, problems = read(data)
    assert segs[-1].id == "IEA" and segs[-1].get(2) == "000000001"
    assert [p.code for p in problems] == ["missing-terminator"]


def test_se_count_off_by_one_is_an_error_at_the_se() -> None:
    data = interchange(BODY).replace("SE*6*", "SE*7*").encode()
    segs, problems = read(data)
    (problem,) = problems
    assert problem.code == "se01-count" and problem.severity == "error"
    assert problem.position.segment == 8 and problem.position.offset == data.index(b"SE*7")
    assert "7" in problem.message and "6" in problem.message


def test_missing_iea_and_cut_mid_segment() -> None:
    codes = problem_codes(interchange(BODY).replace("IEA*1*000000001~", "").encode())
    assert set(codes) == {"missing-iea"}
    cut = interchange(BODY).encode()[: interchange(BODY).index("SVC") + 8]
    codes = problem_codes(cut)
    assert {"missing-terminator", "missing-se", "missing-ge", "missing-iea"} <= set(codes)


def test_a_100kb_segment_is_reported_and_skipped_with_bounded_memory() -> None:
    body = BODY[:2] + ["NTE*ADD*" + "X" * 100_000] + BODY[2:]
    data = interchange(body).encode()
    for chunk in (4096, 1 << 20):
        stream = read_segments(data, name="t.edi", chunk_size=chunk)
        segs = list(stream)
        assert [s.id for s in segs if s.id in ("CLP", "SVC")] == ["CLP", "SVC"]
        too_long = [p for p in stream.problems if p.code == "segment-too-long"]
        assert len(too_long) == 1 and too_long[0].position.segment == 6
        assert stream.tokenizer is not None and len(stream.tokenizer._buf) <= MAX_SEGMENT_BYTES + chunk


def test_control_number_mismatches_are_errors() -> None:
    data = interchange(BODY).replace("GE*1*1", "GE*2*9").replace("IEA*1*000000001", "IEA*1*000000002")
    data = data.replace("SE*6*0001", "SE*6*0002")
    assert {"ge01-count", "ge02-control", "iea02-control", "se02-control"} == set(problem_codes(data.encode()))


# -- properties --------------------------------------------------------------------------------


def tokenize_in_chunks(data: bytes, cuts: list[int]) -> tuple[list, list]:
    tokenizer = Tokenizer("t.edi")
    out = []
    last = 0
    for cut in sorted({c % (len(data) + 1) for c in cuts}):
        out += tokenizer.feed(data[last:cut])
        last = cut
    out += tokenizer.feed(data[last:])
    out += tokenizer.close()
    return [(s.elements, s.offset, s.index) for s in out], tokenizer.problems


@settings(max_examples=150, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
    term=st.sampled_from(["~", "\n", "\r\n", "\x1d"]),
    after=st.sampled_from(["", "\n", "\r\n"]),
    wrapped=st.booleans(),
    keep=st.integers(min_value=120, max_value=5_000),
)
def test_any_chunking_yields_the_same_segments_and_problems(cuts: list[int], term: str, after: str,
                                                             wrapped: bool, keep: int) -> None:
    body = BODY + ["NTE*ADD*" + "Y" * 300]
    if wrapped and term in ("\n", "\r\n"):
        # An editor wrapped the BPR and the NTE: the continuations belong to the lines before them.
        body = ["BPR*I*1" + term + "-00*C*CHK", *body[1:-1], "NTE*ADD*" + "Y" * 150 + term + "Y" * 150]
    text = interchange(body, "\n" if term == "\r\n" else term, after)
    if term == "\r\n":
        text = text.replace("\n", "\r\n")
    data = (text + interchange(BODY, "~", after).replace("SE*6*", "SE*5*")).encode()
    data = data[:keep]  # also a file cut short (an SFTP copy still in flight)
    assert tokenize_in_chunks(data, cuts) == tokenize_in_chunks(data, [])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([b"", b"ISA", ISA.encode()[:50], ISA.encode() + b"~"]))
def test_any_bytes_give_segments_or_an_x12_error(data: bytes, prefix: bytes) -> None:
    with contextlib.suppress(X12Error):
        read(prefix + data)


@pytest.mark.parametrize("term", ["\n", "\r\n"])
def test_every_cut_of_a_wrapped_newline_file_reads_alike(term: str) -> None:
    # The probe's case: ST02 wrapped onto its own line read as "0003-181.55" with large reads and
    # as "0003" plus a stray segment with small ones.
    body = ["BPR*I*100*C*CHK", "TRN*1*CHECK1*1999999999", "CLP*PCN1*1*150*100*50*12*PAYERCN1",
            "SVC*HC:99213:25*150*1" + "\n" + "-00.00"]
    data = interchange(body, "\n").replace("\n", term).encode()
    whole = tokenize_in_chunks(data, [])
    assert any(elements[-1] == "1-00.00" for elements, _, _ in whole[0])
    for cut in range(1, len(data)):
        assert tokenize_in_chunks(data, [cut]) == whole, cut


def test_text_before_the_first_isa_is_skipped_with_a_warning() -> None:
    prose = b"Example 2: an 835 as the guide prints it.\r\n\r\n   "
    data = interchange(BODY).encode()
    plain, _ = read(data)
    segs, problems = read(prose + data)
    assert [s.elements for s in segs] == [s.elements for s in plain]
    assert [s.offset - len(prose) for s in segs] == [s.offset for s in plain]
    assert [p.code for p in problems] == ["leading-text"] and problems[0].position.offset == 0


def test_text_without_an_isa_in_the_first_64_kib_is_not_x12() -> None:
    with pytest.raises(X12Error, match="not X12"):
        read(b"notes\n" * 20_000 + interchange(BODY).encode())


def test_problems_are_bounded_per_kind_and_the_rest_counted() -> None:
    junk = "".join(f"X{i % 10}*junk~" for i in range(50_000))
    segs, problems = read((interchange(BODY) + "").encode().replace(b"IEA*", junk.encode() + b"IEA*"))
    assert len(problems) < 250
    more = [p for p in problems if p.code == "more-problems"]
    assert more and any("49900 more outside-transaction problems" in p.message for p in more)


def test_envelope_messages_never_quote_element_values() -> None:
    marker = "SMITHJOHN"
    text = interchange(BODY, st02=marker).replace(f"SE*6*{marker}", f"SE*{marker}*{marker}")
    text = text.replace("GE*1*1", f"GE*{marker}*1").replace("IEA*1*", f"IEA*{marker}*")
    _, problems = read(text.encode())
    assert {"se01-count", "ge01-count", "iea01-count"} <= {p.code for p in problems}
    assert all(marker not in str(p) for p in problems), [str(p) for p in problems]
