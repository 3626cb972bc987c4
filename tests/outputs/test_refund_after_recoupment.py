"""A payer that takes a duplicate back itself while its refund is approved but not yet (wholly) paid
is not paid again by check: the approval resolves with the recoupment as its evidence, the batch
leaves it out, and only what the provider already sent is a double recovery (a billing office's
review of 2026-12-03: a partial check, then a PLB 72 of the whole, then a check for the rest)."""

from __future__ import annotations

from pathlib import Path

from edi_engine.outputs import decide, detect_with_audit, record_refund
from edi_engine.outputs.refunds import refunds_due
from edi_engine.rules import list_findings
from edi_engine.store import imports, open_store
from edi_engine.store.ingest import ingest_paths

PACK = Path(__file__).resolve().parents[2] / "fixtures" / "double_recovery"
RECOUPMENT = "20250110-835-NSB02-25011050280399.835"  # PLB 72 of the whole 316.55


def _by_category(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {f.category: f for f in list_findings(conn, "all")}


def _before_the_recoupment(db_url: str):  # type: ignore[no-untyped-def]
    engine = open_store(db_url)
    files = sorted(p for p in PACK.iterdir() if p.suffix in (".835", ".837") and p.name != RECOUPMENT)
    assert not ingest_paths(engine, files).failed
    imports.import_fee_schedule(engine, PACK / "fee_schedule.csv")
    imports.import_patient_payments(engine, PACK / "patient_payments.csv")
    detect_with_audit(engine, as_of="2024-12-05")
    return engine, _by_category(engine)["duplicate_payment"]


def test_a_partial_refund_then_a_whole_recoupment_pays_nothing_more(db_url: str) -> None:
    engine, dup = _before_the_recoupment(db_url)
    decide(engine, dup.id, "approve", by="ana")
    record_refund(engine, dup.id, by="ana", method="check", number="5001", paid_on="2024-12-10", amount="100.00")
    assert [(d.finding_id, f"{d.amount:.2f}") for d in refunds_due(engine, "2024-12-11")] == [(dup.id, "216.55")]
    assert not ingest_paths(engine, [PACK / RECOUPMENT]).failed
    detect_with_audit(engine, as_of="2025-01-15")
    found = _by_category(engine)
    assert found["duplicate_payment"].status == "resolved"  # the payer took it back itself
    assert refunds_due(engine, "2025-01-15") == []  # no check for the rest
    twice = found["double_recovery"]
    assert (twice.status, f"{twice.amount:.2f}") == ("open", "100.00")


def test_an_approved_refund_the_payer_recouped_before_any_check_resolves(db_url: str) -> None:
    engine, dup = _before_the_recoupment(db_url)
    decide(engine, dup.id, "approve", by="ana")
    assert not ingest_paths(engine, [PACK / RECOUPMENT]).failed
    detect_with_audit(engine, as_of="2025-01-15")
    found = _by_category(engine)
    assert found["duplicate_payment"].status == "resolved"
    assert "double_recovery" not in found or found["double_recovery"].status != "open"
    assert refunds_due(engine, "2025-01-15") == []
