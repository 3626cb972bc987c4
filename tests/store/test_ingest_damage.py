"""A real ERA with an impossible BPR16 date is stored with every claim, through store ingest, on
both databases: the check date is NULL, the payments and their money are all there."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from edi_engine.store import open_store
from edi_engine.store.ingest import ingest_file

MULTI_CLAIM = "badX12/X221-multiple-claims-single-check.edi"  # one check, 9 dental claims


def test_bad_bpr16_keeps_its_claims(db_url: str, corpus: Path, tmp_path: Path) -> None:
    data = (corpus / MULTI_CLAIM).read_bytes()
    assert data.count(b"************20140331") == 1
    path = tmp_path / "bad-bpr16.835"
    path.write_bytes(data.replace(b"************20140331", b"************20140231"))
    engine = open_store(db_url)
    result = ingest_file(engine, path)
    assert result.ok, result.error
    assert result.payments == 9
    with engine.connect() as conn:
        pay = conn.execute(text("SELECT id, payment_date, amount, trace_number FROM payment")).one()
        assert pay.payment_date is None and pay.amount == 81080 and pay.trace_number == "12345"
        assert conn.execute(text("SELECT count(*) FROM claim_payment WHERE payment_id = :p"),
                            {"p": pay.id}).scalar_one() == 9
        assert conn.execute(text("SELECT sum(paid) FROM claim_payment")).scalar_one() == 81080
        assert conn.execute(text("SELECT count(*) FROM service_payment")).scalar_one() > 9
        status = conn.execute(text("SELECT status FROM source_file")).scalar_one()
        assert status == "ingested"
