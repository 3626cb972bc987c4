"""The claims store: schema, migrations, ingest of 835/837 files, CSV imports, payer aliases.

Public API (other layers import only these names):
    open_store(url) -> Engine               engine on a current schema (an empty database is created)
    create_store_engine(url) -> Engine      engine without the schema check (for `db upgrade`)
    resolve_url(url) -> URL                 --db / EDI_ENGINE_DB / ./edi-engine.db
    upgrade(engine), ensure_schema(engine), head_revision()
    ingest_file(engine, path) -> FileResult, ingest_paths(engine, paths) -> IngestSummary
    watch(engine, folder, ...) -> IngestSummary
    import_patient_payments(engine, csv), import_fee_schedule(engine, csv) -> ImportResult
    import_deposits(engine, bai2_or_csv) -> DepositImport   bank deposits (store/deposits.py, store/bai2.py)
    alias_map(conn), canonical_payer_id(conn, id), payer_id_835(n104, ref_2u, trn03)
    to_cents(Decimal) / from_cents(int)     the store's money boundary (re-exported from edi_engine.money)
    tables                                  the Core tables (only store modules use them)
"""

from __future__ import annotations

from edi_engine.money import from_cents, to_cents
from edi_engine.store import tables
from edi_engine.store.deposits import DepositImport, import_deposits
from edi_engine.store.engine import create_store_engine, open_store
from edi_engine.store.imports import ImportResult, import_fee_schedule, import_patient_payments
from edi_engine.store.ingest import FileResult, IngestSummary, ingest_file, ingest_paths
from edi_engine.store.migrate import ensure_schema, head_revision, upgrade
from edi_engine.store.payers import alias_map, canonical_payer_id, payer_id_835
from edi_engine.store.url import resolve_url
from edi_engine.store.watch import watch

__all__ = [
    "DepositImport", "FileResult", "ImportResult", "IngestSummary", "alias_map", "canonical_payer_id",
    "create_store_engine", "ensure_schema", "from_cents", "head_revision", "import_deposits", "import_fee_schedule",
    "import_patient_payments", "ingest_file", "ingest_paths", "open_store", "payer_id_835", "resolve_url", "tables",
    "to_cents", "upgrade", "watch",
]
