"""The pyx12 bridge: the text it hands pyx12, maps, PHI-free findings mapped back to our segments."""

from __future__ import annotations

import logging

from edi_engine.parsers.pyx12_bridge import Pyx12Input, fixed_width_isa, pyx12_map, run_pyx12
from edi_engine.parsers.validation import validate_file
from edi_engine.x12 import read_segments
from tests.parsers.test_ack import BROKEN_SET, GOOD_SET, PHI_MEMBER_ID, interchange


def _pyx12_text(data: bytes) -> tuple[Pyx12Input, str]:
    segments = list(read_segments(data, name="t"))
    pyx = Pyx12Input(segments[0].envelope.delimiters)
    for seg in segments:
        pyx.add(seg)
    return pyx, pyx.text(segments[-1])


def test_fixed_width_isa_pads_to_106() -> None:
    isa = fixed_width_isa(("ISA", "00", "", "00", "", "ZZ", "SENDER", "ZZ", "RECV", "240101", "1200", "^",
                           "00501", "905", "0", "P", ":"))
    assert len("*".join(isa)) + 1 == 106
    assert isa[13] == "000000905" and isa[2] == " " * 10


def test_maps() -> None:
    assert pyx12_map("00501", "005010X221A1", "HP") == ("835.5010.X221.A1.xml", "005010X221A1")
    assert pyx12_map("00501", "005010X222A2", "HC") == ("837.5010.X222.A1.xml", "005010X222A1")
    assert pyx12_map("00501", "005010X224A2", "HC") is None  # 837D: pyx12 has no map
    assert pyx12_map("99999", "999999X999X9", "HP") is None


def test_text_has_fixed_isa_and_rebuilt_trailers() -> None:
    # Non-fixed-width ISA, UTF-8 BOM, CRLF, a non-ASCII name, no SE/GE/IEA at all.
    body = "\r\n".join(["ISA*00**00**ZZ*SUB*ZZ*REC*200101*1253*^*00501*905*0*T*:~",
                        "GS*HP*S*R*20200101*0802*1*X*005010X221A1~", "ST*835*0001~",
                        *(s.replace("DOE", "DOÉ") + "~" for s in GOOD_SET)])
    pyx, text = _pyx12_text(b"\xef\xbb\xbf" + body.encode("utf-8"))
    lines = text.split("~")
    assert len(lines[0]) == 105 and text.isascii()
    assert lines[-4:-1] == [f"SE*{len(GOOD_SET) + 2}*0001", "GE*1*1", "IEA*1*000000905"]
    assert run_pyx12(text) == []
    # Each line maps back to the segment (number, byte offset) our reader read it from.
    assert pyx.segment_of(3) == (3, body.index("ST*835") + 3, "ST")


def test_findings_carry_references_not_values(caplog) -> None:
    pyx, text = _pyx12_text(interchange(BROKEN_SET))
    with caplog.at_level(logging.DEBUG):
        findings = run_pyx12(text)
    nm109 = [f for f in findings if f.reference == "NM109"]
    assert nm109 and nm109[0].code == "5" and nm109[0].element_reference == "67"
    assert pyx.segment_of(nm109[0].line)[2] == "NM1"
    assert any(f.segment_id == "TRN" and f.code == "3" for f in findings)
    assert all(PHI_MEMBER_ID not in f.description for f in findings)
    assert PHI_MEMBER_ID not in caplog.text  # pyx12's own log lines quote the value


def test_empty_segment_does_not_stop_pyx12() -> None:
    # pyx12 stops reading at an empty segment; it is given what our reader read instead.
    data = interchange(GOOD_SET, BROKEN_SET).replace(b"REF*EV*FAC~", b"REF*EV*FAC~~", 1)
    report = validate_file(data, name="t.835")
    codes = [p.code for p in report.problems]
    assert "empty-segment" in codes
    assert any("NM109" in p.message for p in report.problems)  # found after the empty segment


def test_no_map_is_reported_and_envelope_still_checked() -> None:
    data = interchange(GOOD_SET, se_delta=1).replace(b"005010X221A1", b"005010X224A2")
    report = validate_file(data, name="t.837")
    assert [p.code for p in report.problems] == ["no-pyx12-map", "se01-count"]
    assert "no map" in report.problems[0].message


def test_values_pyx12_copies_from_the_data_never_reach_our_messages(tmp_path, corpus) -> None:  # type: ignore[no-untyped-def]
    """A real ERA with marker PHI where pyx12 complains about it: a line of data in place of a
    segment (pyx12 reports its 'segment id'), an over-long patient id, an invalid code value, a
    damaged date, and a GS08 that is not a version. No marker in any message, the CLI's included."""
    from click.testing import CliRunner

    from edi_engine.cli import main

    data = (corpus / "badX12" / "X221-era-sample.edi").read_bytes()
    nm1 = b"NM1*QC*1*DOE*SALLY****MI*SJD11111~"
    assert data.count(nm1) == 1
    markers = ["PHIMARKERNAME", "PHI7777777777777777777777777777777777777777777777777777777777777777777777777777777",
               "PHX", "PHI19800231"]
    bad = data.replace(nm1, nm1 + b"PHIMARKERNAME*1*2~"
                       + b"NM1*IL*1*DOE*JOHN****" + markers[2].encode() + b"*" + markers[1].encode() + b"~"
                       + b"DTM*050*19800231~", 1)
    path = tmp_path / "phi.835"
    path.write_bytes(bad)
    report = validate_file(path)
    codes = {p.code for p in report.problems}
    assert {"guide-segment", "guide-element", "unreadable-element"} <= codes
    text = "\n".join(str(p) for p in report.problems)
    assert "segment: unrecognized segment ID" in text
    for marker in markers[:2] + ["19800231"]:
        assert marker not in text
    gs08 = tmp_path / "gs08.835"
    gs08.write_bytes(data.replace(b"*X*005010X221A1~", b"*X*PHIMARK1980~", 1))
    result = CliRunner().invoke(main, ["validate", str(gs08)])
    assert "no-pyx12-map" in result.output + result.stderr and "PHIMARK1980" not in result.output + result.stderr
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert not [m for m in markers[:2] + ["19800231"] if m in result.output + result.stderr]
