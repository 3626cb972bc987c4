"""A split's parts are one adjudication; only the same service paid twice is a duplicate
(domain.md 7.1, 3 pitfall 1; issue 11 item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_engine.rules import detect, list_findings
from edi_engine.store import open_store
from tests.ledger.build import Claim, Clp, Line, Store, Svc, file_835, file_837


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    return Store(open_store(db_url), tmp_path)


def _part(clp07: str) -> Clp:
    # 2 of the line's 4 units (no REF*6R: matched by procedure and date), PR-2 6.00.
    return Clp("PCN1", "1", "120.00", "66.00", "6.00", clp07, [
        Svc("97110", "120.00", "66.00", "", [("CO", "45", "48.00"), ("PR", "2", "6.00")], allowed="72.00",
            units="2")])


def test_units_split_over_two_checks_then_a_third_part_is_the_duplicate(store: Store) -> None:
    c = Claim("PCN1", "P1", [Line("97110", "240.00", units="4")])
    store.ingest(store.add("c.837", file_837([c])),
                 store.add("a.835", file_835("P1", "C1", "20240201", [_part("ICN1")])),
                 store.add("b.835", file_835("P1", "C2", "20240215", [_part("ICN2")])))
    store.patient_payments("pp.csv", [("PCN1", "2024-03-01", "12.00")])
    detect(store.engine, as_of="2024-04-01")
    with store.engine.connect() as conn:
        assert list_findings(conn, "all") == []  # two parts: 4 units, PR 12.00, all paid once
    store.ingest(store.add("c.835", file_835("P1", "C3", "20240301", [_part("ICN3")])))
    detect(store.engine, as_of="2024-04-01")
    with store.engine.connect() as conn:
        (f,) = list_findings(conn, "all")
    assert (f.category, f.payer_id, f"{f.amount:.2f}") == ("duplicate_payment", "P1", "66.00")
