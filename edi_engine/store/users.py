"""The store's side of the review app's people: `web_user`, `web_session`, `login_attempt`.

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
    "SessionRow", "UserRow", "delete_expired_sessions", "delete_session", "delete_sessions_of", "failed_attempts",
    "insert_attempt", "insert_session", "insert_user", "session_by_digest", "set_disabled", "set_password_hash",
    "user_by_id", "user_by_name", "users",
]

_U = tables.web_user
_S = tables.web_session
_A = tables.login_attempt


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


def failed_attempts(conn: Connection, since: datetime, *, username: str | None = None,
                    address: str | None = None) -> int:
    """Failed sign-ins at or after `since`, for one username or one client address."""
    query = select(func.count()).select_from(_A).where(_A.c.at >= since, _A.c.succeeded.is_(False))
    if username is not None:
        query = query.where(_A.c.username == username)
    if address is not None:
        query = query.where(_A.c.address == address)
    return int(conn.execute(query).scalar_one())


def insert_attempt(conn: Connection, *, username: str, address: str, at: datetime, succeeded: bool) -> None:
    conn.execute(insert(_A).values(username=username, address=address, at=at, succeeded=succeeded))


def delete_expired_sessions(conn: Connection, now: datetime) -> None:
    conn.execute(delete(_S).where(_S.c.expires_at < now))


def delete_sessions_of(conn: Connection, user_id: int) -> None:
    conn.execute(delete(_S).where(_S.c.user_id == user_id))


def insert_session(conn: Connection, *, token_hash: str, user_id: int, csrf_token: str, created_at: datetime,
                   expires_at: datetime) -> None:
    conn.execute(insert(_S).values(token_hash=token_hash, user_id=user_id, csrf_token=csrf_token,
                                   created_at=created_at, expires_at=expires_at))


def session_by_digest(conn: Connection, token_hash: str) -> SessionRow | None:
    """The session with this token digest and its user, whatever their state (the caller judges it)."""
    row = conn.execute(select(_U, _S.c.csrf_token, _S.c.expires_at).join(_S, _S.c.user_id == _U.c.id)
                       .where(_S.c.token_hash == token_hash)).first()
    return None if row is None else SessionRow(_user(row), row.csrf_token, row.expires_at)


def delete_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(_S).where(_S.c.token_hash == token_hash))
