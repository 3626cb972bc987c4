"""Reports: check reconciliation and credit balances (the CMS-838 is outputs/cms838.py).

Owns the report rows (lists of plain dicts, money as Decimal) and their table/CSV/PDF renderings.
Reconciliation reads the stored 835 facts (BPR, CLP, PLB) and the match rows of detect; credit
balances read the findings, whose amounts the rules layer derived from the ledger. Sums are
exact Decimal additions of stored cents. Knows nothing of click or HTTP.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from edi_engine.money import from_cents
from edi_engine.outputs.pdf import table_pdf
from edi_engine.parsers.balancing_835 import signed_total, transaction_difference
from edi_engine.rules import aging, categories, resolve_as_of
from edi_engine.rules.lifecycle import ON_BOOKS
from edi_engine.rules.pack import RulePack, load_pack
from edi_engine.store import refunds as refund_store
from edi_engine.store import reports as stored
from edi_engine.store.acks import unacknowledged_claims
from edi_engine.store.payers import payer_names

__all__ = ["cell_text", "credit_balance_report", "reconcile_report", "render_report", "unacknowledged_report"]

_ZERO = Decimal("0.00")
OPEN_CREDIT = ON_BOOKS  # a credit is on the books until refunded, offset, dismissed or resolved


def reconcile_report(engine: Engine, check: str | None = None) -> list[dict[str, Any]]:
    """Per 835 payment (check/EFT): BPR02, the CLP04 sum, the PLB sum, the difference, match counts."""
    with engine.connect() as conn:
        facts = stored.reconciliation_facts(conn, check)
    payments, matched = facts.payments, facts.matched
    clps: dict[int, list[stored.ClaimPaid]] = defaultdict(list, facts.clps)
    plbs: dict[int, Decimal] = defaultdict(lambda: _ZERO)
    for payment_id, amounts in facts.plbs.items():
        plbs[payment_id] = sum(amounts, _ZERO)
    out = []
    for p in payments:
        bpr = signed_total(p.amount, p.credit_debit)
        paid = sum((c.paid for c in clps[p.id]), _ZERO)
        n_matched = sum(1 for c in clps[p.id] if c.claim_payment_id in matched)
        # The report shows BPR02 less what the claims and PLBs account for: the equation's other sign.
        difference = -transaction_difference(paid, plbs[p.id], p.amount, p.credit_debit)
        out.append({"check": p.trace_number or "", "payer_id": p.payer_id or "", "payer_name": p.payer_name or "",
                    "payment_date": p.payment_date, "method": p.method or "", "bpr_amount": bpr,
                    "claim_payments": paid, "plb": plbs[p.id], "difference": difference,
                    "claims": len(clps[p.id]), "matched": n_matched, "unmatched": len(clps[p.id]) - n_matched})
    return out


def credit_balance_report(engine: Engine, as_of: date | str | None = None,
                          pack: RulePack | None = None) -> list[dict[str, Any]]:
    """Open credits by payer and category, aged by the day each arose in the rule pack's buckets
    (rules/aging.py, the dashboard's too)."""
    as_of = resolve_as_of(as_of)
    pack = pack or load_pack()
    labels = aging.bucket_labels(pack)
    with engine.connect() as conn:
        rows = stored.credit_findings(conn, categories=categories.refund_names(), statuses=OPEN_CREDIT)
        # What the provider's checks and EFTs repaid (store/refunds.py): a partial refund leaves the
        # rest of an approved credit on the books, and only that rest is still owed.
        repaid = refund_store.refunded_totals(conn, [f.id for f in rows])
        names = payer_names(conn)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for f in rows:
        key = (f.payer_id or "", f.category)
        g = groups.setdefault(key, {"payer_id": key[0], "payer_name": names.get(key[0], ""), "category": key[1],
                                    "findings": 0, "total": _ZERO,
                                    **dict.fromkeys(labels, _ZERO), "next_deadline": None,
                                    "overdue": 0, "overdue_amount": _ZERO, "repaid": _ZERO})
        outstanding = f.amount - repaid.get(f.id, _ZERO)
        g["findings"] += 1
        g["total"] += outstanding
        g["repaid"] += repaid.get(f.id, _ZERO)
        g[labels[aging.bucket_index(pack, aging.age_in_days(f.arose_on, f.identified_on, as_of))]] += outstanding
        if f.deadline is not None:
            if g["next_deadline"] is None or f.deadline < g["next_deadline"]:
                g["next_deadline"] = f.deadline
            if f.deadline < as_of:
                g["overdue"] += 1
                g["overdue_amount"] += outstanding
    return [groups[k] for k in sorted(groups)]


def cell_text(value: Any) -> str:
    """A report cell as text: money to the cent, dates ISO, nothing blank (the CSV, table and PDF renderings)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def unacknowledged_report(engine: Engine, days: int, as_of: date | str | None = None) -> list[dict[str, Any]]:
    """837 claims sent `days` or more ago with no claim acknowledgment yet (no 277CA verdict, no
    rejecting 999); `set_999` says whether their batch was at least accepted."""
    when = resolve_as_of(as_of)
    with engine.connect() as conn:
        rows = unacknowledged_claims(conn, when, days)
        names = payer_names(conn)
    return [{"claim_id": r.patient_control_number, "payer_id": r.payer_id,
             "payer_name": names.get(r.payer_id or "", ""), "charge": from_cents(r.charge),
             "sent": r.sent, "days": r.days, "set_999": r.set_acknowledgment or "none"} for r in rows]


def render_report(rows: Sequence[dict[str, Any]], fmt: str = "table", title: str = "Report") -> bytes:
    """Rows as an aligned text table (with a totals line), CSV, or a PDF table."""
    if not rows:
        return b"no rows\n" if fmt == "table" else b""
    headers = list(rows[0])
    cells = [[cell_text(r[h]) for h in headers] for r in rows]
    money = [h for h in headers if isinstance(rows[0][h], Decimal)]
    totals = {h: sum((r[h] for r in rows), _ZERO) for h in money}
    footer = "Totals: " + ", ".join(f"{h} {v:.2f}" for h, v in totals.items())
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(cells)
        return out.getvalue().encode("utf-8")
    if fmt == "pdf":
        return table_pdf(title, headers, cells, footer=f"{len(rows)} rows. {footer}")
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    for c in cells:
        lines.append("  ".join(v.rjust(w) if h in totals else v.ljust(w)
                               for v, h, w in zip(c, headers, widths, strict=True)))
    lines.append(f"{len(rows)} rows. {footer}")
    return ("\n".join(lines) + "\n").encode("utf-8")
