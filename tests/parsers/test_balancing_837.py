"""CLM02 = sum of the line charges, on a real 837P (badX12/X222-anesthesia.edi) and a damaged copy:
a warning at the CLM in parse and validate, with amounts and position, never names or ids."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from edi_engine.errors import Problem
from edi_engine.parsers.balancing_837 import charge_difference
from edi_engine.parsers.validation import validate_file
from edi_engine.parsers.x837 import iter_submissions

CLAIM = "badX12/X222-anesthesia.edi"  # one claim, CLM02 827 = SV102 827


def _problems(data: bytes) -> list[Problem]:
    problems: list[Problem] = []
    for _ in iter_submissions(data, problems=problems):
        pass
    return problems


def test_equation_takes_cents_and_decimals() -> None:
    assert charge_difference(82700, [80000, 2700]) == 0
    assert charge_difference(Decimal("827"), [Decimal("826.99")]) == Decimal("0.01")


def test_clm02_against_the_lines(corpus: Path, tmp_path: Path) -> None:
    data = (corpus / CLAIM).read_bytes()
    assert data.count(b"CLM*153829140*827*") == 1
    assert [p.code for p in _problems(data) if p.code == "clm-unbalanced"] == []
    bad = data.replace(b"CLM*153829140*827*", b"CLM*153829140*872*")
    (warning,) = [p for p in _problems(bad) if p.code == "clm-unbalanced"]
    assert warning.severity == "warning" and warning.position.offset == bad.index(b"CLM*")
    assert "CLM02 872.00" in warning.message and "827.00" in warning.message and "45.00" in warning.message
    assert "153829140" not in warning.message and "JONES" not in warning.message
    path = tmp_path / "bad.837"
    path.write_bytes(bad)
    found = [p for p in validate_file(path).problems if p.code == "clm-unbalanced"]
    assert [p.position.segment for p in found] == [warning.position.segment]
