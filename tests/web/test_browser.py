"""The review app in a real browser: Playwright for Python driving Debian's chromium against the app
served by waitress on 127.0.0.1 (a free port, in a thread). Signs in, filters the queue, opens a
finding, approves its refund, sees the audit event, downloads the letter; writes screenshots of
the queue, a detail page and the dashboard to test-artifacts/screenshots/.

Never runs `playwright install`: the browser is /usr/bin/chromium (CI installs Debian's package);
without it these tests skip."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from edi_engine import outputs
from edi_engine.web.queue import PAGE_SIZE
from tests.web.conftest import PASSWORD, REPO

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "test-artifacts" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="no Debian chromium at /usr/bin/chromium (apt-get install chromium)"),
    pytest.mark.skipif(not hasattr(outputs, "decide"), reason="outputs.decide not available yet"),
]


@pytest.fixture
def base_url(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from waitress.server import create_server
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def page(base_url: str) -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1366, "height": 800}, accept_downloads=True,
                                      base_url=base_url)
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        yield pg
        context.close()
        browser.close()


def _sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/findings")
    assert "/login" in page.url  # every page is behind sign-in
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")  # the form works from the keyboard
    page.wait_for_url("**/findings")


def test_review_a_finding_in_the_browser(page, engine) -> None:  # type: ignore[no-untyped-def]
    from edi_engine.rules import list_findings
    with engine.connect() as conn:  # what the demo pack holds, read from the store the page shows
        cob = len(list_findings(conn, "open", "cob_overpayment"))
    assert cob > 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    _sign_in(page, "abe")
    page.get_by_label("Category").select_option("cob_overpayment")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**category=cob_overpayment**")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == min(cob, PAGE_SIZE)
    assert all("cob overpayment" in t for t in rows.all_inner_texts())
    assert page.locator("tr.near, tr.past").count() > 0  # deadlines within 30 days stand out
    page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)

    first = rows.first.locator("a").first
    finding_id = first.inner_text().lstrip("#")
    first.click()
    page.wait_for_url(f"**/findings/{finding_id}")
    assert page.locator("code").first.inner_text().startswith(("CLP*", "CLM*", "SVC*", "PLB*"))
    page.get_by_label("Approval note").fill("EOBs checked: secondary paid in full")
    page.get_by_role("button", name="Approve refund").click()
    page.wait_for_selector("text=Recorded: approve.")
    history = page.locator("ol.history").inner_text()
    assert "approved by abe" in history and "EOBs checked" in history
    assert page.locator("h1 .status").inner_text() == "approved"
    page.screenshot(path=str(SHOTS / "detail.png"), full_page=True)

    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/dashboard")
    assert page.locator("svg.aging rect").count() == 4
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)


@pytest.mark.skipif(not hasattr(outputs, "render_letter"), reason="outputs.render_letter not available yet")
def test_download_the_letter_in_the_browser(page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, "abe")
    page.locator("table.queue tbody tr").first.locator("a").first.click()
    page.wait_for_url("**/findings/*")
    assert page.get_by_role("button", name="Download letter").count() == 0  # not before the approval
    page.get_by_role("button", name="Approve refund").click()
    page.wait_for_selector("text=Recorded: approve.")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download letter").click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.suffix == ".pdf" and target.read_bytes().startswith(b"%PDF")
    page.reload()
    assert "letter" in page.locator("ol.history").inner_text()


def test_a_reviewer_sees_no_approval_in_the_browser(page) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, "rita")
    page.locator("table.queue tbody tr").first.locator("a").first.click()
    page.wait_for_url("**/findings/*")
    assert page.get_by_role("button", name="Approve refund").count() == 0
    assert page.get_by_role("button", name="Propose").count() == 1


def test_search_the_queue_in_the_browser_and_at_phone_width(page, engine) -> None:  # type: ignore[no-untyped-def]
    """The one search box finds a patient's findings by name; the page is usable 390 px wide (stacked
    rows, the payer's name whole, nothing wider than the screen)."""
    from sqlalchemy import select

    from edi_engine.store import tables
    c, f = tables.claim, tables.finding
    with engine.connect() as conn:
        last, first, pcn = conn.execute(
            select(c.c.patient_last_name, c.c.patient_first_name, f.c.patient_control_number)
            .join(f, f.c.patient_control_number == c.c.patient_control_number)
            .where(f.c.status == "open", f.c.payer_id == "PPN04").order_by(f.c.id)).first()
    SHOTS.mkdir(parents=True, exist_ok=True)
    _sign_in(page, "rita")
    page.get_by_role("searchbox", name="Search").fill(last.lower())
    page.keyboard.press("Enter")
    page.wait_for_url("**q=*")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() >= 1
    assert all(last in t for t in rows.all_inner_texts())  # each row is that patient's (last or first name)
    assert pcn in page.locator("table.queue").inner_text()
    assert page.get_by_role("searchbox", name="Search").input_value() == last.lower()  # the search stays in its box
    page.screenshot(path=str(SHOTS / "queue-search.png"), full_page=True)

    page.get_by_role("searchbox", name="Search").fill("pinnacle")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**q=pinnacle**")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    payer = page.locator("table.queue tbody tr").first.locator("td.payer")
    box = payer.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert "PINNACLE PPO NETWORK" in payer.inner_text()
    assert page.locator("table.queue thead").bounding_box()["height"] <= 1  # type: ignore[index]  # stacked
    page.screenshot(path=str(SHOTS / "queue-phone.png"), full_page=True)
    page.goto("/findings?q=pinnacle&min_amount=lots")
    assert page.locator("[role=alert]").inner_text().startswith("Not searched: minimum amount")
    assert page.get_by_role("searchbox", name="Search").input_value() == "pinnacle"
    page.screenshot(path=str(SHOTS / "queue-phone-error.png"), full_page=True)
