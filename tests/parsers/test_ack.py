"""Our 999/TA1 writer: read back by our own reader, accepted by pyx12's 999 map, never merged."""

from __future__ import annotations

import datetime as dt

from edi_engine.parsers.ack import acknowledge, acknowledge_interchange
from edi_engine.parsers.validation import validate_file
from edi_engine.x12 import read_segments

# A small synthetic 835 that pyx12's X221A1 map accepts without a finding. Helpers below are
# shared with tests/parsers/test_pyx12_bridge.py and tests/cli/test_validate.py.
GOOD_SET = [
    "BPR*H*0*C*NON************20190816",
    "TRN*1*TRACE123*1234567890",
    "REF*EV*FAC",
    "DTM*405*20190827",
    "N1*PR*ANY PLAN USA",
    "N3*1 WALK THIS WAY",
    "N4*ANYCITY*OH*45209",
    "PER*BL*EDI*TE*8002223333",
    "N1*PE*PROVIDER*XX*1123454567",
    "N3*2255 ANY ROAD",
    "N4*ANY CITY*CA*12211",
    "REF*TJ*123456789",
    "LX*1",
    "CLP*PATACCT*4*150*0**MC*CLAIMNUMBER*11*1",
    "NM1*QC*1*DOE*JOHN*N***MI*ABC123456789",
    "DTM*050*20190209",
    "SVC*HC:99213*150*0**1",
    "DTM*472*20190101",
    "CAS*OA*252*150",
]
# A member id (NM109) one character longer than the guide allows: pyx12 quotes it in its own
# message, ours must not. TRN (required) is missing too.
PHI_MEMBER_ID = "SECRETMEMBER" + "7" * 69
BROKEN_SET = [s.replace("ABC123456789", PHI_MEMBER_ID) for s in GOOD_SET if not s.startswith("TRN")]

ISA = "ISA*00*          *00*          *ZZ*SUBMITTERS ID  *ZZ*RECEIVERS ID   *200101*1253*^*00501*{isa13}*{ta1}*T*:"


def interchange(*bodies: list[str], isa13: str = "000000905", iea02: str | None = None, ta1: str = "0",
                se_delta: int = 0, iea: bool = True) -> bytes:
    segments = [ISA.format(isa13=isa13, ta1=ta1), "GS*HP*SENDER CODE*RECEIVER CODE*20200101*0802*1*X*005010X221A1"]
    for n, body in enumerate(bodies, start=1):
        segments += [f"ST*835*{n:04d}", *body, f"SE*{len(body) + 2 + se_delta}*{n:04d}"]
    segments += [f"GE*{len(bodies)}*1"] + ([f"IEA*1*{iea02 or isa13}"] if iea else [])
    return ("~\n".join(segments) + "~\n").encode("ascii")


WHEN = dt.datetime(2024, 3, 1, 12, 30)


def ack_for(data: bytes, control: int = 7) -> bytes:
    return acknowledge([validate_file(data, name="in.835")], control_start=control, when=WHEN)


def segments_of(data: bytes) -> list[tuple[str, ...]]:
    stream = read_segments(data, name="ack")
    out = [seg.elements for seg in stream]
    # TA1 sits between ISA and GS by the standard; our reader does not know it yet (it calls it
    # "outside any transaction set"), so that one problem is let through here.
    errors = [p for p in stream.problems if p.severity == "error" and not p.message.startswith("TA1 outside")]
    assert not errors, errors
    return out


def test_partial_acceptance_gives_ak901_p_and_counts() -> None:
    ack = ack_for(interchange(GOOD_SET, BROKEN_SET))
    segs = segments_of(ack)
    ids = [s[0] for s in segs]
    assert ids.count("ST") == 1 and segs[ids.index("ST")][1:4] == ("999", "0001", "005010X231A1")
    assert segs[ids.index("GS")][1] == "FA"
    assert [s for s in segs if s[0] == "AK1"] == [("AK1", "HP", "1", "005010X221A1")]
    assert [s[1:3] for s in segs if s[0] == "AK2"] == [("835", "0001"), ("835", "0002")]
    ik5 = [s for s in segs if s[0] == "IK5"]
    assert ik5[0] == ("IK5", "A")
    assert ik5[1][1] == "R" and "5" in ik5[1][2:]
    assert [s for s in segs if s[0] == "AK9"] == [("AK9", "P", "2", "2", "1")]


def test_errors_become_ik3_and_ik4_without_the_bad_value() -> None:
    ack = ack_for(interchange(GOOD_SET, BROKEN_SET))
    segs = segments_of(ack)
    ik3 = [s for s in segs if s[0] == "IK3"]
    assert ("IK3", "TRN", "3", "", "3") in [tuple(s) + ("",) * (5 - len(s)) for s in ik3] or \
        any(s[1] == "TRN" and s[-1] == "3" for s in ik3)
    nm1 = [s for s in ik3 if s[1] == "NM1"]
    assert nm1 and nm1[0][-1] == "8"
    # NM1 is the 15th segment of the broken set counting ST as 1 (TRN removed).
    assert nm1[0][2] == "15"
    ik4 = [s for s in segs if s[0] == "IK4"]
    assert ("IK4", "9", "67", "5") in ik4  # NM109, data element 67, too long; IK404 omitted
    assert PHI_MEMBER_ID.encode() not in ack and b"DOE" not in ack


def test_ack_is_a_valid_999_for_pyx12() -> None:
    ack = ack_for(interchange(GOOD_SET, BROKEN_SET))
    report = validate_file(ack, name="ack.999")
    assert report.ok, [str(p) for p in report.problems]
    assert not [p for p in report.problems if p.code == "no-pyx12-map"]  # pyx12 did check it


def test_clean_interchange_is_accepted_and_sender_receiver_are_swapped() -> None:
    segs = segments_of(ack_for(interchange(GOOD_SET)))
    isa = segs[0]
    assert isa[6].strip() == "RECEIVERS ID" and isa[8].strip() == "SUBMITTERS ID"
    assert isa[13] == "000000007" and isa[15] == "T"
    gs = [s for s in segs if s[0] == "GS"][0]
    assert gs[2:4] == ("RECEIVER CODE", "SENDER CODE")
    assert [s for s in segs if s[0] == "AK9"] == [("AK9", "A", "1", "1", "1")]
    assert not [s for s in segs if s[0] in ("TA1", "IK3", "IK4")]


def test_ta1_for_iea02_mismatch() -> None:
    segs = segments_of(ack_for(interchange(GOOD_SET, iea02="000000906")))
    assert [s[0] for s in segs[:3]] == ["ISA", "TA1", "GS"]
    assert segs[1] == ("TA1", "000000905", "200101", "1253", "E", "001")


def test_ta1_for_missing_iea_and_when_requested() -> None:
    segs = segments_of(ack_for(interchange(GOOD_SET, iea=False)))
    assert [s for s in segs if s[0] == "TA1"] == [("TA1", "000000905", "200101", "1253", "E", "023")]
    segs = segments_of(ack_for(interchange(GOOD_SET, ta1="1")))
    assert [s for s in segs if s[0] == "TA1"] == [("TA1", "000000905", "200101", "1253", "A", "000")]


def test_se01_off_by_one_gives_ik5_code_4() -> None:
    segs = segments_of(ack_for(interchange(GOOD_SET, se_delta=1)))
    assert [s for s in segs if s[0] == "IK5"] == [("IK5", "R", "4")]
    assert [s for s in segs if s[0] == "AK9"] == [("AK9", "R", "1", "1", "0")]


def test_each_interchange_is_acknowledged_separately() -> None:
    data = interchange(GOOD_SET, isa13="000000001") + interchange(GOOD_SET, BROKEN_SET, isa13="000000002")
    report = validate_file(data, name="two.835")
    assert len(report.interchanges) == 2
    segs = segments_of(acknowledge([report], control_start=41, when=WHEN))
    isas = [s for s in segs if s[0] == "ISA"]
    assert [s[13] for s in isas] == ["000000041", "000000042"]
    assert [s[1] for s in segs if s[0] == "AK9"] == ["A", "P"]
    assert [s[0] for s in segs].count("IEA") == 2


def test_ta1_only_when_no_group_can_be_acknowledged() -> None:
    data = (ISA.format(isa13="000000905", ta1="0") + "~\nIEA*1*000000906~\n").encode()
    report = validate_file(data, name="empty-interchange.x12")
    segs = segments_of(acknowledge_interchange(report.interchanges[0], control_number=3, when=WHEN))
    assert [s[0] for s in segs] == ["ISA", "TA1", "IEA"]
    assert segs[1][4] == "R"
    assert segs[2] == ("IEA", "0", "000000003")
