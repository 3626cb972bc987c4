"""The claims store: schema, migrations, ingest of 835/837 files, CSV imports, payer aliases.

Public API (other layers import only these names):
    open_store(url) -> Engine            engine on a current schema (an empty database is created)
    create_store_engine(url) -> Engine   engine without the schema check (for `db upgrade`)
    resolve_url(url) -> URL              --db / EDI_ENGINE_DB / ./edi-engine.db
    upgrade(engine), ensure_schema(engine), head_revision()
    to_cents(Decimal) / from_cents(int)  the store's money boundary
    schema                               the SQLModel table classes
"""

from __future__ import annotations

from edi_engine.store import schema
from edi_engine.store.engine import create_store_engine, open_store
from edi_engine.store.migrate import ensure_schema, head_revision, upgrade
from edi_engine.store.types import from_cents, to_cents
from edi_engine.store.url import resolve_url

__all__ = [
    "create_store_engine", "ensure_schema", "from_cents", "head_revision", "open_store", "resolve_url",
    "schema", "to_cents", "upgrade",
]
