"""Issue 11 items 1-4 on SQLite and PostgreSQL: split claims, a dropped modifier, DRG payments above
charges and re-coded lines (SVC06), each through its hand-written pack in fixtures/."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from edi_engine.ledger import build_postings, credit, ledger_for, patient_side, payer_side
from edi_engine.parsers.validation import validate_file
from edi_engine.rules import detect
from edi_engine.simulate.expected import compare, load_expected
from edi_engine.simulate.replay import actual_findings
from edi_engine.store import open_store, tables
from edi_engine.store.packs import load_folder

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PACKS = ("split_claim_parts", "modifier_dropped", "drg_above_charges", "svc06_recoded")


@pytest.mark.parametrize("path", [p for pack in PACKS for p in sorted((FIXTURES / pack).glob("*.83[57]"))],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_hand_written_file_passes_the_guide(path: Path) -> None:
    assert [str(p) for p in validate_file(path).problems] == []


def _load(db_url: str, pack: str):  # type: ignore[no-untyped-def]
    engine = open_store(db_url)
    loaded = load_folder(engine, FIXTURES / pack)
    assert all(r.ok for r in loaded.ingest.results)
    detect(engine, as_of="2026-06-30")
    return engine


@pytest.mark.parametrize("pack", PACKS)
def test_pack_findings_equal_expected(db_url: str, pack: str) -> None:
    engine = _load(db_url, pack)
    try:
        result = compare(load_expected(FIXTURES / pack / "expected.json").findings, actual_findings(engine))
        assert result.missing == () and result.unexpected == ()
    finally:
        engine.dispose()


def test_split_parts_add_up_and_only_the_repeat_is_a_duplicate(db_url: str) -> None:
    engine = _load(db_url, "split_claim_parts")
    try:
        with engine.connect() as conn:
            for clm01, parts in (("PCN1101001", 2), ("PCN1101002", 2), ("PCN1101003", 2)):
                got = ledger_for(conn, clm01)
                assert got is not None
                view, postings = got
                payer = view.payers[view.order[0]]
                assert len(payer.standing) == parts
                # Each part's patient responsibility counts: the patient paid exactly the sum.
                assert view.final_pr == view.patient_paid
                if clm01 != "PCN1101003":
                    # No credit and no receivable: the parts account for the whole charge.
                    assert payer.duplicates == [] and payer_side(postings) == 0 and patient_side(postings) == 0
            view, postings = ledger_for(conn, "PCN1101003")  # type: ignore[misc]
            (dup, first), = view.payers["NSB02"].duplicates
            assert (dup.clp07, first.clp07) == ("2025055C0003", "2025034C0002")
            assert credit(postings) == (210000, 0)
            # The line split by units over two checks is one adjudication: 2 x 72.00 allowed.
            view, _ = ledger_for(conn, "PCN1101002")  # type: ignore[misc]
            split = [a for a in view.payers["AHP01"].lines.values() if a.line and a.line.procedure == "97110"]
            assert [(a.paid, a.pr, a.allowed, len(a.services)) for a in split] == [(13200, 1200, 14400, 2)]
    finally:
        engine.dispose()


def test_dropped_modifier_lines_match_by_units_and_charge_then_order(db_url: str) -> None:
    engine = _load(db_url, "modifier_dropped")
    try:
        with engine.connect() as conn:
            lines = {r.id: (r.line_number, r.modifiers) for r in conn.execute(select(tables.claim_line))}
            claims = {r.id: r.patient_control_number for r in conn.execute(select(tables.claim))}
            got = sorted((claims[r.claim_id], lines[r.claim_line_id], r.method) for r in conn.execute(
                select(tables.payment_match).where(tables.payment_match.c.subject == "service_payment")))
        assert got == [
            ("PCN1102001", (1, ""), "procedure+date+units"),
            ("PCN1102001", (2, "59"), "procedure-modifiers+date+units"),
            ("PCN1102002", (1, ""), "procedure+date+units"),
            ("PCN1102002", (2, "59"), "procedure-modifiers+date+units"),
            ("PCN1102003", (1, "GP"), "procedure-modifiers+date+units+order"),
            ("PCN1102003", (2, "59:GP"), "procedure-modifiers+date+units+order"),
        ]
    finally:
        engine.dispose()


def test_drg_payment_above_charges_is_the_rate_not_a_credit(db_url: str) -> None:
    engine = _load(db_url, "drg_above_charges")
    try:
        with engine.connect() as conn:
            view, postings = ledger_for(conn, "PCN1103001")  # type: ignore[misc]
            (adj,) = view.payers["MCRA1"].lines.values()
            assert (adj.charge, adj.paid, adj.pr, adj.allowed) == (400000, 650000, 167600, 817600)
            assert adj.allowed_source == "prospective-rate:94"
            assert credit(postings) == (0, 0) and credit(build_postings(view)) == (0, 0)
    finally:
        engine.dispose()


def test_recoded_line_is_priced_at_the_adjudicated_code(db_url: str) -> None:
    engine = _load(db_url, "svc06_recoded")
    try:
        with engine.connect() as conn:
            view, postings = ledger_for(conn, "PCN1104001")  # type: ignore[misc]
            ecg = next(a for a in view.payers["AHP01"].lines.values() if a.line and a.line.procedure == "93005")
            assert (ecg.priced_as, ecg.allowed, ecg.owed, ecg.paid) == ("93000", 4100, 3280, 3280)
            assert credit(postings) == (0, 0)
            view, _ = ledger_for(conn, "PCN1104003")  # type: ignore[misc]
            (adj,) = view.payers["AHP01"].lines.values()
            assert (adj.priced_as, adj.allowed, adj.allowed_source, adj.paid - adj.owed) == (
                "99214", 13000, "fee-schedule", 4500)
    finally:
        engine.dispose()
