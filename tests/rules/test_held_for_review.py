"""A refund out of a remittance that does not balance is held for review (issue 10): still reported,
but no letter, and approving it needs a note saying what was checked; a balanced one is not held."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_engine.errors import UsageError
from edi_engine.outputs import decide, render_letter
from edi_engine.outputs.audit import audit_events
from edi_engine.rules import detect, list_findings
from edi_engine.store import open_store
from tests.ledger.build import Store, file_835, file_837
from tests.ledger.scenarios import claim, paid


def _duplicate(db_url: str, tmp_path: Path, bpr02_of_the_repeat: str | None):  # type: ignore[no-untyped-def]
    store = Store(open_store(db_url), tmp_path)
    again = file_835("P1", "CHK2", "20240215", [paid("ICN2")])
    if bpr02_of_the_repeat is not None:  # the payer's BPR02 disagrees with its own CLP04: 104.00 paid
        assert b"BPR*I*104.00*C*" in again
        again = again.replace(b"BPR*I*104.00*C*", f"BPR*I*{bpr02_of_the_repeat}*C*".encode())
    store.ingest(store.add("c.837", file_837([claim()])), store.add("a.835", file_835("P1", "CHK1", "20240201",
                                                                                     [paid()])),
                 store.add("b.835", again))
    detect(store.engine, as_of="2024-03-01")
    with store.engine.connect() as conn:
        found = list_findings(conn, "open")
    (dup,) = [f for f in found if f.category == "duplicate_payment"]
    return store.engine, dup, found


def test_a_duplicate_out_of_an_unbalanced_check_is_held(db_url: str, tmp_path: Path) -> None:
    engine, dup, found = _duplicate(db_url, tmp_path, "140.00")
    assert any(f.category == "unbalanced_remittance" for f in found)
    assert f"{dup.amount:.2f}" == "104.00"  # still reported, to the cent
    held = dup.evidence["held"]
    assert "CHK2" in held and "b.835" in held and "does not balance" in held
    with pytest.raises(UsageError, match="held for review"):
        render_letter(engine, dup.id, fmt="txt", by="maria")
    with pytest.raises(UsageError, match="held for review"):
        decide(engine, dup.id, "approve", by="maria")
    decide(engine, dup.id, "approve", by="maria", note="EOB checked: paid twice, BPR02 is the payer's typo")
    (event,) = [e for e in audit_events(engine, dup.id) if e.event == "approved"]
    assert event.details["held_for_review"] is True and "EOB checked" in event.note
    assert render_letter(engine, dup.id, fmt="txt", by="maria")  # approved after review: the letter follows
    detect(engine, as_of="2024-03-02")  # a re-run keeps the decision
    with engine.connect() as conn:
        assert next(f for f in list_findings(conn, "all") if f.id == dup.id).status == "approved"


def test_a_balanced_duplicate_is_not_held(db_url: str, tmp_path: Path) -> None:
    engine, dup, found = _duplicate(db_url, tmp_path, None)
    assert not any(f.category == "unbalanced_remittance" for f in found)
    assert "held" not in dup.evidence
    decide(engine, dup.id, "approve", by="maria")
