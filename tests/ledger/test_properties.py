"""Hypothesis properties of the ledger over a pool of remittances with every trap in it:
the postings add up to the derived balances, findings never exceed the credit, and neither the
order of ingest, nor ingesting a file twice, nor delivering any file again under new control numbers
and delimiters (a payer's or clearinghouse's re-send) changes the findings or the ledger."""

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
from tests.store.x12copies import VARIANTS, reenvelope

_POOL = [
    ("a.835", lambda: file_835("P1", "C1", "20240201", [paid(), paid("ICN5", clm01="PCN2", l1_paid="70.00")])),
    ("b.835", lambda: file_835("P1", "C2", "20240215", [paid("ICN2"), denied_duplicate()])),
    ("c.835", lambda: file_835("P1", "C3", "20240301", [reversal(paid("ICN2"))])),
    ("d.835", lambda: file_835("P2", "C4", "20240305", [secondary("30.00")])),
    ("e.835", lambda: file_835("P1", "C5", "20240310", [paid("ICN8", clm01="PCN3")], plbs=[("WO", "ICN5", "3.00")])),
]
_BYTES = {name: make() for name, make in _POOL}
_CLAIMS = file_837([claim(), claim("PCN2"), claim("PCN3"), claim(payer="P2", sbr="S")])


def _findings(order: list[str], twice: bool = False, again: list[tuple[int, bytes]] = (),  # type: ignore[assignment]
              ledger: list[tuple[object, ...]] | None = None) -> list[tuple]:  # type: ignore[type-arg]
    """The findings; `again` inserts other files (copies) at those positions of the ingest order, and
    `ledger` collects every account's postings by content (no row or file ids)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = Store(open_store(f"sqlite:///{folder}/s.db"), folder)
        paths = [store.add("c.837", _CLAIMS)] + [store.add(n, _BYTES[n]) for n in order]
        for k, (at, data) in enumerate(again):
            paths.insert(min(at, len(paths)), store.add(f"again_{k}.x12", data))
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
                if ledger is not None:
                    ledger.extend(sorted((account.clm01, p.kind, p.amount, p.party, p.code, p.in_balance)
                                         for p in postings))
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


_FILES = {"c.837": _CLAIMS, **_BYTES}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(sorted(_FILES)), st.integers(0, 6), st.integers(1, 10**9 - 100),
                          st.sampled_from(range(len(VARIANTS)))), min_size=1, max_size=4))
def test_delivering_any_file_again_under_new_control_numbers_changes_nothing(
        copies: list[tuple[str, int, int, int]]) -> None:
    order = [n for n, _ in _POOL]
    ledger_once: list[tuple[object, ...]] = []
    ledger_again: list[tuple[object, ...]] = []
    once = _findings(order, ledger=ledger_once)
    again = [(at, reenvelope(_FILES[name], control, VARIANTS[v])) for name, at, control, v in copies]
    assert _findings(order, again=again, ledger=ledger_again) == once
    assert sorted(ledger_again) == sorted(ledger_once)
