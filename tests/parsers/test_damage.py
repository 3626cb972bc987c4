"""Partial damage stays partial: real 835/837 files with one value made unreadable.

A value the money does not depend on (BPR16, DTM*405, PLB02, DTM*036, a birth date, BHT04) reads
as None with an "unreadable-element" warning at its segment, and the set and every claim still
load. A value the money depends on (CLP04, SVC02, CAS amounts, PLB amounts, CLM02, line charges,
service dates) still fails the set. Messages name the element and position, never the value.
Also: a composite written with the wrong component separator in the 835 (SVC01, PLB03) is split
and warned about, as the 837 does.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from edi_engine.errors import Problem
from edi_engine.parsers import parse_file
from edi_engine.parsers.transaction import TransactionEnd
from edi_engine.parsers.x221a1_835 import iter_remittances
from edi_engine.parsers.x221a1_835_models import Remittance835
from edi_engine.parsers.x837 import iter_submissions
from edi_engine.parsers.x837_models import Claim837
from edi_engine.x12 import read_segments

MULTI_CLAIM = "badX12/X221-multiple-claims-single-check.edi"  # one check, 9 dental claims, ISA16 ':'
PLB_FILE = "x12-edi-processor/835-provider-adjustment.dat"
CLAIMS_837P = "badX12/X222-anesthesia.edi"  # ISA16 ":"


def remits(data: bytes) -> tuple[list[Remittance835], list[Problem]]:
    problems: list[Problem] = []
    return list(iter_remittances(data, problems=problems)), problems


def damaged(corpus: Path, name: str, old: bytes, new: bytes, count: int = 1) -> tuple[bytes, bytes]:
    data = (corpus / name).read_bytes()
    assert data.count(old) >= count, f"{name} no longer has {old!r}"
    return data, data.replace(old, new, count)


def segment_of(data: bytes, prefix: str) -> tuple[int, int]:
    seg = next(s for s in read_segments(data) if "*".join(s.elements).startswith(prefix))
    return seg.index, seg.offset


def only(problems: list[Problem], code: str) -> list[Problem]:
    return [p for p in problems if p.code == code]


# -- 835: dates outside the money -----------------------------------------------------------


def test_impossible_bpr16_keeps_every_claim_of_the_set(corpus: Path) -> None:
    good, bad = damaged(corpus, MULTI_CLAIM, b"************20140331", b"************20140231")
    before, _ = remits(good)
    after, problems = remits(bad)
    assert len(after) == 1 and len(after[0].claims) == len(before[0].claims) == 9
    assert after[0].claims == before[0].claims  # every amount, line and adjustment as before
    assert before[0].header.payment_date == date(2014, 3, 31)
    assert after[0].header.payment_date is None
    (warning,) = only(problems, "unreadable-element")
    assert warning.severity == "warning" and "BPR16" in warning.message
    assert (warning.position.segment, warning.position.offset) == segment_of(bad, "BPR*")
    assert "20140231" not in warning.message and "20140231" not in str(warning)
    assert not [p for p in problems if p.severity == "error"]


@pytest.mark.parametrize("bad_value", [b"2014033", b"2014O331", b"20141331", b"ABCDEFGH"])
def test_any_unreadable_bpr16_is_a_warning_and_a_null(corpus: Path, bad_value: bytes) -> None:
    _, bad = damaged(corpus, MULTI_CLAIM, b"************20140331", b"************" + bad_value)
    after, problems = remits(bad)
    assert len(after[0].claims) == 9 and after[0].header.payment_date is None
    assert [p.code for p in problems if p.code == "unreadable-element"] == ["unreadable-element"]
    assert all(bad_value.decode() not in p.message for p in problems)


def test_unreadable_production_date_and_fiscal_period_date_are_warnings(corpus: Path) -> None:
    data = (corpus / PLB_FILE).read_bytes()
    remittances, problems = remits(data)
    plb = next(s for s in read_segments(data) if s.id == "PLB")
    dtm405 = next((s for s in read_segments(data) if s.id == "DTM" and s.get(1) == "405"), None)
    bad = data.replace(("*".join(plb.elements[:3])).encode(), ("*".join(plb.elements[:2]) + "*20231399").encode(), 1)
    if dtm405 is not None:
        bad = bad.replace(f"DTM*405*{dtm405.get(2)}".encode(), b"DTM*405*2023", 1)
    after, damaged_problems = remits(bad)
    assert [len(r.claims) for r in after] == [len(r.claims) for r in remittances]
    assert [a.amount for r in after for a in r.provider_adjustments] == \
        [a.amount for r in remittances for a in r.provider_adjustments]  # the PLB money is kept
    assert all(a.fiscal_period_date is None for a in after[0].provider_adjustments if a.segment == plb.index)
    messages = [p.message for p in only(damaged_problems, "unreadable-element")]
    assert any(m.startswith("PLB02") for m in messages)
    if dtm405 is not None:
        assert after[0].header.production_date is None and any(m.startswith("DTM02") for m in messages)


def test_claim_dates_outside_the_service_period_are_warnings_but_service_dates_fail(corpus: Path) -> None:
    data = (corpus / MULTI_CLAIM).read_bytes()
    # DTM*050 (claim received) after the first CLP: not money.
    nm1 = b"NM1*82*1*BAN*ERIN****XX*1811901945~"
    received = data.replace(nm1, nm1 + b"DTM*050*20140299~", 1)
    after, problems = remits(received)
    assert len(after[0].claims) == 9 and after[0].claims[0].received_date is None
    assert [p.code for p in problems if p.severity == "warning" and p.code == "unreadable-element"]
    # DTM*472 (a line's service date) is what lines are matched on: the set fails.
    service = data.replace(b"DTM*472*20140324", b"DTM*472*20140399", 1)
    failed, problems = remits(service)
    assert failed == [] and [p.code for p in problems if p.severity == "error"] == ["unreadable-value"]


@pytest.mark.parametrize(("old", "new", "element"), [
    (b"CLP*7722337*1*226*132**", b"CLP*7722337*1*226*13X**", "CLP04"),   # claim payment
    (b"SVC*AD:D0120*46*25", b"SVC*AD:D0120*4 6*25", "SVC02"),              # line charge
    (b"CAS*CO*131*21", b"CAS*CO*131*2.1.", "CAS03"),                       # adjustment amount
    (b"BPR*I*810.8*", b"BPR*I*81O.8*", "BPR02"),                           # total payment
])
def test_an_unreadable_amount_still_fails_the_set(corpus: Path, old: bytes, new: bytes, element: str) -> None:
    _, bad = damaged(corpus, MULTI_CLAIM, old, new)
    after, problems = remits(bad)
    assert after == []
    errors = [p for p in problems if p.severity == "error"]
    assert [p.code for p in errors] == ["unreadable-value"] and errors[0].message.startswith(element)
    ends = [i for i in parse_file(bad) if isinstance(i, TransactionEnd)]
    assert [e.complete for e in ends] == [False]


@pytest.mark.parametrize("digits", [19, 30, 40])
def test_an_amount_longer_than_x12_allows_fails_the_set_in_both_guides(corpus: Path, digits: int) -> None:
    # X12 type R holds 18 digits; a longer value (fuzzing found 30 nines in CLM02) once reached
    # Decimal.quantize and raised InvalidOperation instead of a Problem.
    huge = b"9" * digits
    _, bad = damaged(corpus, MULTI_CLAIM, b"CLP*7722337*1*226*132**", b"CLP*7722337*1*226*" + huge + b"**")
    after, problems = remits(bad)
    errors = [p for p in problems if p.severity == "error"]
    assert after == [] and [p.code for p in errors] == ["unreadable-value"]
    assert errors[0].message.startswith("CLP04") and huge.decode() not in errors[0].message
    data = (corpus / CLAIMS_837P).read_bytes()
    clm = next(s for s in read_segments(data) if s.id == "CLM")
    claims, problems = _837(data.replace("*".join(clm.elements[:3]).encode(),
                                         ("*".join(clm.elements[:2]) + "*").encode() + huge, 1))
    errors = [p for p in problems if p.severity == "error"]
    assert claims == [] and errors and errors[0].message.startswith("CLM02")


def test_eighteen_digits_is_still_an_amount(corpus: Path) -> None:
    _, bad = damaged(corpus, MULTI_CLAIM, b"CLP*7722337*1*226*132**", b"CLP*7722337*1*226*1234567890123456.78**")
    after, problems = remits(bad)
    assert len(after) == 1 and not [p for p in problems if p.code == "unreadable-value"]


# -- 835: composite separator ----------------------------------------------------------------


def test_svc01_with_the_wrong_component_separator_is_split_with_a_warning(corpus: Path) -> None:
    good, bad = damaged(corpus, MULTI_CLAIM, b"SVC*AD:D0120*46*25", b"SVC*AD>D0120*46*25")
    before, _ = remits(good)
    after, problems = remits(bad)
    line, original = after[0].claims[0].services[0], before[0].claims[0].services[0]
    assert (line.qualifier, line.procedure_code) == ("AD", "D0120") == (original.qualifier, original.procedure_code)
    (warning,) = only(problems, "composite-separator")
    assert warning.message.startswith("SVC01") and "'>'" in warning.message and "':'" in warning.message
    assert "D0120" not in warning.message
    assert (warning.position.segment, warning.position.offset) == segment_of(bad, "SVC*AD>D0120")


def test_svc06_and_plb03_with_the_wrong_separator_are_split(corpus: Path) -> None:
    data = (corpus / MULTI_CLAIM).read_bytes()
    bad = data.replace(b"SVC*AD:D0120*46*25", b"SVC*AD:D0120*46*25***AD>D0140", 1)
    bad = bad.replace(b"~SE*", b"~PLB*1811901945*20141231*WO>119932404007801*10~SE*", 1)
    after, problems = remits(bad)
    submitted = after[0].claims[0].services[0].submitted_procedure
    assert submitted is not None and (submitted.qualifier, submitted.code) == ("AD", "D0140")
    (plb,) = after[0].provider_adjustments
    assert (plb.reason, plb.reference) == ("WO", "119932404007801")
    assert sorted(p.message[:5] for p in only(problems, "composite-separator")) == ["PLB03", "SVC06"]


def test_837_and_835_share_the_composite_repair() -> None:
    import edi_engine.parsers.x221a1_835 as x835
    import edi_engine.parsers.x837 as x837
    from edi_engine.parsers import _elements

    assert x835.split_composite is _elements.split_composite is x837.split_composite
    assert not hasattr(x837, "_FALLBACK_COMPONENT")


# -- 837 -------------------------------------------------------------------------------------


def _837(data: bytes) -> tuple[list[Claim837], list[Problem]]:
    problems: list[Problem] = []
    claims = [c for s in iter_submissions(data, problems=problems) for c in s.claims]
    return claims, problems


def test_837_birth_date_and_creation_date_unreadable_keep_the_claims(corpus: Path) -> None:
    data = (corpus / CLAIMS_837P).read_bytes()
    claims, _ = _837(data)
    dmg = next(s for s in read_segments(data) if s.id == "DMG")
    bht = next(s for s in read_segments(data) if s.id == "BHT")
    bad = data.replace(("*".join(dmg.elements[:3])).encode(), b"DMG*D8*19991350", 1)
    bad = bad.replace(("*".join(bht.elements[:5])).encode(), ("*".join(bht.elements[:4]) + "*2O240101").encode(), 1)
    after, problems = _837(bad)
    assert len(after) == len(claims) >= 1
    assert [c.charge for c in after] == [c.charge for c in claims]
    warnings = only(problems, "unreadable-element")
    assert sorted(p.message[:5] for p in warnings) == ["BHT04", "DMG02"]
    assert all("19991350" not in p.message and "2O240101" not in p.message for p in problems)


def test_837_line_charge_and_service_date_still_fail(corpus: Path) -> None:
    data = (corpus / CLAIMS_837P).read_bytes()
    sv1 = next(s for s in read_segments(data) if s.id == "SV1")
    bad = data.replace(("*".join(sv1.elements[:3])).encode(), ("*".join(sv1.elements[:2]) + "*1O0").encode(), 1)
    after, problems = _837(bad)
    assert after == [] and [p.code for p in problems if p.severity == "error"] == ["unreadable-value"]
    dtp = next(s for s in read_segments(data) if s.id == "DTP" and s.get(1) == "472")
    bad = data.replace(("*".join(dtp.elements)).encode(), b"DTP*472*D8*20241399", 1)
    after, problems = _837(bad)
    assert after == [] and [p.code for p in problems if p.severity == "error"] == ["unreadable-value"]


def test_unreadable_quantity_and_drg_weight_keep_the_claim(corpus: Path) -> None:
    data = (corpus / MULTI_CLAIM).read_bytes()
    clp = b"CLP*7722337*1*226*132**12*119932404007801"
    bad = data.replace(clp, clp + b"*11*1**ABC*1.2.3~QTY*CA*4X", 1)
    after, problems = remits(bad)
    first = after[0].claims[0]
    assert len(after[0].claims) == 9 and first.drg_weight is None and first.quantities == ()
    assert ("QTY", "CA", "4X") in first.other_segments  # kept as read, for the writer and the eye
    assert sorted(p.message[:5] for p in only(problems, "unreadable-element")) == ["CLP12", "QTY02"]


def test_a_claim_payment_without_clp01_fails_the_set(corpus: Path) -> None:
    _, bad = damaged(corpus, MULTI_CLAIM, b"CLP*7722337*1*226*132**", b"CLP**1*226*132**")
    after, problems = remits(bad)
    assert after == [] and [p.message[:5] for p in problems if p.severity == "error"] == ["CLP01"]


def test_an_837_claim_without_clm01_fails_the_set(corpus: Path) -> None:
    _, bad = damaged(corpus, CLAIMS_837P, b"CLM*153829140*827*", b"CLM**827*")
    after, problems = _837(bad)
    assert after == [] and [p.message[:5] for p in problems if p.severity == "error"] == ["CLM01"]
