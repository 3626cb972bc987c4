"""Refunds are cash (issue 12 item 5, issue 11 item 12) on SQLite and PostgreSQL: a refund records
the check or EFT, amount and date; a partial one keeps the rest on the books; the ledger posts it;
`refunds batch` and `refunds post` round-trip a check run; bad input is refused with a clear error."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from edi_engine.cli import main
from edi_engine.errors import InputError, UsageError
from edi_engine.ledger import balance, credit, ledger_for, patient_side, payer_side
from edi_engine.outputs import (
    audit_events,
    credit_balance_report,
    decide,
    detect_with_audit,
    record_refund,
    render_letter,
)
from edi_engine.outputs.refunds import post_issued, refunds_due, write_batch
from edi_engine.rules import explain, list_findings
from edi_engine.store import open_store
from edi_engine.store.packs import load_folder
from edi_engine.store.queue import dashboard_sums
from edi_engine.store.refunds import refunds_for
from tests.outputs.conftest import AS_OF, FIXTURES, load_pack

DUP = "PCN0766001"  # duplicate_payment: Northstar Blue (NSB02) paid 316.55 twice


def _findings(engine, status: str = "all"):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list_findings(conn, status)


def _run(db_url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["--db", db_url, *args])


def test_a_partial_refund_keeps_the_rest_on_the_books(pack_store, db_url: str) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    (f,) = _findings(engine)
    decide(engine, f.id, "approve", by="maria")
    part = record_refund(engine, f.id, by="maria", method="check", number="10041", amount="100.00",
                         paid_on="2025-02-20", note="first instalment")
    assert (part.new, part.amount, part.outstanding, part.status) == (True, Decimal("100.00"), Decimal("216.55"),
                                                                    "approved")
    with engine.connect() as conn:
        _view, postings = ledger_for(conn, DUP)  # type: ignore[misc]
        refunds = [p for p in postings if p.kind == "refund"]
        assert [(p.amount, p.party, p.code) for p in refunds] == [(10000, "NSB02", "check 10041")]
        assert credit(postings) == (21655, 0)  # the credit shrinks by what the check repaid
    # Re-run: the approved finding stands, nothing new is reported for what was repaid.
    detect_with_audit(engine, as_of="2025-02-21")
    assert [(x.category, x.status, f"{x.amount:.2f}") for x in _findings(engine)] == [
        ("duplicate_payment", "approved", "316.55")]
    (row,) = credit_balance_report(engine, as_of="2025-02-21")
    assert (row["total"], row["repaid"]) == (Decimal("216.55"), Decimal("100.00"))
    # `findings` keeps the credit's amount and shows what is still owed beside it, and totals that.
    listed = _run(db_url, "findings", "--status", "all", "--format", "json")
    assert [(r["amount"], r["refunded"], r["outstanding"]) for r in json.loads(listed.output)] == [
        ("316.55", "100.00", "216.55")]
    table = _run(db_url, "findings", "--status", "all").output
    assert "outstanding" in table.splitlines()[0] and "1 credits, total 216.55" in table
    assert "(refunded 100.00, outstanding 216.55)" in _run(db_url, "explain", str(f.id)).output
    with engine.connect() as conn:  # the review app's dashboard shows what is still owed too
        sums = dashboard_sums(conn, ("open", "approved"), ("duplicate_payment",))
    assert [(g.key, g.count, g.amount) for g in sums.by_payer] == [("NSB02", 1, Decimal("216.55"))]
    # The rest, by EFT and without --amount: the outstanding remainder, and the finding is refunded.
    result = _run(db_url, "findings", "mark-refunded", str(f.id),
                  "--by", "maria", "--eft", "EFT778812", "--date", "2025-02-24")
    assert result.exit_code == 0, result.output
    assert "216.55" in result.output and "refunded" in result.output
    with engine.connect() as conn:
        got = refunds_for(conn, [f.id])[f.id]
        _view, postings = ledger_for(conn, DUP)  # type: ignore[misc]
        assert credit(postings) == (0, 0)
    assert [(r.method, r.number, r.amount, r.paid_on) for r in got] == [
        ("check", "10041", Decimal("100.00"), date(2025, 2, 20)), ("eft", "EFT778812", Decimal("216.55"),
                                                                    date(2025, 2, 24))]
    events = [(e.event, e.details.get("amount"), e.details.get("outstanding")) for e in audit_events(engine, f.id)]
    assert events[-3:] == [("refund_recorded", "100.00", "216.55"), ("refund_recorded", "216.55", "0.00"),
                           ("refunded", "316.55", None)]
    detect_with_audit(engine, as_of="2025-02-25")
    assert [(x.status, x.category) for x in _findings(engine)] == [("refunded", "duplicate_payment")]
    assert credit_balance_report(engine, as_of="2025-02-25") == []
    # Recording the same EFT again is no new refund; a different amount under its number is refused.
    again = record_refund(engine, f.id, by="maria", method="eft", number="EFT778812", paid_on="2025-02-24")
    assert not again.new and again.outstanding == 0
    with pytest.raises(UsageError, match="already recorded"):
        record_refund(engine, f.id, by="maria", method="eft", number="EFT778812", paid_on="2025-02-25")


def test_refusals_are_clear_errors_not_tracebacks(pack_store, db_url: str) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    (f,) = _findings(engine)
    fid = str(f.id)
    base = ["findings", "mark-refunded", fid, "--by", "maria"]
    cases = [
        (["--check", "5001", "--date", "2025-02-20"], "needs it approved"),  # still open
        (["--check", "5001", "--eft", "E1", "--date", "2025-02-20"], "one of them"),
        (["--date", "2025-02-20"], "--check NUMBER or --eft TRACE"),
    ]
    for extra, message in cases:
        result = _run(db_url, *base, *extra)
        assert result.exit_code == 2 and message in result.output, (extra, result.output)
    decide(engine, f.id, "approve", by="maria")
    cases = [
        (["--check", "5001", "--amount", "316.56", "--date", "2025-02-20"], "more than the 316.55 outstanding"),
        (["--check", "5001", "--amount", "12.345", "--date", "2025-02-20"], "more than two decimal places"),
        (["--check", "5001", "--amount", "-5", "--date", "2025-02-20"], "more than 0"),
        (["--check", "5001", "--amount", "ten", "--date", "2025-02-20"], "such as 12.34"),
        (["--check", "5001", "--date", "20/02/2025"], "YYYY-MM-DD"),
        (["--check", "5001", "--date", "2999-01-01"], "has not been paid yet"),
        (["--check", "5001", "--date", "2024-11-01"], "before the credit arose"),
        (["--check", " ", "--date", "2025-02-20"], "printable characters"),
    ]
    for extra, message in cases:
        result = _run(db_url, *base, *extra)
        assert result.exit_code == 2 and message in result.output, (extra, result.output)
        assert "Traceback" not in result.output
    assert _run(db_url, "findings", "mark-refunded", "999", "--by", "m", "--check", "1", "--date",
                "2025-02-20").exit_code == 2
    # Free text is not a refund any more: the old decision without a check is refused.
    with pytest.raises(UsageError, match="check or EFT number and date"):
        decide(engine, f.id, "mark-refunded", by="maria", note="check 88")
    with engine.connect() as conn:
        assert refunds_for(conn, [f.id]) == {}
    assert _findings(engine)[0].status == "approved"


def test_batch_then_post_round_trip(pack_store, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("patient_overpayment", "duplicate_payment")
    found = {(f.category, f.claim_id): f for f in _findings(engine)}
    dup = found[("duplicate_payment", DUP)]
    patient = next(f for f in found.values() if f.category == "patient_overpayment" and f.refund_to == "patient")
    for f in (dup, patient):
        decide(engine, f.id, "approve", by="maria")
    record_refund(engine, dup.id, by="maria", method="check", number="4990", amount="16.55", paid_on="2025-02-19")
    due = refunds_due(engine, AS_OF)
    assert {(d.finding_id, d.amount, d.payee) for d in due} == {(dup.id, Decimal("300.00"), "payer"),
                                                                (patient.id, patient.amount, "patient")}
    result = _run(db_url, "refunds", "batch", "--account", "88234501", "--first-check", "5001", "--as-of", AS_OF,
                  "--issue-date", "2025-02-20", "--out", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output
    assert f"2 checks, total {Decimal('300.00') + patient.amount:.2f}" in result.output
    register = (tmp_path / "run" / "check-register.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(register)))
    assert [r["number"] for r in rows] == ["5001", "5002"] and {r["issue_date"] for r in rows} == {"2025-02-20"}
    by_finding = {int(r["finding_id"]): r for r in rows}
    assert by_finding[dup.id]["payee_name"] == "NORTHSTAR BLUE" and by_finding[dup.id]["amount"] == "300.00"
    pay = (tmp_path / "run" / "positive-pay.csv").read_bytes().decode("ascii").split("\r\n")
    assert pay[-1] == "" and len(pay) == 3
    check = next(line for line in pay if ",300.00," in line)
    assert check.split(",") == ["I", "88234501", check.split(",")[2], "022025", "300.00", "NORTHSTAR BLUE"]
    # Accounts payable returns the register as issued (the second check a day later).
    issued = register.replace("5002,2025-02-20", "5002,2025-02-21")
    (tmp_path / "issued.csv").write_text(issued)
    posted = _run(db_url, "refunds", "post", str(tmp_path / "issued.csv"), "--by", "ap")
    assert posted.exit_code == 0 and "2 refunds recorded" in posted.output, posted.output
    assert {f.id: f.status for f in _findings(engine) if f.id in (dup.id, patient.id)} == {
        dup.id: "refunded", patient.id: "refunded"}
    with engine.connect() as conn:
        recorded = refunds_for(conn, [dup.id, patient.id])
    assert [(r.number, r.amount, r.source) for r in recorded[dup.id]] == [
        ("4990", Decimal("16.55"), "mark-refunded"), (by_finding[dup.id]["number"], Decimal("300.00"),
                                                      f"issued.csv line {rows.index(by_finding[dup.id]) + 2}")]
    events = audit_events(engine)
    again = _run(db_url, "refunds", "post", str(tmp_path / "issued.csv"), "--by", "ap")
    assert again.exit_code == 0 and "0 refunds recorded" in again.output and "2 already recorded" in again.output
    assert audit_events(engine) == events  # the same file twice records nothing new
    assert refunds_due(engine, AS_OF) == []


def test_a_bad_issued_register_records_nothing(pack_store, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("patient_overpayment")
    ids = [f.id for f in _findings(engine)][:2]
    for fid in ids:
        decide(engine, fid, "approve", by="maria")
    write_batch(engine, tmp_path, account="88234501", first_check=7001, as_of=AS_OF, issue_date="2025-02-20")
    text = (tmp_path / "check-register.csv").read_text()
    lines = text.splitlines()
    edited = lines[2].split(",")
    edited[2] = "PCN9999999"  # the claim of another patient: a row edited by hand
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], lines[1], ",".join(edited)]) + "\n")
    result = _run(db_url, "refunds", "post", str(bad), "--by", "ap")
    assert result.exit_code == 1 and "bad.csv" in result.output and "line 3" in result.output
    assert "nothing was recorded" in result.output and "PCN9999999" not in result.output  # no PHI echoed
    with engine.connect() as conn:
        assert refunds_for(conn, ids) == {}
    for content, message in (("", "empty file"), ("a,b\n1,2\n", "the header needs"),
                             ("finding_id,amount,number,issue_date\nx,1.00,1,2025-02-20\n", "must be a number")):
        bad.write_text(content)
        with pytest.raises(InputError, match=message):
            post_issued(engine, bad, by="ap")
    assert _run(db_url, "refunds", "batch", "--account", "12-34", "--first-check", "1").exit_code == 2


def _double_recovery_store(db_url: str, tmp_path: Path, pack: Path):  # type: ignore[no-untyped-def]
    """The double_recovery pack in its two steps, as replay runs it."""
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    for f in pack.iterdir():
        if f.suffix in (".835", ".837", ".csv") and f.name != "refunds.csv":
            shutil.copy(f, (after if f.name.startswith("2025") else before) / f.name)
    engine = open_store(db_url)
    load_folder(engine, before)
    detect_with_audit(engine, as_of="2024-12-10")
    (dup,) = _findings(engine)
    decide(engine, dup.id, "approve", by="maria")
    assert post_issued(engine, pack / "refunds.csv", by="ap").recorded == 1
    load_folder(engine, after)
    detect_with_audit(engine, as_of="2025-01-31")
    return engine, dup


def test_a_refund_check_then_a_plb_72_is_a_double_recovery(db_url: str, tmp_path: Path) -> None:
    engine, dup = _double_recovery_store(db_url, tmp_path, FIXTURES / "double_recovery")
    by_category = {f.category: f for f in _findings(engine)}
    assert set(by_category) == {"duplicate_payment", "double_recovery"}
    assert by_category["duplicate_payment"].status == "refunded"
    twice = by_category["double_recovery"]
    assert (twice.claim_id, twice.payer_id, f"{twice.amount:.2f}", twice.refund_to, twice.deadline, twice.status) \
        == (DUP, "NSB02", "316.55", None, None, "open")
    refund_rec, plb_rec = twice.evidence["records"]
    assert (refund_rec["record"], refund_rec["method"], refund_rec["number"], refund_rec["date"],
            refund_rec["finding_id"]) == ("refund", "check", "5001", "2024-12-10", dup.id)
    assert (plb_rec["record"], plb_rec["reason"], plb_rec["reference"], plb_rec["amount"], plb_rec["trn02"],
            plb_rec["check_date"]) == ("PLB", "72", "5243270030722", "316.55", "25011050280399", "2025-01-10")
    assert twice.arose_on == date(2025, 1, 10)
    with engine.connect() as conn:
        shown = explain(conn, twice.id)
        _view, postings = ledger_for(conn, DUP)  # type: ignore[misc]
    (segment,) = [s for s in shown.segments if s.role == "recouped again by the payer"]
    assert segment.text is not None and segment.text.startswith("PLB*1654321987*20241231*72:5243270030722*316.55")
    assert balance(postings, "NSB02") == 31655  # the payer holds the provider's money now
    with pytest.raises(UsageError, match="not a refund"):
        decide(engine, twice.id, "approve", by="maria")
    assert credit_balance_report(engine, as_of="2025-01-31") == []  # nothing the provider owes
    letter = render_letter(engine, twice.id, fmt="txt").decode()
    assert "REQUEST TO RETURN A DOUBLE RECOVERY" in letter and "OWED TO US:" in letter and "316.55" in letter
    assert "check 5001 dated 12/10/2024" in letter and "5243270030722" in letter and "25011050280399" in letter
    assert "We are returning" not in letter and "enclosed" not in letter
    detect_with_audit(engine, as_of="2025-02-01")
    assert len(_findings(engine)) == 2


def test_a_wo_72_pair_acknowledging_the_refund_is_no_double_recovery(db_url: str, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(FIXTURES / "double_recovery", pack)
    later = pack / "20250110-835-NSB02-25011050280399.835"
    # How a payer acknowledges a refund check (RFI 1374, 1976): WO and 72 of the same reference, netting to 0.
    text = later.read_text().replace("BPR*C*14.29*", "BPR*C*330.84*").replace(
        "72:5243270030722*316.55", "WO:5243270030722*316.55*72:5243270030722*-316.55")
    later.write_text(text)
    engine, _dup = _double_recovery_store(db_url, tmp_path, pack)
    assert [(f.category, f.status) for f in _findings(engine)] == [("duplicate_payment", "refunded")]
    with engine.connect() as conn:
        _view, postings = ledger_for(conn, DUP)  # type: ignore[misc]
    assert balance(postings, "NSB02") == 0


@settings(max_examples=10, deadline=None)
@given(parts=st.lists(st.integers(min_value=1, max_value=40000), min_size=1, max_size=4))
def test_refunds_never_make_the_ledger_disagree(parts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_store(f"sqlite:///{tmp}/s.db")
        try:
            load_pack(engine, FIXTURES / "duplicate_payment")
            detect_with_audit(engine, as_of=AS_OF)
            (f,) = _findings(engine)
            decide(engine, f.id, "approve", by="maria")
            with engine.connect() as conn:
                _view, before = ledger_for(conn, DUP)  # type: ignore[misc]
            repaid = 0
            for k, cents in enumerate(parts):
                outstanding = 31655 - repaid
                if outstanding <= 0:
                    break
                amount = min(cents, outstanding)
                record_refund(engine, f.id, by="maria", method="check", number=str(6000 + k),
                              amount=Decimal(amount).scaleb(-2), paid_on="2025-02-20")
                repaid += amount
            with engine.connect() as conn:
                _view, after = ledger_for(conn, DUP)  # type: ignore[misc]
            # The account total is still the parties' sides added up, and the credit shrank by exactly the refunds.
            assert balance(after) == payer_side(after) + patient_side(after)
            assert balance(after) - balance(before) == repaid
            assert credit(after)[0] == credit(before)[0] - repaid >= 0
            assert _findings(engine)[0].status == ("refunded" if repaid == 31655 else "approved")
            detect_with_audit(engine, as_of="2025-02-21")
            assert [x.category for x in _findings(engine)] == ["duplicate_payment"]  # nothing reported again
        finally:
            engine.dispose()
