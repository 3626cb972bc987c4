"""The app at the HTTP level through Flask's in-process client: sign-in on every page, roles and
CSRF checked on the server, rate limits, the pages' content over the mixed scenario pack."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from flask import Flask
from sqlalchemy import select, text

from edi_engine.store import tables
from tests.web.conftest import PASSWORD, TODAY, login_token, page_token, sign_in

_F = tables.finding

GET_ROUTES = ["/", "/findings", "/findings?status=all", "/findings/export.csv", "/findings/1", "/dashboard", "/ingest",
              "/users", "/account"]
POST_ROUTES = ["/findings/1/decide", "/findings/1/note", "/findings/1/letter", "/findings/1/corrected-claim",
               "/findings/1/investigation", "/findings/1/match",
               "/users", "/users/rita/disable", "/account/password", "/logout"]


def test_every_rule_of_the_app_is_listed_here(app: Flask) -> None:
    # The JSON API's rules have their own list: test_api.py's role matrix, checked against its OpenAPI document.
    rules = {(r.rule, m) for r in app.url_map.iter_rules()
             if r.endpoint != "static" and not r.endpoint.startswith("api.") for m in r.methods - {"HEAD", "OPTIONS"}}
    listed = {re.sub(r"\d+", "<int:finding_id>", u.split("?")[0]).replace("/rita/", "/<username>/")
              for u in GET_ROUTES + POST_ROUTES}
    assert {r for r, _ in rules} - {"/login"} == listed


def test_no_page_answers_without_sign_in(app: Flask) -> None:
    client = app.test_client()
    for url in GET_ROUTES:
        resp = client.get(url)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login"), url
    for url in POST_ROUTES:
        resp = client.post(url, data={"action": "approve", "note": "x"})
        assert resp.status_code == 401, url
        assert "PCN" not in resp.get_data(as_text=True)


def test_a_forged_or_expired_cookie_is_no_session(app: Flask) -> None:
    client = app.test_client()
    client.set_cookie("edi_session", "not-a-real-token")
    assert client.get("/findings").status_code == 302


def test_sign_in_sets_a_strict_cookie_and_sign_out_ends_the_session(app: Flask) -> None:
    client = app.test_client()
    token = login_token(client)
    resp = client.post("/login", data={"username": "abe", "password": PASSWORD, "csrf_token": token,
                                       "next": "/dashboard"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/dashboard"
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("edi_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/findings").status_code == 200
    stolen = client.get_cookie("edi_session").value
    client.post("/logout", data={"csrf_token": page_token(client)})
    other = app.test_client()
    other.set_cookie("edi_session", stolen)
    assert other.get("/findings").status_code == 302


def test_secure_cookies_when_configured(engine) -> None:  # type: ignore[no-untyped-def]
    from edi_engine.web import WebConfig, create_app
    client = create_app(engine, WebConfig(secure_cookies=True)).test_client()
    token = login_token(client)
    resp = client.post("/login", data={"username": "abe", "password": PASSWORD, "csrf_token": token})
    assert all("Secure" in h for h in resp.headers.getlist("Set-Cookie"))


def test_sign_in_refuses_wrong_passwords_unknown_users_and_open_redirects(app: Flask) -> None:
    client = app.test_client()
    assert sign_in(client, "abe", "wrong password!") == 401
    assert sign_in(client, "nobody") == 401
    token = login_token(client)
    resp = client.post("/login", data={"username": "abe", "password": PASSWORD, "csrf_token": token,
                                       "next": "//evil.example/"})
    assert resp.headers["Location"] == "/findings"


def test_login_without_its_csrf_token_is_refused(app: Flask) -> None:
    client = app.test_client()
    login_token(client)
    resp = client.post("/login", data={"username": "abe", "password": PASSWORD})
    assert resp.status_code == 403
    assert client.get_cookie("edi_session") is None


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(app: Flask, engine, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("abe")
    before = _status(engine, 1)
    for data in ({"action": "approve"}, {"action": "approve", "csrf_token": "forged"}):
        resp = client.post("/findings/1/decide", data=data)
        assert resp.status_code == 403
        assert "security token" in resp.get_data(as_text=True)
    assert _status(engine, 1) == before == "open"
    resp = client.post("/findings/1/note", data={"note": "called the payer"})
    assert resp.status_code == 403


def test_a_csrf_token_of_another_session_is_refused(as_user) -> None:  # type: ignore[no-untyped-def]
    rita, abe = as_user("rita"), as_user("abe")
    resp = abe.post("/findings/1/decide", data={"action": "approve", "csrf_token": page_token(rita)})
    assert resp.status_code == 403


def _status(engine, finding_id: int) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(_F.c.status).where(_F.c.id == finding_id)).scalar_one()


def _audit_rows(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]
        return sum(conn.execute(text(f"SELECT count(*) FROM {n}")).scalar_one() for n in names if "audit" in n)


def test_a_reviewers_decisions_and_releases_are_refused_and_nothing_changes(engine, as_user) -> None:  # type: ignore[no-untyped-def]
    rita = as_user("rita")
    token = page_token(rita)
    events = _audit_rows(engine)
    for action in ("approve", "offset", "dismiss", "mark-refunded"):
        resp = rita.post("/findings/1/decide", data={"action": action, "note": "why not", "csrf_token": token})
        assert resp.status_code == 403, action
        assert "reviewer" in resp.get_data(as_text=True)
    assert rita.post("/findings/1/letter", data={"to": "payer", "csrf_token": token}).status_code == 403
    assert rita.post("/findings/1/corrected-claim", data={"mode": "replace", "csrf_token": token}).status_code == 403
    assert _status(engine, 1) == "open"
    assert _audit_rows(engine) == events
    detail = rita.get("/findings/1").get_data(as_text=True)
    assert "Approve refund" not in detail and "Download letter" not in detail and "Propose" in detail


def test_only_an_admin_manages_users(as_user) -> None:  # type: ignore[no-untyped-def]
    abe = as_user("abe")
    assert abe.get("/users").status_code == 403
    resp = abe.post("/users", data={"username": "mallory", "password": "x" * 12, "role": "admin",
                                    "csrf_token": page_token(abe)})
    assert resp.status_code == 403
    ada = as_user("ada")
    resp = ada.post("/users", data={"username": "newbie", "password": "long enough pw", "role": "reviewer",
                                    "csrf_token": page_token(ada)})
    assert resp.status_code == 303
    assert "newbie" in ada.get("/users").get_data(as_text=True)
    resp = ada.post("/users/abe/disable", data={"csrf_token": page_token(ada)})
    assert resp.status_code == 303
    assert abe.get("/findings").status_code == 302  # disabling ends the session at once


def test_sign_in_is_rate_limited_per_username(app: Flask) -> None:
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, "abe", "wrong password!") == 401
    resp_code = sign_in(client, "abe")  # right password, but too late
    assert resp_code == 429
    page = client.post("/login", data={"username": "abe", "password": PASSWORD, "csrf_token": login_token(client)})
    assert "Too many failed sign-ins" in page.get_data(as_text=True)
    assert sign_in(app.test_client(), "rita") == 303  # another user is not locked out


def test_sign_in_is_rate_limited_per_client_address(app: Flask) -> None:
    client = app.test_client()
    env = {"REMOTE_ADDR": "10.9.8.7"}
    for i in range(8):
        assert sign_in(client, f"guess{i}", "wrong password!", environ=env) == 401
    assert sign_in(client, "abe", environ=env) == 429
    assert sign_in(client, "abe", environ={"REMOTE_ADDR": "10.9.8.6"}) == 303


def test_queue_filters_sort_page_and_totals(engine, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("rita")
    with engine.connect() as conn:
        rows = conn.execute(select(_F.c.id, _F.c.category, _F.c.amount, _F.c.payer_id, _F.c.deadline)
                            .where(_F.c.status == "open")).all()
    page = client.get("/findings?category=cob_overpayment&sort=amount&desc=1").get_data(as_text=True)
    cob = sorted((r for r in rows if r.category == "cob_overpayment"), key=lambda r: -r.amount)
    shown = [int(i) for i in re.findall(r'<td><a href="/findings/(\d+)">#', page)]
    assert shown == [r.id for r in cob][:len(shown)] and len(shown) == len(cob)
    assert f"<strong>{len(cob)}</strong> findings" in page
    assert f"${sum((r.amount for r in cob), Decimal(0)):,.2f}" in page
    page = client.get("/findings?min_amount=100&max_amount=200").get_data(as_text=True)
    expected = sorted(r.id for r in rows if Decimal("100") <= r.amount <= Decimal("200"))
    assert sorted(int(i) for i in re.findall(r'<td><a href="/findings/(\d+)">#', page)) == expected
    near = [r.id for r in rows if r.deadline and (r.deadline - TODAY).days <= 30]
    assert near, "the pinned today should put some deadlines near"
    page = client.get("/findings?deadline=near").get_data(as_text=True)
    assert sorted(int(i) for i in re.findall(r'<td><a href="/findings/(\d+)">#', page)) == sorted(near)
    assert page.count('<tr class="near">') + page.count('<tr class="past">') == len(near)
    assert client.get("/findings?min_amount=lots").status_code == 400


def test_queue_pages(engine, as_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import edi_engine.web.queue as queue
    monkeypatch.setattr(queue, "PAGE_SIZE", 10)
    client = as_user("rita")
    first = client.get("/findings?status=all&sort=id").get_data(as_text=True)
    second = client.get("/findings?status=all&sort=id&page=2").get_data(as_text=True)
    ids = lambda p: [int(i) for i in re.findall(r'<td><a href="/findings/(\d+)">#', p)]  # noqa: E731
    assert ids(first) == list(range(1, 11)) and ids(second) == list(range(11, 21))
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_detail_shows_claim_ledger_segments_read_from_the_store(as_user) -> None:  # type: ignore[no-untyped-def]
    page = as_user("rita").get("/findings/4").get_data(as_text=True)  # a re-coded line paid above what was owed
    assert "PCN0680004" in page and "99203" in page
    assert "<code>SVC*HC:99203*344*157.98***HC:99204~" in page  # the store's copy of the 835, at its byte offset
    assert "Ledger" in page and "payment" in page
    assert as_user("rita").get("/findings/99999").status_code == 404


def test_dashboard_totals_match_the_open_findings(engine, as_user) -> None:  # type: ignore[no-untyped-def]
    from edi_engine.rules import categories

    with engine.connect() as conn:
        total = sum(r[0] for r in conn.execute(select(_F.c.amount).where(
            _F.c.status.in_(("open", "approved")), _F.c.category.in_(categories.refund_names()))))
        unapplied = sum(r[0] for r in conn.execute(select(_F.c.amount).where(
            _F.c.status == "open", _F.c.category == "unmatched_payment")))
    assert unapplied > 0  # the world has unmatched payments: they are not credit balances
    page = as_user("rita").get("/dashboard").get_data(as_text=True)
    assert f"${total:,.2f}" in page and f"${total + unapplied:,.2f}" not in page
    assert "0-30 days" in page and "90+ days" in page and "<svg" in page


def test_ingest_status_shows_failures_with_their_errors(engine, as_user, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from edi_engine.store.ingest import ingest_paths
    bad = tmp_path / "broken.835"
    bad.write_bytes(b"ISA*00*garbage~")
    ingest_paths(engine, [bad])
    page = as_user("rita").get("/ingest").get_data(as_text=True)
    assert "broken.835" in page
    assert re.search(r"<strong class=\"bad\">1</strong> failed", page)


def test_ingest_status_shows_a_redelivered_remittance(engine, as_user, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from edi_engine.store.ingest import ingest_file
    from tests.store.x12copies import reenvelope
    with engine.connect() as conn:
        era = conn.execute(text("SELECT name FROM source_file WHERE kind = '835' ORDER BY id")).scalars().first()
    copy = tmp_path / "resent.835"
    copy.write_bytes(reenvelope(Path(era).read_bytes(), 606))
    assert ingest_file(engine, copy).redelivered == 1
    page = as_user("rita").get("/ingest").get_data(as_text=True)
    assert "resent.835" in page and "1 remittance re-delivered, already stored from" in page


def test_pages_are_not_cached_and_carry_a_content_security_policy(as_user) -> None:  # type: ignore[no-untyped-def]
    resp = as_user("rita").get("/findings/1")
    assert resp.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


def test_phi_never_reaches_the_log(app: Flask, as_user, caplog, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import logging

    import edi_engine.web.routes as routes
    caplog.set_level(logging.DEBUG)
    client = as_user("abe")
    page = client.get("/findings/1").get_data(as_text=True)
    assert "GONZALEZ, JAMES" in page  # shown behind sign-in ...

    def boom(*_a, **_k):  # type: ignore[no-untyped-def]
        raise ValueError("patient GONZALEZ, JAMES born 1956-07-16")
    monkeypatch.setattr(routes, "detail_page", boom)
    resp = client.get("/findings/1")
    assert resp.status_code == 500 and "GONZALEZ" not in resp.get_data(as_text=True)
    assert "ValueError" in caplog.text
    assert "GONZALEZ" not in caplog.text and "1956" not in caplog.text  # ... never in the log


def test_the_web_package_exports_its_declared_names() -> None:
    import edi_engine.web as web
    assert sorted(web.__all__) == ["PasswordPolicy", "ROLES", "RateLimit", "User", "WebConfig", "add_user",
                                   "create_app", "disable_user", "list_users", "serve", "set_password"]
    assert all(getattr(web, n) is not None for n in web.__all__)
