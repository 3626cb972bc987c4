"""Issue 11 items 6-8 on SQLite and PostgreSQL: unmatched payments are no refunds, voided claims still
paid, replacements under a new account number; each through its hand-written pack in fixtures/."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from edi_engine import outputs
from edi_engine.errors import UsageError
from edi_engine.ledger import credit, ledger_for, patient_side, payer_side
from edi_engine.parsers.validation import validate_file
from edi_engine.rules import detect, list_findings
from edi_engine.rules.pack import load_pack
from edi_engine.simulate.expected import compare, load_expected
from edi_engine.simulate.replay import actual_findings
from edi_engine.store import open_store
from edi_engine.store.packs import load_folder
from edi_engine.store.read import account_links

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PACKS = ("unmatched_not_refund", "voided_claim_paid", "replacement_new_account")


@pytest.mark.parametrize("path", [p for pack in PACKS for p in sorted((FIXTURES / pack).glob("*.83[57]"))],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_hand_written_file_passes_the_guide(path: Path) -> None:
    assert [str(p) for p in validate_file(path).problems] == []


def _load(db_url: str, pack: str):  # type: ignore[no-untyped-def]
    engine = open_store(db_url)
    loaded = load_folder(engine, FIXTURES / pack)
    assert all(r.ok for r in loaded.ingest.results)
    detect(engine, as_of="2026-06-30")
    return engine


def _findings(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list_findings(conn, "all")


@pytest.mark.parametrize("pack", PACKS)
def test_pack_findings_equal_expected(db_url: str, pack: str) -> None:
    engine = _load(db_url, pack)
    try:
        result = compare(load_expected(FIXTURES / pack / "expected.json").findings, actual_findings(engine))
        assert result.missing == () and result.unexpected == ()
    finally:
        engine.dispose()


def test_an_unmatched_medicare_payment_is_no_refund(db_url: str) -> None:
    engine = _load(db_url, "unmatched_not_refund")
    try:
        found = _findings(engine)
        assert {(f.claim_id, f.refund_to, f.deadline, f.payer_type) for f in found} == {
            ("PCN9906002", None, None, "medicare"), ("PCN1106003", None, None, "medicare")}
        for f in found:
            with pytest.raises(UsageError, match="not a refund"):
                outputs.render_letter(engine, f.id, fmt="txt")
            for action in ("approve", "mark-refunded", "offset"):
                with pytest.raises(UsageError, match="not a refund"):
                    outputs.decide(engine, f.id, action, by="abe")
        assert outputs.credit_balance_report(engine, as_of="2026-06-30") == []
        cms838 = outputs.cms838_report(engine, "2026-06-30", all_lines=True)
        assert cms838.lines == () and cms838.left_out == ()
        outputs.decide(engine, found[0].id, "dismiss", by="abe", note="another provider's patient")
        assert _findings(engine)[0].status == "dismissed"
    finally:
        engine.dispose()


def test_a_void_owes_back_every_payment_until_the_reversal(db_url: str) -> None:
    engine = _load(db_url, "voided_claim_paid")
    try:
        with engine.connect() as conn:
            view, postings = ledger_for(conn, "PCN1107001")  # type: ignore[misc]
            assert view.void is not None and view.void.original_reference == "AHP25167A001"
            # The 170.00 charge left A/R: what remains is what Acme and the patient paid.
            assert credit(postings) == (9200, 2000)
            assert sum(p.amount for p in postings if p.kind == "void") == -17000
            for clm01 in ("PCN1107002", "PCN1107003"):  # reversed / denied, then voided: no A/R, no credit
                view, postings = ledger_for(conn, clm01)  # type: ignore[misc]
                assert view.void is not None and payer_side(postings) == 0 and patient_side(postings) == 0
            view, postings = ledger_for(conn, "PCN1107004")  # type: ignore[misc]
            assert payer_side(postings) == 0 and credit(postings) == (0, 2500)
        by_key = {(f.category, f.claim_id): f for f in _findings(engine)}
        acme = by_key[("voided_claim_paid", "PCN1107001")]
        roles = [(r["record"], r["role"]) for r in acme.evidence["records"]]
        assert roles == [("CLM", "voided claim"), ("CLM", "void (CLM05-3 8)"), ("CLP", "paid on the voided claim")]
        assert acme.evidence["records"][1]["frequency"] == "8" and acme.deadline is not None
        # The credit arose when the void went out (its GS04, 2025-06-25), not with Acme's check of 06-16.
        assert acme.evidence["records"][1]["date"] == "2025-06-25" and acme.arose_on == date(2025, 6, 25)
        patient = by_key[("voided_claim_patient_paid", "PCN1107001")]
        paid_on = max(date.fromisoformat(r["date"]) for r in patient.evidence["records"]
                      if r["record"] == "patient payment")
        assert patient.arose_on == max(paid_on, date(2025, 6, 25))
        medicare = by_key[("voided_claim_paid", "PCN1107002")]
        assert medicare.status == "resolved" and medicare.deadline is None
        assert [r["role"] for r in medicare.evidence["records"]][-1] == "reversed by payer"
        cms838 = outputs.cms838_report(engine, "2026-06-30", all_lines=True)
        assert cms838.lines == () and cms838.left_out == ()  # the MAC reversed it: nothing to report
        outputs.decide(engine, acme.id, "approve", by="ed")
        outputs.decide(engine, by_key[("voided_claim_patient_paid", "PCN1107001")].id, "approve", by="ed")
        letter = outputs.render_letter(engine, acme.id, fmt="txt").decode()
        assert "voided this claim" in letter and "92.00" in letter and "AHP25167A001" in letter
        notice = outputs.render_letter(engine, by_key[("voided_claim_patient_paid", "PCN1107001")].id,
                                       fmt="txt").decode()
        assert "withdrawn (voided)" in notice and "20.00" in notice
        assert json.loads(json.dumps(acme.evidence))["voided_icn"] == "AHP25167A001"
    finally:
        engine.dispose()


def test_a_voided_medicare_claim_not_yet_reversed_is_a_cms838_row(db_url: str, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    for f in (FIXTURES / "voided_claim_paid").iterdir():
        if f.name != "20250715-835-MCRB1-0110704.835":  # Medicare's reversal has not come yet
            (pack / f.name).write_bytes(f.read_bytes())
    engine = open_store(db_url)
    try:
        load_folder(engine, pack)
        detect(engine, as_of="2025-07-14")  # the last check in hand, Medicare's reversal still to come
        (f,) = [f for f in _findings(engine) if f.claim_id == "PCN1107002"]
        assert (f.category, f.status, f"{f.amount:.2f}", f.payer_type) == ("voided_claim_paid", "open", "70.56",
                                                                           "medicare")
        assert (f.deadline - f.identified_on).days == 60
        # A professional claim: no CMS-838 line (the MAC's refund form instead) unless the pack says so.
        report = outputs.cms838_report(engine, "2025-07-14")
        assert report.lines == () and [fid for fid, _ in report.left_out] == [f.id]
        rules = tmp_path / "r.toml"
        rules.write_text("[cms838]\nprofessional_claims = true\n")
        (row,) = outputs.cms838_report(engine, "2025-07-14", pack=load_pack(rules)).lines
        assert (row.icn, row.reason, row.part, row.type_of_bill) == ("2225168000201", "3", "B", "")
        assert "voided" in row.primary_insurer_or_explanation
    finally:
        engine.dispose()


def test_a_replacement_under_a_new_account_number_is_the_same_claim(db_url: str) -> None:
    engine = _load(db_url, "replacement_new_account")
    try:
        with engine.connect() as conn:
            assert account_links(conn) == {"PCN1108101": "PCN1108001", "PCN1108102": "PCN1108002",
                                           "PCN1108103": "PCN1108003"}
            for original, replacement in (("PCN1108001", "PCN1108101"), ("PCN1108002", "PCN1108102"),
                                          ("PCN1108003", "PCN1108103")):
                for clm01 in (original, replacement):  # either number opens the one account
                    view, postings = ledger_for(conn, clm01)  # type: ignore[misc]
                    assert view.account.clm01 == original
                    assert sorted(c.clm01 for c in view.account.claims) == [original, replacement]
            view, postings = ledger_for(conn, "PCN1108001")  # type: ignore[misc]
            (dup, standing), = view.payers["AHP01"].duplicates
            assert (dup.clp01, dup.clp07, standing.clp01) == ("PCN1108001", "AHP25160A001", "PCN1108101")
            assert view.billed_claim is not None and view.billed_claim.clm01 == "PCN1108101"
            assert credit(postings) == (9200, 300) and view.final_pr == 1700
            for clm01 in ("PCN1108002", "PCN1108003"):  # replaced once / not yet: no credit, no receivable
                view, postings = ledger_for(conn, clm01)  # type: ignore[misc]
                assert view.payers["AHP01"].duplicates == []
                assert payer_side(postings) == 0 and patient_side(postings) == 0
        (dup_finding,) = [f for f in _findings(engine) if f.category == "duplicate_payment"]
        assert {r.get("clp01") for r in dup_finding.evidence["records"]} == {"PCN1108001", "PCN1108101"}
        outputs.decide(engine, dup_finding.id, "approve", by="ed")
        letter = outputs.render_letter(engine, dup_finding.id, fmt="txt").decode()
        assert "AHP25160A001" in letter and "92.00" in letter
        # A partial run named by the replacement's number reconciles the original's account.
        from edi_engine.rules import detect as run
        summary = run(engine, as_of="2026-06-30", only=["PCN1108101"])
        assert (summary.accounts, summary.inserted, summary.updated) == (1, 0, 0)
    finally:
        engine.dispose()

