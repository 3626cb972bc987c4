"""The deposits step of a full detect run: reassociate every stored 835 payment with the stored bank
deposits (ledger/reassociation.py), keep the matches (deposit_match, only the changes are written)
and report what is still unmatched once the rule pack's wait is over, as era_without_deposit and
deposit_without_era candidates.

A side is judged only where the other side's data reaches: with no bank data stored nothing is
reported (an office that imports no statements gets no finding per ERA), an ERA is judged only
when the statements run past its BPR16 plus the wait (and began before it), and a deposit only
when the stored 835s run past its date plus the wait. Knows nothing of SQL (store/deposits.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.engine import Connection

from edi_engine.ledger import StoreFacts
from edi_engine.ledger.reassociation import Window, business_days, needs_deposit, reassociate
from edi_engine.rules import deposit_without_era, era_without_deposit
from edi_engine.rules.candidate import Candidate
from edi_engine.rules.pack import RulePack
from edi_engine.store.deposits import (
    deposit_facts,
    era_payment_facts,
    has_deposit_tables,
    trn_offset,
    write_deposit_matches,
)

__all__ = ["DepositRun", "run"]


@dataclass(slots=True)
class DepositRun:
    matched: int = 0
    written: int = 0
    candidates: list[Candidate] = field(default_factory=list)


def run(conn: Connection, facts: StoreFacts, pack: RulePack, as_of: date) -> DepositRun:
    if not has_deposit_tables(conn):
        return DepositRun()
    rules = pack.deposits
    payments = era_payment_facts(conn, facts.aliases)
    deposits = deposit_facts(conn)
    window = Window(rules.match_window_business_days, rules.check_match_window_business_days, rules.holidays)
    result = reassociate(payments, deposits, window)
    out = DepositRun(len(result.matches), write_deposit_matches(
        conn, [(m.payment_id, m.deposit_id, m.method) for m in result.matches]))
    if not deposits:
        return out
    bank_from = min(d.deposit_date for d in deposits)
    bank_to = max(d.deposit_date for d in deposits)
    if era_without_deposit.CATEGORY in pack.enabled:
        for p in result.unmatched_payments:
            wait = rules.check_wait_days if p.method == "CHK" else rules.era_wait_days
            if p.payment_date is None:
                continue  # BPR16 is required; without it there is no date to wait from
            limit = window.check_business_days if p.method == "CHK" else window.eft_business_days
            due = p.payment_date + timedelta(days=wait)
            if due > as_of or due > bank_to or business_days(bank_from, p.payment_date, rules.holidays) < -limit:
                continue
            out.candidates.append(era_without_deposit.candidate(
                p, trn_offset(p.file, p.offset), result.same_trace.get(p.id, ()), wait, as_of))
    dated = [p.payment_date for p in payments if p.payment_date and needs_deposit(p)]
    if deposit_without_era.CATEGORY in pack.enabled and dated:
        era_from, era_to = min(dated), max(dated)
        for d in result.unmatched_deposits:
            due = d.deposit_date + timedelta(days=rules.deposit_wait_days)
            if not d.claim_payment or due > as_of or due > era_to or \
                    business_days(era_from, d.deposit_date, rules.holidays) < -window.check_business_days:
                continue
            out.candidates.append(deposit_without_era.candidate(d, rules.deposit_wait_days))
    return out
