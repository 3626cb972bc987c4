"""Issue 13 item 2 in the review app: an unmatched payment's page offers a match form (candidate claims
by date of service and charge, a search by claim number or patient) to the roles that may decide
findings, with CSRF; never "Approve refund" or a letter. Matching, the detect that follows, and the
undo, through the in-process client on fixtures/manual_match_duplicate, SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edi_engine import outputs
from edi_engine.rules import list_findings
from edi_engine.store import open_store
from edi_engine.store.packs import load_folder
from edi_engine.web import WebConfig, add_user, create_app
from tests.web.conftest import PASSWORD, USERS, sign_in

PACK = Path(__file__).resolve().parents[2] / "fixtures" / "manual_match_duplicate"
TYPO, CLAIM = "PCN0766O01", "PCN0766001"


@pytest.fixture
def match_engine(db_url: str) -> Any:
    engine = open_store(db_url)
    load_folder(engine, PACK)
    outputs.detect_with_audit(engine, as_of="2024-12-01")
    for name, role in USERS.items():
        add_user(engine, name, PASSWORD, role)
    return engine


@pytest.fixture
def match_app(match_engine: Any) -> Flask:
    return create_app(match_engine, WebConfig(today=lambda: date(2024, 12, 2)))


@pytest.fixture
def client_as(match_app: Flask) -> Callable[[str], FlaskClient]:
    def make(username: str) -> FlaskClient:
        client = match_app.test_client()
        assert sign_in(client, username) == 303
        return client
    return make


def _finding(engine: Any, category: str, clm01: str) -> Any:
    with engine.connect() as conn:
        return next(f for f in list_findings(conn, "all") if (f.category, f.claim_id) == (category, clm01))


def _token(page: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m
    return m.group(1)


@pytest.mark.parametrize("user", ["rita", "abe", "ada"])
def test_an_unmatched_payment_offers_no_refund_and_no_letter(match_engine: Any, client_as: Any, user: str) -> None:
    f = _finding(match_engine, "unmatched_payment", TYPO)
    page = client_as(user).get(f"/findings/{f.id}").get_data(as_text=True)
    assert "Approve refund" not in page and "Download letter" not in page and "Record refund" not in page
    assert "Apply offset" not in page and "Download 837" not in page
    assert ("Match this payment to a claim" in page) is (USERS[user] != "reviewer")


def test_the_form_lists_candidates_by_date_of_service_and_charge(match_engine: Any, client_as: Any) -> None:
    f = _finding(match_engine, "unmatched_payment", TYPO)
    client = client_as("abe")
    page = client.get(f"/findings/{f.id}").get_data(as_text=True)
    form = page[page.index('id="match-form"'):]
    first = re.search(r'name="claim" value="([^"]+)"[^>]*checked', form)
    assert first and first.group(1) == CLAIM
    assert "2024-09-29" in form and "690.00" in form and "same charge" in form and "WILLIAMS, LAURA" in form
    found = client.get(f"/findings/{f.id}?match_q=gonz").get_data(as_text=True)
    assert 'value="PCN0766002"' in found and f'value="{CLAIM}"' not in found[found.index('id="match-form"'):]
    none = client.get(f"/findings/{f.id}?match_q=zzz%25").get_data(as_text=True)
    assert "No claim found for" in none


def test_a_reviewer_may_not_match_and_csrf_is_checked(match_engine: Any, client_as: Any) -> None:
    f = _finding(match_engine, "unmatched_payment", TYPO)
    rita = client_as("rita")
    token = _token(rita.get(f"/findings/{f.id}").get_data(as_text=True))
    resp = rita.post(f"/findings/{f.id}/match", data={"csrf_token": token, "claim": CLAIM, "note": "EOB"})
    assert resp.status_code == 403 and "may not match payments to claims" in resp.get_data(as_text=True)
    abe = client_as("abe")
    resp = abe.post(f"/findings/{f.id}/match", data={"csrf_token": "forged", "claim": CLAIM, "note": "EOB"})
    assert resp.status_code in (400, 403)
    assert outputs.manual_matches(match_engine, f.id) == []
    # A reviewer proposes the claim instead; an approver decides.
    page = rita.get(f"/findings/{f.id}").get_data(as_text=True)
    assert '<option value="match">' in page
    resp = rita.post(f"/findings/{f.id}/note", data={"csrf_token": token, "proposal": "match",
                                                      "note": f"{CLAIM}: CLP01 typo on the EOB"})
    assert resp.headers["Location"].endswith("msg=proposal-recorded")
    assert [e.note for e in outputs.audit_events(match_engine, f.id) if e.event == "note"] == [
        f"Proposed match: {CLAIM}: CLP01 typo on the EOB"]


def test_match_detect_and_undo_through_the_app(match_engine: Any, client_as: Any) -> None:
    f = _finding(match_engine, "unmatched_payment", TYPO)
    ada = client_as("ada")
    token = _token(ada.get(f"/findings/{f.id}").get_data(as_text=True))
    url = f"/findings/{f.id}/match"
    assert ada.post(url, data={"csrf_token": token, "claim": CLAIM, "note": " "}).headers["Location"].endswith(
        "msg=match-needs-note")
    refused = ada.post(url, data={"csrf_token": token, "claim": CLAIM, "line": "3", "note": "EOB"})
    assert refused.status_code == 409 and "this claim payment has 6 service lines" in refused.get_data(as_text=True)
    other = ada.post(url, data={"csrf_token": token, "claim": "PCN0766002", "note": "EOB"})
    assert other.status_code == 409 and "give --override" in other.get_data(as_text=True)
    assert ada.post(url, data={"csrf_token": token, "claim": CLAIM, "line": "x", "note": "EOB"}).status_code == 409
    assert ada.post(url, data={"csrf_token": token, "step": "nope", "note": "EOB"}).status_code == 400

    done = ada.post(url, data={"csrf_token": token, "claim": CLAIM, "note": "EOB: CLP01 typo"})
    assert done.status_code == 303 and done.headers["Location"].endswith("msg=payment-matched")
    page = ada.get(done.headers["Location"]).get_data(as_text=True)
    assert "Matched by hand: the next detect run posts the payment" in page
    assert f"Matched to claim <strong>{CLAIM}</strong>" in page and "Undo match" in page
    assert "Match this payment to a claim" not in page
    assert "payment_matched" in page  # the history

    outputs.detect_with_audit(match_engine, as_of="2024-12-01")
    assert _finding(match_engine, "unmatched_payment", TYPO).status == "resolved"
    dup = _finding(match_engine, "duplicate_payment", CLAIM)
    dup_page = ada.get(f"/findings/{dup.id}").get_data(as_text=True)
    assert "paid again (matched by hand: manual match #" in dup_page and "Approve refund" in dup_page

    rita = client_as("rita")
    assert "Undo match" not in rita.get(f"/findings/{f.id}").get_data(as_text=True)
    assert rita.post(url, data={"csrf_token": _token(rita.get(f"/findings/{f.id}").get_data(as_text=True)),
                                "step": "unmatch", "note": "no"}).status_code == 403
    undo = ada.post(url, data={"csrf_token": token, "step": "unmatch", "note": "payer: another claim"})
    assert undo.headers["Location"].endswith("msg=payment-unmatched")
    outputs.detect_with_audit(match_engine, as_of="2024-12-01")
    assert _finding(match_engine, "unmatched_payment", TYPO).status == "open"
    page = ada.get(f"/findings/{f.id}").get_data(as_text=True)
    assert "undone by ada" in page and "Match this payment to a claim" in page


def test_a_provider_level_adjustment_is_not_offered_for_matching(match_engine: Any, client_as: Any) -> None:
    """An unmatched PLB is matched by its reference, never by hand: no form, and the outputs refuse."""
    import json
    from datetime import UTC, datetime

    from edi_engine.errors import UsageError
    from edi_engine.store import findings as stored
    evidence = {"summary": "provider-level adjustment WO not tied to a claim (no-claim)",
                "records": [{"record": "PLB", "role": "provider adjustment", "file": "x.835", "file_id": 1,
                             "segment": 40, "offset": 900, "reason": "WO", "reference": "999", "amount": "10.00"}]}
    with match_engine.begin() as conn:
        stored.insert_findings(conn, [dict(
            natural_key="unmatched_payment|999|NSB02||no-claim:PLB=WO:TRN02=1", category="unmatched_payment",
            patient_control_number="999", payer_id="NSB02", line_key="", cause="no-claim:PLB=WO:TRN02=1",
            amount=1000, refund_to=None, payer_type=None, identified_on=date(2024, 12, 1), arose_on=None,
            deadline=None, status="open", resolved_on=None, evidence=json.dumps(evidence),
            updated_at=datetime.now(UTC))])
    plb = _finding(match_engine, "unmatched_payment", "999")
    page = client_as("abe").get(f"/findings/{plb.id}").get_data(as_text=True)
    assert "Match this payment to a claim" not in page and "Approve refund" not in page
    with pytest.raises(UsageError, match="provider-level adjustment"):
        outputs.match_payment(match_engine, plb.id, claim=CLAIM, by="abe", note="EOB")
