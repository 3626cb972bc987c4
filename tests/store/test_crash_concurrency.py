"""Crash safety (SIGKILL mid-ingest, then a re-run) and concurrent ingests of overlapping file sets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from edi_engine.store import open_store
from tests.store.test_ingest import counts
from tests.store.test_watch import REPO, cli, wait_for
from tests.store.world import write_world
from tests.store.x12copies import VARIANTS, reenvelope

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def assert_consistent(url: str) -> None:
    """Every stored file is complete (its row counts match what it says) and nothing is orphaned."""
    with open_store(url).connect() as conn:
        files = conn.execute(text("SELECT id, status, claims, payments FROM source_file")).all()
        for f in files:
            claims = conn.execute(text("SELECT count(*) FROM claim WHERE source_file_id = :f"), {"f": f.id}).scalar()
            clps = conn.execute(text("SELECT count(*) FROM claim_payment WHERE source_file_id = :f"),
                                {"f": f.id}).scalar()
            assert (f.status, claims, clps) == ("ingested", f.claims, f.payments)
        assert conn.execute(text("SELECT count(*) FROM claim_line l LEFT JOIN claim c ON c.id = l.claim_id "
                                 "WHERE c.id IS NULL")).scalar() == 0


def assert_complete(url: str, world) -> None:  # type: ignore[no-untyped-def]
    c = counts(url)
    assert c["source_file"] == len(world.all)
    assert (c["claim"], c["claim_line"], c["claim_payment"], c["service_payment"]) == (
        world.claims, world.lines, world.claims, world.lines)
    assert c["provider_adjustment"] == 2 * len(world.files_835)
    assert_consistent(url)


def test_sigkill_at_several_points_then_rerun_stores_everything_once(db_url: str, tmp_path: Path) -> None:
    batch = 300
    claims = 3 * batch + 100  # 4 batches per file
    world = write_world(tmp_path / "in", claims=2 * claims, per_file=claims)
    files = [str(p) for p in world.all]
    open_store(db_url)
    # (file index, batch) to die at: mid first file, mid third file, just after the second file committed.
    for pause_file, pause_batch in [(0, 2), (2, 3), (1, 0)]:
        child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("_crash_child.py")), db_url, str(batch),
                                  str(pause_file), str(pause_batch), *files],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env())
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("paused"):
                break
        else:
            pytest.fail(f"child ended without pausing: {child.wait()}")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert_consistent(db_url)
    with open_store(db_url).connect() as conn:
        # the kills after commit kept theirs
        assert conn.execute(text("SELECT count(*) FROM source_file")).scalar() == 2
    # A kill at an unplanned moment: as soon as a third file is visible as stored.
    proc = cli(db_url, "ingest", *files)
    wait_for(lambda: counts(db_url)["source_file"] >= 3 or proc.poll() is not None, timeout=120)
    proc.kill()
    proc.wait(timeout=30)
    assert_consistent(db_url)
    rerun = cli(db_url, "ingest", "--json", *files)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert json.loads(out)["summary"]["failed"] == 0
    assert_complete(db_url, world)


def test_concurrent_ingests_of_overlapping_sets_store_each_file_once(db_url: str, tmp_path: Path) -> None:
    world = write_world(tmp_path / "in", claims=4_000, per_file=200)
    files = [str(p) for p in world.all]
    # Same sender and ISA13 as claims_00000.837, and the same first three claims: whichever process comes
    # second finds them stored, so they are submissions of one claim; the ISA13 is only a warning.
    rival = write_world(tmp_path / "rival", claims=3, per_file=3).files_837[0]
    open_store(db_url)
    first = cli(db_url, "ingest", "--json", *files[: len(files) * 3 // 4])
    second = cli(db_url, "ingest", "--json", str(rival), *reversed(files[len(files) // 4:]))
    outs = [json.loads(p.communicate(timeout=600)[0]) for p in (first, second)]
    statuses = [f["status"] for out in outs for f in out["files"]]
    assert statuses.count("failed") == statuses.count("conflict") == 0
    with open_store(db_url).connect() as conn:
        names = [r.name for r in conn.execute(text("SELECT name FROM source_file"))]
    assert len(names) == len(set(names)) == len(files) + 1  # each file once, and the rival
    assert statuses.count("ingested") == len(files) + 1
    assert sum(f["resubmitted"] for out in outs for f in out["files"]) == 3
    assert counts(db_url)["claim"] == world.claims
    assert_consistent(db_url)


def _era_copies(tmp_path: Path, claims: int, eras: int) -> tuple[list[Path], list[Path]]:
    """`eras` ERAs of `claims` claims each, and each re-sent under new control numbers (other delimiters)."""
    world = write_world(tmp_path / "in", claims=claims * eras, per_file=claims)
    copies = []
    for i, era in enumerate(world.files_835):
        copies.append(tmp_path / f"again_{i}.835")
        copies[-1].write_bytes(reenvelope(era.read_bytes(), 800 + i, VARIANTS[1]))
    return world.files_835, copies


def test_two_processes_ingesting_the_same_redelivered_era_at_once_store_it_once(db_url: str, tmp_path: Path) -> None:
    (era,), (copy,) = _era_copies(tmp_path, 3_000, 1)
    open_store(db_url)
    procs = [cli(db_url, "ingest", "--json", str(p)) for p in (era, copy)]
    outs = [json.loads(p.communicate(timeout=600)[0]) for p in procs]
    results = [out["files"][0] for out in outs]
    assert [r["status"] for r in results] == ["ingested", "ingested"]
    assert sorted(r["redelivered"] for r in results) == [0, 1]
    assert sorted(r["payments"] for r in results) == [0, 3_000]
    c = counts(db_url)
    assert (c["payment"], c["claim_payment"], c["provider_adjustment"]) == (1, 3_000, 2)
    with open_store(db_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM remittance_delivery")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM payment_identity")).scalar() == 1
    assert_consistent(db_url)


def test_two_files_taking_the_same_payments_in_opposite_orders_store_each_once(db_url: str, tmp_path: Path) -> None:
    """On PostgreSQL the two transactions wait on each other's payment keys (a deadlock the server breaks);
    the loser is rolled back and tried again, and then finds both payments stored."""
    eras, copies = _era_copies(tmp_path, 1_500, 2)
    forward, backward = tmp_path / "forward.835", tmp_path / "backward.835"
    forward.write_bytes(eras[0].read_bytes() + eras[1].read_bytes())
    backward.write_bytes(copies[1].read_bytes() + copies[0].read_bytes())
    open_store(db_url)
    procs = [cli(db_url, "ingest", "--json", str(p)) for p in (forward, backward)]
    outs = [json.loads(p.communicate(timeout=600)[0]) for p in procs]
    results = [out["files"][0] for out in outs]
    assert [r["status"] for r in results] == ["ingested", "ingested"], results
    assert sum(r["redelivered"] for r in results) == 2 and sum(r["payments"] for r in results) == 3_000
    c = counts(db_url)
    assert (c["payment"], c["claim_payment"]) == (2, 3_000)
    assert_consistent(db_url)


def test_a_kill_while_a_redelivery_is_written_holds_no_key(db_url: str, tmp_path: Path) -> None:
    """A re-sent ERA killed mid-ingest leaves nothing; the original then posts, and the copy is a re-delivery."""
    (era,), (copy,) = _era_copies(tmp_path, 1_000, 1)
    open_store(db_url)
    child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("_crash_child.py")), db_url, "300", "0",
                              "2", str(copy)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env())
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("paused"):
            break
    else:
        pytest.fail(f"child ended without pausing: {child.wait()}")
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    c = counts(db_url)
    assert (c["source_file"], c["payment"], c["claim_payment"]) == (0, 0, 0)
    with open_store(db_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM payment_identity")).scalar() == 0
    from edi_engine.store.ingest import ingest_file
    engine = open_store(db_url)
    assert ingest_file(engine, era).payments == 1_000
    again = ingest_file(engine, copy)
    assert (again.status, again.redelivered, again.payments) == ("ingested", 1, 0)
    assert_consistent(db_url)
