"""Every template renders from a fixture context under StrictUndefined (habit 7): a field a template
names that its context lacks fails here, not in front of a billing clerk."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask, render_template
from jinja2 import StrictUndefined

from edi_engine.rules.approvals import ApprovalChain, Step, Taken, progress
from edi_engine.rules.lifecycle import RELEASED
from edi_engine.rules.report import Explanation, FindingRecord, LedgerLine, SegmentText
from edi_engine.store.account import NOT_KEPT
from edi_engine.web.auth import ACTIONS, User
from edi_engine.web.context import Chrome
from edi_engine.web.pages import (
    AccountContext,
    AgingBucket,
    ClaimView,
    DashboardContext,
    DetailContext,
    ErrorContext,
    FileRow,
    GroupTotal,
    HistoryItem,
    IngestContext,
    LineView,
    LoginContext,
    StepView,
    UsersContext,
)
from edi_engine.web.queue import PageLink, QueueContext, QueueFilters, QueueRow, SortLink

TEMPLATES = Path(__file__).resolve().parents[2] / "edi_engine" / "web" / "templates"
TODAY = date(2025, 8, 5)
CHROME = Chrome("abe", "approver", "tok123", TODAY, frozenset(ACTIONS) - {"users"}, "Recorded: approve.", "queue")
ADMIN = Chrome("ada", "admin", "tok456", TODAY, frozenset(ACTIONS), "", "users")
WHEN = datetime(2025, 8, 1, 9, 30, tzinfo=UTC)


def _finding(status: str = "open") -> FindingRecord:
    return FindingRecord(7, "payer_overpayment", "PCN0001", "NSB02", None, Decimal("125.50"), "payer", status,
                         date(2025, 6, 30), date(2025, 8, 29), None, "commercial",
                         {"summary": "paid 125.50 above the allowed amount", "records": []})


ONE_STEP = ApprovalChain()
TWO_STEPS = ApprovalChain((Step("proposal", "reviewer"), Step("approval", "approver")))


def _detail(status: str, chain: ApprovalChain = ONE_STEP, taken: tuple[Taken, ...] = ()) -> DetailContext:
    e = Explanation(_finding(status),
                    [LedgerLine("charge", "NSB02", Decimal("300.00"), True, "", "a.837 segment 30"),
                     LedgerLine("adjustment", "NSB02", Decimal("-10.00"), False, "CO-45", "b.835 segment 18")],
                    Decimal("-125.50"), Decimal("125.50"), Decimal("0.00"),
                    [SegmentText("payment", "/x/b.835", 16, "CLP*PCN0001*1*300*250~"),
                     SegmentText("claim", "/x/gone.837", 30, None, NOT_KEPT)])
    claim = ClaimView("P", "PCN0001", "1", "NSB02 (NORTHSTAR)", "DOE, JANE", "M123", Decimal("300.00"), "a.837", 30,
                      (LineView(1, "99213", "", Decimal("300.00"), "1", date(2025, 5, 1), "L1"),))
    state = progress(chain, Decimal("125.50"), taken)
    steps = tuple(StepView(i, st.name, st.role, *((taken[i - 1].actor, "2025-08-01 09:30 UTC", taken[i - 1].note)
                                                  if i <= len(taken) else ()))
                  for i, st in enumerate(state.steps, 1)) if status == "open" else ()
    return DetailContext(CHROME, e, "near", (claim,), (HistoryItem("2025-08-01 09:30 UTC", "approved", "abe", "ok"),),
                         "payer", "", approval=state, steps=steps, released=status in RELEASED,
                         viewers=("abe 2025-08-05", "rita 2025-08-04"))


def _queue() -> QueueContext:
    row = QueueRow(7, "payer_overpayment", "PCN0001", "NSB02", Decimal("125.50"), "payer", "open", date(2025, 6, 30),
                   36, date(2025, 8, 1), -4, "past", "NORTHSTAR BLUE", "DOE, JANE", "M123", date(2025, 5, 1),
                   date(2025, 5, 2), "24111550118059", date(2025, 6, 1))
    pages = (PageLink(1, "?page=1", True), PageLink(0, ""), PageLink(9, "?page=9"))
    return QueueContext(CHROME, QueueFilters(q="doe", category="payer_overpayment", desc=True), (row,), 1,
                        Decimal("125.50"), 1, 1, 9, "", "?page=2",
                        (SortLink("amount", "Amount", "?sort=amount", "desc"),),
                        ("payer_overpayment",), (("NSB02", "NORTHSTAR BLUE"),), ("open", "all"), 30, pages,
                        "export.csv?q=doe")


def _queue_refused() -> QueueContext:
    return QueueContext(CHROME, QueueFilters(q="doe", min_amount="abc"), (), 0, Decimal("0.00"), 0, 1, 1, "", "", (),
                        ("payer_overpayment",), (("NSB02", "NSB02"),), ("open", "all"), 30, (), "",
                        "Not searched: minimum amount must be an amount such as 125.00.")


def _file(status: str) -> FileRow:
    notes = ("1 remittance re-delivered, already stored from b.835",) if status == "ingested" else ()
    error = "ISA segment is short" if status == "failed" else ""
    return FileRow(3, "a.835", "835", status, WHEN, error, 0, 12, notes)


CONTEXTS = {
    "account.html": [AccountContext(CHROME, 12), AccountContext(CHROME, 12, "Not changed: too easy to guess.")],
    "login.html": [LoginContext("tok", "abe", "Wrong username or password.", "/findings"),
                   LoginContext("t", "", "", "/")],
    "error.html": [ErrorContext(CHROME, 403, "Forbidden", "no"), ErrorContext(None, 404, "Not Found", "gone")],
    "queue.html": [_queue(), _queue_refused()],
    "detail.html": [_detail("open"), _detail("approved"), _detail("refunded"),
                    _detail("open", TWO_STEPS, (Taken(1, "proposal", "reviewer", "rita", "checked"),)),
                    _detail("open", TWO_STEPS, (Taken(1, "proposal", "reviewer", "abe"),))],
    "dashboard.html": [DashboardContext(CHROME, (GroupTotal("NSB02", 2, Decimal("10.00")),),
                                        (GroupTotal("cob_overpayment", 2, Decimal("10.00")),),
                                        (AgingBucket("0-30 days", 2, Decimal("10.00"), 100),
                                         AgingBucket("90+ days", 0, Decimal("0.00"), 0)), 2, Decimal("10.00"), 1, 1)],
    "ingest.html": [IngestContext(CHROME, (_file("ingested"), _file("failed")), (_file("failed"),), 1, 1)],
    "users.html": [UsersContext(ADMIN, (User(1, "ada", "admin", False, WHEN), User(2, "rita", "reviewer", True, WHEN)),
                                ("reviewer", "approver", "admin"))],
}


@pytest.fixture
def bare_app(engine) -> Flask:  # type: ignore[no-untyped-def]
    from edi_engine.web import create_app
    app = create_app(engine)
    assert app.jinja_env.undefined is StrictUndefined
    return app


def test_every_page_template_has_a_fixture_context() -> None:
    pages = {p.name for p in TEMPLATES.glob("*.html")} - {"base.html"}
    assert pages == set(CONTEXTS)


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_template_renders_from_its_context(bare_app: Flask, name: str) -> None:
    with bare_app.test_request_context("/"):
        for ctx in CONTEXTS[name]:
            html = render_template(name, page=ctx)
            assert "</html>" in html
            if getattr(ctx, "chrome", None) is not None:
                assert ctx.chrome.csrf_token in html  # sign-out form at least


def test_detail_buttons_follow_status_and_role(bare_app: Flask) -> None:
    with bare_app.test_request_context("/"):
        opened = render_template("detail.html", page=_detail("open"))
        approved = render_template("detail.html", page=_detail("approved"))
        done = render_template("detail.html", page=_detail("refunded"))
    assert "Approve refund" in opened and "Apply offset" not in opened
    assert "Apply offset" in approved and "Record refund" in approved and "Approve refund" not in approved
    assert "Approve refund" not in done and "Dismiss" not in done and "Add note" in done
    assert NOT_KEPT in opened and "DOE, JANE" in opened
    # Letters and corrected claims follow the last approval: none offered while open.
    assert "Download letter" not in opened and "Download 837" not in opened
    assert "Download letter" in approved and "Download 837" in approved and "Download letter" in done
    assert "Viewed by abe 2025-08-05, rita 2025-08-04" in opened


def test_detail_shows_the_chain_and_offers_only_the_next_step(bare_app: Flask) -> None:
    with bare_app.test_request_context("/"):
        after_rita = render_template("detail.html", page=_detail(
            "open", TWO_STEPS, (Taken(1, "proposal", "reviewer", "rita", "checked the EOB"),)))
        after_abe = render_template("detail.html", page=_detail(
            "open", TWO_STEPS, (Taken(1, "proposal", "reviewer", "abe"),)))
        first = render_template("detail.html", page=_detail("open", TWO_STEPS))
    # abe (approver) sees rita's step and takes the last one
    assert "Step 1 of 2 · proposal" in after_rita and "by rita" in after_rita and "checked the EOB" in after_rita
    assert "Approve refund (step 2 of 2)" in after_rita and "Download letter" not in after_rita
    # four eyes: abe took step 1, so he is offered no button for step 2 and told why
    assert 'value="approve"' not in after_abe and "four eyes" in after_abe
    # an approver may take the reviewer's first step too
    assert "Approve step 1 of 2 (proposal)" in first and "Approve refund" not in first
