"""Issue 11: credits waiting for a recoupment. A payer re-adjudicates a paid claim downward (CLP02 22
then a smaller CLP02 1) and defers the difference with a negative PLB WO (reference = CLP07) or FB
(identifier = the forwarding 835's TRN02); a later 835 takes it back with the positive PLB. While
it waits: one open pending_recoupment owed to the payer, no refund; once recouped: resolved with
the recouping PLB as evidence. Through fixtures/pending_recoupment (hand-written X12) and small
built remittances, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from edi_engine import outputs
from edi_engine.errors import UsageError
from edi_engine.ledger import credit, ledger_for
from edi_engine.parsers.validation import validate_file
from edi_engine.rules import detect, explain, list_findings
from edi_engine.rules.report import FindingRecord
from edi_engine.simulate.expected import compare, load_expected
from edi_engine.simulate.replay import actual_findings
from edi_engine.store import open_store
from edi_engine.store.ingest import ingest_file
from edi_engine.store.packs import load_folder
from edi_engine.web.context import Chrome
from edi_engine.web.pages import detail_page
from tests.ledger.build import Store, file_835, file_837
from tests.ledger.scenarios import claim, paid, reversal, secondary

PACK = Path(__file__).resolve().parents[2] / "fixtures" / "pending_recoupment"
RECOUPING = ("20250818-835-AHP01-0111103.835", "20250825-835-PSH01-25237000019.835")


@pytest.mark.parametrize("path", sorted(PACK.glob("*.83[57]")), ids=lambda p: p.name)
def test_hand_written_file_passes_the_guide(path: Path) -> None:
    assert [str(p) for p in validate_file(path).problems] == []


def _findings(engine) -> dict[tuple[str, str | None], FindingRecord]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        found = list_findings(conn, "all")
    assert len({(f.category, f.claim_id) for f in found}) == len(found)
    return {(f.category, f.claim_id): f for f in found}


def test_pack_findings_equal_expected(db_url: str) -> None:
    engine = open_store(db_url)
    try:
        loaded = load_folder(engine, PACK)
        assert all(r.ok for r in loaded.ingest.results)
        detect(engine, as_of="2026-06-30")
        result = compare(load_expected(PACK / "expected.json").findings, actual_findings(engine))
        assert result.missing == () and result.unexpected == ()
    finally:
        engine.dispose()


def test_waiting_then_recouped(db_url: str, tmp_path: Path) -> None:
    waiting = tmp_path / "waiting"
    waiting.mkdir()
    for f in PACK.glob("*.83[57]"):
        if f.name not in RECOUPING:
            shutil.copy(f, waiting / f.name)
    engine = open_store(db_url)
    try:
        load_folder(engine, waiting)
        detect(engine, as_of="2025-08-01")  # both deferrals made, neither taken back yet
        with engine.connect() as conn:
            _view, postings = ledger_for(conn, "PCN1111001")  # type: ignore[misc]
            assert credit(postings) == (4000, 0)  # the ledger holds Acme's 40.00
        found = _findings(engine)
        assert set(found) == {("pending_recoupment", "PCN1111001"), ("pending_recoupment", None)}
        acme, prairie = found[("pending_recoupment", "PCN1111001")], found[("pending_recoupment", None)]
        assert (acme.payer_id, f"{acme.amount:.2f}", acme.status, acme.refund_to, acme.deadline) == \
            ("AHP01", "40.00", "open", None, None)
        assert [(r["role"], r["record"], r.get("clp07") or r.get("reference"), r.get("paid") or r.get("amount"))
                for r in acme.evidence["records"]] == [
            ("original payment", "CLP", "AHP25167F001", "120.00"),
            ("reversed by payer", "CLP", "AHP25167F001", "-120.00"),
            ("corrected payment", "CLP", "AHP25195F001", "80.00"),
            ("difference deferred (PLB WO negative)", "PLB", "AHP25167F001", "-40.00")]
        assert str(acme.arose_on) == "2025-07-14"  # the check that deferred it
        # The TR3's forwarding balance names the check (TRN02), not the claim: no account holds it.
        assert (prairie.payer_id, f"{prairie.amount:.2f}", prairie.status, prairie.refund_to) == \
            ("PSH01", "46.00", "open", None)
        assert prairie.evidence["claims"] == ["PCN1111002"]
        assert [(r["role"], r.get("clp07") or r.get("reference")) for r in prairie.evidence["records"]] == [
            ("reversed by payer", "PSH2517100042"), ("corrected payment", "PSH2520200011"),
            ("difference deferred (PLB FB negative)", "25202000077")]
        with engine.connect() as conn:
            segments = [s.text for s in explain(conn, prairie.id).segments]
        assert "PLB*1654321987*20251231*FB:25202000077*-46~" in segments

        # No refund: no letter, no approval, no credit-balance or CMS-838 row; a person may dismiss it.
        for f in (acme, prairie):
            with pytest.raises(UsageError, match="not a refund"):
                outputs.render_letter(engine, f.id, fmt="txt")
            for action in ("approve", "mark-refunded", "offset"):
                with pytest.raises(UsageError, match="not a refund"):
                    outputs.decide(engine, f.id, action, by="abe")
        assert outputs.credit_balance_report(engine, as_of="2025-08-01") == []
        chrome = Chrome("abe", "approver", "tok", date(2025, 8, 1), frozenset({"view", "approve", "dismiss"}))
        page = detail_page(engine, acme.id, chrome)  # the review page offers neither letter nor approval
        assert (page.letter, page.may("approve"), page.may("dismiss")) == (False, False, True)

        for name in RECOUPING:
            assert ingest_file(engine, PACK / name).ok
        summary = detect(engine, as_of="2025-08-31")
        assert summary.resolved == 2 and summary.inserted == 1
        found = _findings(engine)
        acme, prairie = found[("pending_recoupment", "PCN1111001")], found[("pending_recoupment", None)]
        for f, check in ((acme, "0111103"), (prairie, "25237000019")):
            assert (f.status, str(f.resolved_on)) == ("resolved", "2025-08-31")
            (recouped,) = [r for r in f.evidence["records"] if r["role"] == "recouped"]
            assert (recouped["record"], recouped["trn02"]) == ("PLB", check)
        newer = found[("pending_recoupment", "PCN1111006")]  # deferred on the check that recouped the first
        assert (f"{newer.amount:.2f}", newer.status) == ("35.00", "open")
        again = detect(engine, as_of="2025-08-31")
        assert (again.inserted, again.updated, again.resolved) == (0, 0, 0)
    finally:
        engine.dispose()


def test_a_partial_run_leaves_a_forwarded_balance_alone(db_url: str) -> None:
    engine = open_store(db_url)
    try:
        load_folder(engine, PACK)
        detect(engine, as_of="2026-06-30")
        summary = detect(engine, as_of="2026-06-30", only=["PCN1111002"])
        assert (summary.accounts, summary.inserted, summary.updated, summary.resolved) == (1, 0, 0, 0)
    finally:
        engine.dispose()


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    return Store(open_store(db_url), tmp_path)


def test_a_reversed_duplicate_whose_recovery_is_deferred_is_no_open_duplicate(store: Store) -> None:
    # P1 pays PCN1 twice; on a later 835 with nothing else to pay it reverses the duplicate and defers
    # the 104.00 (PLB WO negative, reference = the duplicate's CLP07) so BPR02 stays non-negative.
    store.add("c.837", file_837([claim()]))
    store.add("a.835", file_835("P1", "CHK1", "20240201", [paid("ICN1")]))
    store.add("b.835", file_835("P1", "CHK2", "20240215", [paid("ICN2")]))
    store.add("c.835", file_835("P1", "CHK3", "20240301", [reversal(paid("ICN2"))], [("WO", "ICN2", "-104.00")]))
    store.ingest()
    detect(store.engine, as_of="2024-03-05")
    found = _findings(store.engine)
    assert found[("duplicate_payment", "PCN1")].status == "resolved"  # the reversal answered the duplicate
    pending = found[("pending_recoupment", "PCN1")]
    assert (f"{pending.amount:.2f}", pending.status, pending.refund_to) == ("104.00", "open", None)
    assert {k for k, f in found.items() if f.status == "open"} == {("pending_recoupment", "PCN1")}
    with store.engine.connect() as conn:
        _view, postings = ledger_for(conn, "PCN1")  # type: ignore[misc]
        assert credit(postings) == (10400, 0)  # the one credit, reported once

    store.add("d.835", file_835("P1", "CHK4", "20240401", [paid("ICN3", "PCN9")], [("WO", "ICN2", "104.00")]))
    store.ingest(store.files[-1])
    detect(store.engine, as_of="2024-04-05")
    assert _findings(store.engine)[("pending_recoupment", "PCN1")].status == "resolved"


def test_a_deferred_primary_difference_is_not_also_a_cob_overpayment(store: Store) -> None:
    # The secondary paid the primary's 16.00 coinsurance; the primary then lowers L1 (allowed 80.00 ->
    # 70.00, paid 64.00 -> 54.00) and defers the 10.00 with WO. The payers together now hold 10.00 more
    # than the primary's allowed: the primary's deferred money, not the secondary's overpayment.
    store.add("c.837", file_837([claim(), claim(payer="P2", sbr="S")]))
    store.add("a.835", file_835("P1", "CHK1", "20240201", [paid("ICN1")]))
    store.add("b.835", file_835("P2", "SCHK1", "20240215", [secondary("16.00")]))
    lower = paid("ICN1B", l1_paid="54.00")
    lower.svcs[0].allowed = "70.00"
    store.add("c.835", file_835("P1", "CHK2", "20240301", [reversal(paid("ICN1")), lower],
                                [("WO", "ICN1", "-10.00")]))
    store.ingest()
    detect(store.engine, as_of="2024-03-05")
    found = _findings(store.engine)
    assert [(k, f"{f.amount:.2f}", f.payer_id) for k, f in found.items() if f.status == "open"] == [
        (("pending_recoupment", "PCN1"), "10.00", "P1")]


def test_a_recoupment_the_check_cannot_cover_is_forwarded_not_forgotten(store: Store) -> None:
    # RFI 1756: the later 835 takes the deferred 104.00 back (WO positive) but pays only 64.00 of claims,
    # so it forwards the 40.00 it could not cover (FB negative, identifier = its own TRN02, RFI 1114) to a
    # third 835 (FB positive). The claim's deferral is closed; the 40.00 waits as the check's balance.
    store.add("c.837", file_837([claim(), claim("PCN2"), claim("PCN3")]))
    store.add("a.835", file_835("P1", "CHK1", "20240201", [paid("ICN1")]))
    store.add("b.835", file_835("P1", "CHK2", "20240215", [paid("ICN2")]))
    store.add("c.835", file_835("P1", "CHK3", "20240301", [reversal(paid("ICN2"))], [("WO", "ICN2", "-104.00")]))
    store.add("d.835", file_835("P1", "CHK4", "20240401", [paid("ICN4", "PCN2", l1_paid="24.00")],
                                [("WO", "ICN2", "104.00"), ("FB", "CHK4", "-40.00")]))
    store.ingest()
    detect(store.engine, as_of="2024-04-05")
    found = _findings(store.engine)
    assert [(k, f"{f.amount:.2f}", f.status) for k, f in sorted(found.items(), key=lambda kv: str(kv[0]))
            if k[0] == "pending_recoupment"] == [
        (("pending_recoupment", "PCN1"), "104.00", "resolved"), (("pending_recoupment", None), "40.00", "open")]
    forwarded = found[("pending_recoupment", None)]
    assert [(r["role"], r.get("reference")) for r in forwarded.evidence["records"]] == [
        ("taken back on the forwarding 835 (PLB WO:ICN2)", "ICN2"), ("difference deferred (PLB FB negative)", "CHK4")]
    assert forwarded.evidence["summary"].startswith("P1 deferred 40.00")
    assert str(forwarded.arose_on) == "2024-04-01"  # the forwarding check's date, though it re-adjudicated nothing

    store.add("e.835", file_835("P1", "CHK5", "20240501", [paid("ICN5", "PCN3")], [("FB", "CHK4", "40.00")]))
    store.ingest(store.files[-1])
    detect(store.engine, as_of="2024-05-05")
    assert {k: f.status for k, f in _findings(store.engine).items() if k[0] == "pending_recoupment"} == {
        ("pending_recoupment", "PCN1"): "resolved", ("pending_recoupment", None): "resolved"}
