"""detect is idempotent and incremental, keeps decisions, and its CLI commands print what it found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from edi_engine.cli import main
from edi_engine.rules import detect, explain, list_findings
from edi_engine.store import open_store, tables
from tests.ledger.build import Store, file_835, file_837
from tests.ledger.scenarios import claim, paid, reversal

_F = tables.finding
_M = tables.payment_match


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    return Store(open_store(db_url), tmp_path)


def _snapshot(store: Store) -> tuple[list[tuple], list[tuple]]:  # type: ignore[type-arg]
    with store.engine.connect() as conn:
        return ([tuple(r) for r in conn.execute(select(_F).order_by(_F.c.id))],
                [tuple(r) for r in conn.execute(select(_M).order_by(_M.c.id))])


def test_detect_twice_changes_nothing(store: Store) -> None:
    store.ingest(store.add("c.837", file_837([claim()])),
                 store.add("a.835", file_835("P1", "C1", "20240201", [paid()])),
                 store.add("b.835", file_835("P1", "C2", "20240215", [paid("ICN2")])))
    first = detect(store.engine, as_of="2024-03-01")
    before = _snapshot(store)
    second = detect(store.engine, as_of="2024-03-09")
    assert first.inserted == 1 and second.inserted == second.updated == second.resolved == 0
    assert second.matches_written == 0 and _snapshot(store) == before


def test_new_files_update_findings_and_keep_decisions(store: Store) -> None:
    store.ingest(store.add("c.837", file_837([claim(), claim("PCN2")])),
                 store.add("a.835", file_835("P1", "C1", "20240201", [paid(), paid("ICN5", clm01="PCN2")])),
                 store.add("b.835", file_835("P1", "C2", "20240215", [paid("ICN2"), paid("ICN6", clm01="PCN2")])))
    detect(store.engine, as_of="2024-03-01")
    with store.engine.begin() as conn:
        conn.execute(update(_F).where(_F.c.patient_control_number == "PCN2").values(status="dismissed"))
    # The payer reverses both duplicates: PCN1's open finding resolves, PCN2's decision stays. (An
    # approval not yet paid gives way to the payer's own recovery instead, or the check would pay it
    # twice: tests/outputs/test_refund_after_recoupment.py.)
    store.ingest(store.add("d.835", file_835("P1", "C3", "20240301", [reversal(paid("ICN2")),
                                                                      reversal(paid("ICN6", clm01="PCN2"))])))
    detect(store.engine, as_of="2024-03-10")
    with store.engine.connect() as conn:
        rows = {f.claim_id: f for f in list_findings(conn, "all")}
        statuses = {r.patient_control_number: r.status for r in conn.execute(select(_F))}
    assert statuses == {"PCN1": "resolved", "PCN2": "dismissed"}
    assert rows["PCN1"].identified_on.isoformat() == "2024-03-01"
    assert rows["PCN2"].status == "dismissed"  # --status all lists decisions too


def test_ingesting_a_file_twice_changes_nothing(store: Store) -> None:
    c, a = store.add("c.837", file_837([claim()])), store.add("a.835", file_835("P1", "C1", "20240201", [paid()]))
    b = store.add("b.835", file_835("P1", "C2", "20240215", [paid("ICN2")]))
    store.ingest(c, a, b)
    detect(store.engine, as_of="2024-03-01")
    before = _snapshot(store)
    store.ingest(b, a)
    detect(store.engine, as_of="2024-03-01")
    assert _snapshot(store) == before


def test_findings_json_and_explain(store: Store, db_url: str) -> None:
    store.ingest(store.add("c.837", file_837([claim()])),
                 store.add("a.835", file_835("P1", "C1", "20240201", [paid()])),
                 store.add("b.835", file_835("P1", "C2", "20240215", [paid("ICN2")])))
    runner = CliRunner()
    result = runner.invoke(main, ["--db", db_url, "detect", "--as-of", "2024-03-01"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["--db", db_url, "findings", "--format", "json"])
    (row,) = json.loads(result.output)
    assert {k: row[k] for k in ("category", "claim_id", "payer_id", "amount", "refund_to", "status",
                                "identified_on", "deadline")} == {
        "category": "duplicate_payment", "claim_id": "PCN1", "payer_id": "P1", "amount": "104.00",
        "refund_to": "payer", "status": "open", "identified_on": "2024-03-01", "deadline": "2024-04-30"}
    trns = {r.get("trn02") for r in row["evidence"]["records"]}
    assert {"C1", "C2"} <= trns
    result = runner.invoke(main, ["--db", db_url, "findings", "--format", "csv", "--status", "all"])
    assert result.output.splitlines()[1].split(",")[1:5] == ["duplicate_payment", "PCN1", "P1", "104.00"]
    with store.engine.connect() as conn:
        e = explain(conn, row["id"])
    assert any(s.text and s.text.startswith("CLP*PCN1*1*150.00*104.00*16.00*12*ICN2") for s in e.segments)
    assert e.payer_credit is not None and f"{e.payer_credit:.2f}" == "104.00"
    kinds = {ln.kind for ln in e.ledger}
    assert {"charge", "contractual", "payment", "patient_responsibility", "adjustment"} <= kinds
    result = runner.invoke(main, ["--db", db_url, "explain", str(row["id"])])
    assert result.exit_code == 0 and "ICN2" in result.output and "balance " in result.output
    assert "credit 104.00" in result.output
    Path(store.folder / "b.835").unlink()  # the store keeps the file's contents: the evidence stays
    with store.engine.connect() as conn:
        e = explain(conn, row["id"])
    assert any(s.text and s.text.startswith("CLP*PCN1*1*150.00*104.00*16.00*12*ICN2") for s in e.segments)
