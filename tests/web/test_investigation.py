"""The detail page's investigation (42 CFR 401.305(b)(2)): an approver suspends a Medicare
finding's deadline with a note and ends it; a reviewer cannot; the page shows the suspension."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from edi_engine.rules import detect, list_findings
from edi_engine.store import open_store
from edi_engine.store.packs import load_folder
from edi_engine.web import WebConfig, create_app
from edi_engine.web.auth import add_user
from tests.web.conftest import PASSWORD, REPO, page_token, sign_in


def _medicare_duplicate(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return next(f for f in list_findings(conn) if f.category == "duplicate_payment")


def test_an_approver_suspends_and_resumes_a_medicare_deadline(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'drg.db'}")
    load_folder(engine, REPO / "fixtures" / "drg_above_charges")  # Medicare paid a DRG twice, 2025-04-21
    detect(engine, as_of="2025-05-01")
    add_user(engine, "abe", PASSWORD, "approver")
    add_user(engine, "rita", PASSWORD, "reviewer")
    app = create_app(engine, WebConfig(today=lambda: date(2025, 5, 10)))
    f = _medicare_duplicate(engine)
    assert f.deadline == date(2025, 6, 30)
    url = f"/findings/{f.id}/investigation"

    rita = app.test_client()
    assert sign_in(rita, "rita") == 303
    assert "Investigate (suspend deadline)" not in rita.get(f"/findings/{f.id}").get_data(as_text=True)
    assert rita.post(url, data={"step": "start", "note": "x", "csrf_token": page_token(rita)}).status_code == 403

    abe = app.test_client()
    assert sign_in(abe, "abe") == 303
    page = abe.get(f"/findings/{f.id}").get_data(as_text=True)
    assert "Investigate (suspend deadline)" in page
    token = page_token(abe)
    resp = abe.post(url, data={"step": "start", "note": "", "csrf_token": token})
    assert resp.status_code == 303 and _medicare_duplicate(engine).investigation_started_on is None
    resp = abe.post(url, data={"step": "start", "note": "other DRG 291 stays", "csrf_token": token})
    assert resp.status_code == 303
    g = _medicare_duplicate(engine)
    assert g.investigation_started_on == date(2025, 5, 10) and g.deadline == date(2025, 12, 27)
    page = abe.get(f"/findings/{f.id}").get_data(as_text=True)
    assert "suspended: under investigation since 2025-05-10" in page and "End investigation" in page
    assert re.search(r"2025-12-27", page)
    resp = abe.post(url, data={"step": "end", "note": "none related", "csrf_token": page_token(abe)})
    assert resp.status_code == 303
    assert _medicare_duplicate(engine).deadline == date(2025, 7, 9)  # 60 days from the end, 2025-05-10
    assert abe.post(url, data={"step": "sideways", "csrf_token": page_token(abe)}).status_code == 400
