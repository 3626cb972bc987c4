"""Unclaimed property (issue 12 item 4): a patient refund check that came back or was never cashed
puts the credit back on the books and ages it toward escheat by the state's dormancy period."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi_engine.cli import main
from edi_engine.errors import UsageError
from edi_engine.outputs import credit_balance_report, decide, record_refund
from edi_engine.outputs.audit import audit_events
from edi_engine.outputs.decisions import return_refund
from edi_engine.outputs.unclaimed import unclaimed_report
from edi_engine.rules import list_findings, load_pack

TEXAS = '[provider]\nstate = "TX"\n'  # [states.TX]: 3 years' dormancy (Prop. Code 72.101), report by July 1


def _patient_credit(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return next(f for f in list_findings(conn) if f.claim_id == "PCN0764002")  # 40.00, statement paid twice


def test_a_returned_patient_refund_is_held_again_and_ages_toward_escheat(pack_store, db_url: str,  # type: ignore[no-untyped-def]
                                                                         tmp_path: Path) -> None:
    engine = pack_store("patient_overpayment")
    rules = tmp_path / "rules.toml"
    rules.write_text(TEXAS)
    texas = load_pack(rules)
    f = _patient_credit(engine)
    decide(engine, f.id, "approve", by="maria")
    record_refund(engine, f.id, by="maria", method="check", number="5001", paid_on="2025-03-01")
    assert _patient_credit_status(engine, f.id) == "refunded"
    assert unclaimed_report(engine, "2025-04-01", texas).rows == []

    return_refund(engine, f.id, "5001", by="maria", on="2025-04-02", reason="returned", note="moved, no address")
    assert _patient_credit_status(engine, f.id) == "approved"  # the money is the provider's to hold again
    held = [r for r in credit_balance_report(engine, "2025-04-02") if r["category"] == "patient_overpayment"]
    assert sum(r["total"] for r in held) >= f.amount  # on the books again, outstanding in full
    (row,) = unclaimed_report(engine, "2025-04-02", texas).rows
    assert (row["finding_id"], row["amount_held"], row["check"], row["reason"]) == (f.id, f.amount, "5001", "returned")
    assert row["dormant_until"] == date(2028, 3, 1) and row["report_by"] == date(2028, 7, 1)
    assert row["status"] == "dormant"
    assert unclaimed_report(engine, "2028-03-02", texas).rows[0]["status"] == "presumed abandoned"
    assert unclaimed_report(engine, "2028-07-01", texas).rows[0]["status"] == "report now"
    (event,) = [e for e in audit_events(engine, f.id) if e.event == "refund_returned"]
    assert (event.actor, event.details["number"], event.details["to"]) == ("maria", "5001", "approved")

    # No state dormancy configured: listed, the dates blank, and the report says why.
    plain = unclaimed_report(engine, "2025-04-02", load_pack())
    assert plain.rows[0]["dormant_until"] is None and "state" in plain.notes[0]
    result = CliRunner().invoke(main, ["--db", db_url, "report", "unclaimed", "--as-of", "2025-04-02",
                                       "--rules", str(rules), "--format", "csv"])
    assert result.exit_code == 0 and "2028-07-01" in result.output

    # Refunded again by a new check: no longer unclaimed.
    record_refund(engine, f.id, by="maria", method="check", number="5002", paid_on="2025-05-01")
    assert unclaimed_report(engine, "2025-05-02", texas).rows == []


def _patient_credit_status(engine, finding_id: int) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return next(f.status for f in list_findings(conn, "all") if f.id == finding_id)


def test_a_returned_refund_is_refused_where_it_cannot_be(pack_store, db_url: str) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("patient_overpayment")
    f = _patient_credit(engine)
    with pytest.raises(UsageError, match="no refund with check"):
        return_refund(engine, f.id, "9999", by="maria", on="2025-04-02", reason="returned")
    decide(engine, f.id, "approve", by="maria")
    record_refund(engine, f.id, by="maria", method="check", number="5001", paid_on="2025-03-01")
    with pytest.raises(UsageError, match="cannot have come back"):
        return_refund(engine, f.id, "5001", by="maria", on="2025-02-01", reason="uncashed")
    with pytest.raises(UsageError, match="--reason"):
        return_refund(engine, f.id, "5001", by="maria", on="2025-04-02", reason="lost")
    return_refund(engine, f.id, "5001", by="maria", on="2025-09-01", reason="uncashed")
    result = CliRunner().invoke(main, ["--db", db_url, "refunds", "returned", str(f.id), "--number", "5001",
                                       "--reason", "uncashed", "--by", "maria"])
    assert result.exit_code == 2 and "already recorded uncashed" in result.output and "Traceback" not in result.output
