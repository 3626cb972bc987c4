"""The server log carries no PHI (issue 13 item 3): `edi-engine serve` runs as a real process on
127.0.0.1 over a copy of the web world; a signed-in approver searches and filters with a patient's
name and member id in the URL (also in a bad filter value), opens findings (each recorded as a
`viewed` audit event), takes an approval step, asks for a letter too early, hits a missing finding
and a NUL byte. Then everything the process wrote to stdout and stderr is read back: no patient or
subscriber name, member id or birth date from the store appears in it, while the audit trail has the
views by finding id and user."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import select

from edi_engine import outputs
from edi_engine.store import open_store, tables
from tests.web.conftest import PASSWORD

_C = tables.claim
_F = tables.finding


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "serve exited early"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("serve did not listen within 60 s")


class _Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))

    def _open(self, req: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def token(self, path: str) -> str:
        m = re.search(r'name="csrf_token" value="([^"]+)"', self.get(path)[1])
        assert m
        return m.group(1)


def test_the_server_log_names_no_patient(world_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "world.db"
    shutil.copy(world_db, db)
    engine = open_store(f"sqlite:///{db}")
    with engine.connect() as conn:
        people = conn.execute(select(_C.c.patient_last_name, _C.c.patient_first_name, _C.c.subscriber_last_name,
                                     _C.c.subscriber_first_name, _C.c.subscriber_member_id, _C.c.patient_birth_date,
                                     _C.c.subscriber_birth_date)).all()
        fids = conn.execute(select(_F.c.id).where(_F.c.category == "duplicate_payment", _F.c.status == "open")
                            .order_by(_F.c.id)).scalars().all()[:3]
    phi = {str(v) for row in people for v in row if v is not None and len(str(v)) >= 4}
    assert len(phi) > 20
    last, member = people[0][0], people[0][4]
    rules = tmp_path / "office.toml"
    rules.write_text('[approvals]\nsteps = [{ name = "proposal", role = "reviewer" }, '
                     '{ name = "approval", role = "approver" }]\n')
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "edi_engine", "--db", f"sqlite:///{db}", "serve", "--port",
                                 str(port), "--rules", str(rules)], stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            _wait(port, proc)
            web = _Browser(f"http://127.0.0.1:{port}")
            status, _ = web.post("/login", {"username": "abe", "password": PASSWORD, "csrf_token": web.token("/login"),
                                            "next": "/findings"})
            assert status == 200  # followed the 303 to the queue
            for query in (f"?q={last}", f"?q={member}&payer={last}", f"?min_amount={last}", f"?status={member}",
                          f"?category={urllib.parse.quote(last + '<script>')}"):
                assert web.get("/findings" + query)[0] in (200, 400)
            for fid in fids:
                assert web.get(f"/findings/{fid}")[0] == 200
            token = web.token(f"/findings/{fids[0]}")
            assert web.post(f"/findings/{fids[0]}/decide", {"action": "approve", "note": f"called {last}",
                                                            "csrf_token": token})[0] == 200
            status, body = web.post(f"/findings/{fids[0]}/letter", {"to": "payer", "csrf_token": token})
            assert status == 409 and "only after the last approval step" in body
            assert web.get("/findings/2147480000")[0] == 404
            assert web.get(f"/findings?q={last}%00")[0] == 400
        finally:
            proc.terminate()  # the process this test started, by its own handle
            proc.wait(timeout=30)
    text = log.read_text("utf-8", "replace")
    assert "review app on http://127.0.0.1" in text  # the log was captured
    leaked = sorted(v for v in phi if v in text)
    assert leaked == [], f"PHI in the server log: {leaked[:5]}"
    views = [(e.finding_id, e.actor) for e in outputs.audit_events(engine) if e.event == "viewed"]
    assert views == [(fid, "abe") for fid in fids]
