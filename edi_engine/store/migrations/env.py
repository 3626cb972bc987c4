"""Alembic environment for the store. Always run through edi_engine.store.migrate, which hands
over an open connection (config.attributes["connection"]); there is no alembic.ini."""

from __future__ import annotations

from alembic import context

from edi_engine.store.migrate import all_tables_metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - guards against running `alembic` by hand
    raise RuntimeError("run migrations with `edi-engine db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=all_tables_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
