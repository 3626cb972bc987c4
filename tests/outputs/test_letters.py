"""Letters: PDF text (extracted with pypdf) carries the figures and identifiers; every template
renders a fixture context under StrictUndefined; a patient notice holds only that patient's data."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import jinja2
import pytest
from pypdf import PdfReader
from sqlalchemy import text

from edi_engine.errors import UsageError
from edi_engine.outputs import audit_events, decide, record_refund, render, render_letter
from edi_engine.outputs.letters import (
    CodeText,
    InsurerPayment,
    LetterLine,
    PatientNotice,
    PatientPaymentLine,
    PatientService,
    PayerLetter,
    PaymentProof,
    Provider,
)
from edi_engine.parsers.x837 import iter_submissions
from tests.outputs.conftest import AS_OF, FIXTURES

D = Decimal


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    text_ = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text_.split())  # column padding and wrapping are layout, not content


def _claim(pack: str, clm01: str):  # type: ignore[no-untyped-def]
    for path in sorted((FIXTURES / pack).glob("*.837")):
        for sub in iter_submissions(path):
            for claim in sub.claims:
                if claim.patient_control_number == clm01:
                    return claim
    raise AssertionError(clm01)


def test_payer_letter_pdf_for_a_duplicate(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    with engine.connect() as conn:
        finding = conn.execute(text("SELECT * FROM finding")).one()
    evidence = json.loads(finding.evidence)
    first, again = evidence["records"]
    claim = _claim("duplicate_payment", finding.patient_control_number)
    decide(engine, finding.id, "approve", by="ed")  # a letter follows the last approval
    pdf = _pdf_text(render_letter(engine, finding.id, to="payer", fmt="pdf", by="maria", today=date(2025, 2, 20)))
    due = date.fromisoformat(AS_OF) + timedelta(days=60)  # a commercial payer's default, from identification
    bp = claim.billing_provider
    expected = [
        bp.provider.name, f"NPI {bp.npi}", f"TIN {bp.tin}", bp.provider.address[0], "CLAIMS DESK", "217-555-0100",
        "NORTHSTAR BLUE", "NSB02", f"{claim.subscriber.name.first} {claim.subscriber.name.name}",
        claim.subscriber.member_id, claim.patient_control_number, again["clp07"], again["trn02"],
        date.fromisoformat(again["check_date"]).strftime("%m/%d/%Y"), first["clp07"], first["trn02"],
        f"Refund {finding.amount / 100:.2f}", f"Total {claim.charge:.2f}", f"due back by {due.strftime('%m/%d/%Y')}",
        "February 20, 2025", f"Please quote your claim number {again['clp07']}",
    ]
    for value in expected:
        assert value in pdf, value
    for line in claim.lines:
        assert line.procedure_code in pdf and f"{line.charge:.2f}" in pdf
    for _qualifier, code in claim.health_codes:  # minimum necessary: no diagnoses
        assert code not in pdf
    (event,) = [e for e in audit_events(engine, finding.id) if e.event == "letter_written"]
    assert event.actor == "maria" and event.details["to"] == "payer" and event.details["format"] == "pdf"


def test_cob_letter_names_both_payments(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("cob_overpayment")
    decide(engine, 1, "approve", by="ed")
    txt = render_letter(engine, 1, fmt="txt").decode()
    txt = " ".join(txt.split())
    assert "REFUND: 434.42" in txt and "Paid: 524.40" in txt and "Other insurance on this claim" in txt
    assert "6243020065640" in txt and "4243330065646" in txt and "(452.24)" in txt


def test_patient_notice_pdf_has_only_that_patients_account(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("patient_overpayment")
    with engine.connect() as conn:
        finding = conn.execute(text("SELECT * FROM finding WHERE id = 1")).one()
        others = {r[0] for r in conn.execute(text("SELECT patient_control_number FROM claim"))}
        member_ids = {r[0] for r in conn.execute(text("SELECT subscriber_member_id FROM claim"))}
    claim = _claim("patient_overpayment", finding.patient_control_number)
    decide(engine, 1, "approve", by="ed")
    pdf = _pdf_text(render_letter(engine, 1, fmt="pdf"))
    for value in (finding.patient_control_number, "Refund notice", "34.37", "43.27", "8.90", "35.61",
                  f"{claim.charge:.2f}", claim.patient.name.name if claim.patient else claim.subscriber.name.name):
        assert value in pdf, value
    assert not any(o in pdf for o in others - {finding.patient_control_number})
    assert not any(m and m in pdf for m in member_ids)
    assert not any(code in pdf for _q, code in claim.health_codes)
    with pytest.raises(UsageError, match="--to patient"):
        render_letter(engine, 1, to="payer")


def _provider() -> Provider:
    return Provider("RIVERSIDE <FAMILY> MEDICINE", "1654321987", "471234501", ("120 RIVER ROAD", "SPRINGFIELD, IL"),
                    "CLAIMS DESK", "2175550100")


PAYER = PayerLetter(
    finding_id=7, category="duplicate_payment", today=date(2025, 1, 20), provider=_provider(), payer_name="NORTHSTAR",
    payer_id="NSB02", payer_address=("PO BOX 1",), patient_name="LAURA WILLIAMS", member_id="M1",
    account_number="PCN1", payer_claim_number="ICN2", service_from=date(2024, 9, 29), service_to=date(2024, 9, 29),
    lines=(LetterLine(1, date(2024, 9, 29), "97140", D("3"), D("165.00"), D("99.15"), D("138.80")),
           LetterLine(2, None, "J3301", None, D("25.00"), None, D("0.00"))),
    billed=D("190.00"), allowed=None, paid=D("138.80"), refund=D("1234.50"), reason="paid twice",
    codes=(CodeText("CARC", "18", "OA", "Exact duplicate claim/service."),), check_number="TRN2",
    check_date=date(2024, 11, 22),
    proof=(PaymentProof("first payment", "TRN1", date(2024, 11, 1), "ICN1", D("190.00"), D("69.40")),
           PaymentProof("paid again", "TRN2", None, "ICN2", None, None)),
    deadline=None, method="check enclosed")
PATIENT = PatientNotice(
    finding_id=8, today=date(2025, 1, 20), provider=_provider(), patient_name="WILLIAM <WILLIAMS>",
    patient_address=(), account_number="PCN2", service_from=date(2024, 9, 26), service_to=None,
    services=(PatientService(date(2024, 9, 26), "97140", D("57.00")),), charges=D("57.00"),
    insurer_payments=(InsurerPayment("MEDICARE", D("35.61")),), insurer_adjustments=D("12.49"),
    patient_responsibility=D("8.90"), patient_payments=(PatientPaymentLine(date(2024, 9, 26), D("43.27")),),
    patient_paid=D("43.27"), refund=D("34.37"), reason="you paid more", method="check enclosed",
    deadline=date(2025, 3, 16))


@pytest.mark.parametrize("context", [PAYER, PATIENT], ids=["payer", "patient"])
@pytest.mark.parametrize("fmt", ["txt", "html"])
def test_every_template_renders_its_fixture_context(context, fmt: str) -> None:  # type: ignore[no-untyped-def]
    out = render(context, fmt)
    assert context.account_number in out and f"{context.refund:,.2f}" in out and "1654321987" not in out \
        or isinstance(context, PayerLetter)
    if isinstance(context, PayerLetter):
        assert "1,234.50" in out and "ICN1" in out and "TRN2" in out and "11/22/2024" in out and "n/a" in out
    if fmt == "html":
        assert "<FAMILY>" not in out and "&lt;FAMILY&gt;" in out  # autoescaped
    else:
        assert "<FAMILY>" in out


def test_an_office_template_is_strict(tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "mine.txt"
    good.write_text("Refund {{ letter.refund | money }} on {{ letter.account_number }}\n")
    assert render(PAYER, "txt", good) == "Refund 1,234.50 on PCN1\n"
    bad = tmp_path / "bad.txt"
    bad.write_text("{{ letter.diagnosis }}")
    with pytest.raises(jinja2.UndefinedError):
        render(PAYER, "txt", bad)


def test_no_letter_for_a_credit_the_payer_already_took_back_or_a_person_dismissed(pack_store) -> None:  # type: ignore[no-untyped-def]
    """A duplicate the payer reversed (CLP02 22) is resolved: a refund letter would repay it twice."""
    engine = pack_store("duplicate_reversed")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status FROM finding WHERE category = 'duplicate_payment'"
                                 " ORDER BY id")).all()
    statuses = {status for _, status in rows}
    assert statuses == {"open", "resolved"}
    for finding_id, status in rows:
        if status == "resolved":
            with pytest.raises(UsageError, match="resolved: nothing is owed back"):
                render_letter(engine, finding_id, to="payer", fmt="txt", by="maria", today=date(2025, 1, 20))
        else:
            decide(engine, finding_id, "approve", by="ed")
            assert "REFUND" in render_letter(engine, finding_id, to="payer", fmt="txt", by="maria",
                                             today=date(2025, 1, 20)).decode()
            decide(engine, finding_id, "dismiss", by="maria", note="the payer agreed it was a split")
            with pytest.raises(UsageError, match="dismissed: nothing is owed back"):
                render_letter(engine, finding_id, to="payer", fmt="txt", by="maria", today=date(2025, 1, 20))


def test_a_letter_written_after_the_deadline_says_it_was_due_and_zip4_is_hyphenated(pack_store  # type: ignore[no-untyped-def]
                                                                                   ) -> None:
    engine = pack_store("duplicate_payment")
    with engine.connect() as conn:
        finding = conn.execute(text("SELECT * FROM finding")).one()
    due = date.fromisoformat(str(finding.deadline))
    decide(engine, finding.id, "approve", by="ed")  # a letter follows the last approval
    ask = render_letter(engine, finding.id, to="payer", fmt="txt", by="maria", today=due + timedelta(days=1)).decode()
    assert f"This overpayment was due back by {due.strftime('%m/%d/%Y')}." in ask and "returning" not in ask
    record_refund(engine, finding.id, by="maria", method="check", number="5001", paid_on=due.isoformat())
    late = render_letter(engine, finding.id, to="payer", fmt="txt", by="maria", today=due + timedelta(days=1)).decode()
    assert f"This refund was due by {due.strftime('%m/%d/%Y')}; we are returning it with this letter." in late
    assert "before its due date" not in late
    early = render_letter(engine, finding.id, to="payer", fmt="txt", by="maria", today=due).decode()
    assert f"We return it before its due date, {due.strftime('%m/%d/%Y')}." in early
    assert "IL 62701-0001" in early and "627010001" not in early  # N403 ZIP+4 as a mailing address writes it


def test_an_offset_is_a_credit_notice_that_offers_a_refund_instead(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("mixed")
    with engine.connect() as conn:
        offset = conn.execute(text("SELECT id FROM finding WHERE refund_to = 'offset' ORDER BY id")).first()
        refund = conn.execute(text("SELECT id FROM finding WHERE refund_to = 'patient' ORDER BY id")).first()
    assert offset is not None and refund is not None
    decide(engine, offset.id, "approve", by="ed")
    decide(engine, refund.id, "approve", by="ed")
    notice = render_letter(engine, offset.id, fmt="txt", by="maria", today=date(2025, 2, 20)).decode()
    assert "CREDIT NOTICE" in notice and "YOUR CREDIT, TO APPLY:" in notice
    assert "With your consent, we will apply this credit" in notice and "open balance of another visit" in notice
    assert "rather have this amount refunded" in notice and "No check is enclosed." in notice
    assert "YOUR REFUND" not in notice and "keep this amount as a credit" not in notice
    assert "Our refund check" not in notice and "refunding" not in notice
    plain = render_letter(engine, refund.id, fmt="txt", by="maria", today=date(2025, 2, 20)).decode()
    assert "REFUND NOTICE" in plain and "We are refunding" in plain and "by check" in plain
    assert "keep this amount as a credit" in plain and "CREDIT NOTICE" not in plain and "apply" not in plain


def test_the_payer_letter_names_the_recorded_checks_and_never_also_offers_a_recoupment(pack_store  # type: ignore[no-untyped-def]
                                                                                        ) -> None:
    engine = pack_store("duplicate_payment")
    with engine.connect() as conn:
        finding = conn.execute(text("SELECT * FROM finding")).one()
    decide(engine, finding.id, "approve", by="maria")
    before = render_letter(engine, finding.id, to="payer", fmt="txt", by="maria", today=date(2025, 2, 20)).decode()
    assert "No check is enclosed: please recoup" in before and "(835 PLB, reason WO)" in before
    assert "Please do not also recoup" not in before and "Enclosure" not in before
    record_refund(engine, finding.id, by="maria", method="check", number="5001", paid_on="2025-02-19", amount="100.00")
    partial = render_letter(engine, finding.id, to="payer", fmt="txt", by="maria", today=date(2025, 2, 20)).decode()
    rest = Decimal(finding.amount) / 100 - Decimal("100.00")
    assert "Our refund check 5001 of 02/19/2025 for 100.00 is enclosed" in partial
    assert f"the remaining {rest:,.2f} follows" in partial and "Please do not also recoup" in partial
    assert "PLB, reason WO" not in partial and "Enclosure: check 5001 for 100.00" in partial


def test_a_texas_patient_notice_does_not_offer_to_keep_the_credit(pack_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from edi_engine.rules import detect
    engine = pack_store("patient_overpayment", detect=False)
    rules = tmp_path / "rules.toml"
    rules.write_text('[provider]\nstate = "TX"\n')
    detect(engine, as_of=AS_OF, rules_path=str(rules))
    with engine.connect() as conn:
        patient = conn.execute(text("SELECT id FROM finding WHERE refund_to = 'patient' ORDER BY id")).first()
    decide(engine, patient.id, "approve", by="ed")
    notice = render_letter(engine, patient.id, fmt="txt", by="maria", today=date(2025, 2, 20)).decode()
    assert "REFUND NOTICE" in notice and "keep this amount as a credit" not in notice  # Ins. Code 1661.005
