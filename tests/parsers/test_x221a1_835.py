"""The 835 walker, models, balancing checks and to_body: corpus files, hand-made 835s, round trips."""

from __future__ import annotations

import contextlib
import string
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, fields
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi_engine.errors import Problem, X12Error
from edi_engine.money import round_cents as cents
from edi_engine.parsers.transaction import TransactionEnd, TransactionStart, split_transactions
from edi_engine.parsers.x221a1_835 import iter_remittances, to_body, walk_835
from edi_engine.parsers.x221a1_835_models import (
    Address,
    Adjustment,
    ClaimPayment,
    Contact,
    HeaderNumber,
    Party,
    PartyLoop,
    Procedure,
    ProviderAdjustment,
    Remittance835,
    RemittanceHeader,
    RemittanceTrailer,
    ServicePayment,
)
from edi_engine.x12 import Delimiters, read_segments
from edi_engine.x12.writer import Transaction, write_interchange

D = Decimal


def remits(path: Path | bytes) -> tuple[list[Remittance835], list[Problem]]:
    problems: list[Problem] = []
    return list(iter_remittances(path, problems=problems)), problems


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


def write(remittances: list[Remittance835], delimiters: Delimiters = Delimiters("*", ":", "^", "~"),
          line_ending: str = "") -> bytes:
    sets = [Transaction("835", f"{i + 1:04d}", "005010X221A1", to_body(r, delimiters.component))
            for i, r in enumerate(remittances)]
    return write_interchange(sets, sender_id="PAYER", receiver_id="PROVIDER", control_number=1,
                             date=date(2026, 1, 10), time=time(12, 0), delimiters=delimiters, line_ending=line_ending)


# -- corpus ----------------------------------------------------------------------------------

# (file, transaction sets, CLP count) as SOURCES.md gives them.
CORPUS_COUNTS = [
    ("X12Parser/835_DeIdent_01.dat", 1, 96),
    ("tastypackets__x12-parser/profee-multiple.edi", 156, 468),
    ("X12Parser/835_WithMultipleInterchanges.txt", 3, 56),
    ("badX12/X221-multiple-claims-single-check.edi", 1, 9),
    ("x12/medicare-part-a.835", 1, 2),
    ("api-examples/835-provider-level-adjustment.dat", 3, 1),
    ("keironstoddart__edi-835-parser/blue_cross_nc_sample.txt", 1, 1),
    ("affect-therapeutics__edi-835-parser/exhaustive_sample.txt", 1, 1),
    ("X12Parser/Example1.txt", 1, 10),
    ("CHS-CDS-AIML__edi-835-parser/test.835", 1, 1),
    ("affect-therapeutics__edi-835-parser/nevada_medicaid.txt", 3, 3),
    ("Data-Converter-EDI-835/EDI835BIG.txt", 3, 3),
    ("TigerShark/5010-835-example-1.txt", 1, 3),
    ("pyx12/835_mult_loops.txt", 1, 1),
]


@pytest.mark.parametrize(("name", "sets", "claims"), CORPUS_COUNTS, ids=[c[0] for c in CORPUS_COUNTS])
def test_corpus_claim_counts(corpus: Path, name: str, sets: int, claims: int) -> None:
    found, problems = remits(corpus / name)
    assert len(found) == sets
    assert sum(len(r.claims) for r in found) == claims
    assert "unreadable-value" not in codes(problems)


def test_deident_4010_reversals_and_line_cas(corpus: Path) -> None:
    [r], _ = remits(corpus / "X12Parser/835_DeIdent_01.dat")
    statuses = [c.status for c in r.claims]
    assert statuses.count("22") == 19 and statuses.count("1") == 51 and statuses.count("2") == 26
    assert all(not c.adjustments for c in r.claims)  # SOURCES.md: claim-level CAS 0, line-level 377
    line_cas = {a.segment for c in r.claims for s in c.services for a in s.adjustments}
    assert len(line_cas) == 377
    first = r.claims[0]
    assert first.patient_control_number == "9999999999-999" and first.charge == D("488")
    assert first.corrected_patient is not None and first.corrected_patient.id_qualifier == "C"
    assert first.services[0].line_control_number == "999X999999999999999999"
    assert first.services[0].references == (("HPI", "9999999999"),)
    assert first.services[0].remarks == (("HE", "X999"),)


def test_medicare_part_a_typed_values(corpus: Path) -> None:
    [r], problems = remits(corpus / "x12/medicare-part-a.835")
    assert problems == []  # balanced at every level, PLB included
    h = r.header
    assert (h.handling_code, h.total_payment, h.credit_debit, h.payment_method, h.payment_format) == (
        "C", D("150000.00"), "C", "ACH", "CTX")
    assert h.banking == ("01", "99999992", "DA", "123456", "1512345678", "", "01", "999988880", "DA", "98765")
    assert h.payment_date == date(2002, 9, 13) and h.production_date == date(2002, 9, 16)
    assert (h.trace_type, h.trace_number, h.payer_identifier) == ("1", "12345", "1512345678")
    assert h.payer is not None and h.payer.party.last_or_organization == "INSURANCE COMPANY OF TIMBUCKTU"
    assert h.payer.address == Address("1 MAIN STREET", "", "TIMBUCKTU", "AK", "89111")
    assert h.payer.references == (("2U", "999"),)
    assert h.payee is not None and (h.payee.party.id_qualifier, h.payee.party.id) == ("XX", "6543210903")
    first, second = r.claims
    assert (first.patient_control_number, first.status, first.charge, first.paid) == (
        "666123", "1", D("211366.97"), D("138018.40"))
    assert first.patient_responsibility is None
    assert (first.filing_indicator, first.payer_claim_control_number, first.facility_type, first.frequency) == (
        "MA", "1999999444444", "11", "1")
    assert first.adjustments == (Adjustment("CO", "45", D("73348.57")),)
    assert first.patient is not None and first.patient.id_qualifier == "HN"
    assert first.inpatient == ("0", "", "", "138018.40")
    assert (first.statement_from, first.statement_to) == (date(2002, 8, 16), date(2002, 8, 24))
    assert first.quantities == (("CA", D("8")),)
    assert first.lx_number == "110212" and first.header_number is not None
    assert [s[0] for s in first.header_number.other_segments] == ["TS3", "TS2"]
    assert second.lx_number == "130212" and second.outpatient == ("", "", "MA02")
    assert second.remark_codes == ("MA02",)
    assert r.provider_adjustments == (
        ProviderAdjustment("6543210903", date(2002, 12, 31), "CV", "CP", D("-1.27")),)
    assert first.segment == 15 and r.provider_adjustments[0].segment == 29  # ISA is segment 1


def test_provider_level_adjustments_wo_72(corpus: Path) -> None:
    found, problems = remits(corpus / "api-examples/835-provider-level-adjustment.dat")
    first, second, third = found
    assert [(p.provider_id, p.reason, p.reference, p.amount) for p in first.provider_adjustments] == [
        ("PAYEE_ID1", "WO", "3243079284", D("298.18")), ("PAYEE_ID1", "72", "3243079284", D("-298.18")),
        ("PAYEE_ID99", "WO", "3243079284", D("298.18")), ("PAYEE_ID99", "72", "3243079284", D("-298.18"))]
    assert first.provider_adjustments[0].fiscal_period_date == date(2024, 12, 31)
    assert first.claims == () and first.header.handling_code == "H"
    assert [p.reason for p in second.provider_adjustments] == ["WO"] and len(second.claims) == 1
    # Sets 2 and 3 take a WO recoupment out of a check that was not reduced by it: unbalanced in the source.
    unbalanced = [p for p in problems if p.code == "transaction-unbalanced"]
    assert [p.position.transaction for p in unbalanced] == ["0002", "0003"]


def test_blue_cross_svc06_ref_6r_amt_b6(corpus: Path) -> None:
    [r], problems = remits(corpus / "keironstoddart__edi-835-parser/blue_cross_nc_sample.txt")
    [claim] = r.claims
    assert claim.received_date == date(2011, 1, 3) and claim.patient_responsibility == D("142.54")
    first, second, third = claim.services
    assert (first.qualifier, first.procedure_code, first.charge, first.paid, first.units_paid) == (
        "HC", "59430", D("1210"), D("1057.86"), D("1"))
    assert first.submitted_procedure == Procedure("HC", "59410")
    assert first.service_date_from == first.service_date_to == date(2010, 12, 31)
    assert first.adjustments == (Adjustment("CO", "42", D("34.6")), Adjustment("PR", "2", D("117.54")))
    assert first.line_control_number == "0001" and first.allowed_amount == D("1175.4")
    assert second.allowed_amount is None and second.line_control_number == "0002"
    # The third SVC lacks SVC02/SVC03 in the source: read as 0 with warnings, not lost.
    assert (third.charge, third.paid, third.line_control_number) == (D(0), D(0), "0003")
    assert codes(problems).count("missing-element") == 2
    assert "clp-unbalanced" not in codes(problems)


def test_exhaustive_sample_six_cas_triplets_and_six_plb_pairs(corpus: Path) -> None:
    [r], problems = remits(corpus / "affect-therapeutics__edi-835-parser/exhaustive_sample.txt")
    [claim] = r.claims
    assert [a.reason for a in claim.adjustments] == ["XXX", "XX", "XXX", "XX", "XX", "XX"]
    assert {a.group for a in claim.adjustments} == {"PR"}
    assert claim.adjustments[0].quantity == D(0)
    [svc] = claim.services
    assert len(svc.adjustments) == 6 and {a.group for a in svc.adjustments} == {"OA"}
    assert (svc.qualifier, svc.procedure_code, svc.modifiers) == ("NU", "XXXX", ("XX", "XX", "XX", "XX"))
    assert svc.submitted_procedure == Procedure("HC", "XXXX", ("XX", "XX", "XX", "XX"), "XXXXX")
    assert svc.service_date_from is None and svc.service_date_to == date(2024, 10, 19)
    assert svc.line_control_number == "XXXXX" and svc.references == (("0K", "XXXXX"), ("SY", "XXX"), ("APC", "XXXXXX"))
    assert svc.amounts == (("KH", D(0)),) and svc.quantities == (("ZM", D(0)),) and svc.remarks == (("HE", "XXXX"),)
    for slot in ("patient", "insured", "corrected_patient", "rendering_provider", "crossover_carrier",
                 "corrected_payer", "other_subscriber"):
        assert getattr(claim, slot) is not None, slot
    assert claim.inpatient is not None and claim.outpatient is not None
    assert claim.remark_codes == ("XXXX", "XXXXX", "XXXXXX", "XXX", "X", "XXXXX", "XXX", "XXX", "XXXXXX", "XX")
    assert (claim.coverage_expiration, claim.received_date, claim.statement_to) == (date(2024, 10, 19),) * 3
    assert claim.contacts == (Contact("CX", "XXXXX", (("TE", "XXXX"), ("FX", "XXX"), ("EX", "XXXXXX"))),)
    assert claim.references == (("EA", "X"),)
    assert (claim.drg_code, claim.drg_weight, claim.discharge_fraction) == ("XX", D(0), D(0))
    assert claim.header_number is not None and claim.header_number.number == "000"
    assert [s[0] for s in claim.header_number.other_segments] == ["TS3", "TS2"]
    h = r.header
    assert (h.currency_entity, h.currency, h.receiver_id, h.version_id) == ("PR", "XXX", "XXXXX", "X")
    assert h.payer is not None and [c.function for c in h.payer.contacts] == ["CX", "BL", "IC"]
    assert h.payee is not None and h.payee.other_segments == (("RDM", "EM", "XXXX", "XXXX"),)
    assert [(p.reason, p.reference) for p in r.provider_adjustments] == [
        ("GO", "XXXX"), ("XX", "XXXXXX"), ("XX", "XXX"), ("XX", "X"), ("XX", "XXXXXX"), ("XX", "XX")]
    assert "unreadable-value" not in codes(problems)


def test_example1_truncated_clp_and_4010_cr_groups(corpus: Path) -> None:
    [r], problems = remits(corpus / "X12Parser/Example1.txt")
    last = r.claims[-1]
    assert (last.patient_control_number, last.status, last.charge, last.paid, last.services) == (
        "090909", "22", D(0), D(0), ())
    missing = [p for p in problems if p.code == "missing-element"]
    assert len(missing) == 2 and all(p.position.segment == last.segment for p in missing)
    assert any(a.group == "CR" for c in r.claims for s in c.services for a in s.adjustments)
    reversal = r.claims[-2]
    assert reversal.status == "22" and reversal.paid == D("-86.76")
    [svc] = reversal.services
    assert (svc.service_date_from, svc.service_date_to, svc.units_paid) == (date(2004, 2, 10), date(2004, 2, 11), D(-4))
    assert svc.amounts == (("AU", D("86.76")),) and svc.quantities == (("NE", D(53)),)


def test_unknown_segment_stays_in_its_loop(corpus: Path) -> None:
    [r], problems = remits(corpus / "api-examples/835-validation-issues.edi")
    [svc] = r.claims[0].services
    assert svc.other_segments == (("XX", "B6", "800"),)
    assert "missing-segment" in codes(problems)  # no TRN


def test_missing_lx_is_a_warning_and_claims_still_come(corpus: Path) -> None:
    [r], problems = remits(corpus / "CHS-CDS-AIML__edi-835-parser/test.835")
    [claim] = r.claims
    assert claim.header_number is None and len(claim.services) == 2
    assert [p.code for p in problems if p.code == "missing-segment"] == ["missing-segment"]
    # CLP03 2000 - claim CAS 499.50 - line CAS 499.50 = 1001 but CLP04 is 1500.50: unbalanced in the source.
    assert "clp-unbalanced" in codes(problems)


# -- hand-made 835s: balancing, order, streaming ------------------------------------------------

HEAD = [
    "BPR*I*190*C*CHK************20260110", "TRN*1*CHK100*1999999999", "N1*PR*ACME PLAN", "N1*PE*CLINIC*XX*1234567893",
    "LX*1",
]
CLAIM_A = [
    "CLP*PCN1*1*200*120*30*12*ICN1*11*1", "NM1*QC*1*DOE*JANE****MI*M123",
    "SVC*HC:99213*200*120**1", "DTM*472*20260105", "CAS*CO*45*50", "CAS*PR*2*30", "REF*6R*L1", "AMT*B6*150",
]
CLAIM_B = ["CLP*PCN2*1*100*60**12*ICN2*11*1", "CAS*CO*45*40", "NM1*QC*1*ROE*RICHARD****MI*M456"]
TAIL = ["PLB*1234567893*20261231*L6*-10"]


def make_835(body: list[str]) -> bytes:
    segs = ["ISA*00*          *00*          *ZZ*PAYER          *ZZ*PROVIDER       *260110*1200*^*00501*000000001*0*P*:",
            "GS*HP*PAYER*PROVIDER*20260110*1200*1*X*005010X221A1", "ST*835*0001*005010X221A1",
            *body, f"SE*{len(body) + 2}*0001", "GE*1*1", "IEA*1*000000001"]
    return ("~\n".join(segs) + "~\n").encode()


def test_balanced_835_has_no_warnings() -> None:
    found, problems = remits(make_835(HEAD + CLAIM_A + CLAIM_B + TAIL))
    assert problems == []
    assert [c.patient_control_number for c in found[0].claims] == ["PCN1", "PCN2"]


@pytest.mark.parametrize(("change", "code", "segment"), [
    (("SVC*HC:99213*200*120**1", "SVC*HC:99213*200*125**1"), "svc-unbalanced", 11),
    (("CAS*CO*45*40", "CAS*CO*45*45"), "clp-unbalanced", 17),
    (("PLB*1234567893*20261231*L6*-10", "PLB*1234567893*20261231*L6*-10.01"), "transaction-unbalanced", 21),
])
def test_unbalanced_835_warns_with_positions(change: tuple[str, str], code: str, segment: int) -> None:
    body = [change[1] if s == change[0] else s for s in HEAD + CLAIM_A + CLAIM_B + TAIL]
    _, problems = remits(make_835(body))
    found = [p for p in problems if p.code == code]
    assert len(found) == 1 and found[0].severity == "warning"
    assert found[0].position.segment == segment and found[0].position.transaction == "0001"
    for p in problems:  # no patient names or member ids in messages
        for phi in ("DOE", "JANE", "M123", "ROE", "M456", "PCN1", "PCN2"):
            assert phi not in p.message


def test_svc_change_makes_claim_unbalanced_too() -> None:
    body = ["SVC*HC:99213*200*125**1" if s == "SVC*HC:99213*200*120**1" else s for s in HEAD + CLAIM_A + CLAIM_B + TAIL]
    _, problems = remits(make_835(body))
    # CLP04 still 120 = 200 - 80: the claim equation holds; but the lines now pay 125 with no
    # claim-level CAS to explain the 5 (RFI 452).
    assert codes(problems) == ["svc-unbalanced", "clp-svc-unbalanced"]


def test_claim_without_lines_or_cas_must_still_balance() -> None:
    body = HEAD + ["CLP*PCN9*1*500*190*0*12*ICN9"]  # 500 - 190 unexplained: the CAS that explain it are missing
    _, problems = remits(make_835(body))
    assert codes(problems) == ["clp-unbalanced"]
    assert "neither CAS nor service lines" in problems[0].message
    balanced = HEAD + ["CLP*PCN9*1*500*500*0*12*ICN9"]
    _, problems = remits(make_835(balanced))
    assert "clp-unbalanced" not in codes(problems)


def test_cents_are_half_up() -> None:
    assert cents(D("1.005")) == 101 and cents(D("-1.005")) == -101 and cents(D("12")) == 1200


def test_claim_segment_after_service_is_kept_with_the_claim() -> None:
    body = HEAD + CLAIM_A + ["NM1*82*1*SMITH*JOHN****XX*1234567893", "K3*FREE TEXT"] + CLAIM_B + TAIL
    [r], problems = remits(make_835(body))
    claim = r.claims[0]
    assert claim.rendering_provider is not None and claim.rendering_provider.last_or_organization == "SMITH"
    assert claim.services[0].other_segments == (("K3", "FREE TEXT"),)
    assert codes(problems) == ["segment-order"]


def test_bad_amount_raises_x12error_and_skips_the_set() -> None:
    body = [s.replace("*200*120**1", "*2O0*120**1") for s in HEAD + CLAIM_A + TAIL]
    found, problems = remits(make_835(body))
    assert found == [] and "unreadable-value" in codes(problems)


def test_claims_are_yielded_as_each_loop_completes() -> None:
    seen: list[int] = []

    def watched(segments: Iterator) -> Iterator:
        for seg in segments:
            seen.append(seg.index)
            yield seg

    body = HEAD + CLAIM_A + CLAIM_B + TAIL
    order = []
    for item in split_transactions(watched(iter(read_segments(make_835(body)))), {"835": walk_835}, []):
        if isinstance(item, ClaimPayment):
            order.append((item.patient_control_number, seen[-1]))
    # PCN1 is out when the next CLP (segment 17) has been read; PCN2 at the PLB (segment 20).
    assert order == [("PCN1", 17), ("PCN2", 20)]


def test_walker_models_are_real_frozen_instances() -> None:
    [r], _ = remits(make_835(HEAD + CLAIM_A + CLAIM_B + TAIL))
    claim = r.claims[0]
    objects = [claim, claim.services[0], claim.services[0].adjustments[0], claim.patient]
    assert [type(o) for o in objects] == [ClaimPayment, ServicePayment, Adjustment, Party]
    for obj in objects:
        with pytest.raises(FrozenInstanceError):
            setattr(obj, fields(obj)[0].name, "changed")
    assert hash(claim) == hash(ClaimPayment(**{f.name: getattr(claim, f.name) for f in fields(ClaimPayment)}))
    assert claim.services[0].adjustments[0] == Adjustment("CO", "45", D(50))


def test_transaction_start_and_end_wrap_the_claims() -> None:
    items = list(split_transactions(iter(read_segments(make_835(HEAD + CLAIM_A + TAIL))), {"835": walk_835}, []))
    assert isinstance(items[0], TransactionStart) and isinstance(items[0].header, RemittanceHeader)
    assert isinstance(items[-1], TransactionEnd) and items[-1].complete
    assert isinstance(items[-1].trailer, RemittanceTrailer) and len(items[-1].trailer.provider_adjustments) == 1


# -- to_body ---------------------------------------------------------------------------------


def test_to_body_regroups_cas_and_packs_plb() -> None:
    adjustments = tuple(Adjustment("CO", str(i), D(i)) for i in range(1, 8)) + (Adjustment("PR", "2", D("5"), D(1)),)
    plbs = tuple(ProviderAdjustment("P1", date(2026, 12, 31), "WO", f"R{i}", D(i)) for i in range(7)) + (
        ProviderAdjustment("P2", date(2026, 12, 31), "L6", "", D(-1)),)
    claim = ClaimPayment("PCN", "1", D(100), D(0), adjustments=adjustments)
    r = Remittance835(None, RemittanceHeader("I", D(0), "C", "NON"), (claim,), plbs)
    body = to_body(r, ">")
    cas = [s for s in body if s[0] == "CAS"]
    assert cas == [("CAS", "CO", *[x for i in range(1, 7) for x in (str(i), str(i), "")][:-1]),
                   ("CAS", "CO", "7", "7"), ("CAS", "PR", "2", "5", "1")]
    plb = [s for s in body if s[0] == "PLB"]
    assert [len(s) for s in plb] == [15, 5, 5] and plb[0][3] == "WO>R0"
    assert plb[2] == ("PLB", "P2", "20261231", "L6", "-1")


@pytest.mark.parametrize("name", [
    "x12/medicare-part-a.835", "X12Parser/835_DeIdent_01.dat", "X12Parser/835_WithMultipleInterchanges.txt",
    "badX12/X221-multiple-claims-single-check.edi", "keironstoddart__edi-835-parser/blue_cross_nc_sample.txt",
    "api-examples/835-all-fields.dat", "api-examples/835-provider-level-adjustment.dat",
    "TigerShark/5010-835-example-1.txt",
])
def test_corpus_round_trip(corpus: Path, name: str) -> None:
    found, _ = remits(corpus / name)
    again, _ = remits(write(found, Delimiters("*", ":", "^", "~")))
    assert again == found


# -- property tests ----------------------------------------------------------------------------

TEXT = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=8)
OPT_TEXT = st.one_of(st.just(""), TEXT)
MONEY = st.decimals(min_value=D("-99999.99"), max_value=D("99999.99"), places=2)
UNITS = st.one_of(st.none(), st.decimals(min_value=D(0), max_value=D(999), places=1))
DAY = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))
OPT_DAY = st.one_of(st.none(), DAY)
PAIRS = st.lists(st.tuples(TEXT, TEXT), max_size=2).map(tuple)
AMOUNTS = st.lists(st.tuples(TEXT, MONEY), max_size=2).map(tuple)
REMARKS = st.lists(st.tuples(st.sampled_from(["HE", "RX"]), TEXT), max_size=2).map(tuple)
RAW = st.lists(st.tuples(st.sampled_from(["K3", "ZZ1"]), TEXT), max_size=1).map(tuple)

adjustments = st.lists(st.builds(Adjustment, st.sampled_from(["CO", "PR", "OA", "PI", "CR"]), TEXT, MONEY, UNITS),
                       max_size=8).map(tuple)


def party(entity: str) -> st.SearchStrategy[Party]:
    return st.builds(Party, st.just(entity), TEXT, OPT_TEXT, OPT_TEXT, OPT_TEXT, OPT_TEXT, OPT_TEXT,
                     st.sampled_from(["1", "2"]))


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


@st.composite
def service_dates(draw: st.DrawFn) -> tuple[date | None, date | None]:
    start, end = draw(OPT_DAY), draw(OPT_DAY)
    return (start, start) if draw(st.booleans()) else (start, end)


@st.composite
def services(draw: st.DrawFn) -> ServicePayment:
    start, end = draw(service_dates())
    return ServicePayment(
        draw(st.sampled_from(["HC", "AD", "NU", "N4"])), draw(TEXT), tuple(draw(st.lists(TEXT, max_size=4))),
        draw(MONEY), draw(MONEY), draw(OPT_TEXT), draw(OPT_TEXT), draw(UNITS),
        draw(optional(st.builds(Procedure, st.just("HC"), TEXT, st.lists(TEXT, max_size=4).map(tuple), OPT_TEXT))),
        draw(UNITS), start, end, draw(adjustments), draw(OPT_TEXT),
        draw(st.lists(st.tuples(st.sampled_from(["0K", "1S", "APC", "HPI"]), TEXT), max_size=2).map(tuple)),
        draw(AMOUNTS), draw(AMOUNTS), draw(REMARKS), draw(RAW))


@st.composite
def claims(draw: st.DrawFn, header_number: HeaderNumber | None) -> ClaimPayment:
    return ClaimPayment(
        draw(TEXT), draw(st.sampled_from(["1", "2", "3", "4", "19", "22", "25"])), draw(MONEY), draw(MONEY),
        draw(optional(MONEY)), draw(OPT_TEXT), draw(OPT_TEXT), draw(OPT_TEXT), draw(OPT_TEXT), draw(OPT_TEXT),
        draw(optional(MONEY)), draw(optional(MONEY)), draw(adjustments),
        *(draw(optional(party(e))) for e in ("QC", "IL", "74", "82", "TT", "PR", "GB")),
        draw(optional(st.lists(TEXT, min_size=1, max_size=5).map(tuple))),
        draw(optional(st.lists(TEXT, min_size=1, max_size=5).map(tuple))),
        draw(OPT_DAY), draw(OPT_DAY), draw(OPT_DAY), draw(OPT_DAY),
        draw(st.lists(st.builds(Contact, st.just("CX"), OPT_TEXT, PAIRS), max_size=1).map(tuple)),
        draw(AMOUNTS), draw(AMOUNTS), draw(PAIRS), tuple(draw(st.lists(services(), max_size=3))), header_number,
        draw(RAW))


@st.composite
def remittances(draw: st.DrawFn) -> Remittance835:
    def loop(entity: str) -> PartyLoop:
        address = draw(optional(st.builds(Address, TEXT, OPT_TEXT, TEXT, OPT_TEXT, OPT_TEXT, OPT_TEXT, OPT_TEXT)))
        contacts = draw(st.lists(st.builds(Contact, st.sampled_from(["CX", "BL"]), OPT_TEXT, PAIRS), max_size=2))
        return PartyLoop(Party(entity, draw(TEXT), id_qualifier=draw(OPT_TEXT), id=draw(OPT_TEXT)), address,
                         draw(PAIRS), tuple(contacts), draw(RAW))

    header = RemittanceHeader(
        draw(st.sampled_from(["C", "H", "I"])), draw(MONEY), "C", draw(st.sampled_from(["ACH", "CHK", "NON"])),
        draw(OPT_TEXT), draw(st.one_of(st.just(()), st.lists(TEXT, min_size=10, max_size=10).map(tuple))),
        draw(OPT_DAY), "1", draw(TEXT), draw(TEXT), draw(OPT_TEXT), draw(OPT_TEXT), draw(OPT_TEXT),
        draw(OPT_TEXT), draw(OPT_TEXT), draw(OPT_DAY), loop("PR") if draw(st.booleans()) else None,
        loop("PE") if draw(st.booleans()) else None, draw(RAW))
    found: list[ClaimPayment] = []
    if draw(st.booleans()):
        for number in draw(st.lists(TEXT, min_size=1, max_size=3)):
            lx = HeaderNumber(number, draw(st.lists(st.tuples(st.just("TS3"), TEXT, TEXT), max_size=1).map(tuple)))
            found += draw(st.lists(claims(lx), min_size=1, max_size=3))
    else:
        found += draw(st.lists(claims(None), max_size=3))
    plbs = draw(st.lists(st.builds(ProviderAdjustment, TEXT, OPT_DAY, TEXT, OPT_TEXT, MONEY), max_size=8))
    # Segments kept raw in the trailer only read back as the trailer's when they follow a PLB.
    return Remittance835(None, header, tuple(found), tuple(plbs), draw(RAW) if plbs else ())


SAFE_DELIMITERS = st.permutations(["*", "|", ":", ">", "^", "~", "!", "\x1d"]).map(
    lambda p: Delimiters(p[0], p[1], p[2], p[3]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(remittances(), SAFE_DELIMITERS, st.sampled_from(["", "\n", "\r\n"]))
def test_models_round_trip_through_the_writer(remittance: Remittance835, delimiters: Delimiters,
                                              line_ending: str) -> None:
    data = write([remittance], delimiters, line_ending)
    found, problems = remits(data)
    assert "unreadable-value" not in codes(problems)
    assert found == [remittance]


SEGMENT_IDS = ["BPR", "TRN", "N1", "N3", "N4", "REF", "PER", "LX", "TS3", "CLP", "CAS", "NM1", "MIA", "MOA", "DTM",
               "AMT", "QTY", "SVC", "LQ", "PLB", "CUR", "RDM", "ZZ"]
ELEMENT = st.sampled_from(["", "1", "-2.5", "X", "20260101", "HC:99213", "WO:REF", "RD8", "20260101-20260102",
                           "6R", "472", "150", "151", "PR", "PE", "QC", "CO", "1e5", "NaN", " ", "2026013"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SEGMENT_IDS), st.lists(ELEMENT, max_size=20)), max_size=40))
def test_any_segments_give_models_or_x12error(segments: list[tuple[str, list[str]]]) -> None:
    body = ["*".join([sid, *elements]) for sid, elements in segments]
    data = make_835(body)
    with contextlib.suppress(X12Error):  # the dispatcher turns walker X12Errors into problems
        remits(data)


_PYX12_CLEAN_835 = ["badX12/X221-multiple-claims-single-check.edi", "badX12/X221-era-sample.edi",
                    "keironstoddart__edi-835-parser/emedny_sample.txt", "pyx12/835_mult_loops.txt"]


@pytest.mark.parametrize("name", _PYX12_CLEAN_835)
def test_writer_output_is_accepted_by_pyx12(corpus: Path, name: str) -> None:
    """What pyx12 accepts as read, it accepts as our models written back by our writer."""
    from edi_engine.parsers.validation import validate_file
    from edi_engine.x12.writer import Transaction, write_interchange

    assert validate_file(corpus / name).ok
    remittances = list(iter_remittances(corpus / name))
    data = write_interchange(
        [Transaction("835", f"{i + 1:04d}", "005010X221A1", to_body(r)) for i, r in enumerate(remittances)],
        sender_id="PAYER", receiver_id="PROVIDER", control_number=7, date=date(2026, 1, 2), time=time(8, 30))
    report = validate_file(data, name="rewritten.835")
    assert report.ok, [str(p) for p in report.errors]
    assert list(iter_remittances(data)) == remittances
