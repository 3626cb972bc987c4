"""Generated X12 passes the implementation guides (pyx12 through our validate), not only our reader.

A sample of the packs covers each shape the generator writes: 837P with and without COB loops
(2320/2330/2430), 837I, 835s with reversals, PLB recoupments, an aliased payer and split claims.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_engine.parsers.validation import validate_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PACKS = ("cob_correct", "duplicate_recouped", "reversal_repayment", "payer_alias", "split_claim")


def _sample() -> list[Path]:
    files = [p for pack in PACKS for p in sorted((FIXTURES / pack).glob("*.83[57]"))]
    files += sorted((FIXTURES / "mixed").glob("*-837I-*.837"))[:2]
    return files


@pytest.mark.parametrize("path", _sample(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_generated_file_passes_the_guide(path: Path) -> None:
    report = validate_file(path)
    assert [str(p) for p in report.problems] == []
