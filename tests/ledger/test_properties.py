"""Hypothesis properties of the ledger over a pool of remittances with every trap in it:
the postings add up to the derived balances, findings never exceed the credit, and neither the
order of ingest nor ingesting a file twice changes the findings."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi_engine.ledger import (
    analyse,
    balance,
    build_postings,
    credit,
    iter_accounts,
    load_store_facts,
    match_account,
    patient_side,
    payer_side,
)
from edi_engine.rules import detect, list_findings
from edi_engine.store import open_store
from tests.ledger.build import Store, file_835, file_837
from tests.ledger.scenarios import claim, denied_duplicate, paid, reversal, secondary

_POOL = [
    ("a.835", lambda: file_835("P1", "C1", "20240201", [paid(), paid("ICN5", clm01="PCN2", l1_paid="70.00")])),
    ("b.835", lambda: file_835("P1", "C2", "20240215", [paid("ICN2"), denied_duplicate()])),
    ("c.835", lambda: file_835("P1", "C3", "20240301", [reversal(paid("ICN2"))])),
    ("d.835", lambda: file_835("P2", "C4", "20240305", [secondary("30.00")])),
    ("e.835", lambda: file_835("P1", "C5", "20240310", [paid("ICN8", clm01="PCN3")], plbs=[("WO", "ICN5", "3.00")])),
]
_BYTES = {name: make() for name, make in _POOL}
_CLAIMS = file_837([claim(), claim("PCN2"), claim("PCN3"), claim(payer="P2", sbr="S")])


def _findings(order: list[str], twice: bool = False) -> list[tuple]:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = Store(open_store(f"sqlite:///{folder}/s.db"), folder)
        paths = [store.add("c.837", _CLAIMS)] + [store.add(n, _BYTES[n]) for n in order]
        store.ingest(*paths)
        if twice:
            store.ingest(*reversed(paths))
        detect(store.engine, as_of="2024-04-01")
        with store.engine.connect() as conn:
            out = sorted((f.category, f.claim_id, f.payer_id, f"{f.amount:.2f}", f.refund_to, f.status)
                         for f in list_findings(conn, "all"))
            facts = load_store_facts(conn)
            for account in iter_accounts(conn, facts):
                postings = build_postings(analyse(account, match_account(account, facts), facts))
                counted = [p for p in postings if p.claim_id is not None or p.party == "patient"]
                assert balance(counted) == payer_side(postings) + patient_side(postings)
                by_party = {p.party for p in counted}
                assert sum(balance(counted, party=q) for q in by_party) == balance(counted)
                payer_credit, patient_credit = credit(postings)
                mine = [f for f in out if f[1] == account.clm01 and f[5] == "open" and f[4] in ("payer", "patient",
                                                                                                 "offset")
                        and f[0] != "unmatched_payment"]
                assert sum(int(f[3].replace(".", "")) for f in mine) <= payer_credit + patient_credit
        return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations([n for n, _ in _POOL]), st.booleans())
def test_ingest_order_and_repeats_do_not_change_findings(order: list[str], twice: bool) -> None:
    assert _findings(order, twice) == _findings(sorted(order))


def test_the_pool_finds_what_it_holds() -> None:
    got = _findings([n for n, _ in _POOL])
    assert ("duplicate_payment", "PCN1", "P1", "104.00", "payer", "resolved") in got
    assert ("payer_overpayment", "PCN2", "P1", "3.00", "payer", "open") in got  # 6.00 over, 3.00 recouped by WO
    assert ("cob_overpayment", "PCN1", "P2", "14.00", "payer", "open") in got
