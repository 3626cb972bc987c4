"""Schema versions: Alembic run in code (no alembic.ini), and the check every command makes first.

Owns: upgrading, reading the database's revision, refusing a database newer than this code.
An empty database is upgraded by any command; one at an older revision is left for an explicit
`edi-engine db upgrade` (a shared PostgreSQL store should not change under other users by
accident). On PostgreSQL an advisory lock makes concurrent upgrades (several watchers starting at
once) wait for each other instead of racing to create the same tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection, Engine

from edi_engine.errors import InputError

__all__ = ["MIGRATIONS_DIR", "alembic_config", "all_tables_metadata", "current_revision", "downgrade",
           "ensure_schema", "head_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 0x6564_6965_6E67  # "edieng": any fixed 64-bit key shared by all edi-engine processes


def all_tables_metadata() -> MetaData:
    """The one MetaData with every table of every layer (all declared in store/tables.py)."""
    from edi_engine.store.tables import metadata

    return metadata


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to head; returns (revision before, revision after)."""
    with engine.connect() as conn, _sqlite_foreign_keys_off(conn), conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        before = current_revision(conn)
        _refuse_newer(before)
        command.upgrade(alembic_config(conn), "head")
        _check_foreign_keys(conn)
        return before, head_revision()


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` (tests of upgrades from older stores; no command offers it)."""
    with engine.connect() as conn, _sqlite_foreign_keys_off(conn), conn.begin():
        command.downgrade(alembic_config(conn), revision)
        _check_foreign_keys(conn)


@contextmanager
def _sqlite_foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite alters a table by copying it and dropping the old one, which its foreign key checks refuse
    for a table other rows point at, even deferred (the drop counts as deleting every parent row). Its
    documented procedure: foreign keys off outside the transaction, foreign_key_check before commit."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction: SQLite ignores it inside one
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(conn: Connection) -> None:
    if conn.dialect.name == "sqlite" and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
        raise InputError("the schema upgrade would leave rows pointing at rows that do not exist; nothing changed")


def _refuse_newer(revision: str | None) -> None:
    if revision is not None and revision not in _known_revisions():
        raise InputError(f"the database schema (revision {revision}) is newer than this edi-engine "
                         f"(head {head_revision()}); upgrade edi-engine")


def ensure_schema(engine: Engine) -> None:
    """Create the schema in an empty database; refuse a newer one or one that needs `db upgrade`."""
    with engine.connect() as conn:
        revision = current_revision(conn)
        has_tables = bool(inspect(conn).get_table_names())
    _refuse_newer(revision)
    if revision == head_revision():
        return
    if revision is None and not has_tables:
        upgrade(engine)
        return
    if revision is None:
        raise InputError("the database has tables but no edi-engine schema version; is it another application's?")
    raise InputError(f"the database schema is at revision {revision}, older than this edi-engine "
                     f"({head_revision()}); run `edi-engine db upgrade`")
