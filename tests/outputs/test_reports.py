"""Reports tie out: reconciliation sums equal the stored 835 sums and the ledger's payment postings;
credit balances equal the open findings and stay within each account's ledger credit."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from sqlalchemy import text

from edi_engine.ledger import analyse, build_postings, credit, iter_accounts, load_store_facts, match_account
from edi_engine.outputs import credit_balance_report, decide, reconcile_report, render_report
from edi_engine.rules import categories, list_findings

D = Decimal


def _cents(engine, sql: str) -> Decimal:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return D(conn.execute(text(sql)).scalar() or 0).scaleb(-2)


def test_reconcile_ties_out_to_the_835s_and_the_ledger(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("mixed")
    rows = reconcile_report(engine)
    assert len(rows) == _cents(engine, "SELECT COUNT(*) * 100 FROM payment")
    assert sum(r["bpr_amount"] for r in rows) == _cents(engine, "SELECT SUM(CASE WHEN credit_debit = 'D' THEN -amount "
                                                                "ELSE amount END) FROM payment")
    assert sum(r["claim_payments"] for r in rows) == _cents(engine, "SELECT SUM(paid) FROM claim_payment")
    assert sum(r["plb"] for r in rows) == _cents(engine, "SELECT SUM(amount) FROM provider_adjustment")
    for r in rows:
        assert r["difference"] == r["bpr_amount"] - r["claim_payments"] + r["plb"]
        assert r["matched"] + r["unmatched"] == r["claims"]
    # The ledger: every CLP04 is posted as payments (or reversals) on its account (CLP01).
    with engine.connect() as conn:
        facts = load_store_facts(conn)
        posted = 0
        for account in iter_accounts(conn, facts):
            view = analyse(account, match_account(account, facts), facts)
            posted -= sum(p.amount for p in build_postings(view) if p.kind in ("payment", "reversal"))
    assert sum(r["claim_payments"] for r in rows) == D(posted).scaleb(-2)
    one = rows[0]["check"]
    assert [r["check"] for r in reconcile_report(engine, one)] == [one]


def test_credit_balances_tie_out_to_findings_and_ledger(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("mixed")
    refund = tuple(c.name for c in categories.all_categories() if c.refund)  # voids and MSP too
    with engine.connect() as conn:
        findings = [f for f in list_findings(conn, "all") if f.category in refund]
    open_ = [f for f in findings if f.status == "open"]
    assert len(open_) >= 10
    decide(engine, open_[0].id, "approve", by="maria")  # approved is still a credit on the books
    decide(engine, open_[1].id, "dismiss", by="maria")  # dismissed is not
    as_of = date(2025, 3, 1)
    rows = credit_balance_report(engine, as_of)
    expected = sum((f.amount for f in open_[:1] + open_[2:]), D(0))
    assert sum(r["total"] for r in rows) == expected
    assert sum(r["findings"] for r in rows) == len(open_) - 1
    for r in rows:
        assert r["0-30"] + r["31-60"] + r["61-90"] + r["90+"] == r["total"]
    by_key: dict[tuple[str, str], Decimal] = {}
    for f in open_[:1] + open_[2:]:
        by_key[(f.payer_id or "", f.category)] = by_key.get((f.payer_id or "", f.category), D(0)) + f.amount
    assert {(r["payer_id"], r["category"]): r["total"] for r in rows} == by_key
    # Each account's credits never exceed its ledger credit.
    with engine.connect() as conn:
        facts = load_store_facts(conn)
        for account in iter_accounts(conn, facts, only=sorted({f.claim_id for f in open_ if f.claim_id})):
            view = analyse(account, match_account(account, facts), facts)
            payer_credit, patient_credit = credit(build_postings(view))
            mine = [f for f in open_ if f.claim_id == account.clm01]
            assert sum(f.amount for f in mine if f.refund_to == "payer") <= D(payer_credit).scaleb(-2)
            assert sum(f.amount for f in mine if f.refund_to != "payer") <= D(patient_credit).scaleb(-2)
    out = render_report(rows, "csv").decode()
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert sum(D(r["total"]) for r in parsed) == expected
    assert render_report(rows, "pdf").startswith(b"%PDF")
