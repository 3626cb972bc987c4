"""The two-step approval chain in a real browser (Playwright on Debian's chromium, as test_browser.py):
a reviewer proposes (step 1), sees no letter and no second approval for herself; an approver sees her
step, finds no letter button, approves (step 2), and only then downloads the letter. Screenshots of
each stage go to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine

from edi_engine import outputs
from edi_engine.store import tables
from edi_engine.web import RateLimit, WebConfig, create_app
from tests.web.conftest import TODAY
from tests.web.test_browser import ARGS, CHROMIUM, SHOTS, _sign_in, base_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no Debian chromium at /usr/bin/chromium")
TWO = """
[approvals]
steps = [{ name = "proposal", role = "reviewer" }, { name = "approval", role = "approver" }]
"""


@pytest.fixture
def app(engine: Engine, tmp_path: Path) -> Flask:
    rules = tmp_path / "office.toml"
    rules.write_text(TWO)
    return create_app(engine, WebConfig(today=lambda: TODAY, rules_path=str(rules),
                                        rate_limit=RateLimit(per_username=5, per_address=8)))


@pytest.fixture
def browser_as(base_url: str) -> Iterator[Callable[[str], object]]:  # noqa: F811
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)

        def make(username: str) -> object:
            context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True,
                                          base_url=base_url)
            page = context.new_page()
            page.set_default_timeout(15_000)
            _sign_in(page, username)
            page.wait_for_url(lambda url: "/login" not in url)  # "**/findings" also matches ?next=/findings
            return page
        yield make
        browser.close()


def test_a_two_step_chain_in_the_browser(browser_as, engine: Engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        fid = conn.execute(select(tables.finding.c.id).where(tables.finding.c.category == "duplicate_payment",
                                                             tables.finding.c.status == "open")
                           .order_by(tables.finding.c.id)).scalars().first()
    rita = browser_as("rita")
    rita.goto(f"/findings/{fid}")
    assert rita.get_by_role("button", name="Download letter").count() == 0
    assert rita.locator("ol.chain li.waiting").count() == 2
    rita.get_by_label("Approval note").fill("EOB shows the same services paid twice")
    rita.get_by_role("button", name="Approve step 1 of 2 (proposal)").click()
    rita.wait_for_selector("text=Recorded: your approval step")
    assert "approved by rita" in rita.locator("ol.chain li.taken").inner_text()
    assert rita.get_by_role("button", name="Approve refund (step 2 of 2)").count() == 0  # not a reviewer's step
    assert rita.get_by_role("button", name="Download letter").count() == 0
    assert rita.locator("h1 .status").inner_text() == "open"
    rita.screenshot(path=str(SHOTS / "approval-step1-reviewer.png"), full_page=True)

    abe = browser_as("abe")
    abe.goto(f"/findings/{fid}")
    chain = abe.locator("ol.chain").inner_text()
    assert "Step 1 of 2 · proposal" in chain and "by rita" in chain and "same services paid twice" in chain
    assert abe.get_by_role("button", name="Download letter").count() == 0  # nothing before the last approval
    assert abe.get_by_role("button", name="Download 837").count() == 0
    abe.screenshot(path=str(SHOTS / "approval-step2-before.png"), full_page=True)
    abe.get_by_label("Approval note").fill("agreed")
    abe.get_by_role("button", name="Approve refund (step 2 of 2)").click()
    abe.wait_for_selector("text=Recorded: approve.")
    assert abe.locator("h1 .status").inner_text() == "approved"
    history = abe.locator("ol.history").inner_text()
    assert "step_approved (step 1 of 2: proposal) by rita" in history
    assert "approved (step 2 of 2: approval) by abe" in history
    with abe.expect_download() as info:
        abe.get_by_role("button", name="Download letter").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
    abe.reload()
    assert "viewed" not in abe.locator("ol.history").inner_text()
    assert "Viewed by" in abe.locator("p.viewers").inner_text()
    abe.screenshot(path=str(SHOTS / "approval-step2-approved.png"), full_page=True)
    events = [e.event for e in outputs.audit_events(engine, fid)]
    assert events.index("step_approved") < events.index("approved") < events.index("letter_written")
