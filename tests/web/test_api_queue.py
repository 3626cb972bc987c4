"""API uploads through the task queue (issue 15: "the drop-folder watcher and the API enqueue files; any
number of `edi-engine worker` processes ... ingest them"), on PostgreSQL: with the queue's tables in the
store (`db upgrade`), POST /api/v1/files stages and queues each file and answers 202; a worker process
stores it once; GET /files follows it from queued to its result. `--api-ingest` chooses (api/intake.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Engine

from edi_engine.cli import main
from edi_engine.errors import UsageError
from edi_engine.store import open_store
from edi_engine.web import WebConfig, add_user, create_app
from edi_engine.web.tokens import create_token
from tests.web.conftest import PASSWORD, REPO, TODAY
from tests.web.test_api import API, NEW_835, _upload, bearer

BROKEN = b"ISA*not x12 at all"


@pytest.fixture
def queue_url(pg_url: str) -> str:
    """A PostgreSQL store with the task queue's tables (`db upgrade`, as a deployment runs it) and an approver."""
    result = CliRunner().invoke(main, ["--db", pg_url, "db", "upgrade"])
    assert result.exit_code == 0 and "task queue schema applied" in result.output, result.output
    engine = open_store(pg_url)
    add_user(engine, "abe", PASSWORD, "approver")
    engine.dispose()
    return pg_url


@pytest.fixture
def engine(queue_url: str) -> Iterator[Engine]:
    engine = open_store(queue_url)
    yield engine
    engine.dispose()


@pytest.fixture
def apps() -> Iterator[list[Flask]]:
    """Apps made by a test: their queue pools are closed before the schema is dropped."""
    made: list[Flask] = []
    yield made
    for app in made:
        intake = app.extensions.get("edi_api_intake")
        if intake is not None:
            intake.close()


def _app(engine: Engine, apps: list[Flask], **config: Any) -> Flask:
    app = create_app(engine, WebConfig(today=lambda: TODAY, api_rate_limit="10000/minute", **config))
    apps.append(app)
    return app


def _rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def _worker(url: str) -> None:
    """One worker process, as on another host: it takes the ingest jobs waiting and stops (--burst)."""
    done = subprocess.run([sys.executable, "-m", "edi_engine", "--db", url, "worker", "--burst", "--queue", "ingest"],
                          capture_output=True, text=True, timeout=180, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def _two_files() -> dict[str, Any]:
    import io
    return {"content_type": "multipart/form-data",
            "data": {"file": [(NEW_835.open("rb"), NEW_835.name), (io.BytesIO(BROKEN), "broken.835")]}}


@pytest.mark.postgres
def test_an_upload_is_queued_a_worker_stores_it_once_and_a_re_upload_says_so(
        queue_url: str, engine: Engine, apps: list[Flask]) -> None:
    client, h = _app(engine, apps).test_client(), bearer(create_token(engine, "abe", name="feed")[1])
    good, bad = hashlib.sha256(NEW_835.read_bytes()).hexdigest(), hashlib.sha256(BROKEN).hexdigest()

    resp = client.post(f"{API}/files", headers=h, **_two_files())
    assert resp.status_code == 202, resp.data
    body = resp.get_json()
    assert body["summary"] == {"files": 2, "queued": 2, "already_queued": 0, "already_ingested": 0, "failed": 0}
    assert [(f["file"], f["status"], f["content_hash"]) for f in body["files"]] == [
        (NEW_835.name, "queued", good), ("broken.835", "queued", bad)]
    jobs = {f["content_hash"]: f["job_id"] for f in body["files"]}
    assert all(isinstance(j, int) for j in jobs.values())
    assert _rows(engine, "SELECT count(*) FROM source_file") == [(0,)]  # the web process stored nothing
    assert sorted(_rows(engine, "SELECT content_hash FROM ingest_staged")) == sorted([(good,), (bad,)])

    again = client.post(f"{API}/files", headers=h, **_upload())  # while it waits: the same job
    assert again.status_code == 202
    assert again.get_json()["files"] == [{"file": NEW_835.name, "status": "already queued", "content_hash": good,
                                          "job_id": jobs[good], "error": None}]
    waiting = client.get(f"{API}/files", headers=h).get_json()
    assert waiting["queued_count"] == 2 and waiting["recent"] == []
    assert {(q["file"], q["content_hash"], q["job_id"], q["job_status"]) for q in waiting["queued"]} == {
        (NEW_835.name, good, jobs[good], "todo"), ("broken.835", bad, jobs[bad], "todo")}
    assert {q["content_hash"]: q["size"] for q in waiting["queued"]}[good] == NEW_835.stat().st_size

    _worker(queue_url)

    # Each file once, by content: the good one stored, the broken one recorded as failed; both jobs done.
    assert sorted(_rows(engine, "SELECT name, status, content_hash FROM source_file")) == sorted([
        (NEW_835.name, "ingested", good), ("broken.835", "failed", bad)])
    assert _rows(engine, "SELECT count(*) FROM ingest_staged") == [(0,)]
    assert sorted(_rows(engine, "SELECT id, status::text FROM procrastinate_jobs WHERE task_name = 'edi.ingest'")) \
        == sorted((j, "succeeded") for j in jobs.values())
    done = client.get(f"{API}/files", headers=h).get_json()
    assert done["queued_count"] == 0 and done["queued"] == []
    outcome = {r["content_hash"]: r for r in done["recent"]}
    assert outcome[good]["status"] == "ingested" and outcome[good]["payments"] > 0
    assert outcome[bad]["status"] == "failed" and outcome[bad]["error"]
    assert [r["content_hash"] for r in done["failures"]] == [bad]

    stored = client.post(f"{API}/files", headers=h, **_upload())
    assert stored.status_code == 202
    assert stored.get_json()["files"] == [{"file": NEW_835.name, "status": "already ingested", "content_hash": good,
                                           "job_id": None, "error": None}]
    assert stored.get_json()["summary"]["already_ingested"] == 1
    assert _rows(engine, "SELECT count(*) FROM source_file") == [(2,)]
    assert _rows(engine, "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'edi.ingest'") == [(2,)]


@pytest.mark.postgres
def test_api_ingest_direct_ingests_in_the_web_app_even_with_a_queue(engine: Engine, apps: list[Flask]) -> None:
    client, h = _app(engine, apps, api_ingest="direct").test_client(), bearer(create_token(engine, "abe")[1])
    resp = client.post(f"{API}/files", headers=h, **_upload())
    assert resp.status_code == 200 and resp.get_json()["files"][0]["status"] == "ingested"
    assert _rows(engine, "SELECT count(*) FROM ingest_staged") == [(0,)]
    listed = client.get(f"{API}/files", headers=h).get_json()
    assert listed["queued"] == [] and listed["recent"][0]["content_hash"] == hashlib.sha256(
        NEW_835.read_bytes()).hexdigest()


@pytest.mark.postgres
def test_api_ingest_queue_is_refused_at_start_without_a_queue(pg_url: str) -> None:
    bare = open_store(pg_url)  # PostgreSQL, no `db upgrade`: no queue tables; auto ingests here
    try:
        with pytest.raises(UsageError, match="db upgrade"):
            create_app(bare, WebConfig(api_ingest="queue"))
        assert "edi_api_intake" not in create_app(bare, WebConfig()).extensions
    finally:
        bare.dispose()


def test_sqlite_has_no_queue_uploads_are_ingested_by_the_web_app(tmp_path: Any) -> None:
    lite = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    assert "edi_api_intake" not in create_app(lite, WebConfig()).extensions
    with pytest.raises(UsageError, match="needs a PostgreSQL store"):
        create_app(lite, WebConfig(api_ingest="queue"))
    with pytest.raises(UsageError, match="not one of"):
        create_app(lite, WebConfig(api_ingest="later"))


def test_serve_api_ingest_queue_on_sqlite_is_a_usage_error(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    result = CliRunner().invoke(main, ["--db", url, "serve", "--port", "8099", "--api-ingest", "queue"])
    assert result.exit_code == 2 and "--api-ingest queue: the task queue needs a PostgreSQL store" in result.output
