"""expected.json: format, loader errors, and the comparison on the six compared fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edi_engine.errors import InputError
from edi_engine.simulate.expected import Finding, compare, dump_expected, dumps_expected, load_expected


def _f(amount: str = "10", **kw: str) -> Finding:
    values = {"category": "duplicate_payment", "claim_id": "PCN1", "payer_id": "AHP01", "refund_to": "payer",
              "status": "open"}
    values.update(kw)
    return Finding(values["category"], values["claim_id"], values["payer_id"], amount, values["refund_to"],
                   values["status"])


def test_amounts_are_normalised_to_two_decimals() -> None:
    assert _f("10").amount == "10.00"
    assert _f("3.5").amount == "3.50"
    with pytest.raises(ValueError):
        _f("ten")
    with pytest.raises(ValueError):
        _f(category="overbilling")


def test_round_trip_is_sorted_and_stable(tmp_path: Path) -> None:
    findings = [_f("5", claim_id="PCN2"), Finding("payer_overpayment", "PCN1", "MCRB1", "1.25", "payer", "open",
                                                   line="0001", note="why")]
    path = tmp_path / "expected.json"
    dump_expected(findings, path, {"seed": 1})
    text = path.read_text()
    assert text == dumps_expected(reversed(findings), {"seed": 1})
    doc = json.loads(text)
    assert [f["claim_id"] for f in doc["findings"]] == ["PCN2", "PCN1"]  # by category first
    loaded = load_expected(path)
    assert loaded.findings[1].line == "0001" and loaded.generator == {"seed": 1}
    assert list(loaded.findings) == sorted(findings, key=lambda f: f.key)


def test_loader_rejects_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "expected.json"
    path.write_text('{"findings": [{"category": "duplicate_payment"}]}')
    with pytest.raises(InputError, match="finding 0"):
        load_expected(path)
    path.write_text("[]")
    with pytest.raises(InputError):
        load_expected(path)


def test_compare_is_a_multiset_difference_on_the_key() -> None:
    a, b = _f("10"), _f("10")
    engine = [Finding.from_mapping({"id": 7, "category": "duplicate_payment", "claim_id": "PCN1", "payer_id": "AHP01",
                                    "amount": "10.00", "refund_to": "payer", "status": "open",
                                    "identified_on": "2025-01-01", "evidence": []})]
    result = compare([a, b], engine)
    assert not result.ok and result.missing == (b,) and result.unexpected == ()
    assert compare([a], engine).ok
    wrong = compare([a], [_f("10.01")])
    assert wrong.missing == (a,) and wrong.unexpected == (_f("10.01"),)
    assert not compare([a], [_f("10", status="resolved")]).ok
