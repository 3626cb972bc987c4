"""Webhooks (issue 15 item 4): a worker with EDI_ENGINE_WEBHOOK_URL/SECRET POSTs signed, ids-only events
for files ingested, failed and re-delivered and for findings a partitioned detect opens; a receiver that
answers 500 gets the same delivery again (procrastinate's retry). The receiver is a local HTTP server on
127.0.0.1 in this test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edi_engine.cli import main
from edi_engine.store import open_store
from edi_engine.tasks.webhooks import SECRET_ENV, URL_ENV, WebhookConfig, signature
from tests.conftest import REPO
from tests.store.x12copies import cut, reenvelope
from tests.tasks.test_workers import _FAST, _cli, _partitioned_detect, _wait, procs, queue_url  # noqa: F401

SECRET = "s3cret-for-the-test-only"


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    fail_first: set[str] = set()  # event kinds whose first delivery gets a 500

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        entry = {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        kind = self.headers["X-EDI-Event"]
        first = kind in self.fail_first
        self.fail_first.discard(kind)
        entry["answered"] = 500 if first else 204
        self.received.append(entry)
        self.send_response(entry["answered"])
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Receiver.received = []
    _Receiver.fail_first = {"file.ingested"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver.received
    server.shutdown()
    server.server_close()


def test_webhook_config_needs_a_secret() -> None:
    assert WebhookConfig.from_env({}) is None
    with pytest.raises(ValueError, match=SECRET_ENV):
        WebhookConfig.from_env({URL_ENV: "https://example.invalid/hook", SECRET_ENV: "short"})
    with pytest.raises(ValueError, match="http"):
        WebhookConfig.from_env({URL_ENV: "file:///etc/passwd", SECRET_ENV: SECRET})


@pytest.mark.postgres
@pytest.mark.slow
def test_a_worker_sends_signed_ids_only_events_and_a_refused_one_again(
        queue_url: str, tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]], procs: Any,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, received = receiver
    pack = REPO / "fixtures" / "patient_overpayment"
    era = pack / "20241024-835-AHP01-24102440106742.835"
    again = tmp_path / "again.835"  # the same remittance under new control numbers: a re-delivery
    again.write_bytes(reenvelope(era.read_bytes(), 777))
    broken = tmp_path / "broken.837"
    broken.write_bytes(cut((pack / "20241007-837P-0001.837").read_bytes())[3])
    monkeypatch.setenv(URL_ENV, url)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    engine = open_store(queue_url)
    procs.extend(_cli(queue_url, "worker", *_FAST) for _ in range(2))
    files = [str(p) for p in sorted(pack.iterdir()) if p.suffix in (".835", ".837")]
    for batch in (files, [str(again)], [str(broken)]):  # the original first, then its re-delivery
        result = CliRunner().invoke(main, ["--db", queue_url, "enqueue", *batch])
        assert result.exit_code == 0, result.output
        _wait("the batch ingested", lambda: _count(engine, "ingest_staged") == 0, 90, procs)
    _partitioned_detect(queue_url, engine, 2, procs)

    def kinds() -> list[str]:
        return [r["headers"]["x-edi-event"] for r in received if r["answered"] == 204]
    _wait("the events delivered", lambda: kinds().count("file.ingested") == len(files) + 1
          and {"file.failed", "file.redelivered", "finding.opened"} <= set(kinds()), 60, procs)

    for r in received:  # every request signed with the secret over its timestamp and body
        h = r["headers"]
        assert h["x-edi-signature"] == signature(SECRET, h["x-edi-timestamp"], r["body"])
        assert h["content-type"] == "application/json"
    refused = [r for r in received if r["answered"] == 500]
    assert len(refused) == 1
    delivery = refused[0]["headers"]["x-edi-delivery"]
    assert [r["answered"] for r in received if r["headers"]["x-edi-delivery"] == delivery] == [500, 204]

    bodies = [json.loads(r["body"]) for r in received]
    failed = next(b for b in bodies if b["event"] == "file.failed")
    assert set(failed["data"]) == {"file_id", "content_hash"}
    redelivered = next(b for b in bodies if b["event"] == "file.redelivered")
    assert redelivered["data"]["remittances"] >= 1
    opened = [f for b in bodies if b["event"] == "finding.opened" for f in b["data"]["findings"]]
    assert opened and len(opened) == _count(engine, "finding WHERE status = 'open'")
    assert set(opened[0]) == {"id", "category"}
    # Ids only: no patient name, member id or claim number of the pack in any body.
    segs = [seg.strip() for seg in (pack / "20241007-837P-0001.837").read_text("latin-1").split("~")]
    people = [seg.split("*") for seg in segs if seg.startswith(("NM1*QC", "NM1*IL"))]
    phi = [e for nm1 in people for e in nm1[3:4] + nm1[9:10]]
    phi += [seg.split("*")[1] for seg in segs if seg.startswith("CLM*")]
    assert phi
    for r in received:
        assert not any(p.encode() in r["body"] for p in phi if len(p) > 2)


def _count(engine: Any, what: str) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {what}")).scalar_one())
