"""The ledger: 835 payments matched to 837 claims and lines, postings per claim/line/party, and
balances derived from them. Reads the store; knows nothing of rule thresholds or documents.

Public API:
    load_store_facts(conn[, accounts]) -> StoreFacts  store-wide facts (payments, PLBs, fees, aliases), or
                                                   only those some accounts touch
    iter_accounts(conn, facts, only=None)         Account per CLM01, streamed in chunks
    match_account(account, facts) -> AccountMatches
    analyse(account, matches, facts, fee_per_unit=True) -> AccountView
    build_postings(view) -> list[Posting]; balance(), payer_side(), patient_side(), credit()
    double_recovery(), duplicate_totals(), primary_excess(), combined_payments(), line_totals(), void_totals(),
    msp_terms(), deferrals()                      the sums rules and letters show
    ledger_for(conn, clm01) -> (AccountView, list[Posting]) | None   one account, for explain
    account_credits(conn) -> {CLM01: (payer credit, patient credit)}  every account's credit, for the review
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from edi_engine.ledger.adjudication import AccountView, LineAdjudication, PayerView, analyse
from edi_engine.ledger.balances import (
    DEFERRING,
    CombinedPayments,
    Deferral,
    DoubleRecovery,
    DuplicateTotals,
    LineTotals,
    MspTerms,
    VoidTotals,
    combined_payments,
    deferral,
    deferrals,
    deferred_outstanding,
    double_recovery,
    duplicate_totals,
    line_totals,
    msp_terms,
    own_allowed,
    primary_excess,
    void_totals,
)
from edi_engine.ledger.matching import AccountMatches, Match, MatchProblem, match_account
from edi_engine.ledger.postings import (
    PATIENT,
    Posting,
    balance,
    build_postings,
    credit,
    patient_side,
    payer_side,
)
from edi_engine.store.read import Account, StoreFacts, iter_accounts, load_store_facts

__all__ = [
    "DEFERRING", "PATIENT", "Account", "AccountMatches", "AccountView", "CombinedPayments", "Deferral",
    "DoubleRecovery", "DuplicateTotals",
    "LineAdjudication", "LineTotals", "Match", "MatchProblem", "MspTerms", "PayerView", "Posting", "StoreFacts",
    "analyse",
    "balance", "build_postings", "combined_payments", "credit", "deferral", "deferrals", "deferred_outstanding",
    "double_recovery", "duplicate_totals", "iter_accounts", "ledger_for",
    "line_totals", "load_store_facts", "match_account", "msp_terms", "own_allowed", "patient_side", "payer_side",
    "primary_excess", "VoidTotals", "account_credits", "void_totals",
]


def ledger_for(conn: Connection, clm01: str, fee_per_unit: bool = True) -> tuple[AccountView, list[Posting]] | None:
    facts = load_store_facts(conn, [clm01])
    for account in iter_accounts(conn, facts, only=[clm01]):
        view = analyse(account, match_account(account, facts), facts, fee_per_unit)
        return view, build_postings(view)
    return None


def account_credits(conn: Connection, fee_per_unit: bool = True) -> dict[str, tuple[int, int]]:
    """Every account's credit as the ledger has it now: CLM01 -> (payer credit, patient credit) in
    cents, accounts with no credit left out. The periodic review reconciles the findings to this."""
    facts = load_store_facts(conn)
    out: dict[str, tuple[int, int]] = {}
    for account in iter_accounts(conn, facts):
        payer_credit, patient_credit = credit(build_postings(analyse(account, match_account(account, facts), facts,
                                                                     fee_per_unit)))
        if payer_credit or patient_credit:
            out[account.clm01] = (payer_credit, patient_credit)
    return out
