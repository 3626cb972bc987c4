"""What a payer's refund desk (and a patient) reads on a letter, read back from the PDF with pypdf:
for every category with a letter, to each of its recipients, with and without a recorded refund
check. Expected values come from the pack's X12 (parsed here) and the office's rule pack, not from
the letter module."""

from __future__ import annotations

import io
import re
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from edi_engine.outputs import decide, detect_with_audit, record_refund, render_letter
from edi_engine.outputs.codes import carc_text, rarc_text
from edi_engine.outputs.letters import _phone, _postal
from edi_engine.parsers import TransactionStart, parse_file
from edi_engine.parsers.x221a1_835_models import ClaimPayment, RemittanceHeader
from edi_engine.parsers.x837 import iter_submissions
from edi_engine.rules import categories, list_findings
from edi_engine.store import imports, open_store
from edi_engine.store.ingest import ingest_paths
from tests.outputs.conftest import FIXTURES, load_pack

TODAY = date(2025, 2, 20)
OFFICE = """
[provider]
name = "Lakeview Orthopedics & Spine"
address = ["88 Lakeshore Drive", "Suite 210"]
city = "Springfield"
state = "IL"
postal_code = "627020002"
phone = "(217) 555-0147"
phone_extension = "204"
fax = "2175550148"
contact_name = "Ana Ruiz"

[letters]
signer_name = "Ana Ruiz"
signer_title = "Patient Accounts Manager"

[letters.payers.{payer}]
refund_address = ["Overpayment Recovery", "PO Box 4410", "Springfield, IL 627944410"]
attention = "Refund Desk"
"""
LETTERHEAD = ["Lakeview Orthopedics & Spine", "88 Lakeshore Drive", "Suite 210", "Springfield, IL 62702-0002",
              "Phone 217-555-0147 ext. 204", "Fax 217-555-0148"]
SIGNATURE = ["Sincerely,", "Ana Ruiz", "Patient Accounts Manager"]
REFUND_ADDRESS = ["Attn: Refund Desk", "Overpayment Recovery", "PO Box 4410", "Springfield, IL 62794-4410"]


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def _double_recovery(db_url: str) -> Engine:
    """The pack as it happened: our check for the duplicate, then the payer's PLB 72 of the same money."""
    pack, late = FIXTURES / "double_recovery", "20250110-835-NSB02-25011050280399.835"
    engine = open_store(db_url)
    assert not ingest_paths(engine, sorted(p for p in pack.iterdir() if p.suffix in (".835", ".837")
                                           and p.name != late)).failed
    imports.import_fee_schedule(engine, pack / "fee_schedule.csv")
    imports.import_patient_payments(engine, pack / "patient_payments.csv")
    detect_with_audit(engine, as_of="2024-12-05")
    with engine.connect() as conn:
        dup = next(f for f in list_findings(conn, "all") if f.category == "duplicate_payment")
    decide(engine, dup.id, "approve", by="ana")
    record_refund(engine, dup.id, by="ana", method="check", number="5001", paid_on="2024-12-10", amount="316.55")
    assert not ingest_paths(engine, [pack / late]).failed
    detect_with_audit(engine, as_of="2025-01-15")
    return engine


def _load(db_url: str, name: str) -> Engine:
    """A pack loaded and detected as of the day after its last file (a credit is never found before its money)."""
    pack = FIXTURES / name
    engine = open_store(db_url)
    load_pack(engine, pack)
    last = max(date(int(p.name[:4]), int(p.name[4:6]), int(p.name[6:8])) for p in pack.glob("*.835"))
    rules = pack / "rules.toml"
    detect_with_audit(engine, as_of=last + timedelta(days=1), rules_path=str(rules) if rules.is_file() else None)
    return engine


# category -> (pack, recipient); every category with a letter is here (test below).
CASES = {
    "voided_claim_paid": ("voided_claim_paid", "payer"),
    "voided_claim_patient_paid": ("voided_claim_paid", "patient"),
    "duplicate_payment": ("duplicate_payment", "payer"),
    "payer_overpayment": ("payer_overpayment", "payer"),
    "msp_overpayment": ("msp_primary_payer", "payer"),
    "cob_overpayment": ("cob_overpayment", "payer"),
    "patient_overpayment": ("patient_overpayment", "patient"),
    "double_recovery": ("double_recovery", "payer"),
}


def test_every_category_with_a_letter_is_read_back() -> None:
    assert {c.name for c in categories.all_categories() if c.letter is not None} == set(CASES)
    assert {c.name: c.letter_to for c in categories.all_categories() if c.letter} == {k: v[1] for k, v in
                                                                                        CASES.items()}


def _finding(engine: Engine, category: str) -> Any:
    with engine.connect() as conn:
        return next(f for f in list_findings(conn, "all") if f.category == category and f.status != "resolved")


def _claim(pack: Path, clm01: str, payer_id: str) -> Any:
    found = [c for path in sorted(pack.glob("*.837")) for sub in iter_submissions(path) for c in sub.claims
             if c.patient_control_number == clm01]
    return next((c for c in found if c.payer_id == payer_id), found[-1])


def _remittance(pack: Path, record: dict[str, Any]) -> tuple[ClaimPayment, str]:
    """The CLP an evidence record cites, and its 835's payer name (N1*PR), parsed from the pack's file."""
    name = ""
    for item in parse_file(pack / Path(record["file"]).name):
        if isinstance(item, TransactionStart) and isinstance(item.header, RemittanceHeader):
            name = item.header.payer.party.last_or_organization if item.header.payer else ""
        elif isinstance(item, ClaimPayment) and record["segment"] in (item.segment,
                                                                      *(s.segment for s in item.services)):
            return item, name
    raise AssertionError(record)


def _codes(pack: Path, records: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    carcs: set[str] = set()
    rarcs: set[str] = set()
    for r in records:
        if r.get("record") not in ("CLP", "SVC"):
            continue
        clp, _ = _remittance(pack, r)
        carcs |= {a.reason for a in clp.adjustments} | {a.reason for s in clp.services for a in s.adjustments}
        rarcs |= set(clp.remark_codes) | {code for s in clp.services for q, code in s.remarks if q == "HE"}
    return carcs, rarcs


# A double recovery is owed to us: no check of ours repays it, so it has no "check recorded" case.
@pytest.mark.parametrize(("category", "recorded"), [
    pytest.param(c, r, id=f"{c}-{'check-recorded' if r else 'no-check-yet'}")
    for c in sorted(CASES) for r in (False, True) if not (c == "double_recovery" and r)])
def test_the_letter_carries_every_field_a_refund_desk_needs(db_url: str, tmp_path: Path, category: str,
                                                            recorded: bool) -> None:
    pack_name, to = CASES[category]
    engine = _double_recovery(db_url) if category == "double_recovery" else _load(db_url, pack_name)
    pack = FIXTURES / pack_name
    f = _finding(engine, category)
    rules = tmp_path / "office.toml"
    rules.write_text(OFFICE.format(payer=f.payer_id), encoding="utf-8")
    amount, paid_on = Decimal(f.amount), f.identified_on
    today = paid_on + timedelta(days=1)
    if recorded:
        decide(engine, f.id, "approve", by="ana")
        record_refund(engine, f.id, by="ana", method="check", number="70412", paid_on=paid_on.isoformat(),
                      amount=str(amount))
    pdf = _text(render_letter(engine, f.id, to=to, fmt="pdf", by="ana", today=today, rules_path=str(rules)))
    evidence = f.evidence
    records = evidence.get("records", [])
    claim = _claim(pack, f.claim_id, f.payer_id or "")

    expected = [*LETTERHEAD, *SIGNATURE, f"{today:%B} {today.day}, {today.year}", f.claim_id, f"{amount:,.2f}"]
    expected += [ln.procedure_code for ln in claim.lines] + [f"{ln.charge:,.2f}" for ln in claim.lines]
    for value in expected:
        assert value in pdf, value
    assert "Finding reference" not in pdf and f"({category})" not in pdf and "Page 1 of" in pdf
    assert not any(code in pdf for _q, code in claim.health_codes)  # minimum necessary: no diagnoses

    if to == "payer":
        mine = [r for r in records if r.get("record") in ("CLP", "SVC")
                and r.get("payer_id", f.payer_id) == f.payer_id]
        clp07 = mine[-1]["clp07"] if mine else ""
        if category == "double_recovery":  # the recoupment's reference (PLB03-2) is what the payer looks up
            clp07 = next(r for r in records if r.get("record") == "PLB")["reference"]
        patient = claim.patient
        born = (patient.birth_date if patient and patient.name else claim.subscriber.birth_date)
        for value in [*REFUND_ADDRESS, f"Member ID {claim.subscriber.member_id}", f"Payer ID {f.payer_id}",
                      f"Date of birth {born:%m/%d/%Y}", "Paid",
                      f"Please quote your claim number {clp07 or 'n/a'} and our patient account number {f.claim_id}"]:
            assert value in pdf, value
        if claim.subscriber.group_number:
            assert f"Group/policy no. {claim.subscriber.group_number}" in pdf
        carcs, rarcs = _codes(pack, records)
        for code in carcs:
            assert f"CARC {code}" in pdf and carc_text(code)[:30] in pdf, code
        for code in rarcs:
            assert f"RARC {code}" in pdf and rarc_text(code)[:30] in pdf, code
        assert set(re.findall(r"CARC (\w+)", pdf)) == carcs  # never a code no remittance used (CARC 18)
        for r in records:
            if r.get("record") == "CLP" and r.get("payer_id") != f.payer_id:  # the other insurer (COB, MSP)
                _, name = _remittance(pack, r)
                assert "Other insurance on this claim" in pdf and name in pdf and f"{Decimal(r['paid']):,.2f}" in pdf
        if category == "double_recovery":
            plb = next(r for r in records if r.get("record") == "PLB")
            assert "Request to return a double recovery" in pdf and "Our refund (check 5001 dated 12/10/2024)" in pdf
            assert f"{Decimal(plb['amount']):,.2f}" in pdf and "Owed to us" in pdf
            assert "recoup" not in pdf.replace("recouped", "").replace("recoupment", "")
        elif recorded:
            assert f"Our refund check 70412 of {paid_on:%m/%d/%Y} for {amount:,.2f} is enclosed" in pdf
            assert "Enclosure: check 70412" in pdf and "PLB, reason WO" not in pdf
        else:
            assert f"please recoup {amount:,.2f}" in pdf and "(835 PLB, reason WO)" in pdf
            assert "Enclosure" not in pdf and "Our refund check" not in pdf
    else:
        who = claim.patient.name if claim.patient and claim.patient.name else claim.subscriber.name
        for value in [who.name, who.address[0], f"{who.city}, {who.state} {_postal(who.postal_code)}",
                      f"Dear {who.first}", "Your account", "Total you paid"]:
            assert value in pdf, value
        assert claim.subscriber.member_id not in pdf
        owes = Decimal(re.search(r"Your responsibility ([\d,.]+)", pdf).group(1).replace(",", ""))  # type: ignore[union-attr]
        paid = Decimal(re.search(r"Total you paid ([\d,.]+)", pdf).group(1).replace(",", ""))  # type: ignore[union-attr]
        assert paid - owes == amount  # the account table adds up to the refund (a voided claim: owes 0.00)
        if recorded:
            assert f"Our refund check 70412 of {paid_on:%m/%d/%Y} for {amount:,.2f} is enclosed" in pdf
            assert "apply" not in pdf and "keep this amount" not in pdf
        else:
            assert f"We are refunding {amount:,.2f} to you by check" in pdf and "apply" not in pdf
            assert "Our refund check" not in pdf and "Enclosure" not in pdf


def test_without_a_configured_refund_address_the_letter_goes_to_the_835s_payer_address(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    f = _finding(engine, "duplicate_payment")
    late = max((r for r in f.evidence["records"] if r.get("record") == "CLP"),
               key=lambda r: r["check_date"])
    header = next(i.header for i in parse_file(FIXTURES / "duplicate_payment" / Path(late["file"]).name)
                  if isinstance(i, TransactionStart))
    address = header.payer.address
    pdf = _text(render_letter(engine, f.id, fmt="pdf", today=TODAY))
    last_line = f"{address.city}, {address.state} {_postal(address.postal_code)}"
    assert f"{header.payer.party.last_or_organization} {address.line1} {last_line}" in pdf
    assert "Attn:" not in pdf


def test_the_refund_address_imported_with_the_payers_wins_over_the_rule_pack_and_the_835(  # type: ignore[no-untyped-def]
        pack_store, tmp_path: Path) -> None:
    engine = pack_store("duplicate_payment")
    f = _finding(engine, "duplicate_payment")
    payers = tmp_path / "payers.csv"
    payers.write_text("id,name,type,refund_address,contact,fax,email,letter_preferences,aliases\n"
                      f'{f.payer_id},NORTHSTAR BLUE,commercial,OVERPAYMENT UNIT|PO BOX 77|CHICAGO IL 606011234,'
                      '"Refund Desk, (312) 555-0100",,,mail,\n')
    imports.import_payers(engine, payers)
    rules = tmp_path / "office.toml"
    rules.write_text(OFFICE.format(payer=f.payer_id))
    pdf = _text(render_letter(engine, f.id, fmt="pdf", today=TODAY, rules_path=str(rules)))
    assert "OVERPAYMENT UNIT PO BOX 77 CHICAGO IL 60601-1234" in pdf
    assert "Overpayment Recovery" not in pdf  # the rule pack's address gives way to the imported one
    assert "Attn: Refund Desk" in pdf  # the rule pack's attention line is kept


def test_patient_notices_follow_the_decision_never_both(pack_store) -> None:  # type: ignore[no-untyped-def]
    """Detect proposes applying a credit to the patient's other balance: the notice asks consent; an offset
    a person recorded says it was applied; a check recorded after all makes it a refund notice."""
    engine = pack_store("mixed")
    with engine.connect() as conn:
        proposed, agreed, paid = [f for f in list_findings(conn, "all") if f.refund_to == "offset"][:3] + \
            [None] * max(0, 3 - len([f for f in list_findings(conn, "all") if f.refund_to == "offset"]))
    assert proposed is not None and agreed is not None
    decide(engine, agreed.id, "approve", by="ana")
    decide(engine, agreed.id, "offset", by="ana", note="patient agreed by phone")
    ask = _text(render_letter(engine, proposed.id, fmt="pdf", today=TODAY))
    done = _text(render_letter(engine, agreed.id, fmt="pdf", today=TODAY))
    assert "Credit notice" in ask and "With your consent, we will apply this credit" in ask
    assert "Please call us to agree, or if you would rather have this amount refunded" in ask
    assert "Credit notice" in done and "With your consent, we have applied this credit" in done
    assert "Please call us to agree" not in done
    for notice in (ask, done):
        assert "No check is enclosed" in notice and "Your refund" not in notice and "Refund notice" not in notice
        assert "We are refunding" not in notice and "Our refund check" not in notice
    if paid is not None:  # an offset proposed, then paid by check after all: the check decides
        decide(engine, paid.id, "approve", by="ana")
        record_refund(engine, paid.id, by="ana", method="check", number="811", paid_on="2025-02-19")
        check = _text(render_letter(engine, paid.id, fmt="pdf", today=TODAY))
        assert "Refund notice" in check and "Our refund check 811 of 02/19/2025" in check
        assert "apply" not in check and "Credit notice" not in check


def test_remark_codes_on_the_remittance_are_cited_with_their_descriptions(db_url: str, tmp_path: Path) -> None:
    """LQ*HE on a service line of the duplicate's 835s: the letter names RARC N522 and what it means."""
    pack = tmp_path / "pack"
    shutil.copytree(FIXTURES / "duplicate_payment", pack)
    for path in pack.glob("*-NSB02-*.835"):
        raw = path.read_text(encoding="ascii")
        segments = raw.split("~")
        out, in_svc, added = [], False, 0
        for seg in segments:
            sid = seg.strip().split("*")[0]
            if in_svc and sid in ("SVC", "CLP", "SE", "PLB"):
                out.append("\nLQ*HE*N522" if seg.startswith("\n") else "LQ*HE*N522")
                added += 1
            in_svc = sid == "SVC" or (in_svc and sid not in ("CLP", "SE", "PLB"))
            if sid == "SE":
                parts = seg.split("*")
                parts[1] = str(int(parts[1]) + added)
                seg, added = "*".join(parts), 0
            out.append(seg)
        path.write_text("~".join(out), encoding="ascii")
    engine = open_store(db_url)
    load_pack(engine, pack)
    detect_with_audit(engine, as_of="2025-02-18")
    f = _finding(engine, "duplicate_payment")
    pdf = _text(render_letter(engine, f.id, fmt="pdf", today=TODAY))
    assert "RARC N522" in pdf and "Duplicate of a claim processed, or to be processed, as a crossover claim." in pdf
    assert "CARC 45 CO" in pdf and carc_text("45")[:40] in pdf


@pytest.mark.parametrize(("given", "extension", "written"), [
    ("2175550100", "", "217-555-0100"), ("(217) 555-0100", "12", "217-555-0100 ext. 12"),
    ("217.555.0100 x 7", "", "217-555-0100 ext. 7"), ("1-217-555-0100 ext. 3301", "", "217-555-0100 ext. 3301"),
    ("5550100", "", "5550100"), ("", "4", ""),
])
def test_phones_are_written_with_their_extension(given: str, extension: str, written: str) -> None:
    assert _phone(given, extension) == written


@pytest.mark.parametrize(("given", "written"), [("627010001", "62701-0001"), ("62701", "62701"),
                                                ("62701-0001", "62701-0001"), ("K1A0B1", "K1A0B1")])
def test_zip_codes_are_5_or_5_4(given: str, written: str) -> None:
    assert _postal(given) == written
