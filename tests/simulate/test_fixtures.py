"""fixtures/ is exactly what build_fixtures writes, and each pack holds what its name says."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_engine.parsers import TransactionEnd, parse_file
from edi_engine.parsers.x221a1_835_models import ClaimPayment
from edi_engine.simulate import PACKS, load_expected
from edi_engine.simulate.build_fixtures import MIXED, expected_packs, pack_contents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.parametrize("name", expected_packs())
def test_pack_on_disk_equals_regeneration(name: str) -> None:
    folder = FIXTURES / name
    assert folder.is_dir(), f"missing fixtures/{name}: run python -m edi_engine.simulate.build_fixtures"
    on_disk = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert on_disk == pack_contents(name), f"fixtures/{name} is stale: run python -m edi_engine.simulate.build_fixtures"


@pytest.mark.parametrize("name", expected_packs())
def test_pack_layout(name: str) -> None:
    folder = FIXTURES / name
    names = {p.name for p in folder.iterdir()}
    assert {"expected.json", "README.md", "fee_schedule.csv"} <= names
    assert any(n.endswith(".837") for n in names) and any(n.endswith(".835") for n in names)
    findings = load_expected(folder / "expected.json").findings
    if name in PACKS:
        pack = PACKS[name]
        scenario_kinds = {s for s, _ in pack.instances}
        if name.startswith(("duplicate", "payer_alias")):
            assert {f.category for f in findings} == {"duplicate_payment"}
        elif name in {"payer_overpayment", "cob_overpayment", "patient_overpayment", "unmatched_payment"}:
            assert {f.category for f in findings} == {name}
            assert len(findings) == len(pack.instances)
        else:
            assert findings == (), f"trap pack {name} ({scenario_kinds}) must expect no findings"


def test_mixed_pack_holds_every_trap() -> None:
    statuses: set[str] = set()
    oa18 = wo = 0
    clp07_by_clp01: dict[str, set[str]] = {}
    for path in sorted((FIXTURES / MIXED).glob("*.835")):
        for item in parse_file(path):
            if isinstance(item, ClaimPayment):
                statuses.add(item.status)
                oa18 += any((a.group, a.reason) == ("OA", "18") for s in item.services for a in s.adjustments)
                if item.status == "1":
                    clp07_by_clp01.setdefault(item.patient_control_number, set()).add(item.payer_claim_control_number)
            elif isinstance(item, TransactionEnd):
                wo += sum(1 for a in item.trailer.provider_adjustments if a.reason == "WO")  # type: ignore[union-attr]
    assert {"1", "2", "4", "22"} <= statuses
    assert oa18 and wo
    assert any(len(v) > 1 for v in clp07_by_clp01.values())  # duplicates and splits
    findings = load_expected(FIXTURES / MIXED / "expected.json").findings
    assert {f.category for f in findings} == {"duplicate_payment", "payer_overpayment", "cob_overpayment",
                                              "patient_overpayment", "unmatched_payment", "voided_claim_paid",
                                              "voided_claim_patient_paid", "msp_overpayment", "pending_recoupment"}
    assert "19" in statuses  # Medicare crossovers
    assert {f.refund_to for f in findings} == {"payer", "patient", "offset", "none"}  # none: unmatched
    assert {f.status for f in findings} == {"open", "resolved"}
