"""The 835 balancing equations are one: the parser's warning and the rules' finding agree, BPR03 D too."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from edi_engine.errors import Problem
from edi_engine.parsers.balancing_835 import adjustment_difference, signed_total, transaction_difference
from edi_engine.parsers.x221a1_835 import iter_remittances
from edi_engine.rules import detect, list_findings
from edi_engine.store import open_store
from tests.ledger.build import Store, file_835, file_837
from tests.ledger.scenarios import claim, paid, reversal


def test_equations_take_cents_and_decimals_alike() -> None:
    assert adjustment_difference(20000, [5000, 3000], 12000) == 0
    assert adjustment_difference(D("200.00"), [D("50.00"), D("30.00")], D("125.00")) == D("-5.00")
    assert signed_total(10000, "D") == -10000 and signed_total(10000, "C") == 10000
    assert transaction_difference(-12000, 0, 12000, "D") == 0
    assert transaction_difference(-12000, 0, 12000, "C") == -24000


def _debit_835() -> bytes:
    """The payer takes back a whole payment: sum(CLP04) is -104.00, sent as BPR02 104.00 with BPR03 D."""
    data = file_835("P1", "C2", "20240215", [reversal(paid())])
    assert b"BPR*I*104.00*D*" in data
    return data


def test_debit_835_balances_at_parse_time() -> None:
    problems: list[Problem] = []
    [remittance] = list(iter_remittances(_debit_835(), problems=problems))
    assert remittance.header.credit_debit == "D"
    assert [p.code for p in problems if p.code.endswith("unbalanced")] == []


def test_debit_835_unbalanced_at_parse_time_says_so() -> None:
    problems: list[Problem] = []
    list(iter_remittances(_debit_835().replace(b"BPR*I*104.00*D*", b"BPR*I*104.01*D*"), problems=problems))
    [p] = [p for p in problems if p.code == "transaction-unbalanced"]
    assert "BPR02 is -104.01 (BPR03 D" in p.message


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    return Store(open_store(db_url), tmp_path)


def test_debit_835_balances_at_detect_time(store: Store) -> None:
    store.ingest(store.add("c.837", file_837([claim()])),
                 store.add("a.835", file_835("P1", "C1", "20240201", [paid()])), store.add("b.835", _debit_835()))
    detect(store.engine, as_of="2024-03-01")
    with store.engine.connect() as conn:
        categories = [f.category for f in list_findings(conn, "all")]
    assert "unbalanced_remittance" not in categories
