"""`import deposits`: BAI2 (through the bai2 package) and CSV, all or none, once; errors by line and
field or column, never a value."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from edi_engine.cli import main
from edi_engine.errors import InputError
from edi_engine.simulate.bank import BankCredit, write_bai2
from edi_engine.store import import_deposits, open_store, tables
from edi_engine.store.bai2 import read_bai2

STATEMENT = """01,071923284,EDIENGINE,241029,0600,1,80,,2/
02,EDIENGINE,071923284,1,241029,2400,USD,2/
03,88234502,USD,010,500000,,,/
16,165,12323,0,B0001,,ACH CREDIT HCCLAIMPMT
88,TRN*1*24102970107704*1951000204\\
16,301,5000,0,B0002,00001234/
16,469,100,0,B0003,,FEE/
49,517423,6/
98,517423,1,8/
99,517423,1,10/
"""


def _run(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", db_url, *args])
    return result.exit_code, result.output


def _deposits(db_url: str) -> list[tuple[object, ...]]:
    d = tables.deposit
    with open_store(db_url).connect() as conn:
        return [tuple(r) for r in conn.execute(select(
            d.c.segment, d.c.deposit_date, d.c.amount, d.c.account, d.c.type_code, d.c.trace_number, d.c.originator,
            d.c.customer_reference, d.c.claim_payment).order_by(d.c.segment))]


def test_bai2_credits_are_stored_once(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "statement.bai2"
    path.write_text(STATEMENT)
    code, out = _run(db_url, "import", "deposits", str(path), "--json")
    assert code == 0, out
    assert json.loads(out) == {"file": str(path), "status": "imported", "rows": 2, "format": "bai2", "skipped": 1}
    assert _deposits(db_url) == [
        (4, date(2024, 10, 29), Decimal("123.23"), "88234502", "165", "24102970107704", "1951000204", None, True),
        (6, date(2024, 10, 29), Decimal("50.00"), "88234502", "301", None, None, "00001234", False),
    ]
    code, out = _run(db_url, "import", "deposits", str(path))
    assert code == 0 and "already imported" in out
    assert len(_deposits(db_url)) == 2


def test_csv_deposits_are_stored_once(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "deposits.csv"
    path.write_text("deposit_date,amount,reference,account,payer\n"
                    "2024-10-29,123.23,24102970107704,88234502,1951000204\n"
                    "20241030,\"$1,050.00\",,88234502,\n")
    engine = open_store(db_url)
    result = import_deposits(engine, path)
    assert (result.status, result.rows, result.format) == ("imported", 2, "csv")
    assert _deposits(db_url) == [
        (2, date(2024, 10, 29), Decimal("123.23"), "88234502", None, "24102970107704", "1951000204", None, True),
        (3, date(2024, 10, 30), Decimal("1050.00"), "88234502", None, None, None, None, True),
    ]
    assert import_deposits(engine, path).status == "already imported"


def test_bad_csv_rows_name_line_and_column_and_nothing_is_stored(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "deposits.csv"
    path.write_text("deposit_date,amount,reference,account\n"
                    "2024-10-29,123.23,T1,SECRET-ACCT-991\n"
                    "2024-02-30,10.00,T2,SECRET-ACCT-991\n"
                    "2024-10-29,12.345,T3,SECRET-ACCT-991\n"
                    "2024-10-29,-5,T4,SECRET-ACCT-991\n"
                    "2024-10-29,5.00,T5,\n")
    code, out = _run(db_url, "import", "deposits", str(path))
    assert code == 1
    assert "line 3, column deposit_date: is not a date" in out
    assert "line 4, column amount: has more than two decimal places" in out
    assert "line 5, column amount: is not above zero" in out
    assert "line 6, column account: is empty" in out
    assert "SECRET" not in out and "12.345" not in out and str(path) in out
    with open_store(db_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(tables.deposit)).scalar_one() == 0


def test_a_csv_header_must_be_the_documented_one(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("date,amount,reference,account\n2024-10-29,1.00,,A\n")
    with pytest.raises(InputError, match=r"line 1: the CSV header must be deposit_date,amount,reference,account"):
        import_deposits(open_store(f"sqlite:///{tmp_path / 's.db'}"), path)


@pytest.mark.parametrize(("change", "where"), [
    (("16,301,5000", "16,301,50x0"), "line 6, field 3 (amount)"),
    (("16,469", "16,999"), "line 7, field 2 (type code)"),
    (("02,EDIENGINE,071923284,1,241029", "02,EDIENGINE,071923284,1,241399"), "line 2, field 5 (as-of date)"),
    (("49,517423,6/", "49,517424,6/"), "line 8, field 2 (account control total)"),
    (("98,517423,1,8/", "98,517423,1,9/"), "line 9, field 4 (number of records)"),
    (("99,517423,1,10/", "99,517423,2,10/"), "line 10, field 3 (number of groups)"),
    (("03,88234502", "XX,88234502"), "line 3, field 1 (record code)"),
    (("49,517423,6/\n", ""), "line 8: the records are not in BAI2 order"),
])
def test_bai2_errors_name_line_and_field_never_a_value(tmp_path: Path, change: tuple[str, str], where: str) -> None:
    text = STATEMENT.replace(*change)
    with pytest.raises(InputError) as info:
        read_bai2("statement.bai2", text.encode())
    message = str(info.value)
    assert where in message and "statement.bai2" in message
    for value in ("88234502", "517423", "12323", "24102970107704"):
        assert value not in message


def test_a_bad_bai2_file_stores_nothing(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "statement.bai2"
    path.write_text(STATEMENT.replace("49,517423,6/", "49,1,6/"))
    code, out = _run(db_url, "import", "deposits", str(path))
    assert code == 1 and "account control total" in out
    assert _deposits(db_url) == []


def test_the_generator_writes_bai2_the_reader_reads() -> None:
    credits = [BankCredit(date(2024, 10, 29), Decimal("10.01"), "165", "B1", "", "HCCLAIMPMT TRN*1*T1*1999\\"),
               BankCredit(date(2024, 10, 31), Decimal("20.00"), "301", "B2", "0042")]
    statement = read_bai2("s.bai2", write_bai2(credits, created=date(2024, 11, 1)))
    assert [(c.deposit_date, c.amount, c.type_code, c.trace_number, c.originator, c.customer_reference,
             c.claim_payment) for c in statement.credits] == [
        (date(2024, 10, 29), Decimal("10.01"), "165", "T1", "1999", None, True),
        (date(2024, 10, 31), Decimal("20.00"), "301", None, None, "0042", False)]
