"""The 837 walker and to_body: corpus counts and values, leniency, streaming, pyx12, round trips."""

from __future__ import annotations

import string
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from edi_engine.errors import Problem, X12Error
from edi_engine.parsers.pyx12_bridge import run_pyx12
from edi_engine.parsers.transaction import TransactionEnd, TransactionStart, split_transactions
from edi_engine.parsers.x837 import iter_submissions, to_body, walk_837
from edi_engine.parsers.x837_models import (
    Adjustment,
    BillingProvider,
    Claim837,
    ClaimsHeader837,
    ClaimSubmission837,
    Contact,
    LineAdjudication,
    OtherPayer,
    Party,
    Patient,
    ServiceLine,
    Subscriber,
    Tooth,
)
from edi_engine.x12.reader import read_segments
from edi_engine.x12.segment import Delimiters
from edi_engine.x12.writer import Transaction, write_interchange

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
WALKERS = {"837": walk_837, "837P": walk_837, "837I": walk_837, "837D": walk_837}
IMPLEMENTATION = {"P": "005010X222A1", "I": "005010X223A2", "D": "005010X224A2"}


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"sample corpus file {name} not present (the corpus lives beside the repository)")
    return path


def read(name: str) -> tuple[list[ClaimSubmission837], list[Problem]]:
    problems: list[Problem] = []
    return list(iter_submissions(corpus_file(name), problems=problems)), problems


def codes(problems: list[Problem]) -> set[str]:
    return {p.code for p in problems}


def write(submission: ClaimSubmission837, variant: str, delimiters: Delimiters = Delimiters("*", ":", "^", "~"),
          line_ending: str = "") -> bytes:
    body = to_body(submission, component=delimiters.component)
    return write_interchange([Transaction("837", "0001", IMPLEMENTATION[variant], body)], sender_id="SENDER01",
                             receiver_id="RECEIVER01", control_number=905, date=date(2024, 1, 2), time=time(9, 30),
                             functional_id="HC", delimiters=delimiters, line_ending=line_ending)


# -- corpus: claim and line counts as SOURCES.md lists them ------------------------------------------

@pytest.mark.parametrize(("name", "kinds", "claims", "lines"), [
    ("imsweb__x12-parser/x12_many_claims.txt", ["837P"], 820, 820),
    ("x12-edi-parser/Molina_Mock_UP_837P_File.txt", ["837P"], 4, 5),
    ("X12Parser/Example1_2_And_3_Combined.txt", ["837P", "837P"], 3, 11),
    ("api-examples/837P-all-fields.dat", ["837P"], 1, 4),
    ("api-examples/837I-all-fields.dat", ["837I"], 1, 2),
    ("api-examples/837D-all-fields.dat", ["837D"], 1, 2),
    ("X12.NET/DentalClaim.txt", ["837D"], 1, 2),
    ("vscode-edi-x12-support/odd-separator.edi", ["837I"], 2, 2),
    ("api-examples/commercial-replacement.dat", ["837P"], 1, 4),
    ("imsweb__x12-parser/x12_complex.txt", ["837P", "837P"], 6, 10),
    ("X12Parser/Spec_3.1.2_TwoClaimsForTheSameProvider.txt", ["837I"], 2, 3),
    ("x12-edi-parser/CC_837I_EDI.txt", ["837I"], 1, 9),
    ("X12Parser/MissingEntityCode.txt", ["837P"], 5, 10),
    ("imsweb__x12-parser/x12_multiple_gs.txt", ["837P", "837P", "837P"], 6, 6),
])
def test_corpus_counts(name: str, kinds: list[str], claims: int, lines: int) -> None:
    submissions, _ = read(name)
    assert [s.info.kind for s in submissions if s.info] == kinds
    assert sum(len(s.claims) for s in submissions) == claims
    assert sum(len(c.lines) for s in submissions for c in s.claims) == lines
    variants = {k[-1] for k in kinds}
    assert {c.variant for s in submissions for c in s.claims} == variants


# -- corpus: typed values --------------------------------------------------------------------------

def test_837p_all_fields_values() -> None:
    [submission], problems = read("api-examples/837P-all-fields.dat")
    assert not [p for p in problems if p.severity == "error"]
    header = submission.header
    assert (header.purpose, header.reference_id, header.date, header.transaction_type) == \
        ("00", "0031", date(2006, 10, 15), "CH")
    assert header.submitter and header.submitter.id == "TGJ23"
    assert header.submitter.contacts[0].communications == (("TE", "3055552222"), ("EX", "231"))
    [claim] = submission.claims
    assert (claim.patient_control_number, claim.charge) == ("36463774", Decimal("100"))
    assert (claim.facility_code, claim.facility_qualifier, claim.frequency) == ("11", "B", "1")
    assert (claim.original_reference, claim.claim_identifier) == ("PayerClaimControlNum", "ClaimIdForTransm")
    assert claim.billing_provider is not None
    assert (claim.billing_provider.npi, claim.billing_provider.tin) == ("9876543210", "587654321")
    assert claim.billing_provider.pay_to is not None and claim.billing_provider.pay_to.city == "MAIMI"
    assert claim.subscriber is not None and claim.subscriber.member_id == "JS00111223333"
    assert (claim.subscriber.payer_responsibility, claim.subscriber.claim_filing_indicator) == ("P", "CI")
    assert claim.subscriber.birth_date == date(1943, 5, 1) and claim.payer_id == "999996666"
    assert claim.patient is not None and claim.patient.relationship == "19"
    assert claim.patient.birth_date == date(1973, 5, 1) and claim.patient.gender == "M"
    assert claim.health_codes[:3] == (("ABK", "J0300"), ("ABF", "Z1159"), ("BP", "33414"))
    assert [p.entity for p in claim.providers] == ["DN", "82", "77", "DQ"]
    assert claim.providers[1].taxonomy == "000000000X"
    [cob] = claim.other_payers
    assert (cob.paid_amount, cob.remaining_patient_liability, cob.non_covered_amount) == \
        (Decimal("59.19"), Decimal("14.83"), Decimal("273"))
    assert len(cob.adjustments) == 14
    assert cob.adjustments[0] == Adjustment("PR", "1", Decimal("21.89"), None)
    assert cob.adjustments[1] == Adjustment("PR", "2", Decimal("15"), None)
    assert cob.adjustments[2] == Adjustment("CR", "26", Decimal("55.00"), Decimal("1"))
    assert (cob.payer_id, cob.payer_claim_control_number, cob.adjudication_date) == \
        ("OTP", "CLAIM99", date(2019, 3, 10))
    assert cob.subscriber is not None and cob.subscriber.id == "JS00111223999"
    first, *_, last = claim.lines
    assert (first.procedure_code, first.modifiers, first.charge, first.units) == \
        ("99299", ("26", "27", "28", "29"), Decimal("40"), Decimal("1"))
    assert (first.place_of_service, first.diagnosis_pointers, first.line_control_number) == ("11", ("1", "2"), "54321")
    assert (first.service_date_from, first.service_date_to) == (date(2005, 3, 14), date(2005, 3, 25))
    assert first.drug[0] == ("LIN", "", "N4", "00002143481")
    assert [p.entity for p in first.providers] == ["82", "QB", "DQ"]
    assert [raw[0] for raw in first.other_segments].count("FRM") == 5  # 2440 forms stay on the line
    [svd] = last.adjudications
    assert (svd.payer_id, svd.paid, svd.procedure_code, svd.paid_units) == ("43", Decimal("55"), "84550", Decimal("3"))
    assert (len(svd.adjustments), svd.adjudication_date, svd.remaining_patient_liability) == \
        (4, date(2023, 6, 3), Decimal("75"))


def test_837i_all_fields_values() -> None:
    [submission], _ = read("api-examples/837I-all-fields.dat")
    [claim] = submission.claims
    assert claim.variant == "I" and claim.cl1 == ("3", "7", "01")
    assert (claim.facility_code, claim.facility_qualifier, claim.frequency) == ("11", "A", "1")
    assert (claim.statement_from, claim.statement_to) == (date(2019, 3, 10), date(2019, 3, 11))
    assert claim.admission_date == date(2019, 3, 10)  # DTP*435*DT keeps its time in date_texts
    assert claim.date_texts == (("435", "DT", "201903101402"), ("096", "TM", "1300"))
    assert (claim.original_reference, claim.claim_identifier) == ("CLAIM04", "CLAIM0004")
    assert claim.health_codes[0] == ("ABK", "M24562") and len(claim.hi) == 12
    line = claim.lines[0]
    assert (line.revenue_code, line.procedure_qualifier, line.procedure_code) == ("0300", "HC", "81099")
    assert (line.modifiers, line.procedure_description) == (("A1", "05", "02", "01"), "Short description")
    assert (line.charge, line.unit_basis, line.units, line.non_covered_charge) == \
        (Decimal("173.42"), "UN", Decimal("1"), Decimal("11.07"))
    assert line.line_control_number == "LX0004-1"
    [svd] = line.adjudications
    assert (svd.payer_id, svd.paid, svd.paid_units, svd.bundled_line_number, len(svd.adjustments)) == \
        ("P123", Decimal("173.42"), Decimal("2"), "3", 8)
    [cob] = claim.other_payers
    assert cob.paid_amount == Decimal("8852.72") and cob.payer_claim_control_number == "CLAIM014"
    assert cob.mia is not None and cob.mia[0] == "MIA" and cob.moa is not None


def test_837d_values_sv3_and_teeth() -> None:
    [submission], _ = read("api-examples/837D-all-fields.dat")
    [claim] = submission.claims
    assert claim.variant == "D" and claim.original_reference == "payerClaimControlNumber"
    line = claim.lines[0]
    assert (line.procedure_qualifier, line.procedure_code, line.charge, line.place_of_service) == \
        ("AD", "D2150", Decimal("100"), "02")
    assert (line.oral_cavity, line.prosthesis, line.units, line.diagnosis_pointers) == \
        (("C1", "C2"), "R", Decimal("1"), ("1", "2"))
    assert line.teeth == (Tooth("JP", "12", ("M",)), Tooth("JP", "11", ("F", "L", "I")))
    assert [(a.payer_id, a.paid, a.bundled_line_number) for a in line.adjudications] == \
        [("43", Decimal("55"), "2"), ("22", Decimal("50"), "1")]
    [dental], _ = read("X12.NET/DentalClaim.txt")
    assert dental.claims[0].lines[0].teeth == (Tooth("JP", "12", ("M", "O")),)
    assert dental.claims[0].claim_identifier == "17312345600006351"


def test_replacement_without_original_reference() -> None:
    [submission], problems = read("api-examples/commercial-replacement.dat")
    [claim] = submission.claims
    assert claim.frequency == "7" and claim.original_reference == ""
    assert "no-envelope" in codes(problems)
    assert [ln.charge for ln in claim.lines] == [Decimal(40), Decimal(15), Decimal(35), Decimal(10)]
    assert claim.lines[3].service_date_from == date(2006, 10, 10)


def test_nested_subscriber_and_patient_hls() -> None:
    submissions, problems = read("imsweb__x12-parser/x12_complex.txt")
    first, second, third = submissions[0].claims
    assert first.patient is None  # under the subscriber HL: the subscriber is the patient
    assert second.patient is not None and second.patient.relationship == "01"
    assert third.patient is second.patient  # two claims under one patient HL share its context
    assert second.subscriber is not None and second.subscriber.group_number == "SUBSCRIBER GROUP TWO"
    assert [len(c.other_payers) for c in (first, second, third)] == [3, 1, 0]
    assert [ln.line_number for ln in third.lines] == [4, 5]
    assert "hl-parent" in codes(problems)  # its second subscriber HL names a parent HL that does not exist


# -- leniency with real-world defects ---------------------------------------------------------------

def test_clm_composite_in_clm04() -> None:
    [submission], problems = read("X12.NET/InstitutionalClaim.txt")
    [claim] = submission.claims
    assert (claim.facility_code, claim.facility_qualifier, claim.frequency) == ("14", "A", "1")
    assert claim.charge == Decimal("89.93") and "clm-shifted" in codes(problems)
    assert claim.statement_from == claim.statement_to == date(1996, 9, 11)  # RD8 with one date


def test_composites_with_the_wrong_separator() -> None:
    [submission], problems = read("x12/ppo-repriced-claim.837i")
    [claim] = submission.claims
    assert (claim.facility_code, claim.facility_qualifier, claim.frequency) == ("13", "A", "1")
    assert claim.health_codes == (("BK", "38181"), ("BF", "38900"), ("BH", "11"))
    assert [ln.procedure_code for ln in claim.lines] == ["92557", "92567"]
    assert "composite-separator" in codes(problems)


def test_odd_separators_and_truncated_file() -> None:
    [submission], problems = read("vscode-edi-x12-support/odd-separator.edi")
    assert [c.charge for c in submission.claims] == [Decimal("89.95"), Decimal("50")]
    assert submission.claims[0].health_codes == (("BK", "3669"), ("BF", "4019"), ("BF", "79431"))
    assert submission.claims[1].providers[0].taxonomy == "363LP0200N"  # the file ends inside this loop
    assert submission.claims[1].lines == ()
    assert "missing-se" in codes(problems)


def test_empty_entity_code_and_header_only() -> None:
    [submission], problems = read("X12Parser/MissingEntityCode.txt")
    assert "nm1-entity" in codes(problems)
    assert [p.entity for p in submission.claims[0].providers] == ["DN", ""]
    [empty], problems = read("staedi/837-header-ref-only.edi")
    assert empty.claims == () and empty.header.structure == "DATA"
    assert empty.header.other_segments == (("REF", "BB", "DATA", "", "00"),)
    assert "837-no-loops" in codes(problems)


def test_truncation_at_any_point_gives_claims_or_x12error() -> None:
    data = corpus_file("api-examples/837P-all-fields.dat").read_bytes()
    for cut in range(120, len(data), 97):
        try:
            for submission in iter_submissions(data[:cut]):
                assert all(isinstance(c, Claim837) for c in submission.claims)
        except X12Error:
            pass


def test_variant_from_content_without_version() -> None:
    """A bare ST with no ST03 (and no GS08): the first service line settles P, I or D."""
    for name, variant in (("api-examples/commercial-replacement.dat", "P"),
                          ("x12/two-claims-single-provider.837i", "I"), ("X12.NET/DentalClaim.txt", "D")):
        [submission], _ = read(name)
        body = to_body(submission)
        data = "~".join(["ST*837*0001", *("*".join(seg) for seg in body), f"SE*{len(body) + 2}*0001", ""])
        problems: list[Problem] = []
        items = list(split_transactions(iter(read_segments(data.encode())), WALKERS, problems))
        assert isinstance(items[0], TransactionStart) and items[0].info.kind == "837" + variant
        assert isinstance(items[-1], TransactionEnd) and items[-1].info.kind == "837" + variant
        claims = [i for i in items if isinstance(i, Claim837)]
        assert [c.variant for c in claims] == [variant] * len(submission.claims)
        assert tuple(claims) == submission.claims


def test_claims_stream_before_the_set_is_read() -> None:
    data = corpus_file("imsweb__x12-parser/x12_many_claims.txt").read_bytes()
    consumed = 0

    def counted():  # type: ignore[no-untyped-def]
        nonlocal consumed
        for seg in read_segments(data):
            consumed += 1
            yield seg

    items = split_transactions(counted(), WALKERS, [])
    assert isinstance(next(items), TransactionStart)
    first = next(items)
    assert isinstance(first, Claim837) and first.patient_control_number == "A37YH556"
    assert consumed < 40  # the file has 11,490 segments


# -- writing: corpus round trips and pyx12 ----------------------------------------------------------

@pytest.mark.parametrize("name", [
    "api-examples/837P-all-fields.dat", "api-examples/837I-all-fields.dat", "api-examples/837D-all-fields.dat",
    "imsweb__x12-parser/x12_complex.txt", "x12-edi-parser/CC_837I_EDI.txt", "x12/ppo-repriced-claim.837i",
    "X12Parser/MissingEntityCode.txt", "vscode-edi-x12-support/odd-separator.edi",
])
def test_corpus_round_trip(name: str) -> None:
    submissions, _ = read(name)
    for submission in submissions:
        assert submission.info is not None
        variant = submission.info.kind[-1]
        back = list(iter_submissions(write(submission, variant, Delimiters("|", "!", ">", "~"), "\r\n")))
        assert back == [submission]


@pytest.mark.parametrize("name", ["x12-edi-parser/Molina_Mock_UP_837P_File.txt", "x12/demo.837",
                                  "badX12/X222-COB-claim-from-payer-a-to-payer-b-in-payer-to-payer.edi"])
def test_to_body_is_accepted_by_pyx12(name: str) -> None:
    [submission], _ = read(name)
    assert run_pyx12(write(submission, "P").decode()) == []


# -- hypothesis: models -> to_body -> writer -> reader -> equal models -------------------------------

WORD = st.text(string.ascii_uppercase, min_size=2, max_size=8)
DIGITS = st.text(string.digits, min_size=2, max_size=10)
MONEY = st.integers(0, 10_000_000).map(lambda cents: Decimal(cents).scaleb(-2))
UNITS = st.integers(1, 99).map(Decimal)
DAY = st.dates(date(1990, 1, 1), date(2030, 12, 31))
STATE = st.sampled_from(["FL", "MD", "TX", "CA"])


def person(entity: str, member_id: bool = True) -> st.SearchStrategy[Party]:
    ids = {"id_qualifier": st.just("MI"), "id": DIGITS} if member_id else {}  # 2010CA has no NM108/NM109
    return st.builds(Party, st.just(entity), st.just("1"), WORD, WORD, address=st.tuples(WORD), city=WORD,
                     state=STATE, postal_code=st.just("33111"), **ids)


def organisation(entity: str, qualifier: str) -> st.SearchStrategy[Party]:
    return st.builds(Party, st.just(entity), st.just("2"), WORD, id_qualifier=st.just(qualifier), id=DIGITS)


BILLING = st.builds(
    BillingProvider,
    st.builds(Party, st.just("85"), st.just("2"), WORD, id_qualifier=st.just("XX"), id=DIGITS,
              address=st.tuples(WORD), city=WORD, state=STATE, postal_code=st.just("33111"),
              refs=st.tuples(st.tuples(st.just("EI"), DIGITS)),
              contacts=st.tuples(st.builds(Contact, st.just("IC"), WORD, st.tuples(st.tuples(st.just("TE"), DIGITS))))),
    st.none() | st.builds(Party, st.just("87"), st.just("2"), address=st.tuples(WORD), city=WORD, state=STATE,
                          postal_code=st.just("33111")),
    other_segments=st.just((("PRV", "BI", "PXC", "207Q00000X"),)),
)
SUBSCRIBER = st.builds(Subscriber, st.sampled_from(["P", "S"]), st.sampled_from(["18", ""]), DIGITS,
                       claim_filing_indicator=st.sampled_from(["CI", "MB", "MC"]), name=person("IL"),
                       birth_date=DAY, gender=st.sampled_from(["F", "M"]))
PATIENT = st.builds(Patient, st.sampled_from(["01", "19"]), person("QC", member_id=False), DAY,
                    st.sampled_from(["F", "M"]))


def adjustments() -> st.SearchStrategy[tuple[Adjustment, ...]]:
    return st.lists(st.builds(Adjustment, st.sampled_from(["CO", "PR", "OA"]), st.sampled_from(["1", "2", "45"]),
                              MONEY, st.none() | UNITS), max_size=8).map(
        lambda adjs: tuple(sorted(adjs, key=lambda a: a.group)))  # one CAS per group, as payers send them


@st.composite
def lines(draw: st.DrawFn, variant: str, cob_payer: str | None) -> tuple[ServiceLine, ...]:
    out = []
    for number in range(1, draw(st.integers(1, 4)) + 1):
        service = dict(line_number=number, charge=draw(MONEY), units=draw(UNITS),
                       dates=(("472", *sorted((draw(DAY), draw(DAY)))),),
                       line_control_number=draw(st.just("") | DIGITS))
        if variant == "P":
            service.update(procedure_qualifier="HC", procedure_code=draw(DIGITS), unit_basis="UN",
                           modifiers=tuple(draw(st.lists(st.sampled_from(["25", "59", "GT"]), max_size=2))),
                           place_of_service="11", diagnosis_pointers=("1",))
        elif variant == "I":
            service.update(revenue_code=draw(st.sampled_from(["0300", "0450"])), procedure_qualifier="HC",
                           procedure_code=draw(DIGITS), unit_basis="UN", non_covered_charge=draw(st.none() | MONEY))
        else:
            service.update(procedure_qualifier="AD", procedure_code="D" + draw(DIGITS),
                           teeth=tuple(draw(st.lists(st.builds(Tooth, st.just("JP"), st.sampled_from(["3", "12"]),
                                                                st.just(("M", "O"))), max_size=2))))
        if cob_payer is not None and draw(st.booleans()):
            service["adjudications"] = (LineAdjudication(
                cob_payer, draw(MONEY), service["procedure_qualifier"], service["procedure_code"],
                paid_units=draw(UNITS), adjustments=draw(adjustments()), adjudication_date=draw(DAY)),)
        out.append(ServiceLine(**service))  # type: ignore[arg-type]
    return tuple(out)


@st.composite
def claims(draw: st.DrawFn, variant: str, billing: BillingProvider, subscriber: Subscriber, payer: Party,
           patient: Patient | None) -> Claim837:
    cob = None
    if draw(st.booleans()):
        cob = OtherPayer("S", "18", draw(DIGITS), claim_filing_indicator="CI", adjustments=draw(adjustments()),
                         paid_amount=draw(st.none() | MONEY), oi=("OI", "", "", "Y", "P", "", "Y"),
                         subscriber=draw(person("IL")), payer=draw(organisation("PR", "PI")),
                         payer_claim_control_number=draw(st.just("") | DIGITS), adjudication_date=draw(DAY))
    institutional = variant == "I"
    if institutional:  # 837I: principal diagnosis alone in its HI, other diagnoses in the next
        hi: tuple[tuple[tuple[str, ...], ...], ...] = ((("ABK", "J0300"),), (("ABF", "Z1159"), ("ABF", "E119")))
    else:
        hi = ((("ABK", "J0300"), ("ABF", "Z1159")),)
    return Claim837(
        variant, draw(DIGITS), draw(MONEY), facility_code="13" if institutional else "11",
        facility_qualifier="A" if institutional else "B", frequency=draw(st.sampled_from(["1", "7", "8"])),
        provider_signature="" if institutional else "Y", assignment="A", benefits_assignment="Y",
        release_of_information="Y", billing_provider=billing, subscriber=subscriber, payer=payer, patient=patient,
        original_reference=draw(st.just("") | DIGITS),
        dates=(("434", *sorted((draw(DAY), draw(DAY)))),) if institutional else (),
        hi=hi, cl1=("1", "7", "01") if institutional else None,
        providers=tuple(draw(st.lists(st.builds(Party, st.just("82"), st.just("1"), WORD, WORD,
                                                id_qualifier=st.just("XX"), id=DIGITS), max_size=1))),
        other_payers=(cob,) if cob else (),
        lines=draw(lines(variant, cob.payer.id if cob and cob.payer else None)),
        other_segments=tuple(draw(st.lists(st.tuples(st.just("NTE"), st.just("ADD"), WORD), max_size=1))))


@st.composite
def submissions(draw: st.DrawFn, variants: st.SearchStrategy[str] = st.sampled_from("PID")) -> ClaimSubmission837:
    variant = draw(variants)
    header = ClaimsHeader837("0019", "00", draw(DIGITS), draw(DAY), "1200", "CH",
                             Party("41", "2", draw(WORD), id_qualifier="46", id=draw(DIGITS),
                                   contacts=(Contact("IC", draw(WORD), (("TE", draw(DIGITS)),)),)),
                             draw(organisation("40", "46")))
    billings = draw(st.lists(BILLING, min_size=1, max_size=2))
    subscribers = draw(st.lists(st.tuples(SUBSCRIBER, organisation("PR", "PI")), min_size=1, max_size=2))
    patients = [None, *draw(st.lists(PATIENT, max_size=2))]
    out = []
    for _ in range(draw(st.integers(1, 4))):
        subscriber, payer = draw(st.sampled_from(subscribers))
        out.append(draw(claims(variant, draw(st.sampled_from(billings)), subscriber, payer,
                               draw(st.sampled_from(patients)))))
    return ClaimSubmission837(None, header, tuple(out))


DELIMITERS = st.permutations(["*", "|", "!", ":", ">", "^", "~", "`"]).map(lambda p: Delimiters(*p[:4]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions(), DELIMITERS, st.sampled_from(["", "\n", "\r\n"]))
def test_round_trip(submission: ClaimSubmission837, delimiters: Delimiters, line_ending: str) -> None:
    variant = submission.claims[0].variant
    problems: list[Problem] = []
    back = list(iter_submissions(write(submission, variant, delimiters, line_ending), problems=problems))
    assert back == [submission]
    assert back[0].info is not None and back[0].info.kind == "837" + variant
    assert not [p for p in problems if p.severity == "error"]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions(st.just("P")))
def test_generated_837p_is_accepted_by_pyx12(submission: ClaimSubmission837) -> None:
    assert run_pyx12(write(submission, "P").decode()) == []


MUTATIONS = st.lists(st.tuples(st.sampled_from(["drop", "repeat", "swap", "value", "cut"]), st.integers(0, 10_000),
                               st.integers(0, 10_000),
                               st.sampled_from(["", "X", "1", "A:B:C", "20201301", "-5", "22", "23", "SV1", ":::",
                                                "RD8", "DT", "12.3.4", "9" * 30])), min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["api-examples/837P-all-fields.dat", "api-examples/837I-all-fields.dat",
                        "api-examples/837D-all-fields.dat", "imsweb__x12-parser/x12_complex.txt"]), MUTATIONS)
# Found by CI: 30 nines in CLM02 reached Decimal.quantize (InvalidOperation) before amounts were capped.
@example(name="imsweb__x12-parser/x12_complex.txt",
         mutations=[("repeat", 0, 0, ""), ("repeat", 0, 0, ""), ("value", 3450, 675, "9" * 30)])
def test_damaged_837_gives_claims_or_x12error(name: str, mutations: list[tuple[str, int, int, str]]) -> None:
    """Whatever is dropped, repeated, swapped or overwritten after the envelope, never another exception."""
    segments = corpus_file(name).read_text("latin-1").split("~")
    head, rest = segments[:3], segments[3:]
    for op, i, j, value in mutations:
        i, j = i % len(rest), j % len(rest)
        if op == "drop":
            del rest[i]
        elif op == "repeat":
            rest.insert(j, rest[i])
        elif op == "swap":
            rest[i], rest[j] = rest[j], rest[i]
        else:
            elements = rest[i].split("*")
            k = j % len(elements)
            elements[k] = value
            rest[i] = "*".join(elements[:k + 1] if op == "cut" else elements)
        if not rest:
            break
    try:
        for submission in iter_submissions("~".join(head + rest).encode("latin-1")):
            assert all(isinstance(c, Claim837) for c in submission.claims)
    except X12Error:
        pass
