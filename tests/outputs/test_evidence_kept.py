"""Evidence lives in the store (issue 10): a pack ingested by relative paths from a drop folder, the
folder deleted, every command run from another directory -- explain, letters (PDF, HTML, text),
corrected claims and the web detail page still show the segments and parties, on both databases."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader

from edi_engine.cli import main
from edi_engine.parsers.x837 import iter_submissions
from edi_engine.store import open_store
from edi_engine.web import WebConfig, add_user, create_app
from tests.outputs.conftest import AS_OF, FIXTURES
from tests.web.conftest import PASSWORD, sign_in

PACK = "duplicate_payment"


def _run(url: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", url, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_evidence_after_the_files_are_gone(db_url: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    drop, elsewhere = tmp_path / "drop", tmp_path / "elsewhere"
    shutil.copytree(FIXTURES / PACK, drop)
    elsewhere.mkdir()
    monkeypatch.chdir(drop)  # paths typed at ingest are relative to the drop folder
    _run(db_url, "ingest", *sorted(p.name for p in drop.iterdir() if p.suffix in (".835", ".837")))
    _run(db_url, "import", "patient-payments", "patient_payments.csv")
    _run(db_url, "import", "fee-schedule", "fee_schedule.csv")
    _run(db_url, "detect", "--as-of", AS_OF)
    monkeypatch.chdir(elsewhere)
    shutil.rmtree(drop)

    explained = _run(db_url, "explain", "1")
    assert "no longer" not in explained and "ingested before" not in explained
    assert "CLP*PCN0766001*" in explained and "segment" in explained

    _run(db_url, "findings", "approve", "1", "--by", "maria")  # letters and corrections follow the approval
    _run(db_url, "letter", "1", "-o", str(elsewhere / "l.txt"))
    text = (elsewhere / "l.txt").read_text()
    assert "PCN0766001" in text
    assert "RIVERSIDE FAMILY MEDICINE" in text and "120 RIVER ROAD" in text  # 837 2010AA NM1/N3, from the store
    assert "CLAIMS DESK" in text  # 1000A PER of the submitter
    assert "PO BOX 1000" in text  # the 835's 1000A N3, from the store
    _run(db_url, "letter", "1", "-o", str(elsewhere / "l.html"))
    assert "120 RIVER ROAD" in (elsewhere / "l.html").read_text()
    _run(db_url, "letter", "1", "-o", str(elsewhere / "l.pdf"))
    assert "120 RIVER ROAD" in PdfReader(str(elsewhere / "l.pdf")).pages[0].extract_text()

    _run(db_url, "correct", "--finding", "1", "--by", "maria", "-o", str(elsewhere / "void.837"))
    (sub,) = list(iter_submissions(elsewhere / "void.837"))
    assert sub.claims[0].frequency == "8" and sub.claims[0].billing_provider is not None

    engine = open_store(db_url)
    add_user(engine, "rita", PASSWORD, "reviewer")
    client = create_app(engine, WebConfig()).test_client()
    assert sign_in(client, "rita") == 303
    page = client.get("/findings/1").get_data(as_text=True)
    assert "<code>CLP*PCN0766001*" in page and "no longer" not in page
    engine.dispose()
