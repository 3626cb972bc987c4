"""Corrected 837s: every generated 837P and 837I passes pyx12 validation with zero errors and reads
back through our own reader as the intended claim (frequency, REF*F8 = CLP07, all lines, changes)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from sqlalchemy import text

from edi_engine.errors import UsageError
from edi_engine.outputs import audit_events, corrected_claim, corrected_claim_for_finding, decide, detect_with_audit
from edi_engine.parsers import parse_file
from edi_engine.parsers.validation import validate_file
from edi_engine.parsers.x837 import iter_submissions
from edi_engine.parsers.x837_models import Claim837
from edi_engine.store import open_store
from edi_engine.x12.reader import read_segments
from tests.outputs.conftest import AS_OF, FIXTURES, load_pack


def _read_back(data: bytes) -> Claim837:
    report = validate_file(data, name="corrected.837")
    assert report.errors == () and report.ok, [p.message for p in report.problems]
    (submission,) = list(iter_submissions(data))
    (claim,) = submission.claims
    return claim


def _original(engine, clm01: str) -> Claim837:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        name, segment = conn.execute(text(
            "SELECT f.name, c.segment FROM claim c JOIN source_file f ON f.id = c.source_file_id "
            "WHERE c.patient_control_number = :c ORDER BY c.id DESC"), {"c": clm01}).first()
    return next(c for c in parse_file(name) if isinstance(c, Claim837) and c.segment == segment)


def _clp07(engine, clm01: str) -> str:  # type: ignore[no-untyped-def]
    """The payer claim number of the claim's latest paid adjudication, straight from the 835 rows."""
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT cp.payer_claim_control_number FROM claim_payment cp JOIN payment p ON p.id = cp.payment_id "
            "WHERE cp.patient_control_number = :c AND cp.status_code <> '22' "
            "ORDER BY p.payment_date DESC, cp.id DESC"), {"c": clm01}).scalar()


def _single_payer_claims(engine, variant: str, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT c.patient_control_number FROM claim c WHERE c.variant = :v AND (SELECT COUNT(*) FROM claim_payment "
            "cp WHERE cp.patient_control_number = c.patient_control_number) = 1 "
            "AND (SELECT COUNT(*) FROM claim c2 WHERE c2.patient_control_number = c.patient_control_number) = 1 "
            "ORDER BY c.patient_control_number"), {"v": variant}).all()
    return [r[0] for r in rows[:n]]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The mixed pack once per module, on SQLite: the 837 bytes do not depend on the backend."""
    engine = open_store("sqlite:///" + str(tmp_path_factory.mktemp("mixed") / "store.db"))
    load_pack(engine, FIXTURES / "mixed")
    detect_with_audit(engine, as_of=AS_OF)
    return engine


@pytest.mark.parametrize("variant", ["P", "I"])
@pytest.mark.parametrize("mode", ["replace", "void"])
def test_corrected_claims_validate_and_read_back(mixed, variant: str, mode: str) -> None:  # type: ignore[no-untyped-def]
    clm01s = _single_payer_claims(mixed, variant, 3)
    assert len(clm01s) == 3
    for clm01 in clm01s:
        original = _original(mixed, clm01)
        data = corrected_claim(mixed, clm01, mode=mode, by="maria")
        claim = _read_back(data)
        assert claim.variant == variant
        assert claim.frequency == {"replace": "7", "void": "8"}[mode]
        assert claim.original_reference == _clp07(mixed, clm01) != ""
        expected = dataclasses.replace(original, frequency=claim.frequency, original_reference=claim.original_reference,
                                       refs=tuple(r for r in original.refs if r[0] != "F8"))
        assert claim == expected  # every line, code and party of the original
        assert claim.lines == original.lines and claim.charge == original.charge


def test_replacement_applies_line_changes(mixed) -> None:  # type: ignore[no-untyped-def]
    clm01 = next(c for c in _single_payer_claims(mixed, "P", 10) if len(_original(mixed, c).lines) >= 2)
    original = _original(mixed, clm01)
    changes = {"line.2.charge": "120.00", "line.1.units": "2", "line.1.procedure": "99214",
               "line.1.modifiers": "25:59"}
    claim = _read_back(corrected_claim(mixed, clm01, mode="replace", changes=changes, by="maria"))
    first, second = claim.lines[0], claim.lines[1]
    assert (first.procedure_code, first.modifiers, first.units) == ("99214", ("25", "59"), Decimal("2"))
    assert first.procedure_qualifier == original.lines[0].procedure_qualifier
    assert second.charge == Decimal("120.00")
    assert claim.charge == sum((ln.charge for ln in claim.lines), Decimal(0)) != original.charge
    assert claim.lines[2:] == original.lines[2:]
    event = audit_events(mixed)[-1]
    assert event.event == "corrected_claim_written" and event.finding_id is None and event.actor == "maria"
    assert event.details["changes"] == changes and event.details["claim_id"] == clm01


def test_control_numbers_are_fresh(mixed) -> None:  # type: ignore[no-untyped-def]
    clm01 = _single_payer_claims(mixed, "P", 1)[0]
    seen = set()
    for _ in range(2):
        data = corrected_claim(mixed, clm01, mode="void")
        isa = next(iter(read_segments(data)))
        assert isa.id == "ISA"
        seen.add(isa.get(13))
    with mixed.connect() as conn:  # ISA13 is unique per sender (ISA06)
        used = {r[0] for r in conn.execute(text("SELECT control_number FROM interchange WHERE sender_id = :s"),
                                           {"s": isa.get(6).strip()})}
    assert len(used) > 5 and len(seen) == 2 and not seen & used


def test_a_duplicate_payment_finding_voids_the_payment_made_again(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    decide(engine, 1, "approve", by="ed")
    data = corrected_claim_for_finding(engine, 1, by="maria")
    claim = _read_back(data)
    assert claim.patient_control_number == "PCN0766001"
    assert claim.frequency == "8" and claim.original_reference == "5243270030722"
    assert len(claim.lines) == len(_original(engine, "PCN0766001").lines)
    (event,) = [e for e in audit_events(engine, 1) if e.event == "corrected_claim_written"]
    assert event.details["ref_f8"] == "5243270030722" and event.details["mode"] == "void"


def test_refusals(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    with pytest.raises(UsageError, match="no stored claim"):
        corrected_claim(engine, "NOPE")
    with pytest.raises(UsageError, match="cannot change"):
        corrected_claim(engine, "PCN0766001", changes={"claim.charge": "1"})
    with pytest.raises(UsageError, match="no line 9"):
        corrected_claim(engine, "PCN0766001", changes={"line.9.charge": "1"})
    with pytest.raises(UsageError, match="replacement only"):
        corrected_claim(engine, "PCN0766001", mode="void", changes={"line.1.charge": "1"})
    with pytest.raises(UsageError, match="number"):
        corrected_claim(engine, "PCN0766001", changes={"line.1.charge": "12.345"})
    assert [e.event for e in audit_events(engine)] == ["identified"]
