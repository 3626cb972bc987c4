"""The Medicare Credit Balance Report, Form CMS-838 (domain.md 5.2): its lines, its provider
header, what was already reported, and its CSV, PDF and text renderings.

Since 2024-12-01 CMS wants no quarterly CMS-838: "providers are still required to report
self-identified overpayments and submit credit balance reports when they occur" (NGS, posted
2025-01-10, ngsmedicare.com/web/ngs/news-article-details?selectedArticleId=12485970; CGS,
cgsmedicare.com/parta/overpay/credit_balance.html). So an export lists by default only what no
CMS-838 listed yet, or what changed since (`finding.reported_on` / `reported_amount`): "once a credit
balance is reported on the CMS-838, it is not to be reported on a subsequent period report"
(Noridian JE Part A, med.noridianmedicare.com/web/jea/topics/overpayment-recoupment/credit-balance/
instructions). A line reported in error (its finding dismissed since) is listed for the Medicare
Credit Balance Correction Form (CGS, same page).

What is a line: a refund category with a `cms838` entry in the registry (rules/categories.py), owed
to the payer (`refund_to` "payer"), the payer Medicare fee-for-service (payer type `medicare`, so
never Medicare Advantage, domain.md 5.10, nor a beneficiary's over-collection, 5.3), on the books or
repaid, on an institutional claim (Part A, and Part B billed on institutional claims: the rule
pack's [cms838] professional_claims, default.toml). Every column is taken from the claim that was
paid: the 835 claim payment of the finding's Medicare payer (CLP07, CLP06, BPR16) and the 837 claim
detect matched it to (the MBI, type of bill and dates billed to Medicare), never the last 837 of the
CLM01, which may be the Medigap claim.

Owns the lines, their columns and recording a filing; the store owns the SQL (store/reports.py),
the registry the reason codes, the lifecycle the statuses. Knows nothing of click or HTTP.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection, Engine

from edi_engine.errors import UsageError
from edi_engine.outputs.audit import record
from edi_engine.outputs.pdf import Section, sections_pdf
from edi_engine.outputs.reports import cell_text
from edi_engine.rules import categories, resolve_as_of
from edi_engine.rules.lifecycle import ON_BOOKS, REPAID, Status
from edi_engine.rules.pack import RulePack, load_pack
from edi_engine.store import account as stored_account
from edi_engine.store import findings as stored_findings
from edi_engine.store import refunds as refund_store
from edi_engine.store import reports as stored
from edi_engine.store.findings import StoredFinding

__all__ = ["Cms838Header", "Cms838Line", "Cms838Report", "cms838_report", "render_cms838"]

_ZERO = Decimal("0.00")
_LISTED = (*ON_BOOKS, *REPAID)
# A balance reported in error and since dismissed: the correction form takes it off the record.
_REMOVED = (Status.DISMISSED,)
_REVERSAL_STATUS = "22"  # CLP02 22: reversal of a previous payment, never the claim that was paid
# The check number of a refund, when the mark-refunded note gives it ("check 10442", "ck #10442").
_CHECK = re.compile(r"\b(?:check|chk|ck)\b\.?\s*(?:no\.?|number|#)?\s*:?\s*([A-Za-z0-9-]*\d[A-Za-z0-9-]*)", re.I)


@dataclass(frozen=True, slots=True)
class Cms838Line:
    """One detail line. Columns 1-15 are the form's (Noridian JE Part A "Details Page Completion");
    the others say which finding it is and why it is listed again."""

    finding_id: int
    # new | correction (the amount changed since it was reported) | removal (reported in error, dismissed
    # since) | reported (listed before and unchanged: --all only)
    kind: str
    part: str  # A or B: the form segregates them on separate detail pages
    beneficiary_name: str  # 1: "Last name, first initial"
    mbi: str  # 2: the Medicare beneficiary identifier
    icn: str  # 3: CLP07 of the Medicare payment
    type_of_bill: str  # 4: CLM05-1 + CLM05-3
    from_date: date | None  # 5: admission / start of service
    through_date: date | None  # 6: discharge / end of service
    paid_date: date | None  # 7: BPR16 of the paying 835
    cost_report: str  # 8: O open, C closed
    credit_balance: Decimal  # 9
    amount_repaid: Decimal  # 10: repaid with this report (or by an adjustment already submitted)
    method: str  # 11: C check, A adjustment bill with the report, X adjustment bill already submitted
    amount_outstanding: Decimal  # 12: column 9 - column 10
    reason: str  # 13: 1 duplicate Medicare payment, 2 primary payment by another insurer, 3 other
    msp_code: str  # 14
    primary_insurer_or_explanation: str  # 15: the other insurer's name and address, or why (reason 3)
    previously_reported: Decimal | None  # what the last CMS-838 listed
    refund_check: str  # the refund check's number, when the audit trail has it


@dataclass(frozen=True, slots=True)
class Cms838Header:
    """The detail and certification pages' heading: the provider and who answers questions."""

    provider_name: str
    provider_number: str  # the 6-digit Medicare provider number (PTAN/CCN)
    npi: str
    contact_name: str
    contact_phone: str
    prepared_on: date


@dataclass(frozen=True, slots=True)
class Cms838Report:
    header: Cms838Header
    lines: tuple[Cms838Line, ...]  # Part A first, then Part B; by finding id
    # Medicare fee-for-service credits that are no CMS-838 line (professional claims): finding id -> why.
    left_out: tuple[tuple[int, str], ...]
    notes: tuple[str, ...]  # what the office should know before filing (a blank column, a missing PTAN)
    complete: bool = False  # every line, reported before or not (--all)
    recorded: bool = False


def cms838_report(engine: Engine, as_of: date | str | None = None, *, all_lines: bool = False,
                  pack: RulePack | None = None, record_by: str | None = None) -> Cms838Report:
    """The CMS-838 lines as of `as_of` (default today): only new or changed ones unless `all_lines`.
    With `record_by`, the lines listed are marked reported on `as_of` (reported_on, reported_amount,
    one cms838_reported audit event each), in the transaction that read them."""
    day = resolve_as_of(as_of)
    pack = pack or load_pack()
    if record_by is not None:
        if not record_by.strip():
            raise UsageError("recording a CMS-838 needs who files it (--by NAME)")
        if all_lines:
            raise UsageError("--record marks what a filing lists: it lists only new or changed lines, "
                             "so leave out --all")
        missing = [name for name, value in (("ptan", pack.provider.ptan), ("contact_name", pack.provider.contact_name),
                                             ("contact_phone", pack.provider.contact_phone)) if not value]
        if missing:
            # A CMS-838 without the provider number or the contact is not one the MAC accepts: nothing
            # is recorded as filed until it could have been.
            raise UsageError(f"--record: the rule pack's [provider] lacks {', '.join(missing)}, which the CMS-838's "
                             "heading needs; set them (--rules FILE) before recording a filing")
    names = [c.name for c in categories.all_categories() if c.refund and c.cms838 is not None]
    with engine.begin() as conn:
        found = stored.credit_findings(conn, categories=names, statuses=(*_LISTED, *_REMOVED), payer_type="medicare")
        lines: list[Cms838Line] = []
        left_out: list[tuple[int, str]] = []
        billed: list[stored.BilledClaim] = []
        for f in found:
            if f.refund_to != "payer" or f.identified_on > day:
                continue
            kind = _kind(f, all_lines)
            if kind is None:
                continue
            if f.status == Status.OPEN and json.loads(f.evidence).get("held"):
                # rules/run.hold_unbalanced: its remittance does not balance; no line until a person has checked
                left_out.append((f.id, "held for review: its remittance does not balance; approve it with a note "
                                       "once the EOB is checked"))
                continue
            paid, claim = _claims(conn, f)
            institutional = claim.variant == "I" if claim else bool(paid and paid.filing_indicator == "MA")
            if not institutional and not pack.cms838.professional_claims:
                if f.status not in _REMOVED:
                    left_out.append((f.id, "professional claim, not a CMS-838 line: it goes back with the MAC's "
                                           f"overpayment refund form (edi-engine letter {f.id})"))
                continue
            lines.append(_line(conn, f, kind, paid, claim, pack))
            if claim is not None:
                billed.append(claim)
        lines.sort(key=lambda ln: (ln.part, ln.finding_id))
        header = _header(pack, billed, day)
        notes = _notes(header, lines, pack, billed)
        if record_by is not None:
            by_id = {f.id: f for f in found}
            for ln in lines:
                _record(conn, ln, by_id[ln.finding_id], day, record_by)
    return Cms838Report(header, tuple(lines), tuple(left_out), notes, complete=all_lines,
                        recorded=record_by is not None)


def _kind(f: StoredFinding, all_lines: bool) -> str | None:
    """new: never reported; correction: its amount differs from what was reported; removal: reported,
    then dismissed (no credit after all); reported: listed before, unchanged (only with `all_lines`).
    None: nothing to report."""
    if f.status in _REMOVED:
        return "removal" if f.reported_on is not None and f.reported_amount not in (None, _ZERO) else None
    if f.reported_on is None:
        return "new"
    if f.reported_amount != f.amount:
        return "correction"
    return "reported" if all_lines else None


def _claims(conn: Connection, f: StoredFinding) -> tuple[stored.PaidClaim | None, stored.BilledClaim | None]:
    """The Medicare payment the credit is on, and the 837 claim it paid. For a duplicate the most
    recently paid claim is reported (CGS, "Tips on Completing a Credit Balance Report",
    cgsmedicare.com/hhh/financial/838_form_tips.html): the last of the payer's payment records."""
    paid = None
    for r in reversed(_payer_records(f)):
        if r.get("clp02") == _REVERSAL_STATUS or str(r.get("paid", "")).startswith("-"):
            continue
        paid = stored.paid_claim(conn, int(r["file_id"]), int(r["segment"]), str(r["record"]))
        if paid is not None:
            break
    claim = stored.billed_claim(conn, paid.claim_id if paid else None, f.patient_control_number or "", f.payer_id)
    return paid, claim


def _records(f: StoredFinding) -> list[dict[str, Any]]:
    evidence = json.loads(f.evidence)
    return [r for r in evidence.get("records", []) if r.get("record") in ("CLP", "SVC") and r.get("file_id")]


def _payer_records(f: StoredFinding) -> list[dict[str, Any]]:
    # SVC records carry no payer id: they are the finding's payer's lines.
    return [r for r in _records(f) if r.get("payer_id", f.payer_id) == f.payer_id]


def _line(conn: Connection, f: StoredFinding, kind: str, paid: stored.PaidClaim | None,
          claim: stored.BilledClaim | None, pack: RulePack) -> Cms838Line:
    evidence = json.loads(f.evidence)
    entry = categories.get(f.category).cms838
    assert entry is not None  # only categories with a cms838 entry are read
    amount = _ZERO if kind == "removal" else f.amount
    method, repaid, check = _method(conn, f, amount)
    from_date, through_date = _dates(paid, claim)
    reason = entry.reason
    return Cms838Line(
        finding_id=f.id, kind=kind, part=_part(paid, claim), beneficiary_name=_beneficiary(paid, claim),
        mbi=(claim.subscriber_member_id if claim else None) or (paid.insured_member_id if paid else None)
        or (paid.patient_member_id if paid else None) or "",
        icn=(paid.icn if paid else None) or "", type_of_bill=_type_of_bill(paid, claim),
        from_date=from_date, through_date=through_date, paid_date=paid.paid_date if paid else None,
        cost_report=_cost_report(pack, through_date or from_date), credit_balance=amount, amount_repaid=repaid,
        method=method, amount_outstanding=amount - repaid, reason=reason,
        msp_code=_msp_code(f, evidence, pack) if reason == "2" else "",
        primary_insurer_or_explanation=_column15(conn, f, evidence, entry, kind),
        previously_reported=f.reported_amount if f.reported_on is not None else None, refund_check=check)


def _beneficiary(paid: stored.PaidClaim | None, claim: stored.BilledClaim | None) -> str:
    """Column 1, "Last Name, First Initial" (CMS-838 detail page; domain.md 5.2)."""
    last, first = (claim.patient_last_name, claim.patient_first_name) if claim and claim.patient_last_name else \
        ((paid.patient_last_name, paid.patient_first_name) if paid else (None, None))
    if not last:
        return ""
    return f"{last}, {first[0]}" if first else last


def _type_of_bill(paid: stored.PaidClaim | None, claim: stored.BilledClaim | None) -> str:
    """Column 4: the UB-04 type of bill, facility type and classification (CLM05-1) and frequency
    (CLM05-3) of the 837I; the 835 repeats them in CLP08/CLP09. A professional claim has none."""
    if claim is not None:
        if claim.variant == "I" and claim.facility_code:
            return f"{claim.facility_code}{claim.frequency_code or ''}"
        return ""
    if paid is not None and paid.filing_indicator == "MA" and paid.facility_code:
        return f"{paid.facility_code}{paid.frequency_code or ''}"
    return ""


def _dates(paid: stored.PaidClaim | None, claim: stored.BilledClaim | None) -> tuple[date | None, date | None]:
    """Columns 5-6: the statement period billed (837I DTP*434), else the lines' service dates; the
    835's DTM*232/233 or SVC dates when the 837 is not stored."""
    if claim is not None:
        if claim.statement_from:
            return claim.statement_from, claim.statement_to or claim.statement_from
        if claim.service_from:
            return claim.service_from, claim.service_to or claim.service_from
    if paid is not None:
        if paid.statement_from:
            return paid.statement_from, paid.statement_to or paid.statement_from
        return paid.service_from, paid.service_to or paid.service_from
    return None, None


def _part(paid: stored.PaidClaim | None, claim: stored.BilledClaim | None) -> str:
    """Part A or B, for the separate detail pages: the Medicare 835's CLP06 (MA Medicare Part A, MB
    Medicare Part B, STEDI-1032 in domain.md 0); without it, an inpatient type of bill (11x, 18x
    swing bed, 21x SNF inpatient) is Part A."""
    if paid is not None and paid.filing_indicator in ("MA", "MB"):
        return paid.filing_indicator[1]
    tob = _type_of_bill(paid, claim)
    return "A" if tob[:2] in ("11", "18", "21") else "B"


def _cost_report(pack: RulePack, through: date | None) -> str:
    closed = pack.cms838.cost_report_closed_through
    if closed is None or through is None:
        return ""
    return "C" if through <= closed else "O"


def _method(conn: Connection, f: StoredFinding, amount: Decimal) -> tuple[str, Decimal, str]:
    """Columns 10-11 from the decision on the finding. The form's codes (Noridian JE Part A, "Details
    Page Completion"): C a check sent with the CMS-838, A a hard-copy adjustment bill sent with it,
    X an adjustment bill already submitted; column 12 is zero after full payment "with the CMS-838 or
    a previously submitted claim adjustment". So: refunded -> C with the check's number when the
    audit trail gives it; a corrected claim (void or replacement 837) written for it -> X, repaid in
    full; an offset -> nothing repaid with the report, column 12 the amount outstanding, which the
    MAC recovers by offset against later payments [DERIVED: the form has no code for it]; else nothing yet."""
    if amount == _ZERO:
        return "", _ZERO, ""
    # The refunds recorded with their check or EFT numbers (findings mark-refunded, refunds post):
    # partial ones too, so column 10 is what was repaid and 12 what is still owed.
    refunds = refund_store.refunds_for(conn, [f.id]).get(f.id, [])
    if refunds:
        repaid = min(amount, sum((r.amount for r in refunds), _ZERO))
        return "C", repaid, ", ".join(r.number for r in refunds)
    events = stored_findings.audit_rows(conn, f.id)
    if f.status == Status.REFUNDED:  # refunded before refunds were recorded: the note may name the check
        note = next((e.note for e in reversed(events) if e.event == "refunded"), "")
        match = _CHECK.search(note or "")
        return "C", amount, match.group(1) if match else ""
    if any(e.event == "corrected_claim_written" for e in events):
        return "X", amount, ""
    return "", _ZERO, ""


def _msp_code(f: StoredFinding, evidence: dict[str, Any], pack: RulePack) -> str:
    """Column 14: the MSP code the detect run found (rule pack [msp]); for a COB credit on Medicare,
    the primary insurer's code by its payer id or CLP06."""
    if evidence.get("msp_code"):
        return str(evidence["msp_code"])
    for r in _records(f):
        if r.get("payer_id") in _primary_ids(evidence):
            code = pack.msp_code_by_payer.get(str(r["payer_id"]))
            if code:
                return code
    return ""


def _primary_ids(evidence: dict[str, Any]) -> set[str]:
    return {p.strip() for p in str(evidence.get("primary_payer") or "").split(",") if p.strip()}


def _column15(conn: Connection, f: StoredFinding, evidence: dict[str, Any], entry: categories.Cms838,
              kind: str) -> str:
    """Column 15: for reason 2 the other insurer's name and address (N1*PR N102, N3/N4 of its 835);
    else the registry's explanation over the evidence, or the evidence summary."""
    if kind == "removal":
        return f"reported {f.reported_on} in error: remove (Medicare Credit Balance Correction Form)"
    if entry.reason == "2":
        insurers = [_insurer(conn, f, payer) for payer in sorted(_primary_ids(evidence))]
        if insurers:
            return "; ".join(insurers)
    if entry.explanation:
        return entry.explanation.format_map(defaultdict(str, evidence)).strip()
    return str(evidence.get("summary", ""))


def _insurer(conn: Connection, f: StoredFinding, payer_id: str) -> str:
    payment: tuple[int, str | None] | None = None
    for r in _records(f):
        if r.get("payer_id") == payer_id:
            paid = stored.paid_claim(conn, int(r["file_id"]), int(r["segment"]), str(r["record"]))
            if paid is not None:
                payment = (paid.payment_id, paid.payer_name)
    payment = payment or stored.latest_payment_of(conn, payer_id)
    if payment is None:
        return f"{payer_id} (payer id; no 835 of it stored: give the insurer's name and address)"
    address = stored_account.payer_address(conn, payment[0])
    where = ""
    if address is not None:
        last = " ".join(x for x in (f"{address.city}," if address.city else "", address.state,
                                    address.postal_code) if x)
        where = ", ".join(x for x in (address.line1, address.line2, last) if x)
    name = payment[1] or payer_id
    return f"{name}, {where}" if where else f"{name} ({payer_id}; no address on its 835)"


def _header(pack: RulePack, billed: list[stored.BilledClaim], day: date) -> Cms838Header:
    p = pack.provider
    first = billed[0] if billed else None
    return Cms838Header(p.name or (first.billing_provider_name if first else None) or "", p.ptan,
                        p.npi or (first.billing_provider_id if first else None) or "", p.contact_name,
                        p.contact_phone, day)


def _notes(header: Cms838Header, lines: list[Cms838Line], pack: RulePack,
           billed: list[stored.BilledClaim]) -> tuple[str, ...]:
    notes = []
    npis = sorted({c.billing_provider_id for c in billed if c.billing_provider_id})
    if len(npis) > 1:
        notes.append(f"the lines are of {len(npis)} billing providers (NPI {', '.join(npis)}): file one CMS-838 "
                     "per Medicare provider number")
    if not header.provider_number:
        notes.append("no Medicare provider number (PTAN): set [provider] ptan in the rule pack; one CMS-838 is "
                     "filed per provider number")
    if not (header.contact_name and header.contact_phone):
        notes.append("no contact person or telephone: set [provider] contact_name and contact_phone")
    if lines and pack.cms838.cost_report_closed_through is None:
        notes.append("column 8 (open/closed cost report) is blank: set [cms838] cost_report_closed_through")
    if not lines:
        notes.append("no new or changed Medicare credit balances to report")
    return tuple(notes)


def _record(conn: Connection, line: Cms838Line, f: StoredFinding, day: date, by: str) -> None:
    # Guarded on what was read: a filing recorded at the same time by someone else, or a detect run
    # that changed the amount, makes this match nothing, and the whole recording rolls back.
    if not stored_findings.mark_reported_if(conn, line.finding_id, was_on=f.reported_on, was_amount=f.reported_amount,
                                            current=f.amount, amount=line.credit_balance, on=day):
        raise UsageError(f"finding {line.finding_id} changed while recording the CMS-838; nothing was recorded, "
                         "run it again")
    record(conn, "cms838_reported", finding_id=line.finding_id, actor=by,
           note=f"CMS-838 {line.kind} line, Part {line.part}",
           details={"on": day.isoformat(), "kind": line.kind, "part": line.part, "icn": line.icn,
                    "amount": f"{line.credit_balance:.2f}", "repaid": f"{line.amount_repaid:.2f}",
                    "method": line.method, "previously": None if line.previously_reported is None
                    else f"{line.previously_reported:.2f}"})


# -- rendering ------------------------------------------------------------------------------------

_COLUMNS = [f.name for f in fields(Cms838Line)]
# The form's fifteen columns, as the detail page heads them.
_FORM = ("finding_id", "kind", "beneficiary_name", "mbi", "icn", "type_of_bill", "from_date", "through_date",
         "paid_date", "cost_report", "credit_balance", "amount_repaid", "method", "amount_outstanding", "reason",
         "msp_code", "primary_insurer_or_explanation")
_PDF_HEADS = ("Id", "Line", "1 Beneficiary", "2 MBI", "3 ICN", "4 TOB", "5 From", "6 Through", "7 Paid",
              "8 O/C", "9 Credit", "10 Repaid", "11", "12 Outst.", "13", "14", "15 Primary insurer / explanation")
_PDF_WIDTHS = (7, 14, 20, 21, 23, 8, 16, 16, 16, 7, 14, 13, 5, 14, 5, 6, 50)


def _heading(report: Cms838Report) -> list[str]:
    h = report.header
    return [f"Provider: {h.provider_name or '(not configured)'}",
            f"Medicare provider number (PTAN): {h.provider_number or '(not configured)'}    NPI: {h.npi}",
            f"Contact: {h.contact_name or '(not configured)'}    Telephone: {h.contact_phone or '(not configured)'}",
            f"Prepared {h.prepared_on.isoformat()}: " + (
                "every Medicare credit balance on the books or repaid, reported before or not" if report.complete
                else "credit balances not yet reported, or changed since (reported when they occur since "
                     "2024-12-01, no quarterly filing)")]


def _totals(lines: tuple[Cms838Line, ...] | list[Cms838Line]) -> str:
    total = sum((ln.credit_balance for ln in lines), _ZERO)
    repaid = sum((ln.amount_repaid for ln in lines), _ZERO)
    return f"{len(lines)} lines. Credit balance {total:.2f}, repaid {repaid:.2f}, outstanding {total - repaid:.2f}"


def _footer(report: Cms838Report) -> list[str]:
    out = [f"Note: {n}" for n in report.notes]
    out += [f"Not on the CMS-838: finding {fid}, {why}" for fid, why in report.left_out]
    return out


def render_cms838(report: Cms838Report, fmt: str = "table") -> bytes:
    """CSV (one row a line, every column, the provider on each row), a PDF with the provider heading
    and Part A and Part B on separate tables, or an aligned text table."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        extra = ["provider_name", "provider_number", "npi"]
        writer.writerow(_COLUMNS + extra)
        h = report.header
        for ln in report.lines:
            row = asdict(ln)
            writer.writerow([cell_text(row[c]) for c in _COLUMNS] + [h.provider_name, h.provider_number, h.npi])
        return out.getvalue().encode("utf-8")
    parts = [(part, [ln for ln in report.lines if ln.part == part]) for part in ("A", "B")]
    if fmt == "pdf":
        sections = [Section(f"Part {part} detail page", _PDF_HEADS,
                            [[cell_text(getattr(ln, c)) for c in _FORM] for ln in lines], _totals(lines), _PDF_WIDTHS)
                    for part, lines in parts if lines]
        return sections_pdf("Medicare Credit Balance Report (CMS-838)", _heading(report), sections,
                            footer="\n".join(_footer(report)))
    if fmt != "table":
        raise UsageError(f"unknown format {fmt!r}; use csv, pdf or table")
    text = ["Medicare Credit Balance Report (CMS-838)", *_heading(report)]
    for part, lines in parts:
        if not lines:
            continue
        cells = [[cell_text(getattr(ln, c)) for c in _FORM] for ln in lines]
        widths = [max(len(name), *(len(c[i]) for c in cells)) for i, name in enumerate(_FORM)]
        text += ["", f"Part {part}", "  ".join(n.ljust(w) for n, w in zip(_FORM, widths, strict=True))]
        text += ["  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)) for c in cells]
        text.append(_totals(lines))
    if not report.lines:
        text += ["", "no lines"]
    text += _footer(report)
    return ("\n".join(text) + "\n").encode("utf-8")
