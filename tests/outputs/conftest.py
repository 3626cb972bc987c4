"""Outputs tests run on scenario packs from fixtures/ loaded into SQLite and, with
EDI_ENGINE_TEST_PG_URL set, PostgreSQL (the store's db_url fixture)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from edi_engine.outputs import detect_with_audit
from edi_engine.store import imports, open_store, payers
from edi_engine.store.ingest import ingest_paths

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
AS_OF = "2025-02-19"  # the day after the mixed world's last check: no credit is identified before its money came


def load_pack(engine: Engine, folder: Path) -> None:
    """Ingest a pack's X12 files and import its CSVs, as `replay` does."""
    summary = ingest_paths(engine, sorted(p for p in folder.iterdir() if p.suffix in (".835", ".837")))
    assert not summary.failed
    aliases = folder / "payer_aliases.csv"
    if aliases.exists():
        with engine.begin() as conn, aliases.open() as fh:
            for row in csv.DictReader(fh):
                payers.add_alias(conn, row["alias"], row["payer_id"])
    if (folder / "fee_schedule.csv").exists():
        imports.import_fee_schedule(engine, folder / "fee_schedule.csv")
    if (folder / "patient_payments.csv").exists():
        imports.import_patient_payments(engine, folder / "patient_payments.csv")


@pytest.fixture
def pack_store(db_url: str) -> Callable[..., Engine]:  # noqa: F811
    """pack_store("duplicate_payment") -> an engine with that pack loaded and detect (audited) run."""

    def make(*packs: str, detect: bool = True) -> Engine:
        engine = open_store(db_url)
        for name in packs:
            load_pack(engine, FIXTURES / name)
        if detect:
            detect_with_audit(engine, as_of=AS_OF)
        return engine

    return make
