"""The store's side of HTTP API tokens: `api_token` and `api_token_use`.

Owns the SQL on those tables; edi_engine/web/tokens.py owns what they mean (the secret, its digest,
who may use one) and calls these named reads and writes. Times are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Row

from edi_engine.store import tables
from edi_engine.store.users import UserRow, user_by_id

__all__ = ["TokenRow", "UseRow", "insert_token", "insert_use", "revoke", "token_by_digest", "token_by_id", "tokens",
           "touch_token", "uses_of"]

_T = tables.api_token
_U = tables.api_token_use
_W = tables.web_user


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    user_id: int
    username: str
    name: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None


def _select() -> Any:
    return select(_T.c.id, _T.c.user_id, _W.c.username, _T.c.name, _T.c.created_at, _T.c.created_by,
                  _T.c.revoked_at, _T.c.revoked_by, _T.c.last_used_at).join(_W, _W.c.id == _T.c.user_id)


def _token(r: Row[Any]) -> TokenRow:
    return TokenRow(r.id, r.user_id, r.username, r.name, r.created_at, r.created_by, r.revoked_at, r.revoked_by,
                    r.last_used_at)


def insert_token(conn: Connection, *, token_hash: str, user_id: int, name: str, at: datetime, by: str) -> TokenRow:
    new_id = conn.execute(insert(_T).values(token_hash=token_hash, user_id=user_id, name=name, created_at=at,
                                            created_by=by)).inserted_primary_key[0]  # type: ignore[index]
    return token_by_id(conn, int(new_id))  # type: ignore[return-value]


def token_by_id(conn: Connection, token_id: int) -> TokenRow | None:
    row = conn.execute(_select().where(_T.c.id == token_id)).first()
    return None if row is None else _token(row)


def token_by_digest(conn: Connection, token_hash: str) -> tuple[TokenRow, UserRow] | None:
    """The token with this secret's digest and its user, whatever their state (the caller judges it)."""
    row = conn.execute(_select().where(_T.c.token_hash == token_hash)).first()
    return None if row is None else (_token(row), user_by_id(conn, row.user_id))


def tokens(conn: Connection, user_id: int | None = None) -> list[TokenRow]:
    """Every token (or one user's), oldest first."""
    query = _select().order_by(_T.c.id)
    return [_token(r) for r in conn.execute(query if user_id is None else query.where(_T.c.user_id == user_id))]


def revoke(conn: Connection, token_id: int, *, at: datetime, by: str) -> bool:
    """Revoke a working token; False when it was revoked already (or does not exist)."""
    done = conn.execute(update(_T).where(_T.c.id == token_id, _T.c.revoked_at.is_(None))
                        .values(revoked_at=at, revoked_by=by))
    return bool(done.rowcount)


def touch_token(conn: Connection, token_id: int, at: datetime) -> None:
    conn.execute(update(_T).where(_T.c.id == token_id).values(last_used_at=at))


def insert_use(conn: Connection, *, token_id: int, at: datetime, method: str, path: str, status: int,
               address: str) -> None:
    conn.execute(insert(_U).values(token_id=token_id, at=at, method=method[:8], path=path[:500], status=status,
                                   address=address[:64]))


@dataclass(frozen=True, slots=True)
class UseRow:
    at: datetime
    method: str
    path: str
    status: int
    address: str


def uses_of(conn: Connection, token_id: int) -> list[UseRow]:
    """The requests made with a token, oldest first."""
    return [UseRow(r.at, r.method, r.path, r.status, r.address)
            for r in conn.execute(select(_U).where(_U.c.token_id == token_id).order_by(_U.c.id))]
