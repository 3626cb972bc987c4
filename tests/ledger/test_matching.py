"""Matching records how each 835 fact was tied to the 837, and refuses to guess."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from edi_engine.rules import detect, list_findings
from edi_engine.store import open_store, tables
from tests.ledger.build import Claim, Clp, Line, Store, Svc, file_835, file_837
from tests.ledger.scenarios import claim, paid

_M = tables.payment_match


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    return Store(open_store(db_url), tmp_path)


def _methods(store: Store) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        return sorted((r.subject, r.method) for r in conn.execute(select(_M)))


def test_claim_by_clp01_payer_charge_and_lines_by_ref6r(store: Store) -> None:
    store.ingest(store.add("c.837", file_837([claim()])),
                 store.add("a.835", file_835("P1", "C1", "20240201", [paid()])))
    detect(store.engine, as_of="2024-03-01")
    assert _methods(store) == [("claim_payment", "clp01+payer+charge"), ("service_payment", "ref6r"),
                               ("service_payment", "ref6r")]


def test_lines_without_6r_by_procedure_date_units_and_recoded_by_svc06(store: Store) -> None:
    c = Claim("PCN1", "P1", [Line("99213", "100.00"), Line("85025", "50.00")])
    clp = Clp("PCN1", "1", "150.00", "120.00", "0.00", "ICN1", [
        Svc("99214", "100.00", "80.00", "", [("CO", "45", "20.00")], submitted="99213"),
        Svc("85025", "50.00", "40.00", "", [("CO", "45", "10.00")])])
    store.ingest(store.add("c.837", file_837([c])), store.add("a.835", file_835("P1", "C1", "20240201", [clp])))
    detect(store.engine, as_of="2024-03-01")
    assert _methods(store) == [("claim_payment", "clp01+payer+charge"), ("service_payment", "procedure+date+units"),
                               ("service_payment", "svc06+date+units")]


def test_same_clm01_for_two_different_patients_matches_neither_silently(store: Store) -> None:
    c1, c2 = claim(member="M100"), claim(member="M200")
    c2.lines[0].charge = "90.00"
    store.ingest(store.add("c.837", file_837([c1, c2])),
                 store.add("a.835", file_835("P1", "C1", "20240201", [paid(member="M300")])))
    detect(store.engine, as_of="2024-03-01")
    with store.engine.connect() as conn:
        (f,) = list_findings(conn)
    assert (f.category, f.claim_id, f"{f.amount:.2f}") == ("unmatched_payment", "PCN1", "104.00")
    assert "patient-mismatch" in f.evidence["summary"]


def test_two_different_claims_one_payment_is_ambiguous(store: Store) -> None:
    c1, c2 = claim(), claim()
    c2.lines[1].code = "80053"
    store.ingest(store.add("c.837", file_837([c1, c2])),
                 store.add("a.835", file_835("P1", "C1", "20240201", [paid()])))
    detect(store.engine, as_of="2024-03-01")
    with store.engine.connect() as conn:
        (f,) = list_findings(conn)
    assert f.category == "unmatched_payment" and "ambiguous-claim" in f.evidence["summary"]


def test_service_line_matching_no_claim_line_is_unmatched(store: Store) -> None:
    clp = paid()
    clp.svcs[1].code, clp.svcs[1].ref6r = "80053", ""
    store.ingest(store.add("c.837", file_837([claim()])), store.add("a.835", file_835("P1", "C1", "20240201", [clp])))
    detect(store.engine, as_of="2024-03-01")
    with store.engine.connect() as conn:
        got = [(f.category, f.line, f"{f.amount:.2f}") for f in list_findings(conn)]
    assert got == [("unmatched_payment", "80053:2024-01-05", "40.00")]
