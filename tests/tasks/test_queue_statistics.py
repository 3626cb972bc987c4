"""The job table's planner statistics are refreshed once a backlog makes them stale (PostgreSQL).

With autovacuum off (as on this machine's server) a table filled by a bulk enqueue is never analyzed,
and procrastinate's fetch then walks every waiting job for each one it hands out: at 12,000 queued
files a worker took 2-3 s a fetch (bench/workers.py). `enqueue` and a periodic worker task ANALYZE the
table when it changed by more than autovacuum's own threshold."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from edi_engine.cli import main
from edi_engine.store import open_store
from edi_engine.store.staging import refresh_statistics
from edi_engine.tasks.jobs import QUEUE_TABLE


def _analyzed(engine: object) -> bool:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return conn.execute(text("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables"
                                 " WHERE relid = to_regclass(:t)"), {"t": QUEUE_TABLE}).scalar() is True


@pytest.mark.postgres
def test_a_backlog_of_jobs_is_analyzed_once_and_not_again(pg_url: str) -> None:
    result = CliRunner().invoke(main, ["--db", pg_url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = open_store(pg_url)
    assert refresh_statistics(engine, QUEUE_TABLE) is False  # empty: nothing to refresh
    with engine.begin() as conn:  # a backlog as a bulk enqueue leaves it
        conn.execute(text(f"INSERT INTO {QUEUE_TABLE} (queue_name, task_name, args, status)"
                          " SELECT 'ingest', 'edi.ingest', '{}'::jsonb, 'todo' FROM generate_series(1, 800)"))
    assert not _analyzed(engine)
    # The server publishes a backend's counts within about a second of its transaction ending.
    end = time.monotonic() + 10
    ran = refresh_statistics(engine, QUEUE_TABLE)
    while not ran and time.monotonic() < end:
        time.sleep(0.2)
        ran = refresh_statistics(engine, QUEUE_TABLE)
    assert ran and _analyzed(engine)
    time.sleep(1.2)
    assert refresh_statistics(engine, QUEUE_TABLE) is False  # fresh now
    engine.dispose()


def test_sqlite_has_nothing_to_refresh(tmp_path: object) -> None:
    engine = open_store(f"sqlite:///{tmp_path}/s.db")
    assert refresh_statistics(engine, QUEUE_TABLE) is False
