"""The outputs commands end to end through click: decisions and audit, correct, letter(s), reports;
`findings` with no subcommand lists exactly as before it became a group."""

from __future__ import annotations

import json

from click.testing import CliRunner
from pypdf import PdfReader

from edi_engine.cli import main
from edi_engine.parsers.validation import validate_file
from edi_engine.parsers.x837 import iter_submissions


def _run(url: str, *args: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["--db", url, *args])
    return result


def test_cli_outputs(pack_store, db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pack_store("duplicate_payment")
    listed = _run(db_url, "findings", "--status", "all", "--format", "json")
    assert listed.exit_code == 0 and json.loads(listed.output)[0]["category"] == "duplicate_payment"
    assert _run(db_url, "findings", "approve", "1", "--by", "maria", "--note", "EOB checked").exit_code == 0
    again = _run(db_url, "findings", "approve", "1", "--by", "maria")
    assert again.exit_code == 2 and "is approved" in again.output
    assert _run(db_url, "findings", "note", "1", "--by", "ed", "--note", "called payer").exit_code == 0
    out = tmp_path / "void.837"
    assert _run(db_url, "correct", "--finding", "1", "--by", "maria", "-o", str(out)).exit_code == 0
    assert validate_file(out).ok
    (sub,) = list(iter_submissions(out))
    assert sub.claims[0].frequency == "8"
    rep = tmp_path / "r.837"
    result = _run(db_url, "correct", "PCN0766001", "--replace", "--set", "line.1.units=4", "-o", str(rep))
    assert result.exit_code == 0, result.output
    (sub,) = list(iter_submissions(rep))
    assert sub.claims[0].frequency == "7" and str(sub.claims[0].lines[0].units) == "4"
    pdf = tmp_path / "letter.pdf"
    assert _run(db_url, "letter", "1", "-o", str(pdf)).exit_code == 0
    assert "PCN0766001" in PdfReader(str(pdf)).pages[0].extract_text()
    assert _run(db_url, "letter", "1", "-o", str(tmp_path / "letter.doc")).exit_code == 2
    batch = tmp_path / "batch"
    office = tmp_path / "office.toml"
    office.write_text('[letters]\nsigner_name = "Maria Lopez"\nsigner_title = "Refund Coordinator"\n', "utf-8")
    result = _run(db_url, "letters", "--status", "approved", "--format", "html", "--rules", str(office),
                  "-o", str(batch))
    assert result.exit_code == 0 and [p.name for p in batch.iterdir()] == ["finding-1.html"]
    assert "Maria Lopez</strong><br>Refund Coordinator" in (batch / "finding-1.html").read_text()
    result = _run(db_url, "report", "reconcile", "--check", "24112250280388")
    assert result.exit_code == 0 and "24112250280388" in result.output and "1 rows" in result.output
    result = _run(db_url, "report", "credit-balances", "--as-of", "2025-03-01", "--format", "csv")
    assert result.exit_code == 0 and result.output.splitlines()[1].startswith("NSB02,,duplicate_payment,1,316.55")
    assert _run(db_url, "findings", "mark-refunded", "1", "--by", "maria", "--check", "88", "--date", "2025-03-01",
                "--note", "check 88").exit_code == 0
    audit = _run(db_url, "audit", "1", "--json")
    events = [e["event"] for e in json.loads(audit.output)]
    assert events == ["identified", "approved", "note", "corrected_claim_written", "letter_written",
                      "letter_written", "refund_recorded", "refunded"]
    signed = tmp_path / "signed.txt"
    assert _run(db_url, "letter", "1", "--rules", str(office), "-o", str(signed)).exit_code == 0
    assert "Our refund check 88 of 03/01/2025 for 316.55 is enclosed" in signed.read_text()
    assert "Maria Lopez\nRefund Coordinator" in signed.read_text()
    assert "events" in _run(db_url, "audit").output
