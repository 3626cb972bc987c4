"""One account's ledger (explain, letters, the web detail page) reads only what that account
touches, and comes out exactly as it does when detect reads the whole store."""

from __future__ import annotations

import pytest

from edi_engine.ledger import analyse, build_postings, iter_accounts, ledger_for, load_store_facts, match_account

# Packs whose accounts share payments, PLBs (recoupments through CLP07) and fee schedules.
PACKS = ["mixed", "duplicate_recouped", "reversal_repayment", "payer_overpayment", "cob_overpayment", "split_claim"]


@pytest.mark.parametrize("pack", PACKS)
def test_one_account_reads_the_same_ledger_as_the_whole_store(pack_store, pack: str) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store(pack, detect=False)
    with engine.connect() as conn:
        whole = load_store_facts(conn)
        expected = {}
        for account in iter_accounts(conn, whole):
            view = analyse(account, match_account(account, whole), whole)
            expected[account.clm01] = (view, build_postings(view))
        assert expected
        for clm01, (view, postings) in expected.items():
            found = ledger_for(conn, clm01)
            assert found is not None
            assert found[1] == postings, clm01
            assert found[0] == view, clm01
            scoped = load_store_facts(conn, [clm01])
            assert set(scoped.payments) <= set(whole.payments)
        # Scoped to one account of many, it must not have read every payment.
        if len(expected) > 20:
            assert len(load_store_facts(conn, [next(iter(expected))]).payments) < len(whole.payments)
