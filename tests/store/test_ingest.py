"""Ingest: 835/837 files into the store, completely, once, traceable to their segments."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from edi_engine.cli import main
from edi_engine.store import open_store
from edi_engine.store.ingest import ingest_file, ingest_paths
from edi_engine.store.payers import payer_id_835
from edi_engine.x12.reader import read_segments
from tests.store.world import write_world

TABLES = ["source_file", "interchange", "transaction_set", "claim", "claim_line", "payment", "claim_payment",
          "service_payment", "adjustment", "provider_adjustment"]


def counts(url: str) -> dict[str, int]:
    with open_store(url).connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def _cli(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", url, "ingest", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_world_is_stored_completely_and_traceably(db_url: str, tmp_path: Path) -> None:
    world = write_world(tmp_path / "in", claims=30, per_file=10)
    code, out = _cli(db_url, str(tmp_path / "in"), "--json")
    assert code == 0, out
    summary = json.loads(out)["summary"]
    assert summary == {"files": 6, "ingested": 6, "already_ingested": 0, "conflicts": 0, "failed": 0,
                       "transactions": 6, "claims": 30, "payments": 30, "redelivered": 0,
                       "remittance_conflicts": 0, "resubmitted": 0}
    c = counts(db_url)
    assert (c["claim"], c["claim_line"], c["claim_payment"], c["payment"]) == (30, world.lines, 30, 3)
    assert c["service_payment"] == world.lines and c["provider_adjustment"] == 6
    engine = open_store(db_url)
    with engine.connect() as conn:
        # Money is exact: claim 2 has lines 32.50 + 47.25 + 65.00.
        claim = conn.execute(text("SELECT * FROM claim WHERE patient_control_number = 'PCN00000002'")).one()
        assert claim.charge == 14475 and claim.payer_id == "PAYER03" and claim.variant == "P"
        assert claim.patient_last_name == "LAST2" and claim.facility_code == "11" and claim.frequency_code == "1"
        line = conn.execute(text("SELECT * FROM claim_line WHERE line_control_number = 'PCN00000002L2'")).one()
        assert (line.procedure_code, line.modifiers, line.charge, line.units) == ("80053", "25", 4725, "1")
        pay = conn.execute(text("SELECT * FROM payment ORDER BY id")).first()
        assert pay.payer_id == "PAYER01" and pay.trace_number == "EFT00000000" and pay.method == "ACH"
        svc = conn.execute(text("SELECT * FROM service_payment WHERE line_control_number = 'PCN00000001L1'")).one()
        assert (svc.charge, svc.paid, svc.allowed) == (18000, 13400, 14400)
        adj = conn.execute(text("SELECT group_code, reason_code, amount FROM adjustment "
                                "WHERE service_payment_id = :s ORDER BY id"), {"s": svc.id}).all()
        assert [tuple(a) for a in adj] == [("CO", "45", 3600), ("PR", "2", 1000)]
        plb = conn.execute(text("SELECT reason_code, reference, amount FROM provider_adjustment ORDER BY id")).all()[:2]
        assert [tuple(p) for p in plb] == [("L6", "INT", -250), ("WO", "ICN0000000001", 500)]
        # Every row names its file and segment, and that segment is the one that says so.
        files = {r.id: r.name for r in conn.execute(text("SELECT id, name FROM source_file"))}
        anchors = {"claim": ("CLM", "patient_control_number"), "claim_payment": ("CLP", "patient_control_number"),
                   "claim_line": ("LX", None), "service_payment": ("SVC", None), "adjustment": ("CAS", None),
                   "provider_adjustment": ("PLB", None), "payment": ("BPR", None), "transaction_set": ("ST", None)}
        segs = {fid: {s.index: s for s in read_segments(name)} for fid, name in files.items()}
        for table, (seg_id, column) in anchors.items():
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                seg = segs[row.source_file_id][row.segment]
                assert seg.id == seg_id and seg.offset == row.byte_offset, (table, row.segment)
                if column:
                    assert seg.get(1) == getattr(row, column)
    # Read back through the schema types: Decimal, never float.
    from edi_engine.store import tables
    with engine.connect() as conn:
        total = conn.execute(select(tables.claim.c.charge)
                             .where(tables.claim.c.patient_control_number == "PCN00000002")).scalar()
    assert total == Decimal("144.75")


def test_same_content_again_is_a_no_op(db_url: str, tmp_path: Path) -> None:
    write_world(tmp_path / "in", claims=8, per_file=4)
    assert _cli(db_url, str(tmp_path / "in"))[0] == 0
    before = counts(db_url)
    code, out = _cli(db_url, str(tmp_path / "in"))
    assert code == 0
    assert "files 4 (0 ingested, 4 already ingested, 0 conflicts, 0 failed)" in out
    assert counts(db_url) == before


def test_same_interchange_with_other_content_is_stored_with_a_warning(db_url: str, tmp_path: Path) -> None:
    a = write_world(tmp_path / "a", claims=3, per_file=3)
    b = write_world(tmp_path / "b", claims=4, per_file=4)  # same sender and ISA13; claims 1-3 the same as a's
    assert _cli(db_url, *map(str, a.all))[0] == 0
    before = counts(db_url)
    code, out = _cli(db_url, str(b.files_837[0]), "--json")
    assert code == 0, out
    result = json.loads(out)["files"][0]
    assert result["status"] == "ingested" and (result["claims"], result["resubmitted"]) == (1, 3)
    assert any("ISA13 000000001 from this sender was used before by" in w for w in result["warnings"])
    after = counts(db_url)
    assert after["interchange"] == before["interchange"] + 1 and after["claim"] == before["claim"] + 1
    with open_store(db_url).connect() as conn:
        stored = conn.execute(text("SELECT warnings FROM source_file WHERE name = :n"),
                              {"n": str(b.files_837[0])}).scalar()
        assert "used before by" in stored and "3 claims submitted again, already stored" in stored
        assert conn.execute(text("SELECT count(*) FROM claim_submission")).scalar() == 3


def _corrupt(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))


def test_unreadable_file_is_recorded_failed_and_the_batch_goes_on(db_url: str, tmp_path: Path) -> None:
    world = write_world(tmp_path / "in", claims=6, per_file=3, sender="S2")
    _corrupt(world.files_835[1], b"CLP*PCN00000004*1*190.00", b"CLP*PCN00000004*1*19X.00")  # CLP03, 2nd claim
    code, out = _cli(db_url, str(tmp_path / "in"), "--json")
    assert code == 1
    report = json.loads(out)
    assert report["summary"]["failed"] == 1 and report["summary"]["ingested"] == 3
    failed = [f for f in report["files"] if f["status"] == "failed"]
    assert failed[0]["file"].endswith("remit_00001.835") and "could not be read completely" in failed[0]["error"]
    with open_store(db_url).connect() as conn:
        rows = conn.execute(text("SELECT name, status, error, claims, payments FROM source_file "
                                 "WHERE status = 'failed'")).all()
        assert len(rows) == 1 and rows[0].error and (rows[0].claims, rows[0].payments) == (0, 0)
        # nothing of the failed file: the first claim of that 835 had been read before the bad one
        assert conn.execute(text("SELECT count(*) FROM claim_payment "
                                 "WHERE patient_control_number = 'PCN00000003'")).scalar() == 0
    # Trying again records the failure once, not twice.
    assert _cli(db_url, str(world.files_835[1]))[0] == 1
    assert counts(db_url)["source_file"] == 4


def test_sub_cent_amount_fails_the_file(db_url: str, tmp_path: Path) -> None:
    world = write_world(tmp_path / "in", claims=2, per_file=2, sender="S3")
    _corrupt(world.files_837[0], b"CLM*PCN00000001*212.50", b"CLM*PCN00000001*212.505")
    result = ingest_file(open_store(db_url), world.files_837[0])
    assert result.status == "failed" and "more than two decimal places" in (result.error or "")
    assert counts(db_url)["claim"] == 0


def test_not_x12_and_empty_sets_fail(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    summary = ingest_paths(open_store(db_url), [tmp_path / "notes.txt"])
    assert summary.results[0].status == "failed" and "not X12" in (summary.results[0].error or "")


def test_payer_id_835_preference() -> None:
    assert payer_id_835("N104", "REF2U", "TRN03") == "N104"
    assert payer_id_835("", "REF2U", "TRN03") == "REF2U"
    assert payer_id_835(None, None, "1512345678") == "1512345678"
    assert payer_id_835(None, " ", "") is None


def test_corpus_files_are_stored_or_reported(tmp_path: Path, corpus: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "c.db")
    summary = ingest_paths(open_store(url), [corpus])
    t = summary.totals()
    assert t["ingested"] >= 20 and t["claims"] > 0 and t["payments"] > 0
    for r in summary.results:
        assert r.status in ("ingested", "failed")
        assert (r.error is None) == (r.status == "ingested")
    with open_store(url).connect() as conn:
        stored = conn.execute(select(func.sum(text("claims")), func.sum(text("payments")))
                              .select_from(text("source_file"))).one()
    assert tuple(stored) == (t["claims"], t["payments"])


def test_a_workers_turn_at_writing_is_not_waited_on_for_ever(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SQLite workers' lock, left held (its worker killed), delays the next writer by the busy timeout only."""
    import multiprocessing

    from edi_engine.store import engine as store_engine
    from edi_engine.store.ingest import _Turn

    monkeypatch.setattr(store_engine, "SQLITE_BUSY_TIMEOUT_MS", 50)
    lock = multiprocessing.get_context().Lock()
    with _Turn(lock):  # free: taken for the transaction, given back after it
        assert not lock.acquire(block=False)
    assert lock.acquire(block=False)  # held now, as by a killed worker
    turn = _Turn(lock)
    with turn:
        assert not turn.held
    lock.release()  # still the holder's to release: the turn that did not get it left it alone


@pytest.mark.parametrize("enabled", [True, False])
def test_ingest_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path, enabled: bool) -> None:
    import gc

    world = write_world(tmp_path / "in", claims=6, per_file=3)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        assert ingest_file(engine, world.files_837[0]).status == "ingested"
        cut = tmp_path / "cut.837"  # fails inside the parse: nothing stored
        cut.write_bytes(world.files_837[1].read_bytes()[:-40])
        assert ingest_file(engine, cut).status == "failed"
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_parallel_workers_store_the_same_as_one(db_url: str, tmp_path: Path) -> None:
    world = write_world(tmp_path / "in", claims=40, per_file=5)
    summary = ingest_paths(open_store(db_url), [tmp_path / "in", world.all[0]], jobs=2)
    assert [r.file for r in summary.results] == [str(p) for p in sorted(world.all)] + [str(world.all[0])]
    assert summary.totals()["ingested"] == len(world.all)
    # the same file twice, in two workers at once: one stores it, the other finds it stored
    assert sorted([summary.results[0].status, summary.results[-1].status]) == ["already ingested", "ingested"]
    c = counts(db_url)
    assert (c["claim"], c["claim_line"], c["claim_payment"], c["service_payment"]) == (40, world.lines, 40, world.lines)
    code, out = _cli(db_url, "--jobs", "2", str(tmp_path / "in"))
    assert code == 0 and f"{len(world.all)} already ingested" in out
