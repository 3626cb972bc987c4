"""The store's side of the review app's people: `web_user`, `web_session`, `login_attempt`, `login_device`.

Owns the SQL on those tables; edi_engine/web/auth.py owns what they mean (hashing, roles, rate
limits, session lifetimes) and calls these named reads and writes. Times are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from edi_engine.store import tables

__all__ = [
    "DeviceRow", "Failures", "SessionRow", "UserRow", "delete_attempts_before", "delete_devices_of",
    "delete_expired_sessions", "delete_session", "delete_sessions_of", "delete_stale_devices", "device_by_digest",
    "device_failed", "device_signed_in", "failures_since", "insert_attempt", "insert_device",
    "insert_session", "insert_user", "session_by_digest", "set_disabled", "set_password_hash", "touch_session",
    "user_by_id", "user_by_name", "users",
]

_U = tables.web_user
_S = tables.web_session
_A = tables.login_attempt
_D = tables.login_device


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    username: str
    password_hash: str  # argon2id PHC string
    role: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionRow:
    user: UserRow
    csrf_token: str
    expires_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class DeviceRow:
    id: int
    user_id: int
    last_used_at: datetime
    failures: int


@dataclass(frozen=True, slots=True)
class Failures:
    """Failed sign-ins in a window: how many, and when the latest was (None when there were none)."""

    count: int
    latest: datetime | None


def _user(r: Row[Any]) -> UserRow:
    return UserRow(r.id, r.username, r.password_hash, r.role, bool(r.disabled), r.created_at)


def user_by_name(conn: Connection, username: str) -> UserRow | None:
    row = conn.execute(select(_U).where(_U.c.username == username)).first()
    return None if row is None else _user(row)


def user_by_id(conn: Connection, user_id: int) -> UserRow:
    return _user(conn.execute(select(_U).where(_U.c.id == user_id)).one())


def users(conn: Connection) -> list[UserRow]:
    """Every user, by username."""
    return [_user(r) for r in conn.execute(select(_U).order_by(_U.c.username))]


def insert_user(conn: Connection, *, username: str, password_hash: str, role: str, created_at: datetime) -> UserRow:
    """Add an enabled user; returns it as stored."""
    conn.execute(insert(_U).values(username=username, password_hash=password_hash, role=role, disabled=False,
                                   created_at=created_at))
    return _user(conn.execute(select(_U).where(_U.c.username == username)).one())


def set_disabled(conn: Connection, user_id: int) -> None:
    conn.execute(update(_U).where(_U.c.id == user_id).values(disabled=True))


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    conn.execute(update(_U).where(_U.c.id == user_id).values(password_hash=password_hash))


def failures_since(conn: Connection, since: datetime, *, username: str | None = None,
                   address: str | None = None) -> Failures:
    """Failed sign-ins at or after `since` for one username or one client address, and the latest one's time."""
    query = select(func.count(), func.max(_A.c.at)).select_from(_A).where(_A.c.at >= since,
                                                                       _A.c.succeeded.is_(False))
    if username is not None:
        query = query.where(_A.c.username == username)
    if address is not None:
        query = query.where(_A.c.address == address)
    count, latest = conn.execute(query).one()  # max() keeps the column's type, so `latest` is aware UTC
    return Failures(int(count), latest)


def delete_attempts_before(conn: Connection, before: datetime) -> None:
    conn.execute(delete(_A).where(_A.c.at < before))


def insert_attempt(conn: Connection, *, username: str, address: str, at: datetime, succeeded: bool) -> None:
    conn.execute(insert(_A).values(username=username, address=address, at=at, succeeded=succeeded))


def delete_expired_sessions(conn: Connection, now: datetime, idle_since: datetime | None = None) -> None:
    """Sessions past their lifetime, and (with `idle_since`) those not seen since then."""
    stale = _S.c.expires_at < now
    conn.execute(delete(_S).where(stale if idle_since is None else stale | (_S.c.last_seen_at < idle_since)))


def delete_sessions_of(conn: Connection, user_id: int) -> None:
    conn.execute(delete(_S).where(_S.c.user_id == user_id))


def insert_session(conn: Connection, *, token_hash: str, user_id: int, csrf_token: str, created_at: datetime,
                   expires_at: datetime) -> None:
    conn.execute(insert(_S).values(token_hash=token_hash, user_id=user_id, csrf_token=csrf_token,
                                   created_at=created_at, expires_at=expires_at, last_seen_at=created_at))


def touch_session(conn: Connection, token_hash: str, at: datetime) -> None:
    conn.execute(update(_S).where(_S.c.token_hash == token_hash).values(last_seen_at=at))


def session_by_digest(conn: Connection, token_hash: str) -> SessionRow | None:
    """The session with this token digest and its user, whatever their state (the caller judges it)."""
    row = conn.execute(select(_U, _S.c.csrf_token, _S.c.expires_at, _S.c.last_seen_at)
                       .join(_S, _S.c.user_id == _U.c.id).where(_S.c.token_hash == token_hash)).first()
    return None if row is None else SessionRow(_user(row), row.csrf_token, row.expires_at, row.last_seen_at)


def delete_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(_S).where(_S.c.token_hash == token_hash))


def device_by_digest(conn: Connection, token_hash: str) -> DeviceRow | None:
    row = conn.execute(select(_D.c.id, _D.c.user_id, _D.c.last_used_at, _D.c.failures)
                       .where(_D.c.token_hash == token_hash)).first()
    return None if row is None else DeviceRow(row.id, row.user_id, row.last_used_at, row.failures)


def insert_device(conn: Connection, *, token_hash: str, user_id: int, at: datetime) -> None:
    conn.execute(insert(_D).values(token_hash=token_hash, user_id=user_id, created_at=at, last_used_at=at,
                                   failures=0))


def device_signed_in(conn: Connection, device_id: int, at: datetime) -> None:
    conn.execute(update(_D).where(_D.c.id == device_id).values(last_used_at=at, failures=0))


def device_failed(conn: Connection, device_id: int) -> None:
    conn.execute(update(_D).where(_D.c.id == device_id).values(failures=_D.c.failures + 1))


def delete_devices_of(conn: Connection, user_id: int) -> None:
    conn.execute(delete(_D).where(_D.c.user_id == user_id))


def delete_stale_devices(conn: Connection, before: datetime) -> None:
    conn.execute(delete(_D).where(_D.c.last_used_at < before))
