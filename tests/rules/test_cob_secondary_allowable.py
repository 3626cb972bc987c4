"""Issue 11 item 5: a commercial secondary that paid within its own allowed amount (AMT*B6 on its
835) is a review flag, not an open refund, when the rule pack lists it under [cob]
own_allowable_secondaries (NAIC COB Model Regulation: the highest negotiated fee); what exceeds its
own allowed stays a cob_overpayment. Through fixtures/cob_secondary_allowable, on SQLite and
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_engine import outputs
from edi_engine.errors import UsageError
from edi_engine.ledger import credit, ledger_for
from edi_engine.parsers.validation import validate_file
from edi_engine.rules import detect, list_findings, load_pack
from edi_engine.simulate.expected import compare, load_expected
from edi_engine.simulate.replay import actual_findings
from edi_engine.store import open_store
from edi_engine.store.packs import load_folder

PACK = Path(__file__).resolve().parents[2] / "fixtures" / "cob_secondary_allowable"


@pytest.mark.parametrize("path", sorted(PACK.glob("*.83[57]")), ids=lambda p: p.name)
def test_hand_written_file_passes_the_guide(path: Path) -> None:
    assert [str(p) for p in validate_file(path).problems] == []


def _run(db_url: str, rules: str | None):  # type: ignore[no-untyped-def]
    engine = open_store(db_url)
    loaded = load_folder(engine, PACK)
    assert all(r.ok for r in loaded.ingest.results)
    detect(engine, as_of="2026-06-30", rules_path=rules)
    return engine


def _found(engine) -> list[tuple[str, str | None, str | None, str, str | None]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return sorted((f.category, f.claim_id, f.payer_id, f"{f.amount:.2f}", f.refund_to)
                      for f in list_findings(conn, "open"))


def test_within_the_listed_secondarys_own_allowed_is_a_review_flag(db_url: str) -> None:
    engine = _run(db_url, str(PACK / "rules.toml"))
    try:
        result = compare(load_expected(PACK / "expected.json").findings, actual_findings(engine))
        assert result.missing == () and result.unexpected == ()
        with engine.connect() as conn:
            _view, postings = ledger_for(conn, "PCN1105002")  # type: ignore[misc]
            assert credit(postings) == (4200, 0)  # 22.00 refund + 20.00 review: the credit once
            flags = list_findings(conn, "open", "cob_secondary_allowable")
        first = next(f for f in flags if f.claim_id == "PCN1105001")
        assert (first.evidence["allowed"], first.evidence["own_allowed"], first.deadline) == ("100.00", "130.00", None)
        assert [(r["role"], r["clp07"]) for r in first.evidence["records"]] == [
            ("primary adjudication", "AHP25167K001"), ("later payer paid", "NSB25188K001")]
        for f in flags:  # no refund: no letter, no approval, not on the credit-balance report
            with pytest.raises(UsageError, match="not a refund"):
                outputs.render_letter(engine, f.id, fmt="txt")
            with pytest.raises(UsageError, match="not a refund"):
                outputs.decide(engine, f.id, "approve", by="abe")
        rows = outputs.credit_balance_report(engine, as_of="2026-06-30")
        assert sorted((r["payer_id"], r["category"], f"{r['total']:.2f}") for r in rows) == [
            ("NSB02", "cob_overpayment", "22.00"), ("PSH01", "cob_overpayment", "25.00")]
        outputs.decide(engine, first.id, "dismiss", by="abe", note="Northstar contract: own fee schedule as secondary")
    finally:
        engine.dispose()


def test_without_the_setting_every_excess_is_a_cob_overpayment(db_url: str) -> None:
    assert load_pack().cob_own_allowable == frozenset()  # the default lists no payer
    engine = _run(db_url, None)
    try:
        assert _found(engine) == [("cob_overpayment", "PCN1105001", "NSB02", "30.00", "payer"),
                                  ("cob_overpayment", "PCN1105002", "NSB02", "42.00", "payer"),
                                  ("cob_overpayment", "PCN1105003", "PSH01", "25.00", "payer")]
        # Listing the payer later moves the 30.00 to review: the refund resolves, the flag opens.
        detect(engine, as_of="2026-07-01", rules_path=str(PACK / "rules.toml"))
        with engine.connect() as conn:
            by_key = {(f.category, f.claim_id): f for f in list_findings(conn, "all")}
        assert by_key[("cob_overpayment", "PCN1105001")].status == "resolved"
        assert f"{by_key[('cob_overpayment', 'PCN1105002')].amount:.2f}" == "22.00"
        assert by_key[("cob_secondary_allowable", "PCN1105001")].status == "open"
    finally:
        engine.dispose()
