"""Refund letters: the payer refund letter and the patient refund notice (domain.md 6.1, 6.3).

Owns the two letter contexts (frozen dataclasses, one per template) and building them from a
finding, the ledger of its account (edi_engine.ledger, the one home of the sums) and what the store
gives back of the original 837/835 (provider address, TIN and contact; payer address: parsed from
the file contents the store keeps, never from the ingest path), then rendering through Jinja2
with StrictUndefined. A billing office replaces a template by passing its own file; it sees the
same context under the name `letter`. PDF comes from the text rendering (outputs/pdf.py).
Which letter a finding gets, the CARC it cites first and its wording are the category's
(rules/categories.py): a category with no letter, or not registered, is an error, never a default.

Minimum necessary (domain.md 5.8): a payer letter carries claim identifiers, dates, codes and
amounts -- no diagnoses; a patient notice carries only that patient's account. Knows nothing of
click or HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.engine import Connection, Engine

from edi_engine.errors import InputError, UsageError
from edi_engine.ledger import AccountView, ledger_for, line_totals
from edi_engine.money import format_amount, from_cents
from edi_engine.outputs.approvals import released
from edi_engine.outputs.audit import record
from edi_engine.outputs.corrected import load_original
from edi_engine.outputs.pdf import text_pdf
from edi_engine.parsers.x837_models import Claim837, ClaimsHeader837, Party
from edi_engine.rules import categories
from edi_engine.rules.categories import Category, Letter, Owed
from edi_engine.rules.lifecycle import Status
from edi_engine.store import account as stored
from edi_engine.store import refunds as refund_store
from edi_engine.store.findings import StoredFinding, finding_by_id
from edi_engine.store.read import ClpFact

__all__ = ["CARC_TEXT", "LetterLine", "PatientNotice", "PayerLetter", "PaymentProof", "Provider", "build_context",
           "render", "render_letter", "TEMPLATES_DIR"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# CARC texts (X12 list as published via OpenEMR, domain.md 4.2), for the codes a letter cites.
CARC_TEXT = {
    "1": "Deductible amount", "2": "Coinsurance amount", "3": "Co-payment amount",
    "18": "Exact duplicate claim/service",
    "22": "This care may be covered by another payer per coordination of benefits",
    "23": "The impact of prior payer(s) adjudication including payments and/or adjustments",
    "45": "Charge exceeds fee schedule/maximum allowable or contracted/legislated fee arrangement",
    "94": "Processed in excess of charges", "96": "Non-covered charge(s)",
    "97": "The benefit for this service is included in the payment/allowance for another service/procedure",
    "195": "Refund issued to an erroneous priority payer", "253": "Sequestration - reduction in federal payment",
    "A0": "Patient refund amount", "B13": "Previously paid",
}
_CULPRIT_ROLES = ("paid again", "later payer paid", "paid above what was owed", "paid on the voided claim")


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    npi: str
    tin: str
    address: tuple[str, ...]
    contact_name: str
    contact_phone: str


@dataclass(frozen=True, slots=True)
class LetterLine:
    line: int  # LX01
    service_date: date | None
    code: str  # procedure with modifiers, or revenue code / procedure (837I)
    units: Decimal | None
    billed: Decimal
    allowed: Decimal | None
    paid: Decimal


@dataclass(frozen=True, slots=True)
class PaymentProof:
    role: str
    check_number: str  # TRN02
    check_date: date | None  # BPR16
    payer_claim_number: str  # CLP07
    billed: Decimal | None
    paid: Decimal | None


@dataclass(frozen=True, slots=True)
class PayerLetter:
    finding_id: int
    category: str
    today: date
    provider: Provider
    payer_name: str
    payer_id: str
    payer_address: tuple[str, ...]
    patient_name: str
    member_id: str
    account_number: str  # CLM01
    payer_claim_number: str  # CLP07 of the payment refunded
    service_from: date | None
    service_to: date | None
    lines: tuple[LetterLine, ...]
    billed: Decimal
    allowed: Decimal | None
    paid: Decimal
    refund: Decimal
    reason: str
    reason_codes: tuple[str, ...]  # "CARC 18: Exact duplicate claim/service"
    check_number: str  # TRN02 of the original payment
    check_date: date | None  # BPR16
    proof: tuple[PaymentProof, ...]
    deadline: date | None
    method: str
    # A double recovery turns the letter round: the payer is asked to return what it took twice.
    heading: str = "Refund of overpayment"
    total_label: str = "Refund"


@dataclass(frozen=True, slots=True)
class PatientService:
    service_date: date | None
    code: str
    charge: Decimal


@dataclass(frozen=True, slots=True)
class InsurerPayment:
    payer_name: str
    paid: Decimal


@dataclass(frozen=True, slots=True)
class PatientPaymentLine:
    paid_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PatientNotice:
    finding_id: int
    today: date
    provider: Provider
    patient_name: str
    patient_address: tuple[str, ...]
    account_number: str
    service_from: date | None
    service_to: date | None
    services: tuple[PatientService, ...]
    charges: Decimal
    insurer_payments: tuple[InsurerPayment, ...]
    insurer_adjustments: Decimal  # charges less what insurers paid and the patient's share
    patient_responsibility: Decimal
    patient_payments: tuple[PatientPaymentLine, ...]
    patient_paid: Decimal
    refund: Decimal
    reason: str
    method: str
    deadline: date | None
    offset: bool = False  # applied to the patient's other open balance, not refunded
    may_keep_credit: bool = True  # the state lets the notice offer to keep the credit instead (rule pack [states])


def _money(value: Decimal | None) -> str:
    return "n/a" if value is None else format_amount(value)


def _date(value: date | None) -> str:
    return "n/a" if value is None else value.strftime("%m/%d/%Y")


def _environment(folder: Path) -> Environment:
    env = Environment(loader=FileSystemLoader(str(folder)), undefined=StrictUndefined, keep_trailing_newline=True,
                      autoescape=select_autoescape(["html", "htm"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = _money
    env.filters["date"] = _date
    return env


def render(context: PayerLetter | PatientNotice, fmt: str = "txt", template: str | Path | None = None) -> str:
    """One letter context through its template (or the office's own) as text or HTML."""
    if template is not None:
        path = Path(template)
        if not path.is_file():
            raise UsageError(f"no template file {path}")
        return _environment(path.parent).get_template(path.name).render(letter=context)
    name = "payer_refund" if isinstance(context, PayerLetter) else "patient_refund"
    return _environment(TEMPLATES_DIR).get_template(f"{name}.{'html' if fmt == 'html' else 'txt'}").render(
        letter=context)


# -- building the contexts ------------------------------------------------------------------------

def _postal(code: str) -> str:
    """N403 writes a ZIP+4 as nine digits; a mailing address writes it 12345-6789 (USPS Pub. 28)."""
    return f"{code[:5]}-{code[5:]}" if len(code) == 9 and code.isdigit() else code


def _address(lines: tuple[str, ...], city: str, state: str, postal: str) -> tuple[str, ...]:
    last = " ".join(x for x in (f"{city}," if city else "", state, _postal(postal)) if x).strip()
    return tuple(x for x in (*lines, last) if x)


def _contact(parties: tuple[Party | None, ...]) -> tuple[str, str]:
    for p in parties:
        for c in (p.contacts if p else ()):
            phone = next((v for q, v in c.communications if q == "TE"), "")
            if c.name or phone:
                return c.name, _phone(phone)
    return "", ""


def _phone(number: str) -> str:
    """PER04 TE is digits only (area code and number, TR3 "PER"); a letter writes 217-555-0100."""
    return f"{number[:3]}-{number[3:6]}-{number[6:]}" if len(number) == 10 and number.isdigit() else number


def _provider(claim: Claim837 | None, header: ClaimsHeader837 | None, row: stored.ClaimRow) -> Provider:
    bp = claim.billing_provider if claim else None
    p = bp.provider if bp else None
    if p is None:
        return Provider(row.billing_provider_name or "", row.billing_provider_id or "", "", (), "", "")
    name, phone = _contact((p, header.submitter if header else None))
    return Provider(p.name, p.npi, bp.tin if bp else "", _address(p.address, p.city, p.state, p.postal_code),
                    name, phone)


def _original(conn: Connection, clm01: str, payer_id: str | None) -> tuple[Claim837 | None, ClaimsHeader837 | None]:
    for payer in (payer_id, None):
        try:
            original = load_original(conn, clm01, payer)
            return original.claim, original.header
        except (UsageError, InputError):
            continue
    return None, None


def _payer_address(conn: Connection, payment_id: int | None) -> tuple[str, ...]:
    """N3/N4 of the 835's 1000A payer loop."""
    a = stored.payer_address(conn, payment_id) if payment_id is not None else None
    if a is None:
        return ()
    return _address(tuple(x for x in (a.line1, a.line2) if x), a.city, a.state, a.postal_code)


def _line_code(ln: Any) -> str:
    code = ln.procedure or ""
    if ln.modifiers:
        code += "-" + ln.modifiers.replace(":", "-")
    if ln.revenue:
        code = f"{ln.revenue} {code}".strip()
    return code


NO_LETTER_STATUSES = frozenset({Status.RESOLVED, Status.DISMISSED})


def _finding(conn: Connection, finding_id: int) -> StoredFinding:
    row = finding_by_id(conn, finding_id)
    if row is None:
        raise UsageError(f"no finding {finding_id}")
    _letter_of(categories.get(row.category), finding_id)
    if row.status in NO_LETTER_STATUSES:
        # Resolved: the payer already took the money back (a reversal, a PLB recoupment) or the credit is
        # gone; dismissed: a person decided it is no credit. A letter would ask for, or send, money twice.
        raise UsageError(f"finding {finding_id} is {row.status}: nothing is owed back, so no letter follows from it")
    held = json.loads(row.evidence).get("held")
    if held and row.status == Status.OPEN:
        raise UsageError(f"finding {finding_id} is held for review, so no letter yet: {held}")
    return row


def _letter_of(category: Category, finding_id: int) -> Letter:
    if not (category.refund or category.owed is Owed.PROVIDER) or category.letter is None:
        raise UsageError(f"finding {finding_id} is a {category.name}, not a refund: no letter follows from it")
    return category.letter


def _claim_row(conn: Connection, clm01: str) -> list[stored.ClaimRow]:
    return stored.claims_of(conn, clm01)


def _view(conn: Connection, clm01: str) -> AccountView:
    found = ledger_for(conn, clm01)
    if found is None or found[0].billed_claim is None:
        raise UsageError(f"claim {clm01} is not stored: a letter needs the billed claim")
    return found[0]


def _payment_date(conn: Connection, trace: str, payer_clps: list[ClpFact]) -> date | None:
    for clp in payer_clps:
        if clp.payment and clp.payment.trace_number == trace:
            return clp.payment.payment_date
    return None


def _payer_letter(conn: Connection, f: Any, today: date) -> PayerLetter:
    evidence = json.loads(f.evidence)
    view = _view(conn, f.patient_control_number)
    billed_claim = view.billed_claim
    assert billed_claim is not None
    payer = view.payers.get(f.payer_id or "")
    clps = payer.clps if payer else []
    records = [r for r in evidence.get("records", []) if r.get("record") in ("CLP", "SVC")]
    mine = [r for r in records if r.get("payer_id", f.payer_id) == f.payer_id] or records
    culprit = next((r for r in reversed(mine) if r.get("role") in _CULPRIT_ROLES), mine[-1] if mine else {})
    proof = tuple(PaymentProof(
        str(r.get("role", "")), str(r.get("trn02", "")),
        date.fromisoformat(r["check_date"]) if r.get("check_date") else _payment_date(conn, r.get("trn02", ""), clps),
        str(r.get("clp07", "")), Decimal(r["charge"]) if r.get("charge") else None,
        Decimal(r["paid"]) if r.get("paid") else None) for r in records)
    culprit_proof = proof[records.index(culprit)] if culprit in records else None
    rows = [r for r in _claim_row(conn, f.patient_control_number) if r.payer_id == f.payer_id] or \
        _claim_row(conn, f.patient_control_number)
    row = rows[-1]
    claim, header = _original(conn, f.patient_control_number, f.payer_id)
    totals = line_totals(view, clps)  # every payment of this payer, reversals included
    paid_by_line, allowed_by_line = totals.paid, totals.allowed
    lines = [LetterLine(ln.line_number, ln.date_from, _line_code(ln), ln.units, from_cents(ln.charge),
                        from_cents(allowed_by_line[ln.identity]) if ln.identity in allowed_by_line else None,
                        from_cents(paid_by_line.get(ln.identity, 0))) for ln in billed_claim.lines]
    allowed_total = sum((x.allowed for x in lines if x.allowed is not None), Decimal("0")) \
        if any(x.allowed is not None for x in lines) else None
    wording = _letter_of(categories.get(f.category), f.id)
    codes = [wording.carc] if wording.carc else []
    for clp in clps:
        for adj in clp.adjustments + [a for s in clp.services for a in getattr(s, "adjustments", [])]:
            if adj.reason not in codes and adj.group != "PR":
                codes.append(adj.reason)
    payer_name = next((clp.payment and _payer_name(conn, clp.payment.id) for clp in reversed(clps)), None) or \
        (row.payer_name or f.payer_id or "")
    start, end = billed_claim.service_range
    return PayerLetter(
        finding_id=f.id, category=f.category, today=today, provider=_provider(claim, header, row),
        payer_name=payer_name, payer_id=f.payer_id or "",
        payer_address=_payer_address(conn, clps[-1].payment.id if clps and clps[-1].payment else None),
        patient_name=_person(row.patient_first_name, row.patient_last_name),
        member_id=row.subscriber_member_id or (clps[-1].member_id if clps else ""),
        account_number=f.patient_control_number, payer_claim_number=str(culprit.get("clp07", "")),
        service_from=start, service_to=end, lines=tuple(lines), billed=from_cents(billed_claim.charge),
        allowed=allowed_total, paid=from_cents(payer.net_paid) if payer else Decimal("0.00"), refund=f.amount,
        reason=wording.reason.format(payer_name=payer_name, amount=f"{f.amount:,.2f}",
                                     allowed=evidence.get("allowed", "n/a")),
        reason_codes=tuple(f"CARC {c}: {CARC_TEXT.get(c, 'see the X12 CARC list')}" for c in codes),
        check_number=str(culprit.get("trn02", "")),
        check_date=culprit_proof.check_date if culprit_proof else None, proof=proof, deadline=f.deadline,
        method=("Please recoup this amount from a future payment (835 PLB WO with this claim number) or tell us "
                "where to send a check." if f.refund_to != "payer" else _checks_enclosed(conn, f)))


def _returned_letter(conn: Connection, f: Any, today: date) -> PayerLetter:
    """The letter of a double recovery (Owed.PROVIDER): the payer letter's frame, its claim and lines,
    with our refund check and the recoupment that repeated it as the proof, asking for the money back."""
    letter = _payer_letter(conn, f, today)
    records = json.loads(f.evidence).get("records", [])
    ours = [r for r in records if r.get("record") == "refund"]
    plbs = [r for r in records if r.get("record") == "PLB"]
    proof = tuple(PaymentProof(f"our refund ({r['method']})", str(r["number"]), date.fromisoformat(r["date"]), "",
                               None, Decimal(r["amount"])) for r in ours) + tuple(
        PaymentProof(f"recouped again (PLB {r.get('reason')})", str(r.get("trn02") or ""),
                     date.fromisoformat(r["check_date"]) if r.get("check_date") else None,
                     str(r.get("reference") or ""), None, Decimal(r["amount"])) for r in plbs)
    last = plbs[-1] if plbs else {}
    checks = ", ".join(f"{r['method']} {r['number']} dated {r['date']}" for r in ours)
    return replace(letter, proof=proof, payer_claim_number=str(last.get("reference") or letter.payer_claim_number),
                   check_number=str(last.get("trn02") or ""), deadline=None, reason_codes=(),
                   check_date=date.fromisoformat(last["check_date"]) if last.get("check_date") else None,
                   heading="Request to return a double recovery", total_label="Owed to us",
                   method=f"Our refund ({checks}) already repaid this overpayment. Please return {f.amount:,.2f} by "
                          "check, or reverse the recoupment on your next remittance (a negative PLB adjustment "
                          "referencing the payer claim number).")


def _checks_enclosed(conn: Connection, f: Any, *, patient: bool = False) -> str:
    """What repays the credit, in the letter's words: the checks recorded for it (`findings
    mark-refunded`, `refunds post`), or the one enclosed. One way only: a payer offered a recoupment
    beside an enclosed check may take the money twice."""
    refunds = [r for r in refund_store.refunds_for(conn, [f.id]).get(f.id, []) if r.returned_on is None]
    paid = sum((r.amount for r in refunds), Decimal("0.00"))
    rest = f.amount - paid
    if refunds:
        which = ", ".join(f"{r.number} of {r.paid_on.strftime('%m/%d/%Y')} for {r.amount:,.2f}" for r in refunds)
        text = f"Our refund check{'s' if len(refunds) > 1 else ''} {which} {'are' if len(refunds) > 1 else 'is'} " \
               "enclosed" + (f"; the remaining {rest:,.2f} follows." if rest > 0 else ".")
    else:
        text = "A refund check for this amount is enclosed." if patient else \
            "A refund check for the amount above is enclosed."
    if patient:
        return text
    return text + " Please do not also recoup this amount from a future payment."


def _payer_name(conn: Connection, payment_id: int) -> str | None:
    return stored.payer_name(conn, payment_id)


def _person(first: str | None, last: str | None) -> str:
    return " ".join(x for x in (first, last) if x).strip()


def _patient_notice(conn: Connection, f: Any, today: date) -> PatientNotice:
    view = _view(conn, f.patient_control_number)
    billed_claim = view.billed_claim
    assert billed_claim is not None
    rows = _claim_row(conn, f.patient_control_number)
    row = rows[-1]
    claim, header = _original(conn, f.patient_control_number, None if len({r.payer_id for r in rows}) == 1
                              else billed_claim.payer_id)
    address: tuple[str, ...] = ()
    if claim is not None:
        who = claim.patient.name if claim.patient and claim.patient.name and claim.patient.name.address else \
            (claim.subscriber.name if claim.subscriber else None)
        if who is not None:
            address = _address(who.address, who.city, who.state, who.postal_code)
    charges = from_cents(billed_claim.charge)
    insurers = tuple(InsurerPayment(_insurer_name(conn, pv) or payer_id, from_cents(pv.net_paid))
                     for payer_id, pv in view.payers.items() if pv.clps)
    pr = from_cents(view.final_pr or 0)
    paid = tuple(PatientPaymentLine(p.payment_date, from_cents(p.amount)) for p in view.account.patient_payments)
    start, end = billed_claim.service_range
    offset = f.refund_to == "offset"
    method = ("We are applying this credit to the open balance of another visit on your account; your next "
              "statement shows it." if offset else _checks_enclosed(conn, f, patient=True))
    return PatientNotice(
        finding_id=f.id, today=today, provider=_provider(claim, header, row),
        patient_name=_person(row.patient_first_name, row.patient_last_name), patient_address=address,
        account_number=f.patient_control_number, service_from=start, service_to=end,
        services=tuple(PatientService(ln.date_from, _line_code(ln), from_cents(ln.charge))
                       for ln in billed_claim.lines),
        charges=charges, insurer_payments=insurers,
        insurer_adjustments=charges - sum((i.paid for i in insurers), Decimal("0")) - pr,
        patient_responsibility=pr, patient_payments=paid, patient_paid=from_cents(view.patient_paid),
        refund=f.amount, method=method, deadline=f.deadline, offset=offset,
        may_keep_credit=bool(json.loads(f.evidence).get("state_rule", {}).get("may_keep_credit", True)),
        reason=_letter_of(categories.get(f.category), f.id).reason.format(
            share=f"{pr:,.2f}", paid=f"{from_cents(view.patient_paid):,.2f}", amount=f"{f.amount:,.2f}"))


def _insurer_name(conn: Connection, pv: Any) -> str | None:
    for clp in reversed(pv.clps):
        if clp.payment is not None:
            return _payer_name(conn, clp.payment.id)
    return None


def build_context(engine: Engine, finding_id: int, to: str = "payer",
                  today: date | None = None) -> PayerLetter | PatientNotice:
    if to not in ("payer", "patient"):
        raise UsageError("--to must be payer or patient")
    today = today or datetime.now(UTC).date()
    with engine.connect() as conn:
        f = _finding(conn, finding_id)
        owed = categories.get(f.category).owed
        if to == "patient" and owed is not Owed.PATIENT:
            raise UsageError(f"finding {finding_id} is a {f.category}: the refund goes to the payer, not the patient")
        if to == "payer" and owed is Owed.PATIENT:
            raise UsageError(f"finding {finding_id} is a {categories.get(f.category).label}: use --to patient")
        if to == "payer" and owed is Owed.PROVIDER:
            return _returned_letter(conn, f, today)
        return _payer_letter(conn, f, today) if to == "payer" else _patient_notice(conn, f, today)


def default_recipient(engine: Engine, finding_id: int) -> str:
    with engine.connect() as conn:
        return categories.get(_finding(conn, finding_id).category).letter_to


def render_letter(engine: Engine, finding_id: int, *, to: str | None = None, fmt: str = "pdf",
                  template: str | Path | None = None, by: str = "system", today: date | None = None) -> bytes:
    """The letter for a finding as PDF, HTML or text bytes; records a letter_written event. A refund's
    letter is written only after its last approval step (outputs/approvals.py); build_context alone
    previews what it would say."""
    if fmt not in ("pdf", "html", "txt"):
        raise UsageError("letter format must be pdf, html or txt")
    with engine.connect() as conn:
        released(conn, finding_id, "letter")
    to = to or default_recipient(engine, finding_id)
    context = build_context(engine, finding_id, to, today)
    body = render(context, "txt" if fmt == "pdf" else fmt, template)
    title = context.heading if isinstance(context, PayerLetter) else "Refund notice"
    data = text_pdf(body, title=title) if fmt == "pdf" else body.encode("utf-8")
    with engine.begin() as conn:
        record(conn, "letter_written", finding_id=finding_id, actor=by,
               details={"to": to, "format": fmt, "template": str(template) if template else "default",
                        "refund": f"{context.refund:.2f}", "bytes": len(data)})
    return data
