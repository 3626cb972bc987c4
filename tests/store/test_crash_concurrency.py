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
    # Same sender and ISA13 as claims_00000.837 but other content: exactly one of the two may be stored.
    rival = write_world(tmp_path / "rival", claims=3, per_file=3).files_837[0]
    open_store(db_url)
    first = cli(db_url, "ingest", "--json", *files[: len(files) * 3 // 4])
    second = cli(db_url, "ingest", "--json", str(rival), *reversed(files[len(files) // 4:]))
    outs = [json.loads(p.communicate(timeout=600)[0]) for p in (first, second)]
    statuses = [f["status"] for out in outs for f in out["files"]]
    assert statuses.count("failed") == 0
    assert statuses.count("conflict") == 1  # the rival, or claims_00000.837 if the rival won
    with open_store(db_url).connect() as conn:
        names = [r.name for r in conn.execute(text("SELECT name FROM source_file"))]
    assert len(names) == len(set(names)) == len(files)  # each file once (the rival or its twin)
    assert statuses.count("ingested") == len(files)
    assert_consistent(db_url)
