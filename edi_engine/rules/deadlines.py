"""The refund clock of a credit: when it arose, when it was identified, when the refund is due.

Deadlines: Medicare and Medicaid 60 days from identification (SSA 1128J(d), 42 CFR 401.305;
domain.md 5.1, 5.4); Medicare Advantage plans and other payers per the provider's contract (rule
pack `deadlines.contract`), else by state; patients per the rule pack by state (5.5, 5.6, 5.10).

Two dates per credit: `arose_on`, when the money that made it was received (the latest payment
date among its evidence: the duplicate check's BPR16, the patient payment that tipped the account
into credit), and `identified_on`, the detect run that first found it, never before `arose_on`.
A credit found more than the pack's identification window after it arose is late: its clock starts
when it should have been found, not when it was. An investigation (a person's decision, with a note)
suspends a Medicare deadline until it ends or 180 days pass, whichever is earlier (42 CFR
401.305(b)(2), CY2025 PFS final rule). Knows nothing of the ledger or the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from edi_engine.rules.pack import RulePack

__all__ = ["Clock", "add_months", "arose_on", "clock_for", "deadline_for", "state_rule_for"]

_GOVERNMENT = ("medicare", "medicaid")


def arose_on(records: Iterable[Mapping[str, Any]]) -> date | None:
    """The latest payment date (an 835's BPR16, a patient payment's date) among evidence records;
    None when none has one (an unreadable BPR16 and nothing else)."""
    dates = []
    for rec in records:
        value = rec.get("check_date") or rec.get("date")
        if value:
            try:
                dates.append(date.fromisoformat(str(value)))
            except ValueError:
                continue
    return max(dates) if dates else None


def _days(pack: RulePack, refund_to: str, payer_type: str | None, payer_id: str | None) -> int:
    if payer_type in _GOVERNMENT:
        # Patient over-collections from a Medicare beneficiary also run 60 days (42 CFR 489.41).
        return pack.deadline_days[payer_type]
    if refund_to == "payer":
        # A Medicare Advantage plan (or any payer) is owed what the provider's contract says
        # (domain.md 5.10); else the state's window, else the default.
        return pack.contract_days.get(payer_id or "", pack.payer_days_by_state.get(
            pack.state, pack.deadline_days["payer_default"]))
    return pack.patient_days_by_state.get(pack.state, pack.deadline_days["patient_default"])


def deadline_for(pack: RulePack, refund_to: str | None, payer_type: str | None, starts: date,
                 payer_id: str | None = None) -> date | None:
    """The due date of a clock that starts on `starts`; None for what is not a refund."""
    if refund_to is None:
        return None  # not a refund: unmatched payments, unbalanced remittances
    return starts + timedelta(days=_days(pack, refund_to, payer_type, payer_id))


@dataclass(frozen=True, slots=True)
class Clock:
    due: date | None  # None: not a refund, no deadline
    starts: date  # the day the clock started
    late: bool  # identified after the identification window: the clock started when it should have been found
    suspended: bool  # an investigation stopped the clock (it may have ended since)
    rule: str  # the arithmetic, in words, for the evidence and the detail page

    def as_evidence(self) -> dict[str, Any]:
        return {"starts": self.starts.isoformat(), "due": self.due.isoformat() if self.due else None,
                "late": self.late, "suspended": self.suspended, "rule": self.rule}


def clock_for(pack: RulePack, refund_to: str | None, payer_type: str | None, payer_id: str | None, *,
              identified_on: date, arose: date | None, deadline_from: date | None = None,
              investigation_started_on: date | None = None,
              investigation_ended_on: date | None = None) -> Clock:
    """The clock of one credit. `deadline_from` is a category's own start (an MSP refund runs from
    the other primary payment's receipt, 42 CFR 489.20(h)), which no window moves."""
    window = pack.identification_window_days
    starts, late = identified_on, False
    if deadline_from is not None:
        starts = deadline_from
        rule = f"from {deadline_from.isoformat()}, the day the rule names"
    elif arose is not None and (identified_on - arose).days > window:
        late, starts = True, arose + timedelta(days=window)
        rule = (f"identified {identified_on.isoformat()}, {(identified_on - arose).days} days after the money "
                f"arrived on {arose.isoformat()}: later than the {window}-day window, so the clock started "
                f"{starts.isoformat()}, when it should have been found")
    else:
        rule = f"from identification on {identified_on.isoformat()}"
    if refund_to is None:
        return Clock(None, starts, late, False, "not a refund: no deadline")
    days = _days(pack, refund_to, payer_type, payer_id)
    due = starts + timedelta(days=days)
    rule = f"{days} days {rule}"
    suspended = False
    if investigation_started_on is not None and refund_to == "payer" \
            and payer_type in pack.investigation_payer_types and investigation_started_on <= due:
        # 401.305(b)(2): the 60 days run from the investigation's end or from 180 days after
        # identification, whichever is earlier; an investigation begun after the due date suspends nothing.
        limit = starts + timedelta(days=pack.investigation_max_days)
        resumes = min(investigation_ended_on, limit) if investigation_ended_on else limit
        resumes = max(resumes, starts)
        suspended, due = True, resumes + timedelta(days=days)
        state = (f"ended {investigation_ended_on.isoformat()}" if investigation_ended_on
                 else f"open, at most until {limit.isoformat()}")
        rule = (f"{rule}; suspended by an investigation begun {investigation_started_on.isoformat()} ({state}): "
                f"{days} days from {resumes.isoformat()}")
    return Clock(due, starts, late, suspended, rule)


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, the day clamped to the month's end (18 months after Aug 31 is Feb 28/29)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


_NOT_STATE_REGULATED = ("medicare", "medicaid", "medicare_advantage", "tricare", "va")


def state_rule_for(pack: RulePack, refund_to: str | None, payer_type: str | None, arose: date | None,
                   as_of: date) -> dict[str, Any] | None:
    """What the provider's state's rules say of a credit ([states] in the rule pack), as information
    for the evidence: a commercial payer's look-back window (past it, the payer cannot demand the
    money back; the office decides), or the state's patient refund rule. None where none applies."""
    rules = pack.state_rules
    if refund_to == "payer" and payer_type not in _NOT_STATE_REGULATED and arose is not None:
        if rules.payer_lookback_months:
            ends, window = add_months(arose, rules.payer_lookback_months), f"{rules.payer_lookback_months} months"
        elif rules.payer_lookback_days:
            ends, window = arose + timedelta(days=rules.payer_lookback_days), f"{rules.payer_lookback_days} days"
        else:
            return None
        past = as_of > ends
        return {"state": pack.state, "payer_lookback_ends": ends.isoformat(), "past_lookback": past,
                "rule": (f"{pack.state} lets a payer ask for an overpayment back within {window} of paying it "
                         f"(until {ends.isoformat()}): "
                         + ("past that, the payer cannot demand it; the office decides whether to refund"
                            if past else "the payer may still demand it"))}
    if refund_to in ("patient", "offset") and (rules.patient_rule or not rules.patient_may_keep_credit):
        return {"state": pack.state, "rule": rules.patient_rule, "may_keep_credit": rules.patient_may_keep_credit}
    return None
