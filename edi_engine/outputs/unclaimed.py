"""Unclaimed property (issue 12 item 4; domain.md 5.7): a patient credit the provider tried to refund
but could not (the check came back undeliverable, or was never cashed) is the patient's money held
by the provider, and after the state's dormancy period it is presumed abandoned and reported (and
remitted) to the state. `report unclaimed` lists each such credit still on the books with the day
its dormancy ends and the state's report date after it.

The dormancy runs from the refund check's issue date, the last time the office tried to reach the
owner (a later contact restarts it: dismiss or refund the credit then). The rule pack's
[states.XX] unclaimed_dormancy_years and unclaimed_report_by (MM-DD) are the state's; without them
the columns stay blank and the report says so. The report date given is the first one on or after
the dormancy's end: a state whose cut-off falls earlier in the year (TX: property held as abandoned
on March 1 is reported by July 1) may allow a year more. Knows nothing of click or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from edi_engine.rules import resolve_as_of
from edi_engine.rules.deadlines import add_months
from edi_engine.rules.lifecycle import ON_BOOKS
from edi_engine.rules.pack import RulePack, load_pack
from edi_engine.store import findings as stored
from edi_engine.store import refunds as refund_store

__all__ = ["UnclaimedReport", "unclaimed_report"]


@dataclass(frozen=True, slots=True)
class UnclaimedReport:
    rows: list[dict[str, Any]]
    notes: tuple[str, ...]


def _report_by(dormant_until: date, mm_dd: str) -> date | None:
    try:
        month, day = (int(x) for x in mm_dd.split("-"))
        this_year = date(dormant_until.year, month, day)
    except ValueError:
        return None
    return this_year if this_year >= dormant_until else date(dormant_until.year + 1, month, day)


def unclaimed_report(engine: Engine, as_of: date | str | None = None, pack: RulePack | None = None) -> UnclaimedReport:
    as_of = resolve_as_of(as_of)
    pack = pack or load_pack()
    rules = pack.state_rules
    with engine.connect() as conn:
        returned = [r for r in refund_store.returned_refunds(conn) if r.payee == "patient"]
        findings = {r.finding_id: stored.finding_by_id(conn, r.finding_id) for r in returned}
        repaid = refund_store.refunded_totals(conn, list(findings))
    latest: dict[int, refund_store.StoredRefund] = {}
    for r in returned:  # the last check the office sent is the last attempt to reach the owner
        if r.finding_id not in latest or r.paid_on >= latest[r.finding_id].paid_on:
            latest[r.finding_id] = r
    rows = []
    for finding_id, refund in sorted(latest.items(), key=lambda kv: (kv[1].paid_on, kv[0])):
        f = findings[finding_id]
        if f is None or f.status not in ON_BOOKS:
            continue  # refunded again, offset or dismissed since: no longer held for the patient
        held = f.amount - repaid.get(finding_id, Decimal("0.00"))
        if held <= 0:
            continue
        dormant_until = add_months(refund.paid_on, 12 * rules.unclaimed_dormancy_years) \
            if rules.unclaimed_dormancy_years else None
        report_by = _report_by(dormant_until, rules.unclaimed_report_by) \
            if dormant_until and rules.unclaimed_report_by else None
        rows.append({
            "finding_id": finding_id, "claim_id": f.patient_control_number or "", "amount_held": held,
            "check": refund.number, "issued_on": refund.paid_on, "reason": refund.returned_reason or "",
            "returned_on": refund.returned_on, "state": pack.state, "dormant_until": dormant_until,
            "report_by": report_by,
            "status": ("report now" if report_by and report_by <= as_of else
                       "presumed abandoned" if dormant_until and dormant_until <= as_of else "dormant")})
    notes = []
    if not pack.state:
        notes.append("no [provider] state in the rule pack: the dormancy period and report date are blank")
    elif not rules.unclaimed_dormancy_years:
        notes.append(f"no [states.{pack.state}] unclaimed_dormancy_years in the rule pack: the dormancy period and "
                     "report date are blank")
    return UnclaimedReport(rows, tuple(notes))
