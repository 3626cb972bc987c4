"""Pricing a line the payer unbundled or re-coded (SVC06): each SVC on its adjudicated SVC01 code and
paid units, never on the submitted code (domain.md 4.5; issue 11 item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_engine.ledger import ledger_for
from edi_engine.rules import detect, list_findings
from edi_engine.store import open_store
from edi_engine.store.imports import import_fee_schedule
from tests.ledger.build import Claim, Clp, Line, Store, Svc, file_835, file_837


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    return Store(open_store(db_url), tmp_path)


def _fees(store: Store, rows: list[tuple[str, str]]) -> None:
    path = store.folder / "fees.csv"
    path.write_text("payer_id,procedure_code,modifier,allowed_amount,effective_from,effective_to\n"
                    + "".join(f"P1,{code},,{amount},2024-01-01,2024-12-31\n" for code, amount in rows))
    import_fee_schedule(store.engine, path)


def test_unbundled_line_is_priced_on_each_adjudicated_code(store: Store) -> None:
    # One billed line (97750, 200.00) paid as 97530 (carrying the charge) and 97110 (0.00), both with
    # SVC06 97750 and the line's REF*6R (RFI 2283, 498). Contract 50.00 + 40.00 = 90.00, paid 90.00.
    _fees(store, [("97750", "60.00"), ("97530", "50.00"), ("97110", "40.00")])
    c = Claim("PCN1", "P1", [Line("97750", "200.00", ref6r="L1")])
    clp = Clp("PCN1", "1", "200.00", "90.00", "0.00", "ICN1", [
        Svc("97530", "200.00", "50.00", "L1", [("CO", "45", "150.00")], allowed="50.00", submitted="97750"),
        Svc("97110", "0.00", "40.00", "L1", [("OA", "94", "-40.00")], allowed="40.00", submitted="97750")])
    store.ingest(store.add("c.837", file_837([c])), store.add("a.835", file_835("P1", "C1", "20240201", [clp])))
    detect(store.engine, as_of="2024-03-01")
    with store.engine.connect() as conn:
        assert list_findings(conn, "all") == []
        got = ledger_for(conn, "PCN1")
        assert got is not None
        (adj,) = got[0].payers["P1"].lines.values()
    assert (adj.priced_as, adj.allowed, adj.paid, adj.bundled) == ("97530+97110", 9000, 9000, True)


def test_svc06_equal_to_svc01_is_no_recoding(store: Store) -> None:
    # Some payers echo the billed code in SVC06 on every line: the line is priced and capped as billed.
    _fees(store, [("99213", "90.00")])
    c = Claim("PCN1", "P1", [Line("99213", "80.00", ref6r="L1")])
    clp = Clp("PCN1", "1", "80.00", "90.00", "0.00", "ICN1", [
        Svc("99213", "80.00", "90.00", "L1", [("CO", "45", "-10.00")], allowed="90.00", submitted="99213")])
    store.ingest(store.add("c.837", file_837([c])), store.add("a.835", file_835("P1", "C1", "20240201", [clp])))
    detect(store.engine, as_of="2024-03-01")
    with store.engine.connect() as conn:
        (f,) = list_findings(conn, "all")
    assert (f.category, f"{f.amount:.2f}") == ("payer_overpayment", "10.00")
