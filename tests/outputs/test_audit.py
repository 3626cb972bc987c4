"""Decisions and the audit trail: transitions, atomicity, append-only rows, and survival across
re-runs of detect and schema upgrades (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from edi_engine.cli import main
from edi_engine.errors import UsageError
from edi_engine.outputs import add_note, audit_events, decide, detect_with_audit, record_refund
from edi_engine.outputs import decisions as decisions_module
from edi_engine.rules import detect
from edi_engine.store import create_store_engine, imports, payers, tables, upgrade
from edi_engine.store.ingest import ingest_paths
from edi_engine.store.migrate import downgrade
from tests.outputs.conftest import AS_OF, FIXTURES, load_pack

_F = tables.finding


def _status(engine, finding_id: int) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(_F.c.status).where(_F.c.id == finding_id)).scalar_one()


def _finding_ids(engine) -> list[int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(_F.c.id).order_by(_F.c.id))]


def test_detect_records_identified_once_and_a_rerun_adds_nothing(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("patient_overpayment")
    ids = _finding_ids(engine)
    assert len(ids) == 4
    events = audit_events(engine)
    assert [(e.finding_id, e.event, e.actor) for e in events] == [(i, "identified", "detect") for i in ids]
    assert events[0].details["category"] == "patient_overpayment" and events[0].at.tzinfo is not None
    detect_with_audit(engine, as_of=AS_OF)
    assert audit_events(engine) == events


def test_decisions_follow_the_transition_table_and_are_audited(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("patient_overpayment")
    a, b, c, d = _finding_ids(engine)
    decide(engine, a, "approve", by="maria", note="checked the EOB")
    record_refund(engine, a, by="maria", method="check", number="1001", paid_on="2025-03-01",
                  note="check 1001 mailed")
    decide(engine, b, "approve", by="ed")
    decide(engine, b, "offset", by="ed", note="applied to visit of 2024-12-02")
    decide(engine, c, "dismiss", by="ed", note="patient asked to keep a credit")
    decide(engine, d, "approve", by="ed")
    decide(engine, d, "dismiss", by="ed", note="approved in error")
    assert [_status(engine, i) for i in (a, b, c, d)] == ["refunded", "offset", "dismissed", "dismissed"]
    trail = [(e.event, e.actor, e.note, e.details.get("from"), e.details.get("to"))
             for e in audit_events(engine, a)[1:]]
    assert trail == [("approved", "maria", "checked the EOB", "open", "approved"),
                     ("refund_recorded", "maria", "check 1001 mailed", None, None),
                     ("refunded", "maria", "check 1001 mailed", "approved", "refunded")]
    cash = audit_events(engine, a)[2].details
    assert (cash["method"], cash["number"], cash["paid_on"], cash["outstanding"]) == ("check", "1001", "2025-03-01",
                                                                                      "0.00")
    for fid, action in ((a, "approve"), (a, "dismiss"), (c, "mark-refunded"), (c, "offset")):
        with pytest.raises(UsageError, match=f"finding {fid} is"):
            decide(engine, fid, action, by="x")
    with pytest.raises(UsageError, match="no finding 999"):
        decide(engine, 999, "approve", by="x")
    with pytest.raises(UsageError, match="unknown action"):
        decide(engine, a, "delete", by="x")
    with pytest.raises(UsageError, match="--by"):
        decide(engine, d, "approve", by=" ")
    add_note(engine, c, by="ed", note="called the patient")
    assert audit_events(engine, c)[-1].event == "note" and audit_events(engine, c)[-1].note == "called the patient"


def test_a_decision_and_its_event_commit_together(pack_store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    (fid,) = _finding_ids(engine)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(decisions_module, "record", broken)
    with pytest.raises(RuntimeError):
        decide(engine, fid, "approve", by="maria")
    assert _status(engine, fid) == "open"
    assert [e.event for e in audit_events(engine, fid)] == ["identified"]


def test_decisions_and_events_survive_a_rerun_of_detect(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("patient_overpayment")
    ids = _finding_ids(engine)
    decide(engine, ids[0], "approve", by="maria", note="ok")
    decide(engine, ids[1], "dismiss", by="maria", note="no")
    before = audit_events(engine)
    detect_with_audit(engine, as_of="2025-02-01")
    detect(engine, as_of="2025-02-02")  # an unaudited run changes no decision either
    assert [_status(engine, i) for i in ids[:2]] == ["approved", "dismissed"]
    assert audit_events(engine) == before


def test_resolution_by_a_later_remittance_is_an_event(pack_store) -> None:  # type: ignore[no-untyped-def]
    # duplicate_recouped: the duplicate is open until the PLB WO check arrives, then resolved.
    engine = pack_store(detect=False)
    pack = FIXTURES / "duplicate_recouped"
    files = sorted(p for p in pack.iterdir() if p.suffix in (".835", ".837"))
    recoup = [p for p in files if re.search(r"PLB[^~]*\*WO:", p.read_text(encoding="latin-1"))]
    assert len(recoup) == 1, "the pack has one PLB WO recoupment file"
    ingest_paths(engine, [p for p in files if p not in recoup])
    imports.import_fee_schedule(engine, pack / "fee_schedule.csv")
    imports.import_patient_payments(engine, pack / "patient_payments.csv")
    with engine.begin() as conn:
        for line in (pack / "payer_aliases.csv").read_text().splitlines()[1:]:
            payers.add_alias(conn, *line.split(","))
    detect_with_audit(engine, as_of="2024-12-01")
    open_ids = [e.finding_id for e in audit_events(engine) if e.event == "identified"
                and e.details["category"] == "duplicate_payment"]
    assert len(open_ids) == 1
    ingest_paths(engine, recoup)
    detect_with_audit(engine, as_of=AS_OF)
    assert _status(engine, open_ids[0]) == "resolved"
    resolved = [e for e in audit_events(engine, open_ids[0]) if e.event == "resolved"]
    assert len(resolved) == 1 and resolved[0].details["from"] == "open" and resolved[0].actor == "detect"


def test_audit_rows_cannot_be_updated_or_deleted(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    for statement in ("UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert [e.actor for e in audit_events(engine)] == ["detect"]


def test_events_survive_db_upgrade_from_an_older_schema(db_url: str) -> None:
    engine = create_store_engine(db_url)
    # A database made by an edi-engine from before the audit trail: findings, no events. Today's ingest
    # writes today's columns, so the pack is loaded at head and the schema then taken back to 0002.
    upgrade(engine)
    load_pack(engine, FIXTURES / "duplicate_payment")
    detect(engine, as_of=AS_OF)
    downgrade(engine, "0002")
    before, after = upgrade(engine)
    assert before == "0002"
    summary = detect_with_audit(engine, as_of=AS_OF)
    assert summary.inserted == 0
    (fid,) = _finding_ids(engine)
    assert [(e.event, e.details.get("backfilled")) for e in audit_events(engine)] == [("identified", True)]
    decide(engine, fid, "approve", by="maria", note="ok")
    events = audit_events(engine)
    result = CliRunner().invoke(main, ["--db", db_url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert audit_events(engine) == events
    detect_with_audit(engine, as_of=AS_OF)
    assert audit_events(engine) == events and _status(engine, fid) == "approved"
