"""The periodic review of credit balances (issue 12 item 7): the audit an office runs each month or
quarter, as one list of rows per section, rendered as a text table, CSV or PDF.

Sections, for a period [from, to]:
  activity       credits opened (identified), resolved by the payer, approved, refunds recorded
                 (their own amounts, partial ones too), repaid in full, offset, dismissed,
                 investigations begun and ended: count and amount each
  dismissed      each dismissal with who and why (the note), since a dismissal is the decision an
                 auditor reads first
  timeliness     per credit opened in the period, days from arising to identification (late when
                 past the rule pack's window); per credit repaid in the period, days from
                 identification to repayment, against its deadline
  overdue        credits still on the books at `to` whose deadline is before `to`
  suspended      credits whose deadline an investigation suspends at `to`
  decisions      decisions by person and kind
  reconciliation every account where the ledger's credit and the credits on the books (open and
                 approved findings) differ, per pool (payer, patient), to the cent, with the
                 account's other findings that may explain it

Opened and resolved count by the business dates detect keeps (identified_on, resolved_on); refunds
by their check dates, investigations by their own days; other decisions by the day they were
recorded (the audit trail's UTC time). The reconciliation is the
ledger as stored now, not as it was on `to`. Sums come from the ledger and the stored amounts.
Knows nothing of click or HTTP.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from edi_engine.errors import UsageError
from edi_engine.ledger import account_credits
from edi_engine.money import from_cents
from edi_engine.outputs.audit import AuditEvent, events_on
from edi_engine.outputs.pdf import table_pdf
from edi_engine.outputs.reports import cell_text
from edi_engine.rules import categories
from edi_engine.rules.categories import Pool
from edi_engine.rules.lifecycle import ON_BOOKS, Status
from edi_engine.rules.pack import RulePack, load_pack
from edi_engine.store import findings as stored
from edi_engine.store import refunds as refund_store
from edi_engine.store.detect_runs import DETECT_ACTOR

__all__ = ["SECTIONS", "ReviewReport", "render_review", "review_report"]

SECTIONS = ("activity", "dismissed", "timeliness", "overdue", "suspended", "decisions", "reconciliation")
_ZERO = Decimal("0.00")
_DECISION_EVENTS = ("approved", "refund_recorded", "refunded", "offset", "dismissed", "investigation_started",
                    "investigation_ended")


@dataclass(frozen=True, slots=True)
class ReviewReport:
    date_from: date
    date_to: date
    sections: dict[str, list[dict[str, Any]]]

    def rows(self) -> list[dict[str, Any]]:
        """Every section's rows in one list, each with its section's name first (the CSV)."""
        return [{"section": name, **row} for name in SECTIONS for row in self.sections[name]]


def _in(day: date | None, start: date, end: date) -> bool:
    return day is not None and start <= day <= end


def review_report(engine: Engine, date_from: date | str, date_to: date | str,
                  pack: RulePack | None = None) -> ReviewReport:
    start, end = _day(date_from, "--from"), _day(date_to, "--to")
    if end < start:
        raise UsageError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
    pack = pack or load_pack()
    refunds = set(categories.refund_names())
    with engine.connect() as conn:
        everything = stored.all_findings(conn)
        events = events_on(conn)
        ledger = account_credits(conn, pack.fee_per_unit)
        repaid = refund_store.refunded_totals(conn)
    found = [f for f in everything if f.category in refunds]
    by_id = {f.id: f for f in found}
    decided = [e for e in events if e.finding_id in by_id and e.event in _DECISION_EVENTS
               and _in(_business_day(e), start, end)]

    activity: dict[str, list[Decimal]] = {k: [] for k in ("identified", "resolved", *_DECISION_EVENTS)}
    for f in found:
        if _in(f.identified_on, start, end):
            activity["identified"].append(f.amount)
        if f.status == Status.RESOLVED and _in(f.resolved_on, start, end):
            activity["resolved"].append(f.amount)
    for e in decided:
        activity[e.event].append(_amount(e, by_id))

    timeliness: list[dict[str, Any]] = []
    for f in sorted(found, key=lambda f: f.id):
        if _in(f.identified_on, start, end):
            clock = json.loads(f.evidence).get("clock", {})
            timeliness.append({
                "finding_id": f.id, "category": f.category, "claim_id": f.patient_control_number or "",
                "amount": f.amount, "measure": "arose to identified", "from_date": f.arose_on,
                "to_date": f.identified_on,
                "days": (f.identified_on - f.arose_on).days if f.arose_on else None,
                "deadline": f.deadline, "verdict": "late" if clock.get("late") else "on time"})
    for e in decided:
        if e.event in ("refunded", "offset"):
            f = by_id[e.finding_id or 0]
            day = _business_day(e)
            timeliness.append({
                "finding_id": f.id, "category": f.category, "claim_id": f.patient_control_number or "",
                "amount": f.amount, "measure": f"identified to {e.event}", "from_date": f.identified_on,
                "to_date": day, "days": (day - f.identified_on).days, "deadline": f.deadline,
                "verdict": "past deadline" if f.deadline and day > f.deadline else "on time"})

    on_books = [f for f in found if f.status in ON_BOOKS]
    overdue = [_credit_row(f, end) for f in sorted(on_books, key=lambda f: (f.deadline or date.max, f.id))
               if f.deadline is not None and f.deadline < end]
    suspended = [{**_credit_row(f, end), "investigation_started_on": f.investigation_started_on}
                 for f in sorted(on_books, key=lambda f: f.id)
                 if f.investigation_started_on is not None and f.investigation_started_on <= end
                 and (f.investigation_ended_on is None or f.investigation_ended_on > end)]

    people: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for e in decided:
        if e.actor != DETECT_ACTOR:
            people[(e.actor, e.event)].append(_amount(e, by_id))

    sections: dict[str, list[dict[str, Any]]] = {
        "activity": [{"event": k, "count": len(v), "amount": sum(v, _ZERO)} for k, v in activity.items()],
        "dismissed": [{"finding_id": e.finding_id, "category": by_id[e.finding_id or 0].category,
                       "amount": by_id[e.finding_id or 0].amount, "by": e.actor, "on": _business_day(e),
                       "why": e.note or "(no note)"} for e in decided if e.event == "dismissed"],
        "timeliness": timeliness,
        "overdue": overdue,
        "suspended": suspended,
        "decisions": [{"by": who, "event": what, "count": len(v), "amount": sum(v, _ZERO)}
                      for (who, what), v in sorted(people.items())],
        "reconciliation": _reconciliation(everything, ledger, repaid),
    }
    return ReviewReport(start, end, sections)


def _business_day(e: AuditEvent) -> date:
    """The day an event counts on: a refund's check date, an investigation's own day (entered with
    --on), else the day it was recorded. A quarter's review then holds what happened in it, also
    when it was entered later."""
    day = e.details.get("paid_on") if e.event == "refund_recorded" else \
        e.details.get("on") if e.event.startswith("investigation") else None
    if day:
        try:
            return date.fromisoformat(str(day))
        except ValueError:
            pass
    return e.at.date()


def _amount(e: AuditEvent, by_id: dict[int, stored.StoredFinding]) -> Decimal:
    """The money an event moved: a recorded refund's own amount (a partial one repays part), else the credit's."""
    if e.event == "refund_recorded" and e.details.get("amount"):
        return Decimal(str(e.details["amount"]))
    return by_id[e.finding_id or 0].amount


def _credit_row(f: stored.StoredFinding, end: date) -> dict[str, Any]:
    return {"finding_id": f.id, "category": f.category, "claim_id": f.patient_control_number or "",
            "payer_id": f.payer_id or "", "amount": f.amount, "status": f.status, "deadline": f.deadline,
            "days_past": (end - f.deadline).days if f.deadline else None}


def _reconciliation(found: list[stored.StoredFinding], ledger: dict[str, tuple[int, int]],
                    repaid: dict[int, Decimal]) -> list[dict[str, Any]]:
    """The ledger's credit against the credits on the books (what is still outstanding of open and
    approved findings of every category the credit caps: refunds, and the payer's own deferred
    recoupments and review flags), per account and pool; differences only, with the account's
    other findings of that pool beside them."""
    books: dict[tuple[str, Pool], Decimal] = defaultdict(lambda: _ZERO)
    others: dict[tuple[str, Pool], list[str]] = defaultdict(list)
    for f in found:
        pool = categories.get(f.category).pool
        if pool is None or not f.patient_control_number:
            continue
        key = (f.patient_control_number, pool)
        if f.status in ON_BOOKS:
            books[key] += f.amount - repaid.get(f.id, _ZERO)
            if repaid.get(f.id):
                others[key].append(f"#{f.id} {f.category} repaid {repaid[f.id]:.2f} of {f.amount:.2f}")
        else:
            others[key].append(f"#{f.id} {f.category} {f.status} {f.amount:.2f}")
    keys = set(books) | {(clm01, pool) for clm01, pair in ledger.items()
                         for pool, cents in zip((Pool.PAYER, Pool.PATIENT), pair, strict=True) if cents}
    out = []
    for clm01, pool in sorted(keys):
        pair = ledger.get(clm01, (0, 0))
        credit = from_cents(pair[0] if pool is Pool.PAYER else pair[1])
        on_books = books.get((clm01, pool), _ZERO)
        if credit != on_books:
            out.append({"claim_id": clm01, "pool": pool.value, "ledger_credit": credit, "on_books": on_books,
                        "difference": credit - on_books,
                        "other_findings": "; ".join(others.get((clm01, pool), [])) or "none"})
    return out


def _day(value: date | str, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{what} must be a date YYYY-MM-DD, got {value!r}") from None


def render_review(report: ReviewReport, fmt: str = "table") -> bytes:
    """CSV: one table, a `section` column first. Table and PDF: one titled table per section."""
    title = f"Credit balance review {report.date_from.isoformat()} to {report.date_to.isoformat()}"
    if fmt == "csv":
        rows = report.rows()
        headers: list[str] = ["section"]
        for row in rows:
            headers.extend(k for k in row if k not in headers)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([[cell_text(r.get(h)) for h in headers] for r in rows])
        return out.getvalue().encode("utf-8")
    if fmt == "pdf":
        # One document: each section a block of rows under its own header row.
        cells: list[list[str]] = []
        width = max((len(r) for rows in report.sections.values() for r in rows), default=1)
        for name in SECTIONS:
            rows = report.sections[name]
            cells.append([name.upper()] + [""] * (width - 1))
            if not rows:
                cells.append(["(none)"] + [""] * (width - 1))
                continue
            cells.append(list(rows[0]) + [""] * (width - len(rows[0])))
            cells.extend([cell_text(v) for v in r.values()] + [""] * (width - len(r)) for r in rows)
        return table_pdf(title, [""] * width, cells, footer="Opened and resolved by detect's dates; decisions "
                                                            "by the day recorded; reconciliation: the ledger now.")
    lines = [title, ""]
    for name in SECTIONS:
        rows = report.sections[name]
        lines.append(f"== {name} ({len(rows)})")
        if rows:
            headers = list(rows[0])
            table = [[cell_text(r[h]) for h in headers] for r in rows]
            widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(headers)]
            lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
            lines.extend("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)) for t in table)
        lines.append("")
    return "\n".join(lines).encode("utf-8")
