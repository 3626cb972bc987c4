"""Issue 11 items 9, 10, 13 and 14 on SQLite and PostgreSQL: crossovers, Medicare Secondary Payer,
tolerance and Medicare Advantage, each through its hand-written pack in fixtures/ (a pack's own
rules.toml is merged over the default rule pack, as `edi-engine replay` does)."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from edi_engine.ledger import ledger_for, msp_terms
from edi_engine.outputs import cms838_report
from edi_engine.parsers.validation import validate_file
from edi_engine.rules import detect, list_findings
from edi_engine.rules.pack import load_pack
from edi_engine.rules.tolerance import below_tolerance
from edi_engine.simulate.expected import compare, load_expected
from edi_engine.simulate.replay import actual_findings, replay
from edi_engine.store import open_store, tables
from edi_engine.store.packs import load_folder

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PACKS = ("crossover_medigap", "msp_primary_payer", "tolerance_medicare", "medicare_advantage")
AS_OF = "2026-06-30"


@pytest.mark.parametrize("path", [p for pack in PACKS for p in sorted((FIXTURES / pack).glob("*.83[57]"))],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_hand_written_file_passes_the_guide(path: Path) -> None:
    assert [str(p) for p in validate_file(path).problems] == []


def _rules(pack: str) -> str | None:
    path = FIXTURES / pack / "rules.toml"
    return str(path) if path.is_file() else None


def _load(db_url: str, pack: str, rules: str | None = "pack"):  # type: ignore[no-untyped-def]
    engine = open_store(db_url)
    loaded = load_folder(engine, FIXTURES / pack)
    assert all(r.ok for r in loaded.ingest.results)
    detect(engine, as_of=AS_OF, rules_path=_rules(pack) if rules == "pack" else rules)
    return engine


def _cms838(engine: Any, rules: str | None = "pack", pack: str = "") -> dict[int, Any]:
    """CMS-838 lines by finding id, professional claims listed (these packs bill on 837P, which the
    CMS-838 leaves to the MAC's refund form by default: rule pack [cms838] professional_claims)."""
    path = FIXTURES / pack / "rules.toml" if rules == "pack" and pack else None
    text = (path.read_text() if path and path.is_file() else "") + "\n[cms838]\nprofessional_claims = true\n"
    with tempfile.TemporaryDirectory() as folder:
        over = Path(folder) / "rules.toml"
        over.write_text(text)
        lines = cms838_report(engine, AS_OF, all_lines=True, pack=load_pack(over)).lines
    return {ln.finding_id: ln for ln in lines}


def _findings(engine: Any) -> dict[tuple[str, str | None], Any]:
    with engine.connect() as conn:
        return {(f.category, f.claim_id): f for f in list_findings(conn, "all")}


@pytest.mark.parametrize("pack", PACKS)
def test_pack_findings_equal_expected(db_url: str, pack: str) -> None:
    engine = _load(db_url, pack)
    try:
        result = compare(load_expected(FIXTURES / pack / "expected.json").findings, actual_findings(engine))
        assert result.missing == () and result.unexpected == ()
    finally:
        engine.dispose()


@pytest.mark.parametrize("pack", ("tolerance_medicare", "medicare_advantage"))
def test_replay_reads_the_packs_rules(pack: str) -> None:
    assert replay(FIXTURES / pack, as_of=AS_OF).ok


# -- 9. crossovers ------------------------------------------------------------------------------

def test_crossover_payment_matches_by_charge_and_dates_not_member_id(db_url: str) -> None:
    engine = _load(db_url, "crossover_medigap")
    try:
        with engine.connect() as conn:
            clps = {r.id: (r.patient_control_number, r.payer_claim_control_number)
                    for r in conn.execute(select(tables.claim_payment))}
            methods = {clps[r.subject_id]: r.method for r in conn.execute(
                select(tables.payment_match).where(tables.payment_match.c.subject == "claim_payment"))}
            assert methods[("PCN1109001", "MG2515400881")] == "clp01+crossover+charge"
            assert methods[("PCN1109002", "2515600330021")] == "clp01+crossover+charge"
            view, _ = ledger_for(conn, "PCN1109001")  # type: ignore[misc]
            assert view.order == ["MCRB1", "HMG01"] and view.final_pr == 0 and not view.pending
            view, _ = ledger_for(conn, "PCN1109003")  # type: ignore[misc]
            assert view.pending  # forwarded, the Medigap plan has not answered: no patient refund yet
        assert not [f for f in _findings(engine) if f[0] == "unmatched_payment"]
    finally:
        engine.dispose()


def test_crossover_with_another_charge_stays_unmatched(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    for src in (FIXTURES / "crossover_medigap").iterdir():
        text = src.read_text()
        if src.name.startswith("20250603-835-HMG01"):
            # The same CLP01 and date, but a charge Medicare never forwarded: not the crossover.
            text = text.replace("CLP*PCN1109001*2*200*25.6", "CLP*PCN1109001*2*210*35.6")
            text = text.replace("SVC*HC:99214*200*25.6", "SVC*HC:99214*210*35.6").replace("BPR*C*25.6", "BPR*C*35.6")
        (pack / src.name).write_text(text)
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        load_folder(engine, pack)
        detect(engine, as_of=AS_OF)
        found = _findings(engine)
        assert found[("unmatched_payment", "PCN1109001")].payer_id == "HMG01"
        assert ("patient_overpayment", "PCN1109001") not in found
    finally:
        engine.dispose()


# -- 10. Medicare Secondary Payer ---------------------------------------------------------------

def test_msp_is_owed_to_medicare_from_the_other_payments_receipt(db_url: str) -> None:
    engine = _load(db_url, "msp_primary_payer")
    try:
        found = _findings(engine)
        assert not [k for k in found if k[0] == "cob_overpayment"]
        first, wc = found[("msp_overpayment", "PCN1110001")], found[("msp_overpayment", "PCN1110003")]
        assert (first.payer_id, first.refund_to, first.payer_type) == ("MCRB1", "payer", "medicare")
        # 60 days from receipt of the other primary payment (42 CFR 489.20(h)), not from identification.
        assert first.deadline == date(2025, 6, 1) and wc.deadline == date(2025, 6, 14)
        assert first.evidence["msp"]["secondary"] == "48.00" and wc.evidence["msp"]["secondary"] == "0.00"
        roles = [r["role"] for r in first.evidence["records"]]
        assert roles == ["Medicare paid as primary", "other payer paid as primary"]
        with engine.connect() as conn:
            view, _ = ledger_for(conn, "PCN1110001")  # type: ignore[misc]
            terms = msp_terms(view, view.payers["MCRB1"], [view.payers["GLE01"]])
            assert (terms.obligated, terms.secondary, terms.owed) == (24000, 4800, 9600)
        rows = _cms838(engine, pack="msp_primary_payer")
        assert (rows[first.id].reason, rows[first.id].msp_code) == ("2", "12")
        assert (rows[wc.id].reason, rows[wc.id].msp_code) == ("2", "15")
        # Column 15: the other insurer's name and address, from N1*PR and N3/N4 of its 835.
        assert rows[first.id].primary_insurer_or_explanation.startswith("GREAT LAKES")
    finally:
        engine.dispose()


def test_msp_code_of_an_employer_plan_is_blank_unless_the_office_lists_it(tmp_path: Path) -> None:
    engine = _load(f"sqlite:///{tmp_path / 's.db'}", "msp_primary_payer", rules=None)
    try:
        rows = {ln.icn: ln for ln in _cms838(engine, rules=None).values()}
        assert rows["2225077001101"].msp_code == ""
    finally:
        engine.dispose()


# -- 13. tolerance ------------------------------------------------------------------------------

def test_smaller_than_is_strict() -> None:
    assert below_tolerance(0, 0) and below_tolerance(499, 500)
    assert not below_tolerance(500, 500) and not below_tolerance(1, 0)


def test_default_pack_has_no_tolerance_for_medicare_and_medicaid(tmp_path: Path) -> None:
    rules = tmp_path / "r.toml"
    rules.write_text('[tolerance]\ncredit = "50.00"\n')
    pack = load_pack(rules)
    assert pack.credit_tolerance_for("medicare") == 0 and pack.credit_tolerance_for("medicaid") == 0
    assert pack.credit_tolerance_for("commercial") == 5000


def test_medicare_tolerance_is_configurable(tmp_path: Path) -> None:
    rules = tmp_path / "r.toml"
    rules.write_text('[tolerance]\ncredit = "5.00"\n[tolerance.credit_by_payer_type]\nmedicare = "4.00"\n')
    engine = _load(f"sqlite:///{tmp_path / 's.db'}", "tolerance_medicare", rules=str(rules))
    try:
        assert sorted(str(k[1]) for k in _findings(engine)) == ["PCN1113003", "PCN1113004"]
    finally:
        engine.dispose()


# -- 14. Medicare Advantage ---------------------------------------------------------------------

def _clock_start(f: object) -> date:
    return date.fromisoformat(f.evidence["clock"]["starts"])  # type: ignore[attr-defined]


def test_medicare_advantage_gets_contract_deadlines_and_no_cms838_row(db_url: str) -> None:
    engine = _load(db_url, "medicare_advantage")
    try:
        found = _findings(engine)
        hmo, ppo, ffs = (found[("duplicate_payment", c)] for c in ("PCN1114001", "PCN1114002", "PCN1114003"))
        assert (hmo.payer_type, ppo.payer_type, ffs.payer_type) == ("medicare_advantage", "medicare_advantage",
                                                                     "medicare")
        # Found a year after the money came, each clock starts when it should have been found
        # (rules/deadlines.py); the days that run from there are the payer type's.
        assert [(f.deadline - _clock_start(f)).days for f in (hmo, ppo, ffs)] == [90, 120, 60]
        rows = _cms838(engine, pack="medicare_advantage")
        assert list(rows) == [ffs.id] and rows[ffs.id].reason == "1"
    finally:
        engine.dispose()


def test_clp06_16_alone_is_medicare_advantage(tmp_path: Path) -> None:
    engine = _load(f"sqlite:///{tmp_path / 's.db'}", "medicare_advantage", rules=None)
    try:
        found = _findings(engine)
        hmo = found[("duplicate_payment", "PCN1114001")]
        assert hmo.payer_type == "medicare_advantage"
        assert (hmo.deadline - _clock_start(hmo)).days == 60  # payer_default
        # Unmarked, the MA PPO writing CLP06 MB cannot be told from Medicare: the rule pack must say.
        assert found[("duplicate_payment", "PCN1114002")].payer_type == "medicare"
        ids = set(_cms838(engine, rules=None))
        assert hmo.id not in ids
    finally:
        engine.dispose()


def test_a_medigap_plan_writing_clp02_1_after_the_crossover_is_no_msp(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    for src in (FIXTURES / "crossover_medigap").iterdir():
        text = src.read_text()
        if src.name.startswith("20250603-835-HMG01"):
            text = text.replace("CLP*PCN1109001*2*", "CLP*PCN1109001*1*")  # "processed as primary"
        (pack / src.name).write_text(text)
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        load_folder(engine, pack)
        detect(engine, as_of=AS_OF)
        result = compare(load_expected(FIXTURES / "crossover_medigap" / "expected.json").findings,
                         actual_findings(engine))
        assert result.missing == () and result.unexpected == ()
    finally:
        engine.dispose()


def test_a_plan_listed_secondary_to_medicare_owes_the_refund_itself(tmp_path: Path) -> None:
    rules = tmp_path / "r.toml"
    rules.write_text('[msp]\nsecondary_to_medicare = ["GLE01"]\n')
    engine = _load(f"sqlite:///{tmp_path / 's.db'}", "msp_primary_payer", rules=str(rules))
    try:
        found = _findings(engine)
        assert ("msp_overpayment", "PCN1110001") not in found
        cob = found[("cob_overpayment", "PCN1110001")]
        assert (cob.payer_id, cob.amount) == ("GLE01", 156)
        assert ("msp_overpayment", "PCN1110003") in found  # workers' compensation is still primary
    finally:
        engine.dispose()
