"""Workers on several machines (issue 15 item 3), on PostgreSQL: worker processes take ingest and detect
jobs from procrastinate's queue in the store's database.

- Three workers ingest a drop folder a watcher queues (`ingest --watch --queue`): each file once, and
  the findings of a partitioned detect run through the workers are those of one process that ingested
  the same files and ran detect itself.
- A worker SIGKILLed in the middle of a file's transaction loses nothing: procrastinate's stalled-job
  sweep (worker heartbeats) hands the job to another worker, and the file is stored once, whole.
- Partitioned detect through the workers leaves the store exactly as one run (findings and matches).
- SQLite is refused with a clear message.

The world has the issue's 5,000 claims (about 380 files; EDI_ENGINE_TEST_WORKER_CLAIMS sets another size).
Workers here beat every second and count as stalled after 4 s (the defaults are 10 s and 30 s).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from edi_engine.cli import main
from edi_engine.rules import detect
from edi_engine.simulate.world import generate_world
from edi_engine.store import open_store
from edi_engine.store.imports import import_fee_schedule, import_patient_payments
from edi_engine.store.ingest import ingest_paths
from tests.conftest import REPO, _pg_url
from tests.rules.test_incremental import AS_OF, _pack_files, _snapshot
from tests.store.test_crash_concurrency import assert_consistent
from tests.store.world import write_world

CLAIMS = int(os.environ.get("EDI_ENGINE_TEST_WORKER_CLAIMS", "5000"))
_CSV = {"fee_schedule.csv": import_fee_schedule, "patient_payments.csv": import_patient_payments}
_FAST = ("--heartbeat", "1", "--stalled-after", "4")
# Bounds on waits, only there to end a hung run: the suite runs beside other work on two cores.
_LIMIT = max(150.0, CLAIMS * 0.12)


def _cli(url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "edi_engine", "--db", url, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)


@pytest.fixture
def queue_url(pg_url: str) -> str:
    result = CliRunner().invoke(main, ["--db", pg_url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "task queue schema applied" in result.output
    return pg_url


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes started by a test, stopped (SIGTERM, then SIGKILL) when it ends."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in started:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _wait(what: str, done: Callable[[], bool], timeout: float, procs: list[subprocess.Popen[str]]) -> None:
    end = time.monotonic() + timeout
    while not done():
        dead = [p for p in procs if p.poll() is not None and p.returncode not in (0, -9)]
        if dead:
            raise AssertionError(f"a process stopped ({dead[0].returncode}): {dead[0].stdout.read()[-3000:]}")  # type: ignore[union-attr]
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def _scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _partitioned_detect(url: str, engine: Engine, parts: int, procs: list[subprocess.Popen[str]]) -> None:
    runs = _scalar(engine, "SELECT count(*) FROM detect_run")
    finished = "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'edi.detect_finish' AND status = 'succeeded'"
    before = _scalar(engine, finished)
    result = CliRunner().invoke(main, ["--db", url, "detect", "--partitions", str(parts), "--as-of", AS_OF, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["partitions"] == parts
    _wait("the partitioned detect run", lambda: _scalar(engine, finished) > before, _LIMIT, procs)
    assert _scalar(engine, "SELECT count(*) FROM detect_run") == runs + 1
    assert _scalar(engine, "SELECT count(*) FROM detect_partition") == 0  # the final step cleared them
    tasks = dict(_rows(engine, "SELECT task_name, count(*) FROM procrastinate_jobs WHERE task_name LIKE 'edi.detect%'"
                               " AND status = 'succeeded' GROUP BY task_name"))
    assert tasks == {"edi.detect": 1, "edi.detect_partition": parts, "edi.detect_finish": 1}


def _rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


@contextlib.contextmanager
def _other_store() -> Iterator[Engine]:
    """A second empty store on the test server (its own schema), dropped afterwards."""
    base = os.environ["EDI_ENGINE_TEST_PG_URL"]
    schema = "t_single_" + os.urandom(6).hex()
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = open_store(_pg_url(base, schema))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _add(engine: Engine, path: Path) -> None:
    if path.name in _CSV:
        _CSV[path.name](engine, path)
    else:
        ingest_paths(engine, [path])


def _portable(engine: Engine, folders: list[Path]) -> list[tuple[Any, ...]]:
    """Findings without what depends on ingest order (row ids) or the folder a file came from."""
    out = []
    with engine.connect() as conn:
        for r in conn.execute(text(
                "SELECT natural_key, category, patient_control_number, payer_id, amount, refund_to, status,"
                " identified_on, arose_on, deadline, evidence FROM finding")):
            evidence = r.evidence
            for folder in folders:
                evidence = evidence.replace(f"{folder}/", "")
            out.append((*r[:10], _strip_ids(json.loads(evidence))))
    return sorted(out, key=repr)


def _strip_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_ids(v) for k, v in value.items() if not (k == "id" or k.endswith("_id") and k != "payer_id")}
    if isinstance(value, list):
        return [_strip_ids(v) for v in value]
    return value


@pytest.mark.postgres
@pytest.mark.slow
def test_three_workers_ingest_a_drop_folder_once_each_with_the_findings_of_one_process(
        queue_url: str, tmp_path: Path, procs: list[subprocess.Popen[str]]) -> None:
    world = tmp_path / "world"
    generate_world(CLAIMS, 11, out=world)
    x12 = sorted(p for p in world.iterdir() if p.suffix in (".835", ".837"))
    csvs = sorted(p for p in world.iterdir() if p.name in _CSV)
    drop = tmp_path / "drop"
    drop.mkdir()
    engine = open_store(queue_url)
    procs.append(_cli(queue_url, "ingest", "--watch", str(drop), "--queue", "--poll", "0.2", "--settle", "0.5"))
    procs.extend(_cli(queue_url, "worker", *_FAST) for _ in range(3))
    for path in x12:  # as a sender should: under a temporary name, renamed when whole
        shutil.copyfile(path, drop / (path.name + ".part"))
        os.rename(drop / (path.name + ".part"), drop / path.name)
    _wait("every file ingested", lambda: _scalar(engine, "SELECT count(*) FROM source_file") >= len(x12)
          and _scalar(engine, "SELECT count(*) FROM ingest_staged") == 0, _LIMIT, procs)

    # Each file once: one row per content, no failure, one ingest job per content, every job done.
    assert _rows(engine, "SELECT status, count(*), count(DISTINCT content_hash) FROM source_file GROUP BY status") \
        == [("ingested", len(x12), len(x12))]
    jobs = _rows(engine, "SELECT args->>'digest', count(*), min(status::text) FROM procrastinate_jobs"
                         " WHERE task_name = 'edi.ingest' GROUP BY 1")
    assert len(jobs) == len(x12) and {(n, s) for _d, n, s in jobs} == {(1, "succeeded")}
    assert sorted(p.name for p in (drop / "queued").iterdir()) == [p.name for p in x12]
    assert [p.name for p in drop.iterdir() if p.is_file()] == []
    assert_consistent(queue_url)
    workers = _scalar(engine, "SELECT count(DISTINCT worker_id) FROM procrastinate_jobs WHERE task_name = 'edi.ingest'")
    assert workers == 3, "each of the three workers took files"

    for path in csvs:
        _CSV[path.name](engine, path)
    _partitioned_detect(queue_url, engine, 3, procs)

    # One process: the same files ingested here and detect run here, in another store on the server.
    with _other_store() as single:
        ingest_paths(single, x12)
        for path in csvs:
            _CSV[path.name](single, path)
        detect(single, as_of=AS_OF)
        expected = _portable(single, [world])
    assert len(expected) > 20
    assert _portable(engine, [drop, world]) == expected  # the CSVs were imported from world/ into both


def _lock_on_claim(engine: Engine) -> bool:
    """Some transaction has written claim rows and not committed: a file is being stored right now."""
    return bool(_scalar(engine, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                                " WHERE c.relname = 'claim' AND c.relnamespace = current_schema()::regnamespace"
                                " AND l.mode = 'RowExclusiveLock' AND l.granted"))


@pytest.mark.postgres
@pytest.mark.slow
def test_a_worker_killed_mid_file_loses_nothing_another_worker_stores_it_once(
        queue_url: str, tmp_path: Path, procs: list[subprocess.Popen[str]]) -> None:
    big = write_world(tmp_path / "in", claims=12_000, per_file=12_000)  # one 837 long enough to be caught
    path = big.files_837[0]
    engine = open_store(queue_url)
    result = CliRunner().invoke(main, ["--db", queue_url, "enqueue", str(path), "--json"])
    assert result.exit_code == 0, result.output
    [queued] = json.loads(result.output)
    assert queued["status"] == "queued"
    first = _cli(queue_url, "worker", *_FAST)
    procs.append(first)
    _wait("the first worker inside the file's transaction", lambda: _lock_on_claim(engine), 90, procs)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert _scalar(engine, "SELECT count(*) FROM source_file") == 0  # its transaction died with it
    assert _scalar(engine, "SELECT status::text FROM procrastinate_jobs WHERE id = :j", j=queued["job_id"]) == "doing"
    procs.append(_cli(queue_url, "worker", *_FAST))
    _wait("another worker to store the file", lambda: _scalar(
        engine, "SELECT status::text FROM procrastinate_jobs WHERE id = :j", j=queued["job_id"]) == "succeeded",
        100, procs)
    assert _rows(engine, "SELECT status, claims FROM source_file") == [("ingested", 12_000)]
    assert _scalar(engine, "SELECT count(*) FROM claim") == 12_000
    assert _scalar(engine, "SELECT count(*) FROM ingest_staged") == 0
    # Started twice, put back once by the stalled-job sweep, finished once.
    job = int(queued["job_id"])
    events = dict(_rows(engine, f"SELECT type::text, count(*) FROM procrastinate_events WHERE job_id = {job}"
                                " GROUP BY 1"))
    assert (events["started"], events["deferred_for_retry"], events["succeeded"]) == (2, 1, 1)
    assert_consistent(queue_url)
    # Queued again: the content is stored, nothing is queued.
    again = CliRunner().invoke(main, ["--db", queue_url, "enqueue", str(path)])
    assert again.exit_code == 0 and again.output.strip().endswith("already ingested"), again.output


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("pack", ["replacement_new_account", "patient_overpayment", "crossover_medigap"])
def test_partitioned_detect_through_workers_equals_one_run(queue_url: str, pack: str,
                                                            procs: list[subprocess.Popen[str]]) -> None:
    engine = open_store(queue_url)
    files = _pack_files(pack)
    with _other_store() as single:
        for path in files:  # the same files in the same order: the same row ids in both stores
            _add(engine, path)
            _add(single, path)
        detect(single, as_of=AS_OF)
        expected = _snapshot(single)
    procs.extend(_cli(queue_url, "worker", "--queue", "detect", *_FAST) for _ in range(2))
    _partitioned_detect(queue_url, engine, 4, procs)
    assert _snapshot(engine) == expected
    assert expected[0] and expected[1], "the pack has findings and matched payments"


def test_workers_and_the_queue_refuse_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    runner = CliRunner()
    for args in (["worker"], ["enqueue", str(tmp_path)], ["detect", "--partitions", "2"],
                 ["ingest", "--watch", str(tmp_path), "--queue"]):
        result = runner.invoke(main, ["--db", url, *args])
        assert result.exit_code == 2, (args, result.output)
        assert "the task queue needs PostgreSQL" in result.output
