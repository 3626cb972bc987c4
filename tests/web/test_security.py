"""The probe findings of issue 13 as HTTP tests: sign-in redirects only to same-site paths, status
messages only from server-known keys, 403 wording, bad path ids, sign-in throttling without
lockout, the password policy, idle sessions, proxy headers."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from edi_engine.store import tables
from edi_engine.web import WebConfig, create_app
from edi_engine.web.safety import MESSAGES, safe_next
from tests.web.conftest import PASSWORD, login_token, page_token, sign_in

REDIRECT_ATTACKS = [
    "//evil.example/", "/%09/evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
    "\t//evil.example", " //evil.example", "/\\evil.example", "\\\\evil.example", "/%5Cevil.example",
    "/%2F/evil.example", "/%252F%252Fevil.example", "/%2509/evil.example", "https://evil.example/",
    "javascript:alert(1)", "/\x00/evil.example", "/\x0b/evil.example", "evil.example", "%2F%2Fevil.example",
    "/findings\r\nSet-Cookie: x=1", "http:/evil.example", "///evil.example",
]


def _browser_target(location: str) -> tuple[str, str]:
    """(scheme, host) a browser would go to from this Location on our own page (WHATWG: tabs and
    newlines removed, backslashes read as slashes)."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").strip().replace("\\", "/")
    parts = urlsplit(cleaned)
    return parts.scheme, parts.netloc


@pytest.mark.parametrize("target", REDIRECT_ATTACKS)
def test_safe_next_keeps_only_same_site_paths(target: str) -> None:
    got = safe_next(target)
    assert got.startswith("/") and not got.startswith("//") and _browser_target(got) == ("", "")
    assert "\n" not in got and "\r" not in got and "\t" not in got


def test_safe_next_keeps_a_real_path_with_its_query() -> None:
    assert safe_next("/findings/3") == "/findings/3"
    assert safe_next("/findings?status=all&payer=HWT05") == "/findings?status=all&payer=HWT05"
    assert safe_next("/dashboard\t") == "/dashboard"  # what the browser would have asked for anyway


def test_sign_in_redirects_only_to_same_site_paths(app: Flask) -> None:
    for target in REDIRECT_ATTACKS:
        client = app.test_client()
        resp = client.post("/login", data={"username": "abe", "password": PASSWORD, "csrf_token": login_token(client),
                                           "next": target})
        if "\x00" in target:  # refused before sign-in is even tried
            assert resp.status_code == 400 and client.get_cookie("edi_session") is None
            continue
        assert resp.status_code == 303, target
        assert _browser_target(resp.headers["Location"]) == ("", ""), (target, resp.headers["Location"])
        assert resp.headers["Location"].startswith("/") and not resp.headers["Location"].startswith("//")
    client = app.test_client()
    page = client.get("/login", query_string={"next": "/%09/evil.example"}).get_data(as_text=True)
    assert 'name="next" value="/findings"' in page


def test_status_messages_come_only_from_known_keys(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("rita")
    spoof = "Your account is suspended. Call 555-0100 to restore it."
    page = client.get("/findings", query_string={"msg": spoof}).get_data(as_text=True)
    assert "suspended" not in page and 'class="flash"' not in page
    page = client.get("/findings", query_string={"msg": "note-added"}).get_data(as_text=True)
    assert '<p class="flash" role="status">Note added.</p>' in page
    assert all(text and "{" not in text for text in MESSAGES.values())


def test_a_note_redirects_with_a_message_key(as_user) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import page_token
    client = as_user("rita")
    resp = client.post("/findings/1/note", data={"note": "called the payer", "csrf_token": page_token(client)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("?msg=note-added")
    resp = client.post("/findings/1/note", data={"note": " ", "csrf_token": page_token(client)})
    assert resp.headers["Location"].endswith("?msg=note-empty")


def test_the_403_page_names_the_action_in_words(as_user) -> None:  # type: ignore[no-untyped-def]
    from edi_engine.web.auth import ACTION_WORDS, ACTIONS
    assert set(ACTION_WORDS) == set(ACTIONS)
    page = as_user("rita").get("/users").get_data(as_text=True)
    assert "Your role (reviewer) may not manage users." in page
    page = as_user("abe").get("/users").get_data(as_text=True)
    assert "Your role (approver) may not manage users." in page


@pytest.mark.parametrize("url", ["/findings/99999999999999999999999", "/findings/2147483648",
                                 "/findings/" + "9" * 5000, "/findings/-1", "/findings/0x10"])
def test_an_id_no_column_can_hold_is_a_404(as_user, url: str) -> None:  # type: ignore[no-untyped-def]
    assert as_user("rita").get(url).status_code == 404


@pytest.mark.parametrize("query", [{"min_amount": "1e309"}, {"max_amount": "-1e309"}, {"min_amount": "NaN"},
                                   {"min_amount": "inf"}, {"min_age": "999999"}, {"max_age": "36501"},
                                   {"payer": "A\x00B"}, {"category": "\x00"}])
def test_a_bad_filter_is_a_400(as_user, query: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert as_user("rita").get("/findings", query_string=query).status_code == 400


def test_a_nul_in_the_username_is_a_400(app: Flask) -> None:
    client = app.test_client()
    resp = client.post("/login", data={"username": "ab\x00e", "password": PASSWORD, "csrf_token": login_token(client)})
    assert resp.status_code == 400


@pytest.mark.parametrize("password, why", [
    ("aaaaaaaaaa", "at least 12"), ("aaaaaaaaaaaaaaaa", "too easy to guess"), ("password1234", "too easy to guess"),
    ("qwertyuiop123", "too easy to guess"), ("Password123!", "too easy to guess"),
    ("iloveyou2025", "too easy to guess"), ("newbie-newbie-1", "too easy to guess"), ("x" * 257, "at most 256"),
])
def test_the_password_policy_refuses_short_common_and_guessable_passwords(password: str, why: str) -> None:
    from edi_engine.errors import UsageError
    from edi_engine.web.auth import check_password
    with pytest.raises(UsageError, match=why):
        check_password(password, "newbie")


def test_the_password_policy_accepts_a_passphrase_and_is_configurable() -> None:
    from edi_engine.errors import UsageError
    from edi_engine.web.auth import PasswordPolicy, check_password
    check_password("plum kettle organ 88", "newbie")
    check_password("Tr0ub4dor&3xyz", "newbie")
    with pytest.raises(UsageError, match="at least 24"):
        check_password("plum kettle organ 88", "newbie", PasswordPolicy(min_length=24))


def test_adding_a_user_on_the_web_enforces_the_policy(as_user) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import page_token
    ada = as_user("ada")
    resp = ada.post("/users", data={"username": "newbie", "password": "aaaaaaaaaa", "role": "reviewer",
                                    "csrf_token": page_token(ada)})
    assert resp.status_code == 400 and "at least 12 characters" in resp.get_data(as_text=True)
    resp = ada.post("/users", data={"username": "newbie", "password": "password12345", "role": "reviewer",
                                    "csrf_token": page_token(ada)})
    assert resp.status_code == 400 and "too easy to guess" in resp.get_data(as_text=True)
    assert "newbie" not in ada.get("/users").get_data(as_text=True)


def test_a_user_changes_their_own_password_under_the_policy(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import page_token, sign_in
    rita, other = as_user("rita"), as_user("rita")
    assert "Change your password" in rita.get("/account").get_data(as_text=True)
    resp = rita.post("/account/password", data={"current": "wrong", "new": "plum kettle organ 88",
                                                "csrf_token": page_token(rita, "/account")})
    assert resp.status_code == 400 and "current password is not right" in resp.get_data(as_text=True)
    resp = rita.post("/account/password", data={"current": PASSWORD, "new": "rita12345678",
                                                "csrf_token": page_token(rita, "/account")})
    assert resp.status_code == 400 and "too easy to guess" in resp.get_data(as_text=True)
    resp = rita.post("/account/password", data={"current": PASSWORD, "new": "plum kettle organ 88",
                                                "csrf_token": page_token(rita, "/account")})
    assert resp.status_code == 303
    assert "your other sessions were signed out" in rita.get(resp.headers["Location"]).get_data(as_text=True)
    assert other.get("/findings").status_code == 302  # the other browser is signed out
    assert sign_in(app.test_client(), "rita") == 401
    assert sign_in(app.test_client(), "rita", "plum kettle organ 88") == 303


class Clock:
    """auth's clock, moved by hand: sign-in delays and idle timeouts without sleeping."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from edi_engine.web import auth
        self.now = auth._now()
        monkeypatch.setattr(auth, "_now", lambda: self.now)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _attempt(client: FlaskClient, username: str, password: str, address: str) -> tuple[int, int | None]:
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": login_token(client)},
                       environ_base={"REMOTE_ADDR": address})
    after = resp.headers.get("Retry-After")
    return resp.status_code, None if after is None else int(after)


def test_failures_slow_a_guesser_down_but_never_lock_the_owner_out(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(monkeypatch)
    attacker = app.test_client()
    for _ in range(5):  # the free attempts (per_username=5 in the fixture)
        assert _attempt(attacker, "abe", "wrong password!", "10.1.1.1") == (401, None)
    waits = []
    for _ in range(8):
        status, wait = _attempt(attacker, "abe", "wrong password!", "10.1.1.1")
        assert status == 429 and wait is not None  # refused without a password check
        waits.append(wait)
        clock.advance(seconds=wait)
        assert _attempt(attacker, "abe", "wrong password!", "10.1.1.1")[0] == 401
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]  # doubling, then capped: about two guesses a minute
    owner = app.test_client()  # a new browser, another address: waits the cap at most, once
    status, wait = _attempt(owner, "abe", PASSWORD, "10.2.2.2")
    assert status == 429 and wait is not None and wait <= 30
    page = owner.post("/login", data={"username": "abe", "password": PASSWORD, "csrf_token": login_token(owner)})
    assert "Try again in" in page.get_data(as_text=True) and "seconds" in page.get_data(as_text=True)
    clock.advance(seconds=wait)
    assert _attempt(owner, "abe", PASSWORD, "10.2.2.2") == (303, None)
    assert _attempt(app.test_client(), "rita", PASSWORD, "10.9.9.9") == (303, None)  # other accounts: untouched


def test_a_browser_that_signed_in_before_is_not_held_back(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(monkeypatch)
    owner = app.test_client()
    assert _attempt(owner, "abe", PASSWORD, "10.2.2.2") == (303, None)
    device = owner.get_cookie("edi_device")
    assert device is not None and "HttpOnly" in _set_cookie(owner, "abe", "10.2.2.2", "edi_device")
    owner.post("/logout", data={"csrf_token": page_token(owner)})
    attacker = app.test_client()
    for i in range(30):  # many addresses, each waiting out its delay: the account is at the cap
        status, wait = _attempt(attacker, "abe", "wrong password!", f"10.3.{i}.1")
        if status == 429:
            clock.advance(seconds=wait or 0)
            assert _attempt(attacker, "abe", "wrong password!", f"10.3.{i}.1")[0] == 401
    assert _attempt(app.test_client(), "abe", PASSWORD, "10.4.4.4")[0] == 429  # a stranger's browser waits
    assert _attempt(owner, "abe", PASSWORD, "10.2.2.2") == (303, None)  # the owner's does not
    assert owner.get_cookie("edi_device").value == device.value  # kept, not replaced
    other = app.test_client()
    other.set_cookie("edi_device", device.value)  # abe's device is no pass for another account
    for _ in range(5):
        _attempt(other, "rita", "wrong password!", "10.5.5.5")
    assert _attempt(other, "rita", PASSWORD, "10.5.5.5")[0] == 429


def test_wrong_passwords_from_a_known_browser_withdraw_its_pass(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(monkeypatch)
    owner = app.test_client()
    assert _attempt(owner, "abe", PASSWORD, "10.2.2.2") == (303, None)
    for _ in range(5):  # device_failures=5 by default
        assert _attempt(owner, "abe", "wrong password!", "10.2.2.2")[0] == 401
    assert _attempt(owner, "abe", PASSWORD, "10.2.2.2")[0] == 429  # now an ordinary browser ...
    clock.advance(seconds=2)
    assert _attempt(owner, "abe", PASSWORD, "10.2.2.2") == (303, None)  # ... which gets in after the delay


def _set_cookie(client: FlaskClient, username: str, address: str, name: str) -> str:
    resp = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": login_token(client)},
                       environ_base={"REMOTE_ADDR": address})
    return next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_one_address_is_slowed_for_every_username_and_ipv6_counts_by_its_64(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    Clock(monkeypatch)
    client = app.test_client()
    for i in range(8):  # per_address=8 in the fixture
        assert _attempt(client, f"guess{i}", "wrong password!", f"2001:db8:1:2::{i + 1}")[0] == 401
    assert _attempt(app.test_client(), "rita", PASSWORD, "2001:db8:1:2:ffff::9")[0] == 429
    assert _attempt(app.test_client(), "rita", PASSWORD, "2001:db8:1:3::1") == (303, None)
    from edi_engine.web.auth import address_key
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("::ffff:10.0.0.1") == "10.0.0.1" and address_key("10.0.0.1") == "10.0.0.1"


def _addresses(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(tables.login_attempt.c.address).order_by(tables.login_attempt.c.id))]


@pytest.mark.parametrize("hops, expected", [(0, "127.0.0.1"), (1, "203.0.113.9"), (2, "198.51.100.7")])
def test_x_forwarded_for_counts_only_for_the_configured_proxies(engine, hops: int, expected: str) -> None:  # type: ignore[no-untyped-def]
    client = create_app(engine, WebConfig(trusted_proxies=hops)).test_client()
    client.post("/login", data={"username": "abe", "password": "wrong password!", "csrf_token": login_token(client)},
                headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert _addresses(engine)[-1] == expected


def test_a_session_ends_after_the_idle_timeout_and_after_its_lifetime(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(monkeypatch)
    app = create_app(engine, WebConfig(idle_timeout=timedelta(minutes=30), session_lifetime=timedelta(hours=2)))
    client = app.test_client()
    assert sign_in(client, "rita") == 303
    for _ in range(3):  # in use every 29 minutes: the idle clock restarts each time
        clock.advance(minutes=29)
        assert client.get("/findings").status_code == 200
    clock.advance(minutes=31)
    resp = client.get("/findings")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert sign_in(client, "rita") == 303
    for _ in range(4):
        clock.advance(minutes=29)
        assert client.get("/findings").status_code == 200
    clock.advance(minutes=5)  # 2 h 1 min after sign-in, though used 5 minutes ago
    assert client.get("/findings").status_code == 302


def test_the_default_session_is_12_hours_with_a_30_minute_idle_timeout() -> None:
    config = WebConfig()
    assert config.session_lifetime == timedelta(hours=12) and config.idle_timeout == timedelta(minutes=30)
    assert config.trusted_proxies == 0


def test_the_security_migration_keeps_existing_sessions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from edi_engine.store.migrate import alembic_config, upgrade
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0008_source_content")
        conn.execute(text("INSERT INTO web_user (id, username, password_hash, role, disabled, created_at) "
                          "VALUES (1, 'ada', 'x', 'admin', 0, '2025-08-01 09:00:00')"))
        conn.execute(text("INSERT INTO web_session (token_hash, user_id, csrf_token, created_at, expires_at) "
                          "VALUES ('d', 1, 'c', '2025-08-01 09:00:00', '2025-08-01 21:00:00')"))
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT last_seen_at FROM web_session")).scalar_one().startswith("2025-08-01 09:00")
        assert "login_device" in inspect(conn).get_table_names()
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0008_source_content")
    with engine.connect() as conn:
        assert "login_device" not in inspect(conn).get_table_names()
