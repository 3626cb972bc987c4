"""Payers as data: `edi-engine payers import CSV` upserts the payer table (and its aliases into
payer_alias) all or nothing, on SQLite and PostgreSQL; detection reads the types imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from edi_engine.cli import main
from edi_engine.errors import InputError
from edi_engine.rules import detect, list_findings
from edi_engine.store import open_store, tables
from edi_engine.store.imports import import_payers
from edi_engine.store.packs import load_folder
from edi_engine.store.payers import alias_map, list_payers, payer, payer_names

REPO = Path(__file__).resolve().parents[2]
HEADER = "id,name,type,refund_address,contact,fax,email,letter_preferences,aliases\n"
ROWS = ('PPN04,PINNACLE PPO NETWORK,commercial,"ATTN REFUNDS|PO BOX 4119|SPRINGFIELD IL 62707-0007",'
        '"Refund desk, (217) 555-0107",(217) 555-0207,refunds@ppn.example.com,mail;fax,PPN835;951000204\n'
        "MCRB1,MEDICARE PART B JURISDICTION Z,Medicare,PO BOX 40017|SPRINGFIELD IL 62701,,,,mail,\n")


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_stores_every_column_and_the_aliases(db_url: str, tmp_path: Path) -> None:
    engine = open_store(db_url)
    result = import_payers(engine, _csv(tmp_path, "payers.csv", HEADER + ROWS))
    assert (result.status, result.inserted, result.updated) == ("imported", 2, 0)
    with engine.connect() as conn:
        p = payer(conn, "PPN835")  # an alias finds its payer
        assert p is not None and p.id == "PPN04" and p.name == "PINNACLE PPO NETWORK"
        assert p.refund_address == "ATTN REFUNDS\nPO BOX 4119\nSPRINGFIELD IL 62707-0007"
        assert (p.type, p.contact, p.fax, p.email) == ("commercial", "Refund desk, (217) 555-0107", "(217) 555-0207",
                                                       "refunds@ppn.example.com")
        assert p.letter_preferences == ("mail", "fax") and p.aliases == ("951000204", "PPN835")
        assert alias_map(conn) == {"PPN835": "PPN04", "951000204": "PPN04"}
        medicare = payer(conn, "MCRB1")
        assert medicare is not None and medicare.type == "medicare" and medicare.email is None
        line = conn.execute(select(tables.payer.c.segment).where(tables.payer.c.id == "MCRB1")).scalar()
        assert line == 3  # the CSV line it came from


def test_reimport_is_an_upsert(db_url: str, tmp_path: Path) -> None:
    engine = open_store(db_url)
    first = _csv(tmp_path, "payers.csv", HEADER + ROWS)
    import_payers(engine, first)
    assert import_payers(engine, first).status == "already imported"
    edited = _csv(tmp_path, "payers-2.csv", HEADER + "PPN04,PINNACLE HEALTH PPO,commercial,,,,,,PPN835\n"
                  "AHP01,ACME HEALTH PLAN,commercial,,,,,,\n")
    result = import_payers(engine, edited)
    assert (result.inserted, result.updated) == (1, 1)
    with engine.connect() as conn:
        assert payer_names(conn) == {"PPN04": "PINNACLE HEALTH PPO", "MCRB1": "MEDICARE PART B JURISDICTION Z",
                                     "AHP01": "ACME HEALTH PLAN"}  # MCRB1, not in the file, is kept
        p = payer(conn, "PPN04")
        assert p is not None and p.refund_address is None and p.letter_preferences == ()
        assert {p.id for p in list_payers(conn)} == {"PPN04", "MCRB1", "AHP01"}


@pytest.mark.parametrize(("row", "problem"), [
    (",NO ID,commercial,,,,,,\n", "id (column 1) is empty"),
    ("X1,,commercial,,,,,,\n", "name (column 2) is empty"),
    ("X1,X,medicre,,,,,,\n", "type (column 3) is not one of medicare"),
    ("X1,X,,,,,not-an-address,,\n", "email (column 7) is not an e-mail address"),
    ("X1,X,,,,12,,,\n", "fax (column 6) is not a fax number"),
    ("X1,X,,,,,,mail;pigeon,\n", "letter_preferences (column 8) must be of mail, fax, email"),
    ("X1,X,,,,,,fax,\n", "letter_preferences (column 8) names fax but the row has no fax"),
    ("X1,X,,,,,,,X1\n", "aliases (column 9) lists the payer's own id"),
    ("MCRB1,AGAIN,,,,,,,\n", "id (column 1) repeats an id or alias of line 3"),
    ("X1,X,,,,,,,PPN835\n", "aliases (column 9) repeats an id or alias of line 2"),
    ("X1,X,,,,,,,,extra\n", "has 10 fields, the header 9"),
])
def test_a_bad_row_names_file_and_line_and_nothing_is_imported(db_url: str, tmp_path: Path, row: str,
                                                               problem: str) -> None:
    engine = open_store(db_url)
    path = _csv(tmp_path, "payers.csv", HEADER + ROWS + row)
    with pytest.raises(InputError) as exc:
        import_payers(engine, path)
    message = str(exc.value)
    assert str(path) in message and f"line 4: {problem}" in message, message
    with engine.connect() as conn:
        assert payer_names(conn) == {} and alias_map(conn) == {}
        assert conn.execute(select(tables.source_file.c.id)).first() is None  # nor the file: it can be fixed


def test_an_alias_the_store_gives_a_payer_of_its_own_is_refused_whole(db_url: str, tmp_path: Path) -> None:
    engine = open_store(db_url)
    import_payers(engine, _csv(tmp_path, "a.csv", HEADER + ROWS))
    with pytest.raises(InputError, match=r"line 3: aliases: 'PPN04' is the id of a payer of its own"):
        import_payers(engine, _csv(tmp_path, "b.csv", HEADER + "NEW1,NEW PLAN,,,,,,,\nNEW2,OTHER,,,,,,,PPN04\n"))
    with engine.connect() as conn:
        assert "NEW1" not in payer_names(conn)


def test_the_cli_imports_and_lists(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    path = _csv(tmp_path, "payers.csv", HEADER + ROWS)
    out = runner.invoke(main, ["--db", db_url, "payers", "import", str(path)])
    assert out.exit_code == 0 and "2 new and 0 updated payers" in out.output, out.output
    listed = runner.invoke(main, ["--db", db_url, "payers", "list"])
    assert "PPN04  PINNACLE PPO NETWORK  commercial  aliases 951000204, PPN835" in listed.output
    bad = runner.invoke(main, ["--db", db_url, "payers", "import",
                               str(_csv(tmp_path, "bad.csv", HEADER + "X,,,,,,,,\n"))])
    assert bad.exit_code == 1 and "bad.csv" in bad.output and "line 2: name (column 2) is empty" in bad.output


def test_detection_reads_the_payer_type_imported(db_url: str, tmp_path: Path) -> None:
    engine = open_store(db_url)
    load_folder(engine, REPO / "fixtures" / "payer_overpayment")
    detect(engine, as_of="2025-06-30")
    with engine.connect() as conn:
        before = {f.id: f.payer_type for f in list_findings(conn, "all") if f.payer_id == "HWT05"}
    assert before and set(before.values()) == {"commercial"}  # CLP06 15: commercial by the rule pack
    row = "HWT05,HEARTWOOD TRUST BENEFITS,medicare_advantage,,,,,,\n"
    import_payers(engine, _csv(tmp_path, "payers.csv", HEADER + row))
    detect(engine, as_of="2025-06-30")
    with engine.connect() as conn:
        after = {f.id: (f.payer_type, f.payer_name) for f in list_findings(conn, "all") if f.payer_id == "HWT05"}
    assert set(after) == set(before)
    assert set(after.values()) == {("medicare_advantage", "HEARTWOOD TRUST BENEFITS")}
