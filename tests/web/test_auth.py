"""edi_engine/web/auth.py on SQLite and PostgreSQL: hashes, sessions, disabling, rate limits, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from edi_engine.errors import UsageError
from edi_engine.store import open_store, tables
from edi_engine.web import auth


def test_roles_are_cumulative_and_unknown_actions_are_refused() -> None:
    assert auth.allowed("reviewer", "note") and auth.allowed("reviewer", "propose")
    assert not auth.allowed("reviewer", "approve") and not auth.allowed("reviewer", "letter")
    assert auth.allowed("approver", "approve") and auth.allowed("approver", "corrected-claim")
    assert not auth.allowed("approver", "users") and auth.allowed("admin", "users")
    assert not auth.allowed("admin", "format-disk") and not auth.allowed("root", "view")


def test_users_sessions_and_disabling(db_url: str) -> None:  # noqa: F811
    engine = open_store(db_url)
    user = auth.add_user(engine, "alice", "a long password", "approver")
    with engine.connect() as conn:
        stored = conn.execute(select(tables.web_user.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2") and "a long password" not in stored
    with pytest.raises(UsageError):
        auth.add_user(engine, "alice", "a long password", "approver")
    with pytest.raises(UsageError):
        auth.add_user(engine, "bad name", "a long password", "approver")
    assert auth.verify_login(engine, "alice", "wrong password") is None
    assert auth.verify_login(engine, "alice", "a long password") == user
    token = auth.create_session(engine, user)
    with engine.connect() as conn:
        digest = conn.execute(select(tables.web_session.c.token_hash)).scalar_one()
    assert token not in digest and len(digest) == 64
    info = auth.session_for(engine, token)
    assert info is not None and info.user.username == "alice" and len(info.csrf_token) >= 32
    with engine.begin() as conn:  # an expired session is no session
        conn.execute(update(tables.web_session).values(expires_at=auth._now() - timedelta(seconds=1)))
    assert auth.session_for(engine, token) is None
    token = auth.create_session(engine, user)
    auth.disable_user(engine, "alice")
    assert auth.session_for(engine, token) is None
    assert auth.verify_login(engine, "alice", "a long password") is None
    assert [u.disabled for u in auth.list_users(engine)] == [True]


def test_rate_limit_counts_recent_failures_per_username_and_address(db_url: str) -> None:  # noqa: F811
    engine = open_store(db_url)
    limit = auth.RateLimit(per_username=3, per_address=5, window=timedelta(minutes=15))
    for _ in range(3):
        assert not auth.rate_limited(engine, "bob", "10.0.0.1", limit)
        auth.record_attempt(engine, "bob", "10.0.0.1", False)
    assert auth.rate_limited(engine, "bob", "10.0.0.2", limit)
    assert not auth.rate_limited(engine, "carol", "10.0.0.2", limit)
    auth.record_attempt(engine, "carol", "10.0.0.1", False)
    auth.record_attempt(engine, "dave", "10.0.0.1", True)  # successes do not count
    assert not auth.rate_limited(engine, "erin", "10.0.0.1", limit)
    auth.record_attempt(engine, "erin", "10.0.0.1", False)
    assert auth.rate_limited(engine, "frank", "10.0.0.1", limit)
    with engine.begin() as conn:  # failures older than the window are forgotten
        conn.execute(update(tables.login_attempt).values(at=auth._now() - timedelta(minutes=16)))
    assert not auth.rate_limited(engine, "bob", "10.0.0.1", limit)


def test_sign_in_waits_double_from_the_latest_failure_and_a_device_skips_them(db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    engine = open_store(db_url)
    now = [auth._now()]
    monkeypatch.setattr(auth, "_now", lambda: now[0])
    limit = auth.RateLimit(per_username=2, per_address=100, first_delay=timedelta(seconds=2),
                           max_delay=timedelta(seconds=10))
    user = auth.add_user(engine, "bob", "plum kettle organ 88", "reviewer")
    device = auth.remember_device(engine, user, None, limit)
    waits = []
    for _ in range(6):
        waits.append(auth.sign_in_wait(engine, "bob", "10.0.0.1", limit).total_seconds())
        now[0] += timedelta(seconds=waits[-1])
        auth.record_attempt(engine, "bob", "10.0.0.1", False, None, limit)
    assert waits == [0, 0, 2, 4, 8, 10]
    assert auth.sign_in_wait(engine, "bob", "10.0.0.1", limit, device) == timedelta(0)
    assert auth.remember_device(engine, user, device, limit) == device
    assert auth.remember_device(engine, user, "forged", limit) != "forged"
    now[0] += limit.window  # failures older than the window are forgotten
    assert auth.sign_in_wait(engine, "bob", "10.0.0.1", limit) == timedelta(0)


def test_an_idle_session_is_over_and_disabling_forgets_devices(db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    engine = open_store(db_url)
    now = [auth._now()]
    monkeypatch.setattr(auth, "_now", lambda: now[0])
    user = auth.add_user(engine, "carol", "plum kettle organ 88", "reviewer")
    token = auth.create_session(engine, user, timedelta(hours=12), timedelta(minutes=30))
    now[0] += timedelta(minutes=25)
    assert auth.session_for(engine, token, timedelta(minutes=30)) is not None
    now[0] += timedelta(minutes=25)  # 50 minutes after sign-in, 25 after the last use
    assert auth.session_for(engine, token, timedelta(minutes=30)) is not None
    now[0] += timedelta(minutes=31)
    assert auth.session_for(engine, token, timedelta(minutes=30)) is None
    device = auth.remember_device(engine, user, None)
    assert auth.sign_in_wait(engine, "carol", "x", auth.RateLimit(per_username=0), device) == timedelta(0)
    auth.disable_user(engine, "carol")
    with engine.connect() as conn:
        assert conn.execute(select(tables.login_device)).first() is None
