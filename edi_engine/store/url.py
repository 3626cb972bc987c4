"""The database URL: what the user typed (or EDI_ENGINE_DB, or nothing) to an SQLAlchemy URL.

Owns the default (an SQLite file `edi-engine.db` in the current folder) and the accepted
dialects. Knows nothing of the schema. Error messages never echo a password.
"""

from __future__ import annotations

import os

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from edi_engine.errors import UsageError

__all__ = ["DEFAULT_DB_FILE", "resolve_url", "safe_url"]

DEFAULT_DB_FILE = "edi-engine.db"


def resolve_url(url: str | None = None) -> URL:
    """The URL to connect to: `url`, else env EDI_ENGINE_DB, else ./edi-engine.db (SQLite).

    `postgresql://` and `postgres://` without a driver mean psycopg 3, the one driver we ship.
    """
    text = url or os.environ.get("EDI_ENGINE_DB") or ""
    if not text:
        return make_url("sqlite:///" + os.path.abspath(DEFAULT_DB_FILE))
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://"):]
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise UsageError("database URL is not valid; expected e.g. sqlite:///path/to/edi.db or "
                         "postgresql+psycopg://user@host/dbname") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise UsageError(f"SQLite driver {driver!r} is not supported; use sqlite:///FILE")
        return parsed
    if backend == "postgresql":
        if driver not in ("", "psycopg"):
            raise UsageError(f"PostgreSQL driver {driver!r} is not supported; use postgresql+psycopg://")
        return parsed.set(drivername="postgresql+psycopg")
    raise UsageError(f"database {backend!r} is not supported; use SQLite or PostgreSQL")


def safe_url(url: URL | str) -> str:
    """The URL with any password masked, for messages."""
    return (make_url(url) if isinstance(url, str) else url).render_as_string(hide_password=True)
