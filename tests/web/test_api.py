"""The HTTP API (edi_engine/web/api/): every endpoint's role and token checks, CSRF for browser
sessions, the rate limit, problem documents, and that each action is the pages' and the CLI's
(same lifecycle, same audit trail, same ingest result), over the `mixed` world of conftest.py."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from edi_engine.cli import main
from edi_engine.outputs import audit_events, credit_balance_report, decide
from edi_engine.rules import explain, list_findings
from edi_engine.store import open_store, tables
from edi_engine.web import WebConfig, create_app, disable_user
from edi_engine.web.tokens import create_token, revoke_token, token_uses
from tests.web.conftest import REPO, TODAY, USERS, page_token, sign_in

API = "/api/v1"
NEW_835 = REPO / "fixtures" / "payer_overpayment" / "20241016-835-HWT05-00810868.835"
ROLE_ORDER = ("reviewer", "approver", "admin")


@pytest.fixture
def app(engine: Engine) -> Flask:
    return create_app(engine, WebConfig(today=lambda: TODAY, api_rate_limit="10000/minute"))


@pytest.fixture
def tokens(engine: Engine) -> dict[str, str]:
    """A working token per user of conftest.USERS, by role."""
    return {role: create_token(engine, name, name="test")[1] for name, role in USERS.items()}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _open_refund(engine: Engine) -> int:
    """An open payer overpayment on a stored claim: approvable, with a letter and a corrected claim."""
    with engine.connect() as conn:
        rows = [f for f in list_findings(conn, "open", "payer_overpayment") if f.claim_id]
    assert rows
    return rows[0].id


def _upload() -> dict[str, Any]:
    return {"data": {"file": (NEW_835.open("rb"), NEW_835.name)}, "content_type": "multipart/form-data"}


# (name, method, path, request kwargs, the least role that may) -- every operation the API has.
def _endpoints(fid: int) -> list[tuple[str, str, str, Callable[[], dict[str, Any]], str]]:
    return [
        ("findings", "GET", f"{API}/findings?status=all&per_page=5", dict, "reviewer"),
        ("finding", "GET", f"{API}/findings/{fid}", dict, "reviewer"),
        ("approve", "POST", f"{API}/findings/{fid}/decision", lambda: {"json": {"action": "approve"}}, "approver"),
        ("dismiss", "POST", f"{API}/findings/{fid}/decision",
         lambda: {"json": {"action": "dismiss", "note": "paid correctly, EOB checked"}}, "approver"),
        ("letter", "POST", f"{API}/findings/{fid}/letter", lambda: {"json": {"to": "payer"}}, "approver"),
        ("corrected_claim", "POST", f"{API}/findings/{fid}/corrected-claim", lambda: {"json": {"mode": "replace"}},
         "approver"),
        ("upload", "POST", f"{API}/files", _upload, "approver"),
        ("files", "GET", f"{API}/files?limit=5", dict, "reviewer"),
        ("credit_balances", "GET", f"{API}/reports/credit-balances?as_of=2025-08-05", dict, "reviewer"),
    ]


NAMES = [e[0] for e in _endpoints(1)]
CALLERS = ["no token", "bad token", "revoked token", "disabled user", "not bearer", *ROLE_ORDER]


def test_the_role_matrix_covers_every_api_operation(app: Flask) -> None:
    doc = app.test_client().get(f"{API}/openapi.json").get_json()
    operations = {op["operationId"] for path in doc["paths"].values() for op in path.values() if "operationId" in op}
    assert operations == {"openapi"} | {"decide" if n in ("approve", "dismiss") else n for n in NAMES}
    by_id = {op["operationId"]: op for path in doc["paths"].values() for op in path.values() if "operationId" in op}
    for name, _, _, _, least in _endpoints(1):  # the document names the role the matrix below finds
        assert f"Needs the `{least}` role" in by_id["decide" if name in ("approve", "dismiss") else name]["description"]
    assert by_id["openapi"]["security"] == []


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name", NAMES)
def test_every_endpoint_checks_token_and_role(name: str, caller: str, app: Flask, engine: Engine,
                                              tokens: dict[str, str]) -> None:
    fid = _open_refund(engine)
    if name in ("letter", "corrected_claim"):  # written after the last approval step (default: one approval)
        decide(engine, fid, "approve", by="system", note="approved before the letter")
    _, method, path, kwargs, least = next(e for e in _endpoints(fid) if e[0] == name)
    headers: dict[str, str] = {}
    if caller == "bad token":
        headers = bearer("edi_" + "x" * 43)
    elif caller == "revoked token":
        token, secret = create_token(engine, "abe", name="old")
        revoke_token(engine, token.id)
        headers = bearer(secret)
    elif caller == "disabled user":
        secret = create_token(engine, "rita")[1]
        disable_user(engine, "rita")
        headers = bearer(secret)
    elif caller == "not bearer":
        headers = {"Authorization": f"Basic {tokens['admin']}"}
    elif caller in ROLE_ORDER:
        headers = bearer(tokens[caller])
    resp = app.test_client().open(path, method=method, headers=headers, **kwargs())
    if caller not in ROLE_ORDER:
        assert resp.status_code == 401, resp.data
        assert resp.mimetype == "application/problem+json" and resp.headers["WWW-Authenticate"].startswith("Bearer")
    elif ROLE_ORDER.index(caller) < ROLE_ORDER.index(least):
        assert resp.status_code == 403, resp.data
        assert resp.get_json()["detail"].startswith(f"Your role ({caller}) may not")
    else:
        assert resp.status_code == 200, resp.data
    if caller in ROLE_ORDER and resp.status_code == 403 and method == "POST":
        with engine.connect() as conn:  # refused before anything was written
            assert conn.execute(select(func.count()).select_from(tables.audit_event)
                                .where(tables.audit_event.c.actor == next(u for u, r in USERS.items()
                                                                          if r == caller))).scalar() == 0


def test_the_openapi_document_is_public_and_lists_the_api(app: Flask) -> None:
    resp = app.test_client().get(f"{API}/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.1")
    assert {"/api/v1/findings", "/api/v1/findings/{finding_id}", "/api/v1/findings/{finding_id}/decision",
            "/api/v1/files", "/api/v1/reports/credit-balances"} <= set(doc["paths"])
    decide = doc["paths"]["/api/v1/findings/{finding_id}/decision"]["post"]
    assert {"200", "400", "401", "403", "404", "409", "429"} <= set(decide["responses"])
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_a_browser_session_needs_its_csrf_token_to_post(app: Flask, engine: Engine, tokens: dict[str, str]) -> None:
    fid = _open_refund(engine)
    client = app.test_client()
    assert sign_in(client, "abe") == 303
    assert client.get(f"{API}/findings/{fid}").status_code == 200  # a read needs no CSRF token
    url, body = f"{API}/findings/{fid}/decision", {"action": "approve"}
    for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": ""}):
        resp = client.post(url, json=body, headers=headers)
        assert resp.status_code == 403 and "CSRF" in resp.get_json()["detail"], headers
    form = client.post(url, data={"action": "approve", "csrf_token": "forged"})  # what another site's form sends
    assert form.status_code == 403
    with engine.connect() as conn:
        assert explain(conn, fid).finding.status == "open"
    resp = client.post(url, json=body, headers={"X-CSRF-Token": page_token(client)})
    assert resp.status_code == 200 and resp.get_json()["status"] == "approved"
    # A token request needs none: a browser never adds an Authorization header on its own.
    other = _other_open_refund(engine, fid)
    resp = app.test_client().post(f"{API}/findings/{other}/decision", json=body, headers=bearer(tokens["approver"]))
    assert resp.status_code == 200


def _other_open_refund(engine: Engine, not_this: int) -> int:
    with engine.connect() as conn:
        return next(f.id for f in list_findings(conn, "open", "payer_overpayment") if f.claim_id and f.id != not_this)


def test_rate_limit_per_token_answers_429_with_retry_after(engine: Engine, tokens: dict[str, str]) -> None:
    app = create_app(engine, WebConfig(today=lambda: TODAY, api_rate_limit="3/minute"))
    client = app.test_client()
    codes = [client.get(f"{API}/files", headers=bearer(tokens["reviewer"])).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = client.get(f"{API}/files", headers=bearer(tokens["reviewer"]))
    assert resp.status_code == 429 and resp.mimetype == "application/problem+json"
    assert int(resp.headers["Retry-After"]) > 0 and resp.get_json()["status"] == 429
    # Another token has its own bucket.
    assert client.get(f"{API}/files", headers=bearer(tokens["approver"])).status_code == 200


def test_errors_are_problem_documents(app: Flask, engine: Engine, tokens: dict[str, str]) -> None:
    client, h = app.test_client(), bearer(tokens["approver"])
    fid = _open_refund(engine)
    cases = [
        (client.get(f"{API}/findings?status=bogus", headers=h), 400),
        (client.get(f"{API}/findings?min_amount=abc", headers=h), 400),
        (client.get(f"{API}/findings?page=0", headers=h), 400),
        (client.get(f"{API}/findings?payer=a%00b", headers=h), 400),
        (client.get(f"{API}/reports/credit-balances?as_of=2025-13-01", headers=h), 400),
        (client.post(f"{API}/findings/{fid}/decision", data="approve", headers=h), 400),
        (client.post(f"{API}/findings/{fid}/decision", json={"action": "approve", "extra": 1}, headers=h), 400),
        (client.post(f"{API}/findings/{fid}/decision", json={"action": "dismiss"}, headers=h), 400),
        (client.post(f"{API}/findings/{fid}/decision", json={"action": "dismiss", "note": "a\u0000b"}, headers=h),
         400),
        (client.post(f"{API}/files", data={}, headers=h), 400),
        (client.get(f"{API}/findings/999999", headers=h), 404),
        (client.get(f"{API}/findings/99999999999", headers=h), 404),
        (client.post(f"{API}/findings/999999/decision", json={"action": "approve"}, headers=h), 404),
        (client.get(f"{API}/nothing-here", headers=h), 404),
        (client.post(f"{API}/findings/{fid}/decision", json={"action": "mark-refunded", "method": "check",
                                                             "number": "1001", "paid_on": "2025-08-01"},
                     headers=h), 409),  # not approved yet: the lifecycle refuses
    ]
    for resp, status in cases:
        assert resp.status_code == status, (status, resp.data)
        doc = resp.get_json(force=True)
        assert resp.mimetype == "application/problem+json" and doc["status"] == status and doc["title"]
    with engine.connect() as conn:
        assert explain(conn, fid).finding.status == "open"


def test_decisions_go_through_the_lifecycle_and_the_audit_trail(app: Flask, engine: Engine,
                                                                tokens: dict[str, str]) -> None:
    client, h = app.test_client(), bearer(tokens["approver"])
    fid = _open_refund(engine)
    detail = client.get(f"{API}/findings/{fid}", headers=h).get_json()
    assert detail["status"] == "open" and "approve" in detail["decisions"] and detail["segments"] and detail["ledger"]
    assert detail["claims"][0]["patient_control_number"] == detail["claim_id"]
    amount = Decimal(detail["amount"])
    resp = client.post(f"{API}/findings/{fid}/decision", json={"action": "approve", "note": "checked"}, headers=h)
    assert resp.get_json() == {"finding_id": fid, "action": "approve", "status": "approved", "outstanding": None}
    again = client.post(f"{API}/findings/{fid}/decision", json={"action": "approve"}, headers=h)
    assert again.status_code == 409 and "approved" in again.get_json()["detail"]
    part = (amount / 2).quantize(Decimal("0.01"))
    resp = client.post(f"{API}/findings/{fid}/decision", headers=h, json={
        "action": "mark-refunded", "method": "check", "number": "5001", "amount": str(part), "paid_on": "2025-08-01"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "approved"
    assert Decimal(resp.get_json()["outstanding"]) == amount - part
    events = audit_events(engine, fid)
    assert [(e.event, e.actor) for e in events[-2:]] == [("approved", "abe"), ("refund_recorded", "abe")]
    assert events[-2].note == "checked"
    history = client.get(f"{API}/findings/{fid}", headers=h).get_json()["history"]
    assert [e["event"] for e in history[-2:]] == ["approved", "refund_recorded"]


def test_letters_and_corrected_claims_download_and_are_recorded(app: Flask, engine: Engine,
                                                               tokens: dict[str, str]) -> None:
    client, h = app.test_client(), bearer(tokens["approver"])
    fid = _open_refund(engine)
    early = client.post(f"{API}/findings/{fid}/letter", json={"to": "payer"}, headers=h)
    assert early.status_code == 409 and "after the last approval step" in early.get_json()["detail"]
    assert client.post(f"{API}/findings/{fid}/decision", json={"action": "approve"}, headers=h).status_code == 200
    pdf = client.post(f"{API}/findings/{fid}/letter", json={"to": "payer"}, headers=h)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    txt = client.post(f"{API}/findings/{fid}/letter", json={"format": "txt"}, headers=h)
    assert txt.mimetype == "text/plain" and txt.data.strip()
    with engine.connect() as conn:
        claim_id = explain(conn, fid).finding.claim_id
    x12 = client.post(f"{API}/findings/{fid}/corrected-claim", json={"mode": "replace"}, headers=h)
    assert x12.status_code == 200 and x12.mimetype == "application/edi-x12"
    assert x12.data.startswith(b"ISA") and f"CLM*{claim_id}*".encode() in x12.data
    assert "attachment" in x12.headers["Content-Disposition"]
    events = [(e.event, e.actor) for e in audit_events(engine, fid)]
    assert ("letter_written", "abe") in events and ("corrected_claim_written", "abe") in events


def test_upload_answers_the_cli_ingest_result(app: Flask, tokens: dict[str, str], world_db: Path,
                                              tmp_path: Path) -> None:
    client, h = app.test_client(), bearer(tokens["approver"])
    resp = client.post(f"{API}/files", headers=h, **_upload())
    assert resp.status_code == 200, resp.data
    got = resp.get_json()
    shutil.copy(world_db, tmp_path / "cli.db")  # the same store the upload went into, before it
    cli = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'cli.db'}", "ingest", str(NEW_835), "--json"])
    expected = json.loads(cli.output)
    assert got["files"][0]["status"] == "ingested" and got["files"][0]["payments"] > 0
    assert got["files"][0] == {**expected["files"][0], "file": NEW_835.name}
    assert got["summary"] == expected["summary"]
    again = client.post(f"{API}/files", headers=h, **_upload()).get_json()
    assert again["files"][0]["status"] == "already ingested"
    status = client.get(f"{API}/files?limit=3", headers=h).get_json()
    assert status["recent"][0]["name"] == NEW_835.name and status["recent"][0]["status"] == "ingested"
    broken = client.post(f"{API}/files", headers=h, content_type="multipart/form-data",
                         data={"file": [(NEW_835.open("rb"), "../../etc/passwd"), (_bytes(b"ISA*not x12"), "x.835")]})
    files = broken.get_json()["files"]
    assert [f["file"] for f in files] == ["passwd", "x.835"] and files[1]["status"] == "failed" and files[1]["error"]


def _bytes(data: bytes) -> Any:
    import io
    return io.BytesIO(data)


def test_findings_filter_and_page_as_the_queue_does(app: Flask, engine: Engine, tokens: dict[str, str]) -> None:
    client, h = app.test_client(), bearer(tokens["reviewer"])
    with engine.connect() as conn:
        every = list_findings(conn, "all", None)
        overpaid = [f for f in every if f.category == "payer_overpayment"]
    body = client.get(f"{API}/findings?status=all&category=payer_overpayment&sort=amount&desc=true&per_page=2",
                      headers=h).get_json()
    assert body["total_count"] == len(overpaid) and body["pages"] == -(-len(overpaid) // 2)
    assert Decimal(body["total_amount"]) == sum((f.amount for f in overpaid), Decimal(0))
    amounts = sorted((f.amount for f in overpaid), reverse=True)
    assert [Decimal(i["amount"]) for i in body["items"]] == amounts[:2]
    page2 = client.get(f"{API}/findings?status=all&category=payer_overpayment&sort=amount&desc=true&per_page=2"
                       "&page=2", headers=h).get_json()
    assert [Decimal(i["amount"]) for i in page2["items"]] == amounts[2:4]
    big = client.get(f"{API}/findings?status=all&min_amount=100&max_age=400", headers=h).get_json()
    assert big["items"] and all(Decimal(i["amount"]) >= 100 and i["age_days"] <= 400 for i in big["items"])
    payer = overpaid[0].payer_id
    by_payer = client.get(f"{API}/findings?status=all&payer={payer}&per_page=500", headers=h).get_json()
    assert by_payer["total_count"] == sum(1 for f in every if f.payer_id == payer)


def test_credit_balances_report_is_the_cli_report(app: Flask, engine: Engine, tokens: dict[str, str]) -> None:
    client, h = app.test_client(), bearer(tokens["reviewer"])
    body = client.get(f"{API}/reports/credit-balances?as_of=2025-08-05", headers=h).get_json()
    rows = credit_balance_report(engine, "2025-08-05")
    assert body["as_of"] == "2025-08-05" and len(body["rows"]) == len(rows) > 0
    for got, want in zip(body["rows"], rows, strict=True):
        assert (got["payer_id"], got["category"], Decimal(got["total"])) == (want["payer_id"], want["category"],
                                                                              want["total"])
        assert {k: Decimal(v) for k, v in got["aging"].items()} == {k: want[k] for k in body["buckets"]}
    csv = client.get(f"{API}/reports/credit-balances?as_of=2025-08-05&format=csv", headers=h)
    assert csv.mimetype == "text/csv" and csv.data.splitlines()[0].startswith(b"payer_id,payer_name,category")


def test_cli_tokens_are_printed_once_hashed_revocable_and_audited(db_url: str) -> None:
    from edi_engine.web import add_user
    engine = open_store(db_url)
    add_user(engine, "carol", "correct horse battery", "reviewer")
    run = CliRunner()
    made = run.invoke(main, ["--db", db_url, "users", "token", "create", "carol", "--name", "nightly", "--by", "ops"])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith("edi_") and len(secret) >= 40
    with engine.connect() as conn:
        row = conn.execute(select(tables.api_token)).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    listed = run.invoke(main, ["--db", db_url, "users", "token", "list"])
    assert "carol" in listed.output and "nightly" in listed.output and secret not in listed.output
    app = create_app(engine, WebConfig(today=lambda: TODAY))
    client = app.test_client()
    assert client.get(f"{API}/files", headers=bearer(secret)).status_code == 200
    assert client.post(f"{API}/files", headers=bearer(secret), **_upload()).status_code == 403
    uses = token_uses(engine, row.id)
    assert [(u.method, u.path, u.status) for u in uses] == [("GET", f"{API}/files", 200), ("POST", f"{API}/files", 403)]
    revoked = run.invoke(main, ["--db", db_url, "users", "token", "revoke", str(row.id), "--by", "ops"])
    assert revoked.exit_code == 0, revoked.output
    assert client.get(f"{API}/files", headers=bearer(secret)).status_code == 401
    assert run.invoke(main, ["--db", db_url, "users", "token", "revoke", str(row.id)]).exit_code != 0
    events = [(e.event, e.actor, e.details["token_id"]) for e in audit_events(engine) if e.event.startswith("api_")]
    assert events == [("api_token_created", "ops", row.id), ("api_token_revoked", "ops", row.id)]
    with engine.connect() as conn:
        stored = conn.execute(select(tables.api_token)).one()
    assert stored.revoked_by == "ops" and stored.last_used_at is not None
    assert run.invoke(main, ["--db", db_url, "users", "token", "create", "nobody"]).exit_code != 0


def test_a_day_through_the_api_on_each_store(world_url: str) -> None:
    """Upload, list, read, decide, download, report: the same answers on SQLite and PostgreSQL."""
    engine = open_store(world_url)
    app = create_app(engine, WebConfig(today=lambda: TODAY, api_rate_limit="10000/minute"))
    token, secret = create_token(engine, "abe", name="day")
    client, h = app.test_client(), bearer(secret)
    up = client.post(f"{API}/files", headers=h, **_upload()).get_json()
    assert up["files"][0]["status"] == "ingested" and up["summary"]["ingested"] == 1
    listed = client.get(f"{API}/findings?category=payer_overpayment&sort=amount&desc=1", headers=h).get_json()
    assert listed["total_count"] > 0
    with engine.connect() as conn:
        expected = sorted((f.amount for f in list_findings(conn, "open", "payer_overpayment")), reverse=True)
    assert [Decimal(i["amount"]) for i in listed["items"]] == expected[:len(listed["items"])]
    fid = next(i["id"] for i in listed["items"] if i["claim_id"])
    detail = client.get(f"{API}/findings/{fid}", headers=h).get_json()
    assert detail["id"] == fid and detail["segments"] and detail["history"][0]["event"] == "identified"
    ok = client.post(f"{API}/findings/{fid}/decision", json={"action": "approve", "note": "EOB read"}, headers=h)
    assert ok.get_json()["status"] == "approved"
    paid = client.post(f"{API}/findings/{fid}/decision", headers=h, json={
        "action": "mark-refunded", "method": "eft", "number": "TRN-77", "paid_on": "2025-08-04"}).get_json()
    assert paid["status"] == "refunded" and Decimal(paid["outstanding"]) == 0
    other = next(i["id"] for i in listed["items"] if i["id"] != fid)
    gone = client.post(f"{API}/findings/{other}/decision", json={"action": "dismiss", "note": "paid right"}, headers=h)
    assert gone.get_json()["status"] == "dismissed"
    assert client.post(f"{API}/findings/{other}/letter", json={}, headers=h).status_code == 409  # dismissed: none
    report = client.get(f"{API}/reports/credit-balances?as_of=2025-08-05", headers=h).get_json()
    want = credit_balance_report(engine, "2025-08-05")
    assert [Decimal(r["total"]) for r in report["rows"]] == [r["total"] for r in want]
    assert client.get(f"{API}/findings?payer=%00", headers=h).status_code == 400
    assert client.get(f"{API}/findings/2147483648", headers=h).status_code == 404
    assert client.get(f"{API}/findings?min_amount=1e309", headers=h).status_code == 400
    uses = token_uses(engine, token.id)
    assert len(uses) == 11 and [u.path for u in uses].count(f"{API}/findings") == 3  # every request, refused too
    assert {u.status for u in uses} == {200, 400, 404, 409}
    engine.dispose()


def test_an_upload_past_the_bound_is_413_and_a_bad_limit_is_refused_at_start(engine: Engine,
                                                                          tokens: dict[str, str]) -> None:
    from edi_engine.errors import UsageError
    app = create_app(engine, WebConfig(today=lambda: TODAY, api_upload_bytes=500))
    assert NEW_835.stat().st_size > 500
    resp = app.test_client().post(f"{API}/files", headers=bearer(tokens["approver"]), **_upload())
    assert resp.status_code == 413 and resp.mimetype == "application/problem+json"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tables.source_file)
                            .where(tables.source_file.c.name == NEW_835.name)).scalar() == 0
    with pytest.raises(UsageError, match="not a limit"):
        create_app(engine, WebConfig(api_rate_limit="lots"))


def test_the_readme_api_examples_name_documented_operations(app: Flask) -> None:
    import re
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## The HTTP API", 1)[1].split("\n## ", 1)[0]
    doc = app.test_client().get(f"{API}/openapi.json").get_json()
    used = {re.sub(r"/\d+", "/{finding_id}", API + p) for p in re.findall(r"\$API(/[\w/{}.-]*)", section)}
    assert len(used) >= 8 and used <= set(doc["paths"]), used - set(doc["paths"])
    for flag in re.findall(r"users token (\w+)", section):
        assert CliRunner().invoke(main, ["users", "token", flag, "--help"]).exit_code == 0
