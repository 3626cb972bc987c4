"""A folder of X12 files and the CSVs that go with them, loaded into a store in one call.

Used by `replay`, `demo` and the benchmarks. The CSVs are recognised by name:
`payers.csv` (payers import), `payer_aliases.csv` (alias,payer_id), `fee_schedule.csv`,
`patient_payments.csv` and `deposits.csv`, and bank statements by their `.bai2` suffix (import
deposits); every other file is handed to ingest, which recognises 835s and 837s by content.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from edi_engine.errors import InputError, Position
from edi_engine.store import deposits, imports, payers
from edi_engine.store.deposits import DepositImport
from edi_engine.store.imports import ImportResult, PayersImport
from edi_engine.store.ingest import IngestSummary, ingest_paths

__all__ = ["FolderLoad", "load_folder"]

_NOT_X12 = {".csv", ".json", ".md", ".toml", ".txt~", ".bai2", ".db", ".db-wal", ".db-shm", ".db-journal"}


@dataclass(frozen=True, slots=True)
class FolderLoad:
    ingest: IngestSummary
    aliases: int
    imports: tuple[ImportResult, ...]
    deposits: tuple[DepositImport, ...] = ()
    payers: PayersImport | None = None


def _load_aliases(engine: Engine, path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for line, row in enumerate(rows, start=2):
        if not (row.get("alias") or "").strip() or not (row.get("payer_id") or "").strip():
            raise InputError(f"line {line}: alias and payer_id are required", Position(str(path)))
    with engine.begin() as conn:  # all or none
        for row in rows:
            payers.add_alias(conn, row["alias"].strip(), row["payer_id"].strip())
    return len(rows)


def load_folder(engine: Engine, folder: str | Path) -> FolderLoad:
    """Ingest every X12 file below `folder` and import its CSVs; payers and aliases first, since ingest
    and the fee schedule resolve payer ids through them."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder", Position(str(folder)))
    known = imports.import_payers(engine, folder / "payers.csv") if (folder / "payers.csv").is_file() else None
    aliases = folder / "payer_aliases.csv"
    alias_count = _load_aliases(engine, aliases) if aliases.is_file() else 0
    x12 = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix.lower() not in _NOT_X12]
    summary = ingest_paths(engine, x12)
    results = []
    if (folder / "fee_schedule.csv").is_file():
        results.append(imports.import_fee_schedule(engine, folder / "fee_schedule.csv"))
    if (folder / "patient_payments.csv").is_file():
        results.append(imports.import_patient_payments(engine, folder / "patient_payments.csv"))
    banks = sorted(p for p in folder.rglob("*.bai2") if p.is_file())
    if (folder / "deposits.csv").is_file():
        banks.append(folder / "deposits.csv")
    return FolderLoad(summary, alias_count, tuple(results), tuple(deposits.import_deposits(engine, p) for p in banks),
                      known)
