"""CSV imports (patient payments, fee schedules) and payer aliases, through the CLI."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Table, func, select

from edi_engine.cli import main
from edi_engine.store import open_store, tables
from tests.conftest import REPO


def _run(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", db_url, *args])
    return result.exit_code, result.output


def _count(db_url: str, model: Table) -> int:
    with open_store(db_url).connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_patient_payments_import_once(db_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "pp.csv"
    csv.write_text("claim_id,payment_date,amount,method,reference\n"
                   "PCN001,2024-03-01,25.00,card,R1\n"
                   "PCN002,20240302,$1,234.5,check,\n".replace("$1,234.5", '"$1,234.50"'))
    code, out = _run(db_url, "import", "patient-payments", str(csv), "--json")
    assert code == 0, out
    # No claim is stored yet: both rows are reported as naming none (by line, never by CLM01).
    assert json.loads(out) == {"file": str(csv), "status": "imported", "rows": 2, "unknown_claim_lines": [2, 3]}
    code, out = _run(db_url, "import", "patient-payments", str(csv))
    assert code == 0 and "already imported" in out
    with open_store(db_url).connect() as conn:
        rows = conn.execute(select(tables.patient_payment).order_by("segment")).all()  # type: ignore[attr-defined]
    assert [(r.patient_control_number, r.payment_date, r.amount, r.method, r.reference, r.segment) for r in rows] == [
        ("PCN001", date(2024, 3, 1), Decimal("25.00"), "card", "R1", 2),
        ("PCN002", date(2024, 3, 2), Decimal("1234.50"), "check", None, 3),
    ]


def test_a_patient_payment_for_no_stored_claim_is_imported_with_a_warning(db_url: str, tmp_path: Path) -> None:
    # The patient_overpayment pack's first 837P: a real claim the payments can name.
    code, out = _run(db_url, "ingest", str(REPO / "fixtures" / "patient_overpayment" / "20241007-837P-0001.837"))
    assert code == 0, out
    with open_store(db_url).connect() as conn:
        stored = conn.execute(select(tables.claim.c.patient_control_number)).scalars().first()
    csv = tmp_path / "pp.csv"
    csv.write_text("claim_id,payment_date,amount,method,reference\n"
                   f"{stored},2024-09-26,43.27,check,R1\n"
                   "PCN9999999,2024-09-27,20.00,card,R2\n")  # a typo'd account number
    result = CliRunner().invoke(main, ["--db", db_url, "import", "patient-payments", str(csv)])
    assert result.exit_code == 0, result.output
    assert "imported, 2 rows" in result.stdout
    assert "1 row(s) name a claim_id with no stored 837 claim or 835 payment (line 3)" in result.stderr
    assert "PCN9999999" not in result.output
    assert _count(db_url, tables.patient_payment) == 2  # kept: applied once its claim arrives


def test_bad_rows_are_reported_by_line_and_nothing_is_stored(db_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "pp.csv"
    csv.write_text("claim_id,payment_date,amount,method,reference\n"
                   "PCN001,2024-03-01,25.00,card,R1\n"
                   "PCN002,2024-02-30,10,card,R2\n"
                   ",2024-03-01,10,card,R3\n"
                   "PCN004,2024-03-01,10.001,card,R4\n"
                   "PCN005,2024-03-01,ten,card,R5\n")
    code, out = _run(db_url, "import", "patient-payments", str(csv))
    assert code == 1
    assert "4 bad row(s); nothing was imported" in out
    for line, what in [(3, "payment_date (column 2) is not a date"), (4, "claim_id (column 1) is empty"),
                       (5, "amount (column 3) has more than two decimal"), (6, "amount (column 3) is not an amount")]:
        assert f"line {line}: {what}" in out
    assert "line 2:" not in out
    assert _count(db_url, tables.patient_payment) == 0
    assert _count(db_url, tables.source_file) == 0


def test_wrong_header_is_refused(db_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "fees.csv"
    csv.write_text("payer,procedure_code,modifier,allowed_amount\nP1,99213,,80\n")
    code, out = _run(db_url, "import", "fee-schedule", str(csv))
    assert code == 1 and "missing payer_id" in out and "line 1, column(s) 1: not a column name" in out


def test_fee_schedule_with_optional_dates_and_aliases(db_url: str, tmp_path: Path) -> None:
    assert _run(db_url, "payers", "alias", "add", "ALIAS-835", "PAYER837")[0] == 0
    csv = tmp_path / "fees.csv"
    csv.write_text("payer_id,procedure_code,modifier,allowed_amount,effective_from,effective_to\n"
                   "PAYER837,99213,,80.00,2024-01-01,2024-12-31\n"
                   "ALIAS-835,99214,25,120.10,,\n")
    code, out = _run(db_url, "import", "fee-schedule", str(csv))
    assert code == 0 and "2 rows" in out, out
    with open_store(db_url).connect() as conn:
        rows = conn.execute(select(tables.fee_schedule).order_by("segment")).all()  # type: ignore[attr-defined]
    assert [(r.payer_id, r.procedure_code, r.modifier, r.allowed_amount, r.effective_from, r.effective_to)
            for r in rows] == [
        ("PAYER837", "99213", "", Decimal("80.00"), date(2024, 1, 1), date(2024, 12, 31)),
        ("PAYER837", "99214", "25", Decimal("120.10"), None, None),
    ]


def test_fee_schedule_date_order_checked(db_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "fees.csv"
    csv.write_text("payer_id,procedure_code,modifier,allowed_amount,effective_from,effective_to\n"
                   "P,99213,,80.00,2024-12-31,2024-01-01\n")
    code, out = _run(db_url, "import", "fee-schedule", str(csv))
    assert code == 1 and "line 2: effective_to (column 6) is before effective_from" in out


def test_payer_aliases_add_list_remove(db_url: str) -> None:
    assert _run(db_url, "payers", "alias", "add", "A1", "CANON")[0] == 0
    code, out = _run(db_url, "payers", "alias", "add", "A2", "A1")  # resolved: no chains
    assert code == 0 and "A2 -> CANON" in out
    code, out = _run(db_url, "payers", "alias", "add", "CANON", "OTHER")
    assert code == 2 and "canonical id of other aliases" in out
    code, out = _run(db_url, "payers", "alias", "add", "A1", "OTHER")
    assert code == 2 and "already an alias" in out
    code, out = _run(db_url, "payers", "alias", "list", "--json")
    assert json.loads(out) == [{"alias": "A1", "payer_id": "CANON"}, {"alias": "A2", "payer_id": "CANON"}]
    assert _run(db_url, "payers", "alias", "remove", "A1")[0] == 0
    code, out = _run(db_url, "payers", "alias", "remove", "A1")
    assert code == 2 and "no alias" in out
    assert _run(db_url, "payers", "alias", "list")[1] == "A2 -> CANON\n"
