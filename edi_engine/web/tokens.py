"""Per-user HTTP API tokens: create (the secret shown once), revoke, list, and the answer to "whose
token is this" for a request's `Authorization: Bearer` header.

A token is `edi_` and 32 random bytes (URL-safe base64, 256 bits of entropy); the store keeps only
its SHA-256 digest, so a copy of the database cannot be replayed as a token. A plain digest (not
argon2) is right here because the secret is random, not chosen by a person: there is nothing to
guess from the digest. A token acts with its user's role (auth.ROLES) and stops working when it is
revoked or its user is disabled. Creation and revocation are audit events (outputs/audit.py), each
use a row of `api_token_use` (store/tokens.py). Knows nothing of HTTP; nothing here logs.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from edi_engine.errors import UsageError
from edi_engine.store import tokens as stored
from edi_engine.store import users as stored_users
from edi_engine.web.auth import SessionInfo, User

__all__ = ["PREFIX", "ApiToken", "TokenUse", "create_token", "list_tokens", "record_use", "revoke_token",
           "token_session", "token_uses"]

PREFIX = "edi_"  # makes a leaked token recognisable to secret scanners and people alike
_MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    username: str
    name: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class TokenUse:
    at: datetime
    method: str
    path: str
    status: int
    address: str


def _token(r: stored.TokenRow) -> ApiToken:
    return ApiToken(r.id, r.username, r.name, r.created_at, r.created_by, r.revoked_at, r.last_used_at)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def create_token(engine: Engine, username: str, *, name: str = "", by: str = "cli") -> tuple[ApiToken, str]:
    """A new token for an enabled user: (the token, its secret). The secret is not stored and cannot be
    shown again. UsageError for an unknown or disabled user."""
    from edi_engine.outputs.audit import record

    name = " ".join(name.split())[:_MAX_NAME] or "api"
    secret = PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        user = stored_users.user_by_name(conn, username)
        if user is None:
            raise UsageError(f"no user {username}")
        if user.disabled:
            raise UsageError(f"user {username} is disabled")
        row = stored.insert_token(conn, token_hash=_digest(secret), user_id=user.id, name=name, at=_now(), by=by)
        record(conn, "api_token_created", finding_id=None, actor=by, note=name,
               details={"token_id": row.id, "user": user.username, "role": user.role})
    return _token(row), secret


def revoke_token(engine: Engine, token_id: int, *, by: str = "cli") -> ApiToken:
    """Revoke a token at once; UsageError when there is no such token or it was revoked already."""
    from edi_engine.outputs.audit import record

    with engine.begin() as conn:
        row = stored.token_by_id(conn, token_id)
        if row is None:
            raise UsageError(f"no API token {token_id}")
        if not stored.revoke(conn, token_id, at=_now(), by=by):
            raise UsageError(f"API token {token_id} was revoked already")
        record(conn, "api_token_revoked", finding_id=None, actor=by, note=row.name,
               details={"token_id": row.id, "user": row.username})
        return _token(stored.token_by_id(conn, token_id) or row)


def list_tokens(engine: Engine, username: str | None = None) -> list[ApiToken]:
    with engine.connect() as conn:
        user_id = None
        if username is not None:
            user = stored_users.user_by_name(conn, username)
            if user is None:
                raise UsageError(f"no user {username}")
            user_id = user.id
        return [_token(r) for r in stored.tokens(conn, user_id)]


def token_session(engine: Engine, secret: str) -> tuple[SessionInfo, int] | None:
    """(the session the token acts as, the token's id) for a working token of an enabled user, else None.
    A token session has no CSRF token: a bearer header is never sent by a browser on its own."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    digest = _digest(secret)
    with engine.connect() as conn:
        found = stored.token_by_digest(conn, digest)
    if found is None:
        return None
    token, user = found
    # Looked up by digest: timing reveals nothing of the secret, since no one can steer a SHA-256 prefix.
    if token.revoked_at is not None or user.disabled:
        return None
    return SessionInfo(User(user.id, user.username, user.role, user.disabled, user.created_at), ""), token.id


def record_use(engine: Engine, token_id: int, *, method: str, path: str, status: int, address: str) -> None:
    now = _now()
    with engine.begin() as conn:
        stored.insert_use(conn, token_id=token_id, at=now, method=method, path=path, status=status, address=address)
        stored.touch_token(conn, token_id, now)


def token_uses(engine: Engine, token_id: int) -> list[TokenUse]:
    with engine.connect() as conn:
        return [TokenUse(u.at, u.method, u.path, u.status, u.address) for u in stored.uses_of(conn, token_id)]
