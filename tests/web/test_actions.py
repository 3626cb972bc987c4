"""Actions on a finding through the app, each written by the outputs layer with its audit event.
Skipped where the outputs layer (issue 5) lacks the function an action needs."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from edi_engine import outputs
from edi_engine.store import tables
from tests.web.conftest import page_token

_F = tables.finding
needs_decisions = pytest.mark.skipif(not hasattr(outputs, "decide"), reason="outputs.decide not available yet")


def _status(engine, finding_id: int) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(_F.c.status).where(_F.c.id == finding_id)).scalar_one()


def _first(engine, **where: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        q = select(_F.c.id).where(*[getattr(_F.c, k) == v for k, v in where.items()]).order_by(_F.c.id)
        return conn.execute(q).scalars().first()


@needs_decisions
def test_approve_then_offset_each_write_their_audit_event(engine, as_user) -> None:  # type: ignore[no-untyped-def]
    abe = as_user("abe")
    fid = _first(engine, status="open", refund_to="payer")
    token = page_token(abe)
    resp = abe.post(f"/findings/{fid}/decide", data={"action": "approve", "note": "checked EOB", "csrf_token": token})
    assert resp.status_code == 303
    assert _status(engine, fid) == "approved"
    events = outputs.audit_events(engine, finding_id=fid)
    assert (events[-1].event, events[-1].actor, events[-1].note) == ("approved", "abe", "checked EOB")
    page = abe.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Recorded: approve." in page and re.search(r"<strong class=\"event\">approved</strong> by abe", page)
    abe.post(f"/findings/{fid}/decide", data={"action": "offset", "csrf_token": token})
    assert _status(engine, fid) == "offset"
    assert outputs.audit_events(engine, finding_id=fid)[-1].event == "offset"


@needs_decisions
def test_the_refund_form_records_the_check_amount_and_date(engine, as_user) -> None:  # type: ignore[no-untyped-def]
    abe = as_user("abe")
    fid = _first(engine, status="open", refund_to="payer")
    token = page_token(abe)
    abe.post(f"/findings/{fid}/decide", data={"action": "approve", "csrf_token": token})
    with engine.connect() as conn:
        amount = conn.execute(select(_F.c.amount).where(_F.c.id == fid)).scalar_one()
    form = {"action": "mark-refunded", "method": "check", "number": "5001", "amount": "10.00",
            "paid_on": "2025-02-20", "csrf_token": token}
    resp = abe.post(f"/findings/{fid}/decide", data=form, follow_redirects=True)
    assert "a partial refund" in resp.get_data(as_text=True) and _status(engine, fid) == "approved"
    # The page shows what was repaid, by which check, and what is still owed.
    page = " ".join(resp.get_data(as_text=True).split())
    assert "CHECK 5001 of 2025-02-20: $10.00" in page
    assert re.search(rf"\$10\.00</span> · outstanding <span class=\"amount\">\${amount - 10:,.2f}</span>", page)
    refused = abe.post(f"/findings/{fid}/decide", data={**form, "number": "5002", "amount": f"{amount:.2f}"})
    assert refused.status_code == 409 and "outstanding" in refused.get_data(as_text=True)
    abe.post(f"/findings/{fid}/decide", data={**form, "number": "5002", "amount": "", "method": "eft"})
    assert _status(engine, fid) == "refunded"
    cash = [e.details for e in outputs.audit_events(engine, finding_id=fid) if e.event == "refund_recorded"]
    assert [(d["method"], d["number"], d["amount"], d["source"]) for d in cash] == [
        ("check", "5001", "10.00", "web"), ("eft", "5002", f"{amount - 10:.2f}", "web")]


@needs_decisions
def test_an_illegal_transition_is_reported_and_changes_nothing(engine, as_user) -> None:  # type: ignore[no-untyped-def]
    abe = as_user("abe")
    fid = _first(engine, status="open")
    before = len(outputs.audit_events(engine, finding_id=fid))
    resp = abe.post(f"/findings/{fid}/decide", data={"action": "offset", "csrf_token": page_token(abe)},
                    follow_redirects=True)
    assert "Not recorded" in resp.get_data(as_text=True)
    assert _status(engine, fid) == "open" and len(outputs.audit_events(engine, finding_id=fid)) == before


@needs_decisions
def test_dismiss_needs_a_reason(engine, as_user) -> None:  # type: ignore[no-untyped-def]
    abe = as_user("abe")
    fid = _first(engine, status="open")
    resp = abe.post(f"/findings/{fid}/decide", data={"action": "dismiss", "note": " ", "csrf_token": page_token(abe)},
                    follow_redirects=True)
    assert "needs a reason" in resp.get_data(as_text=True) and _status(engine, fid) == "open"
    abe.post(f"/findings/{fid}/decide", data={"action": "dismiss", "note": "payer confirmed no overpayment",
                                              "csrf_token": page_token(abe)})
    assert _status(engine, fid) == "dismissed"
    assert outputs.audit_events(engine, finding_id=fid)[-1].note == "payer confirmed no overpayment"


@needs_decisions
def test_a_reviewer_annotates_and_proposes(engine, as_user) -> None:  # type: ignore[no-untyped-def]
    rita = as_user("rita")
    fid = _first(engine, status="open")
    token = page_token(rita)
    rita.post(f"/findings/{fid}/note", data={"note": "Called NSB02, ref 4411", "csrf_token": token})
    rita.post(f"/findings/{fid}/note", data={"proposal": "refund", "note": "EOB shows double pay", "csrf_token": token})
    notes = [(e.actor, e.note) for e in outputs.audit_events(engine, finding_id=fid)][-2:]
    assert notes == [("rita", "Called NSB02, ref 4411"), ("rita", "Proposed refund: EOB shows double pay")]
    assert _status(engine, fid) == "open"


@pytest.mark.skipif(not hasattr(outputs, "render_letter"), reason="outputs.render_letter not available yet")
def test_an_approver_downloads_the_letter_as_pdf(engine, as_user) -> None:  # type: ignore[no-untyped-def]
    abe = as_user("abe")
    fid = _first(engine, status="open", refund_to="payer")
    early = abe.post(f"/findings/{fid}/letter", data={"to": "payer", "csrf_token": page_token(abe)})
    assert early.status_code == 409 and "only after the last approval step" in early.get_data(as_text=True)
    assert not [e for e in outputs.audit_events(engine, finding_id=fid) if e.event == "letter_written"]
    abe.post(f"/findings/{fid}/decide", data={"action": "approve", "csrf_token": page_token(abe)})
    resp = abe.post(f"/findings/{fid}/letter", data={"to": "payer", "csrf_token": page_token(abe)})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF") and "attachment" in resp.headers["Content-Disposition"]


@pytest.mark.skipif(not hasattr(outputs, "corrected_claim_for_finding"),
                    reason="outputs corrected claims not available")
def test_an_approver_downloads_the_corrected_claim(engine, as_user) -> None:  # type: ignore[no-untyped-def]
    abe = as_user("abe")
    fid = _first(engine, status="open", category="duplicate_payment")
    for mode in ("finding", "replace", "void"):  # none before the last approval
        early = abe.post(f"/findings/{fid}/corrected-claim", data={"mode": mode, "csrf_token": page_token(abe)})
        assert early.status_code == 409 and "only after the last approval step" in early.get_data(as_text=True)
    abe.post(f"/findings/{fid}/decide", data={"action": "approve", "csrf_token": page_token(abe)})
    resp = abe.post(f"/findings/{fid}/corrected-claim", data={"mode": "finding", "csrf_token": page_token(abe)})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    assert resp.data.startswith(b"ISA") and b"*837*" in resp.data
    assert resp.headers["Content-Disposition"].endswith('.837"')


@needs_decisions
def test_an_unmatched_payment_offers_no_refund(engine, as_user) -> None:  # type: ignore[no-untyped-def]
    """Issue 11 item 6: unapplied cash is no refund: no approve, no letter, no refund proposal; dismiss stays."""
    abe, rita = as_user("abe"), as_user("rita")
    fid = _first(engine, status="open", category="unmatched_payment")
    page = abe.get(f"/findings/{fid}").get_data(as_text=True)
    assert "Approve refund" not in page and "Download letter" not in page and 'value="dismiss"' in page
    assert '<option value="refund">' not in rita.get(f"/findings/{fid}").get_data(as_text=True)
    resp = abe.post(f"/findings/{fid}/decide", data={"action": "approve", "csrf_token": page_token(abe)},
                    follow_redirects=True)
    assert "Not recorded" in resp.get_data(as_text=True) and "not a refund" in resp.get_data(as_text=True)
    assert _status(engine, fid) == "open"
    refund = _first(engine, status="open", category="duplicate_payment")
    assert "Approve refund" in abe.get(f"/findings/{refund}").get_data(as_text=True)
