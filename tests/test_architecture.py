"""The layers' arrows point one way: a lower package never imports a higher one (ARCHITECTURE)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "edi_engine"
# Bottom to top. simulate drives the whole pipeline (replay), so it sits above outputs; web and
# cli are the front doors.
LAYERS = ["x12", "parsers", "store", "ledger", "rules", "outputs", "simulate", "web", "cli"]
IMPORT = re.compile(r"^\s*(?:from|import) edi_engine\.(\w+)", re.M)


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_only_layers_below_it(layer: str) -> None:
    rank = LAYERS.index(layer)
    upward = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for target in IMPORT.findall(path.read_text(encoding="utf-8")):
            if target in LAYERS and LAYERS.index(target) > rank:
                upward.append(f"{path.relative_to(PACKAGE)} imports edi_engine.{target}")
    assert upward == []


def test_the_ledger_reads_the_store() -> None:
    """The ledger's facts come from edi_engine.store (store/read.py): the arrow ledger -> store is a real import."""
    targets = {t for path in (PACKAGE / "ledger").rglob("*.py") for t in IMPORT.findall(path.read_text("utf-8"))}
    assert "store" in targets


SQL_IMPORT = re.compile(r"^\s*from sqlalchemy(?:\.\w+)* import [^\n]*\b(?:select|insert|update|delete|text|func|"
                        r"Table|Column|MetaData)\b|^\s*import sqlalchemy\b|\bexec_driver_sql\b|"
                        r"\bedi_engine\.store\.tables\b|from edi_engine\.store import [^\n]*\btables\b", re.M)
SQL_TEXT = re.compile(r"\bSELECT\b[\s\S]{0,200}?\bFROM\b|\bINSERT\s+INTO\b|\bDELETE\s+FROM\b|\bUPDATE\s+\w+\s+SET\b")


def test_no_sql_outside_the_store() -> None:
    """SQL (query builders, table objects, raw statements) lives only in edi_engine/store/."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "store":
            continue
        source = path.read_text(encoding="utf-8")
        found += [f"{rel}: {m.group(0).strip()[:60]}" for m in SQL_IMPORT.finditer(source)]
        found += [f"{rel}: {m.group(0).strip()[:60]}" for m in SQL_TEXT.finditer(source)]
    assert found == []
