"""Manual matching in a real browser (issue 13 item 2): Playwright on Debian's chromium against the app
served by waitress on 127.0.0.1, over fixtures/manual_match_duplicate. An approver opens the unmatched
payment, searches for the claim, picks it from the candidates, says why and matches it; after detect
the claim's duplicate payment names the manual match; the approver undoes it. Screenshots:
test-artifacts/screenshots/match-form.png, match-done.png. Skips without /usr/bin/chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from edi_engine import outputs
from edi_engine.rules import list_findings
from edi_engine.store import open_store
from edi_engine.store.packs import load_folder
from edi_engine.web import WebConfig, add_user, create_app
from tests.web.conftest import PASSWORD, REPO, USERS
from tests.web.test_browser import ARGS, CHROMIUM, SHOTS

PACK = REPO / "fixtures" / "manual_match_duplicate"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="no Debian chromium at /usr/bin/chromium (apt-get install chromium)")


@pytest.fixture
def store(tmp_path: Path) -> Any:
    engine = open_store(f"sqlite:///{tmp_path / 'match.db'}")
    load_folder(engine, PACK)
    outputs.detect_with_audit(engine, as_of="2024-12-01")
    for name, role in USERS.items():
        add_user(engine, name, PASSWORD, role)
    return engine


@pytest.fixture
def page(store: Any) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    from waitress.server import create_server
    app = create_app(store, WebConfig(today=lambda: date(2024, 12, 2)))
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            context = browser.new_context(viewport={"width": 1366, "height": 800},
                                          base_url=f"http://127.0.0.1:{server.effective_port}")
            pg = context.new_page()
            pg.set_default_timeout(15_000)
            yield pg
            context.close()
            browser.close()
    finally:
        server.close()
        thread.join(timeout=5)


def _finding_id(engine: Any, category: str) -> int:
    with engine.connect() as conn:
        return next(f.id for f in list_findings(conn, "all") if f.category == category)


def test_match_an_unmatched_payment_in_the_browser(page: Any, store: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    unmatched = _finding_id(store, "unmatched_payment")
    page.goto("/findings")
    page.get_by_label("Username").fill("abe")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"/findings/{unmatched}")
    assert page.get_by_role("button", name="Approve refund").count() == 0
    assert page.get_by_role("button", name="Download letter to the payer (PDF)").count() == 0

    page.get_by_label("Find a claim").fill("pcn0766")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**match_q=pcn0766**")
    rows = page.locator("#match-form table tbody tr")
    assert rows.count() == 5
    assert rows.first.locator("td").nth(1).inner_text() == "PCN0766001"
    assert "same charge" in rows.first.inner_text() and "2024-09-29" in rows.first.inner_text()
    page.get_by_label("PCN0766001").check()
    page.get_by_label("Why this claim (e.g. what the EOB shows)").fill(
        "EOB: CLP01 mistyped (O for 0); same member, dates and lines")
    page.screenshot(path=str(SHOTS / "match-form.png"), full_page=True)
    page.get_by_role("button", name="Match payment to claim").click()
    page.wait_for_selector("text=Matched by hand: the next detect run posts the payment to that claim.")
    assert "payment_matched by abe" in page.locator("ol.history").last.inner_text()

    outputs.detect_with_audit(store, as_of="2024-12-01")
    page.goto(f"/findings/{unmatched}")
    assert page.locator("h1 .status").inner_text() == "resolved"
    page.screenshot(path=str(SHOTS / "match-done.png"), full_page=True)
    page.goto(f"/findings/{_finding_id(store, 'duplicate_payment')}")
    assert "matched by hand: manual match #1 by abe" in page.locator("ul.segments").inner_text().lower()

    page.goto(f"/findings/{unmatched}")
    page.get_by_label("Why the match is undone").fill("payer says it paid another claim")
    page.get_by_role("button", name="Undo match").click()
    page.wait_for_selector("text=Manual match undone")
    assert "undone by abe" in page.locator("#h-manual").locator("xpath=..").inner_text()
