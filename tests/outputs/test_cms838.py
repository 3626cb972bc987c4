"""Issue 12 item 3: the CMS-838 as CMS wants it now, on SQLite and PostgreSQL.

A mixed world (scenario packs loaded together, their rules merged) lists exactly the
Medicare fee-for-service credits owed to the payer on institutional claims: no Medicare Advantage,
no patient credits, no false DRG credit, professional claims set aside for the MAC's refund form.
The expected set is computed from the findings' payer type and refund_to and from which 837 files
are institutional; columns are checked against the X12 bytes themselves. `--record`, then new
findings: the next export lists only what is new or changed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from edi_engine import outputs
from edi_engine.cli import main
from edi_engine.errors import UsageError
from edi_engine.parsers.validation import validate_file
from edi_engine.rules import list_findings
from edi_engine.rules.pack import load_pack
from edi_engine.store import findings as stored_findings
from edi_engine.store import open_store

from .conftest import FIXTURES
from .conftest import load_pack as load_fixture

AS_OF = "2026-06-30"
# Packs of one world each, loaded together. Not `mixed`, and patient_overpayment last: the simulated
# packs' fee schedules price the same payers' codes differently, and the last one imported is the
# one in force; patient_overpayment's Part A lab line is an overpayment under its own.
WORLD = ("msp_primary_payer", "medicare_advantage", "tolerance_medicare", "duplicate_payment", "voided_claim_paid",
         "crossover_medigap", "patient_overpayment")
LATER = "drg_above_charges"  # loaded after the first filing: one new Part A duplicate, one patient credit
ON_BOOKS_OR_REPAID = {"open", "approved", "refunded", "offset"}
PROVIDER = """
[provider]
name = "MERCY VALLEY HOSPITAL"
ptan = "140123"
npi = "1543298768"
contact_name = "Maria Lopez"
contact_phone = "217-555-0142"

[cms838]
cost_report_closed_through = "2024-06-30"
"""


def _segments(path: Path) -> list[list[str]]:
    return [s.strip().split("*") for s in path.read_text().split("~") if s.strip()]


def _institutional_clm01s(packs: tuple[str, ...]) -> set[str]:
    """CLM01 of every claim on an 837I file (ST03 005010X223A2), read from the bytes."""
    out = set()
    for pack in packs:
        for path in (FIXTURES / pack).glob("*.837"):
            segs = _segments(path)
            if any(s[0] == "ST" and s[3].startswith("005010X223") for s in segs):
                out |= {s[1] for s in segs if s[0] == "CLM"}
    return out


def _rules(tmp_path: Path, *packs: str, extra: str = PROVIDER, name: str = "rules.toml") -> Path:
    text = "\n".join((FIXTURES / p / "rules.toml").read_text() for p in packs if (FIXTURES / p / "rules.toml").exists())
    path = tmp_path / name
    path.write_text(text + extra)
    return path


def _professional(rules: Path) -> Any:
    """The world's pack, listing professional claims too ([cms838] professional_claims)."""
    extra = PROVIDER.replace("[cms838]", "[cms838]\nprofessional_claims = true")
    return load_pack(_rules(rules.parent, *WORLD, extra=extra, name="professional.toml"))


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    engine = open_store(db_url)
    for pack in WORLD:
        load_fixture(engine, FIXTURES / pack)
    rules = _rules(tmp_path, *WORLD)
    outputs.detect_with_audit(engine, as_of=AS_OF, rules_path=str(rules))
    try:
        yield engine, rules
    finally:
        engine.dispose()


def _findings(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list_findings(conn, "all")


def _expected(engine: Engine, packs: tuple[str, ...]) -> tuple[set[int], set[int]]:
    """(institutional, professional) Medicare fee-for-service credits owed to Medicare."""
    institutional = _institutional_clm01s(packs)
    owed = [f for f in _findings(engine) if f.payer_type == "medicare" and f.refund_to == "payer"
            and f.status in ON_BOOKS_OR_REPAID]
    return ({f.id for f in owed if f.claim_id in institutional},
            {f.id for f in owed if f.claim_id not in institutional})


def test_the_mixed_world_lists_exactly_the_medicare_ffs_credits(world: tuple[Engine, Path]) -> None:
    engine, rules = world
    report = outputs.cms838_report(engine, AS_OF, pack=load_pack(rules))
    institutional, professional = _expected(engine, WORLD)
    assert institutional and professional  # the world has both kinds
    assert {ln.finding_id for ln in report.lines} == institutional
    assert {fid for fid, _ in report.left_out} == professional
    found = {f.id: f for f in _findings(engine)}
    # Not there: Medicare Advantage, patient credits (Medicare's beneficiaries' included), other payers.
    assert {found[ln.finding_id].payer_type for ln in report.lines} == {"medicare"}
    assert any(f.payer_type == "medicare_advantage" for f in found.values())
    assert any(f.payer_type == "medicare" and f.refund_to == "patient" for f in found.values())
    # Professional claims (Part B to the MAC's carrier side) are listed when the pack asks for them.
    both = outputs.cms838_report(engine, AS_OF, pack=_professional(rules))
    assert {ln.finding_id for ln in both.lines} == institutional | professional and both.left_out == ()
    msp = [ln for ln in both.lines if found[ln.finding_id].category == "msp_overpayment"]
    assert len(msp) == 2 and {ln.reason for ln in msp} == {"2"} and {ln.msp_code for ln in msp} == {"12", "15"}
    great_lakes = next(ln for ln in msp if ln.msp_code == "12")
    # Column 15: the other insurer's name and address, from N1*PR and N3/N4 of its own 835.
    assert great_lakes.primary_insurer_or_explanation == \
        "GREAT LAKES EMPLOYERS HEALTH PLAN, PO BOX 1000, SPRINGFIELD, IL 62794"
    # The MBI is the one billed to Medicare, not the Medigap or employer plan's member id.
    billed_to_medicare = _segments(next((FIXTURES / "msp_primary_payer").glob("20250304-837P-*.837")))
    mbi = _member_id_before(billed_to_medicare, "PCN1110001")
    assert great_lakes.mbi == mbi and great_lakes.type_of_bill == "" and great_lakes.part == "B"


def _member_id_before(segs: list[list[str]], clm01: str) -> str:
    at = next(i for i, s in enumerate(segs) if s[0] == "CLM" and s[1] == clm01)
    return next(s[9] for s in reversed(segs[:at]) if s[0] == "NM1" and s[1] == "IL")


def _bpr16_of(pack: str, icn: str) -> date:
    for path in (FIXTURES / pack).glob("*.835"):
        segs = _segments(path)
        if any(s[0] == "CLP" and len(s) > 7 and s[7] == icn for s in segs):
            bpr = next(s for s in segs if s[0] == "BPR")
            return date.fromisoformat(f"{bpr[16][:4]}-{bpr[16][4:6]}-{bpr[16][6:]}")
    raise AssertionError(f"no 835 pays ICN {icn}")


def test_columns_come_from_the_medicare_claim_that_was_paid(world: tuple[Engine, Path], db_url: str) -> None:
    engine, rules = world
    load_fixture(engine, FIXTURES / LATER)
    outputs.detect_with_audit(engine, as_of=AS_OF, rules_path=str(rules))
    report = outputs.cms838_report(engine, AS_OF, pack=load_pack(rules))
    found = {f.id: f for f in _findings(engine)}
    (dup,) = [ln for ln in report.lines if found[ln.finding_id].claim_id == "PCN1103003"]
    segs = _segments(next((FIXTURES / LATER).glob("*-837I-0001.837")))
    at = next(i for i, s in enumerate(segs) if s[0] == "CLM" and s[1] == "PCN1103003")
    clm05 = segs[at][5].split(":")
    period = next(s for s in segs[at:] if s[0] == "DTP" and s[1] == "434")[3].split("-")
    name = next(s for s in reversed(segs[:at]) if s[0] == "NM1" and s[1] == "IL")
    assert dup.mbi == _member_id_before(segs, "PCN1103003") and dup.mbi
    assert dup.beneficiary_name == f"{name[3]}, {name[4][0]}"
    assert dup.type_of_bill == clm05[0] + clm05[2] == "111"
    assert (dup.from_date, dup.through_date) == tuple(date.fromisoformat(f"{d[:4]}-{d[4:6]}-{d[6:]}") for d in period)
    # A duplicate reports the most recently paid claim (CGS 838 tips): the second ICN and its check.
    assert dup.icn == "2225111000377" and dup.paid_date == _bpr16_of(LATER, dup.icn)
    assert (dup.part, dup.reason, dup.cost_report, dup.kind) == ("A", "1", "O", "new")
    assert dup.credit_balance == dup.amount_outstanding == Decimal("7100.00") and dup.amount_repaid == 0
    # The DRG paid above charges is no credit (NGS, CB-2024): PCN1103001 has no line.
    assert not [ln for ln in report.lines if found[ln.finding_id].claim_id in ("PCN1103001", "PCN1103002")]
    # Every column filled where the data exists: an institutional line has all but method and MSP code.
    for ln in report.lines:
        for column in ("beneficiary_name", "mbi", "icn", "type_of_bill", "from_date", "through_date", "paid_date",
                       "cost_report", "reason", "primary_insurer_or_explanation"):
            assert getattr(ln, column), (ln.finding_id, column)
    header = report.header
    assert (header.provider_name, header.provider_number, header.npi, header.contact_phone) == (
        "MERCY VALLEY HOSPITAL", "140123", "1543298768", "217-555-0142")
    assert report.notes == ()


def test_record_then_only_new_or_changed_lines(world: tuple[Engine, Path]) -> None:
    engine, rules = world
    pack = load_pack(rules)
    first = outputs.cms838_report(engine, "2026-06-30", pack=pack, record_by="maria")
    assert first.recorded and first.lines
    events = [e for e in outputs.audit_events(engine) if e.event == "cms838_reported"]
    assert sorted(e.finding_id for e in events) == sorted(ln.finding_id for ln in first.lines)
    assert {e.actor for e in events} == {"maria"} and {e.details["on"] for e in events} == {"2026-06-30"}
    with engine.connect() as conn:
        for ln in first.lines:
            f = stored_findings.finding_by_id(conn, ln.finding_id)
            assert f is not None and (f.reported_on, f.reported_amount) == (date(2026, 6, 30), ln.credit_balance)
    assert outputs.cms838_report(engine, "2026-07-01", pack=pack).lines == ()
    every = outputs.cms838_report(engine, "2026-07-01", pack=pack, all_lines=True).lines
    assert {(ln.finding_id, ln.kind) for ln in every} == {(ln.finding_id, "reported") for ln in first.lines}
    # New findings: only the new Medicare Part A duplicate is listed (its patient credit is not).
    load_fixture(engine, FIXTURES / LATER)
    outputs.detect_with_audit(engine, as_of="2026-07-01", rules_path=str(rules))
    found = {f.id: f for f in _findings(engine)}
    (new,) = outputs.cms838_report(engine, "2026-07-01", pack=pack).lines
    assert (found[new.finding_id].claim_id, new.kind, new.previously_reported) == ("PCN1103003", "new", None)
    outputs.cms838_report(engine, "2026-07-01", pack=pack, record_by="maria")
    # Its amount changes (a later detect run computes less): a correction line with what was reported.
    with engine.begin() as conn:
        stored_findings.update_finding(conn, new.finding_id, {"amount": Decimal("7000.00")})
    (fix,) = outputs.cms838_report(engine, "2026-07-02", pack=pack).lines
    assert (fix.finding_id, fix.kind, fix.credit_balance, fix.previously_reported) == (
        new.finding_id, "correction", Decimal("7000.00"), Decimal("7100.00"))
    # A reported line dismissed since (no credit after all): listed for the correction form.
    outputs.cms838_report(engine, "2026-07-02", pack=pack, record_by="maria")
    outputs.decide(engine, first.lines[0].finding_id, "dismiss", by="maria", note="MAC confirms the payment")
    (gone,) = outputs.cms838_report(engine, "2026-07-03", pack=pack).lines
    assert (gone.finding_id, gone.kind, gone.credit_balance) == (first.lines[0].finding_id, "removal", 0)
    assert "in error" in gone.primary_insurer_or_explanation


def test_method_follows_the_decision(world: tuple[Engine, Path], tmp_path: Path) -> None:
    engine, rules = world
    pack = load_pack(rules)
    load_fixture(engine, FIXTURES / LATER)
    outputs.detect_with_audit(engine, as_of=AS_OF, rules_path=str(rules))
    lines = {ln.finding_id: ln for ln in outputs.cms838_report(engine, AS_OF, pack=pack).lines}
    found = {f.id: f for f in _findings(engine)}
    dup = next(fid for fid in lines if found[fid].claim_id == "PCN1103003")
    other = next(fid for fid in lines if fid != dup)
    outputs.decide(engine, other, "approve", by="maria")
    whole = lines[other].credit_balance
    half = (whole / 2).quantize(Decimal("0.01"))
    outputs.record_refund(engine, other, by="maria", method="check", number="20417", paid_on=AS_OF, amount=half)
    partial = {ln.finding_id: ln for ln in outputs.cms838_report(engine, AS_OF, pack=pack, all_lines=True)
               .lines}[other]
    assert (partial.method, partial.refund_check, partial.amount_repaid) == ("C", "20417", half)
    assert partial.amount_outstanding == whole - half  # a partial refund: the rest is still owed
    outputs.record_refund(engine, other, by="maria", method="check", number="20418", paid_on=AS_OF)
    outputs.decide(engine, dup, "approve", by="maria")
    outputs.corrected_claim_for_finding(engine, dup, by="maria")  # the void (adjustment bill) is submitted
    lines = {ln.finding_id: ln for ln in outputs.cms838_report(engine, AS_OF, pack=pack).lines}
    refunded, adjusted = lines[other], lines[dup]
    assert (refunded.method, refunded.refund_check, refunded.amount_outstanding) == ("C", "20417, 20418", 0)
    assert refunded.amount_repaid == refunded.credit_balance
    assert (adjusted.method, adjusted.amount_repaid, adjusted.amount_outstanding) == ("X", Decimal("7100.00"), 0)


def test_csv_and_pdf(world: tuple[Engine, Path]) -> None:
    engine, rules = world
    report = outputs.cms838_report(engine, AS_OF, pack=load_pack(rules))
    rows = list(csv.DictReader(io.StringIO(outputs.render_cms838(report, "csv").decode())))
    assert [int(r["finding_id"]) for r in rows] == [ln.finding_id for ln in report.lines]
    assert {r["provider_number"] for r in rows} == {"140123"}
    assert sum(Decimal(r["credit_balance"]) for r in rows) == sum(ln.credit_balance for ln in report.lines)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(outputs.render_cms838(report, "pdf"))).pages)
    assert "MERCY VALLEY HOSPITAL" in text and "140123" in text and "Maria Lopez" in text
    assert "Part A detail page" in text and report.lines[0].icn in text
    table = outputs.render_cms838(report, "table").decode()
    assert "Part A" in table and "Not on the CMS-838" in table


def test_cli_report_cms838_records_once(world: tuple[Engine, Path], db_url: str, tmp_path: Path) -> None:
    engine, rules = world
    out = tmp_path / "cms838.csv"
    args = ["--db", db_url, "report", "cms838", "--as-of", AS_OF, "--rules", str(rules), "--format", "csv"]
    result = CliRunner().invoke(main, [*args, "--record", "--by", "maria", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(list(csv.DictReader(out.open()))) == len(_expected(engine, WORLD)[0])
    again = CliRunner().invoke(main, [*args, "-o", "-"])
    assert again.exit_code == 0 and again.output.splitlines()[1:] == []  # the columns, no line: nothing new
    refused = CliRunner().invoke(main, [*args, "--record", "-o", "-"])
    assert refused.exit_code == 2 and "--by" in refused.output and "Traceback" not in refused.output
    both = CliRunner().invoke(main, [*args, "--all", "--record", "--by", "maria"])
    assert both.exit_code == 2 and "--all" in both.output


def test_record_needs_who(world: tuple[Engine, Path]) -> None:
    engine, _ = world
    with pytest.raises(UsageError, match="who files"):
        outputs.cms838_report(engine, AS_OF, record_by=" ")


def test_record_needs_a_fileable_header(world: tuple[Engine, Path]) -> None:
    engine, _ = world  # the packaged rule pack names no PTAN and no contact
    with pytest.raises(UsageError, match="lacks ptan, contact_name, contact_phone"):
        outputs.cms838_report(engine, AS_OF, pack=load_pack(), record_by="maria")
    assert not [e for e in outputs.audit_events(engine) if e.event == "cms838_reported"]


def test_no_phi_in_notes_or_left_out(world: tuple[Engine, Path]) -> None:
    engine, _ = world
    report = outputs.cms838_report(engine, AS_OF)  # default pack: no PTAN, no contact, professional left out
    assert report.notes and report.left_out
    names = {f.evidence.get("records", [{}])[0].get("clp01", "") for f in _findings(engine)}
    said = json.dumps([report.notes, report.left_out])
    assert not [n for n in names if n and n in said]


@pytest.mark.parametrize(("text", "message"), [
    ('[cms838]\ncost_report_closed_through = "June 2024"\n', "YYYY-MM-DD"),
    ('[cms838]\nprofessional_claims = "yes"\n', "true or false"),
])
def test_a_bad_cms838_setting_is_a_usage_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        load_pack(path)


def test_a_filing_recorded_meanwhile_rolls_the_recording_back(world: tuple[Engine, Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    engine, rules = world
    pack = _professional(rules)
    listed = outputs.cms838_report(engine, AS_OF, pack=pack).lines
    assert len(listed) >= 2
    real = stored_findings.mark_reported_if
    calls = []

    def racing(conn: Any, finding_id: int, **kw: Any) -> bool:
        calls.append(finding_id)
        # The second line was recorded by another filing between the read and this write.
        return real(conn, finding_id, **kw) if len(calls) == 1 else False

    monkeypatch.setattr(stored_findings, "mark_reported_if", racing)
    with pytest.raises(UsageError, match="changed while recording"):
        outputs.cms838_report(engine, AS_OF, pack=pack, record_by="maria")
    monkeypatch.undo()
    # Nothing recorded: the first line's mark and event rolled back with the rest.
    assert [ln.finding_id for ln in outputs.cms838_report(engine, AS_OF, pack=pack).lines] == \
        [ln.finding_id for ln in listed]
    assert not [e for e in outputs.audit_events(engine) if e.event == "cms838_reported"]


# An inpatient stay Medicare Part A paid (drg_above_charges, PCN1103004), then found to be a work
# injury: billed to the workers' compensation carrier, which paid as primary. Hand-written, valid
# under pyx12 (checked below). Medicare is owed back what it paid less its secondary payment: an
# msp_overpayment on an institutional claim, whose last 837 is the carrier's, not Medicare's.
WC_837I = """\
ISA*00*          *00*          *ZZ*SBS0001        *ZZ*CLRHSE01       *250422*1200*^*00501*000000009*0*P*:~
GS*HC*SBS0001*CLRHSE01*20250422*1200*9*X*005010X223A2~
ST*837*0001*005010X223A2~
BHT*0019*00*B00000009*20250422*1200*CH~
NM1*41*2*SPRINGFIELD BILLING SERVICE*****46*SBS0001~
PER*IC*CLAIMS DESK*TE*2175550100~
NM1*40*2*CENTRAL CLEARINGHOUSE*****46*CLRHSE01~
HL*1**20*1~
PRV*BI*PXC*282N00000X~
NM1*85*2*MERCY VALLEY HOSPITAL*****XX*1543298768~
N3*1 MERCY WAY~
N4*SPRINGFIELD*IL*627030003~
REF*EI*471234503~
HL*2*1*22*0~
SBR*P*18*WC20250312******WC~
NM1*IL*1*SANTOS*JOSE****MI*WC2025031204~
N3*8 OAK ST~
N4*SPRINGFIELD*IL*62702~
DMG*D8*19560214*M~
NM1*PR*2*PRAIRIE STATE MUTUAL WORKERS COMP*****PI*PSW01~
CLM*PCN1103004*3500***11:A:1**A*Y*Y~
DTP*434*RD8*20250312-20250314~
DTP*435*DT*202503120600~
CL1*1*1*01~
HI*ABK:I214~
NM1*71*1*WELBY*MARCUS****XX*1234567893~
LX*1~
SV2*0120**1600*UN*2~
DTP*472*D8*20250312~
LX*2~
SV2*0250**1100*UN*1~
DTP*472*D8*20250312~
LX*3~
SV2*0300**800*UN*1~
DTP*472*D8*20250313~
SE*34*0001~
GE*1*9~
IEA*1*000000009~
"""
WC_835 = """\
ISA*00*          *00*          *ZZ*PSW01          *ZZ*SBS0001        *250502*1200*^*00501*000000004*0*P*:~
GS*HP*PSW01*SBS0001*20250502*1200*4*X*005010X221A1~
ST*835*0001*005010X221A1~
BPR*C*3000*C*ACH*CCP*01*071000013*DA*93600010101*1936000101**01*071923284*DA*88234503*20250502~
TRN*1*0111004*1936000101~
DTM*405*20250502~
N1*PR*PRAIRIE STATE MUTUAL WORKERS COMP*XV*PSW01~
N3*PO BOX 4400~
N4*PEORIA*IL*61601~
PER*BL*PROVIDER SERVICES*TE*8005550177~
N1*PE*MERCY VALLEY HOSPITAL*XX*1543298768~
N3*1 MERCY WAY~
N4*SPRINGFIELD*IL*627030003~
REF*TJ*471234503~
LX*1~
CLP*PCN1103004*1*3500*3000*0*WC*PSW25122A0004*11*1~
CAS*CO*45*500~
NM1*QC*1*SANTOS*JOSE****MI*WC2025031204~
DTM*232*20250312~
DTM*233*20250314~
SE*19*0001~
GE*1*4~
IEA*1*000000004~
"""


def test_an_institutional_msp_credit_is_a_line_with_the_medicare_claims_columns(db_url: str, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    for src in (FIXTURES / LATER).iterdir():
        (pack / src.name).write_bytes(src.read_bytes())
    (pack / "20250422-837I-0003.837").write_text(WC_837I)
    (pack / "20250502-835-PSW01-0111004.835").write_text(WC_835)
    for name in ("20250422-837I-0003.837", "20250502-835-PSW01-0111004.835"):
        assert [str(p) for p in validate_file(pack / name).problems] == []
    engine = open_store(db_url)
    try:
        load_fixture(engine, pack)
        outputs.detect_with_audit(engine, as_of=AS_OF)
        found = {f.id: f for f in _findings(engine)}
        (msp,) = [f for f in found.values() if f.category == "msp_overpayment"]
        assert (msp.claim_id, msp.payer_id, msp.payer_type) == ("PCN1103004", "MCRA1", "medicare")
        lines = {ln.finding_id: ln for ln in outputs.cms838_report(engine, AS_OF).lines}
        line = lines[msp.id]
        medicare_837 = _segments(FIXTURES / LATER / "20250317-837I-0001.837")
        # The Medicare claim's member id, not the carrier's claim number the last 837 carries.
        assert line.mbi == _member_id_before(medicare_837, "PCN1103004") == "2PX8LM4VB74"
        assert (line.part, line.type_of_bill, line.reason, line.msp_code) == ("A", "111", "2", "15")
        assert line.icn == "2225097000403" and line.paid_date == _bpr16_of(LATER, line.icn)
        assert (line.from_date, line.through_date) == (date(2025, 3, 12), date(2025, 3, 14))
        assert line.primary_insurer_or_explanation == "PRAIRIE STATE MUTUAL WORKERS COMP, PO BOX 4400, PEORIA, IL 61601"
        # The beneficiary's own over-collection on the same stay is the patient's, never a line.
        assert [f.id for f in found.values() if f.refund_to == "patient"] and \
            not [fid for fid in lines if found[fid].refund_to != "payer"]
    finally:
        engine.dispose()
