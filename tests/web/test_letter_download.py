"""The letter the review app hands out is laid out from the rule pack the app runs with (`serve
--rules`): the office's letterhead, its signer and the payer's refund address, as the CLI writes it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from edi_engine.rules import list_findings
from edi_engine.web import RateLimit, WebConfig, create_app
from tests.web.conftest import TODAY, page_token


@pytest.fixture
def app(engine: Engine, tmp_path: Path) -> Flask:  # the app of tests/web/conftest.py, with an office's rule pack
    rules = tmp_path / "office.toml"
    rules.write_text('[provider]\nname = "Riverside Family Practice"\nphone = "5125550147"\nphone_extension = "12"\n'
                     '[letters]\nsigner_name = "Ana Ruiz"\nsigner_title = "Billing Manager"\n'
                     '[letters.payers.NSB02]\nrefund_address = ["Refund Unit", "PO Box 77", "Austin, TX 787010077"]\n',
                     encoding="utf-8")
    return create_app(engine, WebConfig(today=lambda: TODAY, rate_limit=RateLimit(per_username=5, per_address=8),
                                        rules_path=str(rules)))


def test_the_downloaded_letter_uses_the_apps_rule_pack(engine: Engine, as_user) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        fid = next(f.id for f in list_findings(conn, "open") if f.payer_id == "NSB02" and f.refund_to == "payer")
    abe = as_user("abe")
    resp = abe.post(f"/findings/{fid}/letter", data={"to": "payer", "csrf_token": page_token(abe)})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages).split())
    for value in ("Riverside Family Practice", "Phone 512-555-0147 ext. 12", "Ana Ruiz", "Billing Manager",
                  "Refund Unit PO Box 77 Austin, TX 78701-0077"):
        assert value in text, value
    assert "Finding reference" not in text
