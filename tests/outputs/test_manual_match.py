"""Issue 13 item 2: manual matching. Through fixtures/manual_match_duplicate (the duplicate_payment pack
with the second payment's CLP01 mistyped): as delivered, one unmatched_payment; matched by hand to
PCN0766001, the next detect posts the payment to that claim (method manual, who and when), resolves
the unmatched payment and finds the duplicate it hid, whose evidence names the manual match; undone,
the next detect reopens the unmatched payment and resolves the duplicate. What is refused, and the
audit trail. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from edi_engine import outputs
from edi_engine.errors import UsageError
from edi_engine.ledger import credit, ledger_for
from edi_engine.parsers.validation import validate_file
from edi_engine.rules import explain, list_findings
from edi_engine.rules.report import FindingRecord
from edi_engine.simulate.expected import compare, load_expected
from edi_engine.simulate.replay import actual_findings
from edi_engine.store import open_store
from edi_engine.store.packs import load_folder
from edi_engine.store.payers import add_alias

PACK = Path(__file__).resolve().parents[2] / "fixtures" / "manual_match_duplicate"
TYPO, CLAIM = "PCN0766O01", "PCN0766001"
AS_OF = "2024-12-01"


def _findings(engine: Any) -> dict[tuple[str, str | None], FindingRecord]:
    with engine.connect() as conn:
        found = list_findings(conn, "all")
    return {(f.category, f.claim_id): f for f in found}


@pytest.fixture
def store(db_url: str) -> Any:
    engine = open_store(db_url)
    load_folder(engine, PACK)
    outputs.detect_with_audit(engine, as_of=AS_OF)
    return engine


def test_the_mistyped_835_is_still_valid_and_balanced() -> None:
    path = PACK / "20241122-835-NSB02-24112250280388.835"
    assert [str(p) for p in validate_file(path).problems] == []
    original = (PACK.parent / "duplicate_payment" / path.name).read_bytes()
    assert path.read_bytes() == original.replace(b"CLP*PCN0766001*", b"CLP*PCN0766O01*")


def test_as_delivered_the_payment_is_unmatched_and_hides_the_duplicate(store: Any) -> None:
    actual = actual_findings(store)
    comparison = compare(load_expected(PACK / "expected.json").findings, actual)
    assert comparison.missing == () and comparison.unexpected == ()
    found = _findings(store)
    assert set(found) == {("unmatched_payment", TYPO)}
    assert found[("unmatched_payment", TYPO)].refund_to is None


def test_matched_by_hand_the_ledger_posts_it_and_detect_finds_the_duplicate(store: Any) -> None:
    unmatched = _findings(store)[("unmatched_payment", TYPO)]
    with store.connect() as conn:
        before = ledger_for(conn, CLAIM)
    assert before is not None and credit(before[1]) == (0, 0)

    done = outputs.match_payment(store, unmatched.id, claim=CLAIM, by="ana",
                                 note="EOB: CLP01 mistyped, same member and services")
    assert done.amount == unmatched.amount and done.claim == CLAIM and len(done.match_ids) == 1
    summary = outputs.detect_with_audit(store, as_of=AS_OF)
    assert summary.resolved == 1 and summary.inserted == 1

    found = _findings(store)
    assert found[("unmatched_payment", TYPO)].status == "resolved"
    resolution = found[("unmatched_payment", TYPO)].evidence["resolution"]["summary"]
    assert resolution.startswith(f"matched by hand to claim {CLAIM} (manual match #{done.match_ids[0]} by ana)")
    dup = found[("duplicate_payment", CLAIM)]
    assert (dup.status, dup.refund_to, dup.payer_id, str(dup.amount)) == ("open", "payer", "NSB02", "316.55")
    again = [r for r in dup.evidence["records"] if r["role"] == "paid again"]
    assert len(again) == 1 and again[0]["clp01"] == TYPO
    assert again[0]["matched"]["method"] == "manual" and again[0]["matched"]["by"] == "ana"
    assert again[0]["matched"]["manual_match"] == done.match_ids[0]
    with store.connect() as conn:
        roles = [s.role for s in explain(conn, dup.id).segments]
    assert roles == ["first payment", f"paid again (matched by hand: manual match #{done.match_ids[0]} by ana)"]
    # The payer's letter and the void of the payment made again work from it as from any duplicate.
    outputs.decide(store, dup.id, "approve", by="ana", note="EOBs checked")
    letter = outputs.render_letter(store, dup.id, fmt="txt", by="ana").decode()
    assert "5243270030722" in letter and "316.55" in letter and "manual match" not in letter
    void = outputs.corrected_claim_for_finding(store, dup.id, by="ana").decode()
    assert "REF*F8*5243270030722" in void and "CLM*PCN0766001*" in void

    # The claim's ledger holds the second payment now: paid twice, the second one a payer's credit.
    with store.connect() as conn:
        view, postings = ledger_for(conn, CLAIM)  # type: ignore[misc]
        methods = dict(conn.execute(text(
            "SELECT m.subject, m.method FROM payment_match m JOIN claim_payment c ON c.id = m.subject_id "
            "WHERE m.subject = 'claim_payment' AND c.patient_control_number = :typo"), {"typo": TYPO}).all())
        svc_methods = {r[0] for r in conn.execute(text(
            "SELECT m.method FROM payment_match m JOIN service_payment s ON s.id = m.subject_id "
            "JOIN claim_payment c ON c.id = s.claim_payment_id "
            "WHERE m.subject = 'service_payment' AND c.patient_control_number = :typo"), {"typo": TYPO})}
    assert methods == {"claim_payment": "manual"}
    assert svc_methods == {"ref6r"}  # its lines then match as any payment's
    assert TYPO in {c.clp01 for c in view.account.clps}
    assert credit(postings)[0] == 31655
    assert ledger_for_typo(store) is None  # no account of its own any more

    # The audit trail: who matched it, why, and detect's resolution naming the match.
    events = [(e.event, e.actor) for e in outputs.audit_events(store, unmatched.id)]
    assert events[-2:] == [("payment_matched", "ana"), ("resolved", "detect")]
    matched = [e for e in outputs.audit_events(store, unmatched.id) if e.event == "payment_matched"][0]
    assert matched.note == "EOB: CLP01 mistyped, same member and services"
    assert matched.details["claim_id"] == CLAIM and matched.details["amount"] == "316.55"
    # A second detect changes nothing.
    again_summary = outputs.detect_with_audit(store, as_of=AS_OF)
    assert (again_summary.inserted, again_summary.updated, again_summary.resolved) == (0, 0, 0)


def ledger_for_typo(engine: Any) -> Any:
    with engine.connect() as conn:
        return ledger_for(conn, TYPO)


def test_undone_the_next_detect_reopens_the_unmatched_payment(store: Any) -> None:
    unmatched = _findings(store)[("unmatched_payment", TYPO)]
    outputs.match_payment(store, unmatched.id, claim=CLAIM, by="ana", note="EOB: typo")
    outputs.detect_with_audit(store, as_of=AS_OF)
    with pytest.raises(UsageError, match="already matched by hand to claim PCN0766001"):
        outputs.match_payment(store, unmatched.id, claim=CLAIM, by="ana", note="again")
    with pytest.raises(UsageError, match="needs a note"):
        outputs.unmatch_payment(store, unmatched.id, by="ana", note=" ")
    undone = outputs.unmatch_payment(store, unmatched.id, by="bo", note="payer says it paid another claim")
    assert [m.clm01 for m in undone] == [CLAIM]
    outputs.detect_with_audit(store, as_of=AS_OF)
    found = _findings(store)
    assert found[("unmatched_payment", TYPO)].status == "open"
    assert found[("duplicate_payment", CLAIM)].status == "resolved"
    with store.connect() as conn:
        _view, postings = ledger_for(conn, CLAIM)  # type: ignore[misc]
    assert credit(postings) == (0, 0)
    history = outputs.manual_matches(store, unmatched.id)
    assert [(m.matched_by, m.undone_by, m.undo_note) for m in history] == [
        ("ana", "bo", "payer says it paid another claim")]
    events = [e.event for e in outputs.audit_events(store, unmatched.id)]
    assert events[-4:] == ["payment_matched", "resolved", "payment_unmatched", "reopened"]
    with pytest.raises(UsageError, match="no manual match in force"):
        outputs.unmatch_payment(store, unmatched.id, by="bo", note="again")
    # Matched again after the undo: a new match, the old one stays on record.
    outputs.match_payment(store, unmatched.id, claim=CLAIM, by="ana", note="checked again: it is ours")
    assert [m.in_force for m in outputs.manual_matches(store, unmatched.id)] == [False, True]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"claim": "PCN9999999"}, "no stored claim 'PCN9999999'"),
    ({"claim": "PCN0766002"}, "billed to AHP01, not to NSB02 who sent this payment; give --override"),
    ({"claim": CLAIM, "line": 2}, "this claim payment has 6 service lines"),
    ({"claim": CLAIM, "note": ""}, "needs a note"),
    ({"claim": CLAIM, "by": ""}, "needs who makes it"),
    ({"claim": ""}, "needs the claim"),
])
def test_refusals(store: Any, kwargs: dict[str, Any], message: str) -> None:
    unmatched = _findings(store)[("unmatched_payment", TYPO)]
    args = {"by": "ana", "note": "EOB", **kwargs}
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        outputs.match_payment(store, unmatched.id, **args)
    assert outputs.manual_matches(store, unmatched.id) == []
    assert "Laura" not in message and "NSB000087071" not in message


def test_another_patient_needs_the_override(store: Any) -> None:
    """PCN0766002 is another patient (billed to AHP01): refused on the payer first, then, with the
    payer aliased to NSB02, on the member id; --override takes it all the same."""
    unmatched = _findings(store)[("unmatched_payment", TYPO)]
    with store.begin() as conn:
        add_alias(conn, "AHP01", "NSB02")
    with pytest.raises(UsageError, match="another member id") as refused:
        outputs.match_payment(store, unmatched.id, claim="PCN0766002", by="ana", note="EOB")
    assert "AHP000087147" not in str(refused.value) and "NSB000087071" not in str(refused.value)
    done = outputs.match_payment(store, unmatched.id, claim="PCN0766002", by="ana", note="payer confirmed",
                                 override=True)
    events = [e for e in outputs.audit_events(store, unmatched.id) if e.event == "payment_matched"]
    assert events[0].details["override"] is True and done.claim == "PCN0766002"


def test_only_an_unmatched_payment_is_matched_and_not_one_detect_matched(store: Any, tmp_path: Path) -> None:
    unmatched = _findings(store)[("unmatched_payment", TYPO)]
    outputs.match_payment(store, unmatched.id, claim=CLAIM, by="ana", note="EOB")
    outputs.detect_with_audit(store, as_of=AS_OF)
    dup = _findings(store)[("duplicate_payment", CLAIM)]
    with pytest.raises(UsageError, match="is a duplicate_payment, not an unmatched payment"):
        outputs.match_payment(store, dup.id, claim=CLAIM, by="ana", note="EOB")
    # The payer's own claim numbers fixed: a corrected 837 under the mistyped number arrives, and
    # detect matches the payment itself once the manual match is undone; matching it again is refused.
    outputs.unmatch_payment(store, unmatched.id, by="ana", note="the 837 under that number came")
    folder = tmp_path / "more"
    folder.mkdir()
    data = (PACK / "20241007-837P-0001.837").read_bytes()
    (folder / "again.837").write_bytes(data.replace(b"CLM*PCN0766001*", b"CLM*PCN0766O01*")
                                       .replace(b"*000000001*", b"*000000091*"))
    load_folder(store, folder)
    outputs.detect_with_audit(store, as_of=AS_OF)
    assert _findings(store)[("unmatched_payment", TYPO)].status == "resolved"
    with pytest.raises(UsageError, match="already matched automatically"):
        outputs.match_payment(store, unmatched.id, claim=CLAIM, by="ana", note="EOB")


def test_candidates_rank_the_claim_first_and_search_by_patient(store: Any) -> None:
    unmatched = _findings(store)[("unmatched_payment", TYPO)]
    offered = outputs.match_candidates(store, unmatched.id)
    assert offered and offered[0].clm01 == CLAIM
    assert set(offered[0].reasons) >= {"billed to NSB02", "same charge", "dates of service meet", "claim number alike"}
    assert offered[0].lines == 6 and offered[0].service_from is not None
    by_name = outputs.match_candidates(store, unmatched.id, search="gonz")
    assert [c.clm01 for c in by_name] == ["PCN0766002"]
    by_number = outputs.match_candidates(store, unmatched.id, search="pcn076600")
    assert {c.clm01 for c in by_number} == {f"PCN076600{i}" for i in range(1, 6)}
    assert outputs.match_candidates(store, unmatched.id, search="%") == []


def test_a_service_line_left_unmatched_is_matched_by_line(db_url: str, tmp_path: Path) -> None:
    """A payment matched to its claim whose one SVC names a procedure the claim does not carry: an
    unmatched_payment per line; matched by hand to line 5 it is posted there."""
    folder = tmp_path / "pack"
    shutil.copytree(PACK, folder)
    path = folder / "20241122-835-NSB02-24112250280388.835"
    data = path.read_bytes().replace(b"CLP*PCN0766O01*", b"CLP*PCN0766001*")
    data = data.replace(b"SVC*HC:97110:59*140*64.8**2", b"SVC*HC:97112*140*64.8**2").replace(b"REF*6R*076600105~", b"")
    data = data.replace(b"SE*52*0001", b"SE*51*0001")
    path.write_bytes(data)
    engine = open_store(db_url)
    load_folder(engine, folder)
    outputs.detect_with_audit(engine, as_of=AS_OF)
    found = _findings(engine)
    line_finding = found[("unmatched_payment", CLAIM)]
    assert line_finding.line and "97112" in line_finding.line
    with pytest.raises(UsageError, match="give --line N, one of claim PCN0766001's lines 1 to 6"):
        outputs.match_payment(engine, line_finding.id, claim=CLAIM, by="ana", note="EOB")
    with pytest.raises(UsageError, match="claim PCN0766001 has no line 9: its lines are 1 to 6"):
        outputs.match_payment(engine, line_finding.id, claim=CLAIM, line=9, by="ana", note="EOB")
    with pytest.raises(UsageError, match="matched to another claim than PCN0766002"):
        outputs.match_payment(engine, line_finding.id, claim="PCN0766002", line=1, by="ana", note="EOB",
                              override=True)
    outputs.match_payment(engine, line_finding.id, claim=CLAIM, line=5, by="ana", note="payer re-coded 97110")
    outputs.detect_with_audit(engine, as_of=AS_OF)
    assert _findings(engine)[("unmatched_payment", CLAIM)].status == "resolved"
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT l.line_number, m.method FROM payment_match m JOIN claim_line l ON l.id = m.claim_line_id "
            "JOIN service_payment s ON s.id = m.subject_id WHERE m.subject = 'service_payment' "
            "AND s.procedure_code = '97112'")).all()
    assert [tuple(r) for r in rows] == [(5, "manual")]
    assert json.loads(json.dumps([e.details for e in outputs.audit_events(engine, line_finding.id)
                                  if e.event == "payment_matched"]))[0]["line"] == 5


def test_a_detect_of_the_claim_alone_resolves_the_payment_matched_into_it(store: Any) -> None:
    from edi_engine.rules import detect
    unmatched = _findings(store)[("unmatched_payment", TYPO)]
    outputs.match_payment(store, unmatched.id, claim=CLAIM, by="ana", note="EOB")
    detect(store, as_of=AS_OF, only=[CLAIM])
    found = _findings(store)
    assert found[("unmatched_payment", TYPO)].status == "resolved"
    assert found[("duplicate_payment", CLAIM)].status == "open"
