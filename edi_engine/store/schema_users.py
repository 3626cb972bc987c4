"""Tables of the review web app: its users, their sign-in sessions and sign-in attempts.

Declarations only; edi_engine/web/auth.py reads and writes them with SQLAlchemy Core. Kept apart
from the claims schema: nothing below the web layer knows who is signed in. Passwords are stored
only as argon2 hashes and session tokens only as SHA-256 digests, so a copy of the database does
not let anyone sign in. Times are UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

__all__ = ["LoginAttempt", "WebSession", "WebUser"]


def _c(comment: str) -> dict[str, str]:
    return {"comment": comment}


class WebUser(SQLModel, table=True):
    """A person who signs in to the review app."""

    __tablename__ = "web_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True)
    password_hash: str = Field(sa_column_kwargs=_c("argon2id hash (PHC string)"))
    role: str = Field(sa_column_kwargs=_c("reviewer, approver or admin"))
    disabled: bool = Field(default=False)
    created_at: datetime = Field(sa_column_kwargs=_c("UTC"))


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random token, the row only its digest."""

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, sa_column_kwargs=_c("SHA-256 hex of the cookie's token"))
    user_id: int = Field(foreign_key="web_user.id", index=True)
    csrf_token: str = Field(sa_column_kwargs=_c("echoed by every form of this session"))
    created_at: datetime = Field(sa_column_kwargs=_c("UTC"))
    expires_at: datetime = Field(sa_column_kwargs=_c("UTC"))


class LoginAttempt(SQLModel, table=True):
    """One sign-in attempt, kept for rate limiting per username and per client address."""

    __tablename__ = "login_attempt"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True)
    address: str = Field(index=True, sa_column_kwargs=_c("client IP address"))
    at: datetime = Field(index=True, sa_column_kwargs=_c("UTC"))
    succeeded: bool
