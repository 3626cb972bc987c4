"""The review app shows the deposit findings like any other: in the queue and on their detail page."""

from __future__ import annotations

from pathlib import Path

from edi_engine.rules import detect, list_findings
from edi_engine.store import open_store
from edi_engine.store.packs import load_folder
from edi_engine.web import WebConfig, add_user, create_app
from tests.web.conftest import PASSWORD, REPO, TODAY, sign_in


def test_deposit_findings_render_in_the_queue_and_detail(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    load_folder(engine, REPO / "fixtures" / "deposit_reassociation")
    detect(engine, as_of="2025-06-30")
    add_user(engine, "rita", PASSWORD, "reviewer")
    client = create_app(engine, WebConfig(today=lambda: TODAY)).test_client()
    assert sign_in(client, "rita") == 303
    with engine.connect() as conn:
        found = {f.category: f.id for f in list_findings(conn, "open")}
    assert set(found) == {"era_without_deposit", "deposit_without_era"}
    queue = client.get("/findings?status=open")
    assert queue.status_code == 200
    for name, fid in found.items():
        page = client.get(f"/findings/{fid}")
        assert page.status_code == 200, name
        text = page.get_data(as_text=True)
        assert ("cash posted but not received" in text) == (name == "era_without_deposit")
        assert ("777.77" in text) == (name == "deposit_without_era")
