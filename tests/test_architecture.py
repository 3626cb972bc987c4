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
