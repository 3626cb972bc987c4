"""Refund letters: the payer refund letter and the patient refund notice (domain.md 6.1, 6.3).

Owns building the two letter contexts (outputs/letter_context.py) from a finding, the ledger of
its account (edi_engine.ledger, the one home of the sums), the rule pack
(letterhead, signer, each payer's refund address: [provider], [letters]) and what the store gives
back of the original 837/835 (provider address and contact, patient birth date and group number,
the 835's payer address and the CAS/LQ/MOA codes of the remittances in the evidence: parsed from
the file contents the store keeps, never from the ingest path), then rendering text and HTML
through Jinja2 with StrictUndefined and the PDF through outputs/letter_pdf.py. A billing office
replaces a template by passing its own file; it sees the same context under the name `letter`.
Which letter a finding gets and its wording are the category's (rules/categories.py): a category
with no letter, or not registered, is an error, never a default. The codes a letter cites are the
ones the remittances used, never a category's guess.

How the money goes back follows what was recorded, one way only: a refund check recorded for the
finding (`findings mark-refunded`, `refunds post`) is named with its number and amount; without
one the payer letter asks the payer to recoup by PLB WO; a patient credit applied to another
balance (a person's offset decision, or detect's proposal awaiting the patient's consent) never
also says a check is enclosed.

Minimum necessary (domain.md 5.8): a payer letter carries claim identifiers, dates, codes and
amounts -- no diagnoses; a patient notice carries only that patient's account. Knows nothing of
click or HTTP.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
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
from edi_engine.outputs.codes import carc_text, rarc_text
from edi_engine.outputs.corrected import load_original
from edi_engine.outputs.letter_context import (
    CodeText,
    InsurerPayment,
    LetterLine,
    OtherPayment,
    PatientNotice,
    PatientPaymentLine,
    PatientService,
    PayerLetter,
    PaymentProof,
    Provider,
    RefundAddress,
    RefundCheck,
)
from edi_engine.outputs.letter_pdf import letter_pdf
from edi_engine.parsers.x837_models import Claim837, ClaimsHeader837, Party
from edi_engine.rules import categories
from edi_engine.rules.categories import Category, Letter, Owed
from edi_engine.rules.lifecycle import Status
from edi_engine.rules.pack import RulePack, load_pack
from edi_engine.store import account as stored
from edi_engine.store import payers as payer_store
from edi_engine.store import refunds as refund_store
from edi_engine.store.findings import StoredFinding, finding_by_id
from edi_engine.store.read import ClpFact

__all__ = ["CodeText", "InsurerPayment", "LetterLine", "OtherPayment", "PatientNotice", "PatientPaymentLine",
           "PatientService", "PayerLetter", "PaymentProof", "Provider", "RefundAddress", "RefundCheck", "TEMPLATES_DIR",
           "build_context", "refund_address", "render", "render_letter"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
_CULPRIT_ROLES = ("paid again", "later payer paid", "paid above what was owed", "paid on the voided claim")


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


# -- formatting -----------------------------------------------------------------------------------

def _postal(code: str) -> str:
    """N403 writes a ZIP+4 as nine digits; a mailing address writes it 12345-6789 (USPS Pub. 28)."""
    code = code.strip()
    digits = code.replace("-", "").replace(" ", "")
    if digits.isdigit() and len(digits) == 9:
        return f"{digits[:5]}-{digits[5:]}"
    return digits if digits.isdigit() and len(digits) == 5 else code


_LAST_LINE_ZIP = re.compile(r"\b(\d{5})-?(\d{4})$")


def _address(lines: tuple[str, ...], city: str, state: str, postal: str) -> tuple[str, ...]:
    last = " ".join(x for x in (f"{city}," if city else "", state, _postal(postal)) if x).strip()
    return tuple(x for x in (*lines, last) if x)


def _configured_lines(lines: tuple[str, ...]) -> tuple[str, ...]:
    """An address written in the rule pack: its ZIP+4 hyphenated like one read from N4."""
    if not lines:
        return lines
    return (*lines[:-1], _LAST_LINE_ZIP.sub(r"\1-\2", lines[-1].strip()))


_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#)\s*(\d+)\s*$", re.I)


def _phone(number: str, extension: str = "") -> str:
    """PER04 TE is digits only (area code and number, TR3 "PER"), PER06 EX its extension; a letter
    writes 217-555-0100 ext. 204. A number written another way in the rule pack is read the same."""
    number = number.strip()
    found = _EXTENSION.search(number)
    if found and not extension:
        extension, number = found.group(1), number[:found.start()]
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    text = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}" if len(digits) == 10 else number
    return f"{text} ext. {extension.strip()}" if text and extension.strip() else text


def _contact(parties: tuple[Party | None, ...]) -> tuple[str, str]:
    for p in parties:
        for c in (p.contacts if p else ()):
            phone = next((v for q, v in c.communications if q == "TE"), "")
            extension = next((v for q, v in c.communications if q == "EX"), "")
            if c.name or phone:
                return c.name, _phone(phone, extension)
    return "", ""


def _provider(claim: Claim837 | None, header: ClaimsHeader837 | None, row: stored.ClaimRow,
              pack: RulePack) -> Provider:
    """The letterhead: the rule pack's [provider] where set, else the 837's billing provider (2010AA)."""
    bp = claim.billing_provider if claim else None
    p = bp.provider if bp else None
    name, phone = _contact((p, header.submitter if header else None)) if p else ("", "")
    conf = pack.provider
    if conf.address:
        address = _address(conf.address, conf.city, conf.state or pack.state, conf.postal_code)
    else:
        address = _address(p.address, p.city, p.state, p.postal_code) if p else ()
    configured_phone = conf.phone or conf.contact_phone
    if configured_phone:
        phone = _phone(configured_phone, conf.phone_extension)
    contact = conf.contact_name or name
    return Provider(
        conf.name or (p.name if p else row.billing_provider_name or ""), conf.npi or (p.npi if p else "") or
        (row.billing_provider_id or ""), bp.tin if bp else "", address, contact, phone, _phone(conf.fax),
        pack.letters.signer_name or contact, pack.letters.signer_title or "Patient Accounts")


def _original(conn: Connection, clm01: str, payer_id: str | None) -> tuple[Claim837 | None, ClaimsHeader837 | None]:
    for payer in (payer_id, None):
        try:
            original = load_original(conn, clm01, payer)
            return original.claim, original.header
        except (UsageError, InputError):
            continue
    return None, None


def refund_address(conn: Connection, pack: RulePack, payer_id: str, payment_id: int | None) -> RefundAddress:
    """Where a payer's refunds go: the refund address imported with the payers (`payers import`), else
    the rule pack's [letters.payers.ID] refund_address, else the payer address of its latest 835
    (1000A N3/N4), which is where claims go, not always refunds."""
    conf = pack.letters.payers.get(payer_id)
    imported = payer_store.payer(conn, payer_id)
    if imported is not None and imported.refund_address:
        attention = (conf.attention if conf else "") or (imported.contact or "")
        lines = tuple(x.strip() for x in imported.refund_address.splitlines() if x.strip())
        return RefundAddress(_configured_lines(lines), attention, "payers import")
    if conf is not None and conf.refund_address:
        return RefundAddress(_configured_lines(conf.refund_address), conf.attention, "rule pack")
    a = stored.payer_address(conn, payment_id) if payment_id is not None else None
    lines = () if a is None else _address(tuple(x for x in (a.line1, a.line2) if x), a.city, a.state, a.postal_code)
    return RefundAddress(lines, conf.attention if conf else "", "835")


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


def _view(conn: Connection, clm01: str) -> AccountView:
    found = ledger_for(conn, clm01)
    if found is None or found[0].billed_claim is None:
        raise UsageError(f"claim {clm01} is not stored: a letter needs the billed claim")
    return found[0]


def _payment_date(trace: str, payer_clps: list[ClpFact]) -> date | None:
    for clp in payer_clps:
        if clp.payment and clp.payment.trace_number == trace:
            return clp.payment.payment_date
    return None


def _record_date(r: dict[str, Any], clps: list[ClpFact]) -> date | None:
    return date.fromisoformat(r["check_date"]) if r.get("check_date") else _payment_date(str(r.get("trn02", "")), clps)


def _codes(conn: Connection, records: list[dict[str, Any]]) -> tuple[CodeText, ...]:
    """The CARCs (with their CAS group) and RARCs of the remittances the evidence cites, first seen first."""
    seen: dict[tuple[str, str, str], CodeText] = {}
    for r in records:
        if r.get("file_id") is None or r.get("segment") is None:
            continue
        found = stored.remittance_codes(conn, int(r["file_id"]), int(r["segment"]))
        if found is None:
            continue
        for group, reason in found.adjustments:
            seen.setdefault(("CARC", reason, group), CodeText("CARC", reason, group, carc_text(reason)))
        for remark in found.remarks:
            seen.setdefault(("RARC", remark, ""), CodeText("RARC", remark, "", rarc_text(remark)))
    return tuple(seen.values())


def _recorded_refunds(conn: Connection, finding_id: int) -> tuple[RefundCheck, ...]:
    return tuple(RefundCheck(r.method, r.number, r.paid_on, r.amount)
                 for r in refund_store.refunds_for(conn, [finding_id]).get(finding_id, []) if r.returned_on is None)


def _checks(refunds: tuple[RefundCheck, ...]) -> str:
    return ", ".join(f"{'EFT' if r.method == 'eft' else 'check'} {r.number} of {r.paid_on.strftime('%m/%d/%Y')} "
                     f"for {r.amount:,.2f}" for r in refunds)


def _payer_method(f: StoredFinding, refunds: tuple[RefundCheck, ...], claim_number: str) -> str:
    """How the money goes back, one way only: a payer offered a recoupment beside an enclosed check may
    take the money twice."""
    if refunds:
        rest = f.amount - sum((r.amount for r in refunds), Decimal("0.00"))
        many = len(refunds) > 1
        return (f"Our refund {_checks(refunds)} {'are' if many else 'is'} enclosed"
                + (f"; the remaining {rest:,.2f} follows by separate check." if rest > 0 else ".")
                + " Please do not also recoup this amount from a future payment.")
    return (f"No check is enclosed: please recoup {f.amount:,.2f} from a future payment to us, as a provider-level "
            f"adjustment (835 PLB, reason WO) referencing your claim number {claim_number or 'above'} and our "
            f"patient account number {f.patient_control_number}.")


def _payer_letter(conn: Connection, f: StoredFinding, today: date, pack: RulePack) -> PayerLetter:
    evidence = json.loads(f.evidence)
    clm01 = f.patient_control_number or ""
    view = _view(conn, clm01)
    billed_claim = view.billed_claim
    assert billed_claim is not None
    payer = view.payers.get(f.payer_id or "")
    clps = payer.clps if payer else []
    records = [r for r in evidence.get("records", []) if r.get("record") in ("CLP", "SVC")]
    mine = [r for r in records if r.get("payer_id", f.payer_id) == f.payer_id] or records
    culprit = next((r for r in reversed(mine) if r.get("role") in _CULPRIT_ROLES), mine[-1] if mine else {})
    proof = tuple(PaymentProof(
        str(r.get("role", "")), str(r.get("trn02", "")), _record_date(r, clps), str(r.get("clp07", "")),
        Decimal(r["charge"]) if r.get("charge") else None, Decimal(r["paid"]) if r.get("paid") else None)
        for r in records)
    culprit_proof = proof[records.index(culprit)] if culprit in records else None
    rows = [r for r in stored.claims_of(conn, clm01) if r.payer_id == f.payer_id] or stored.claims_of(conn, clm01)
    row = rows[-1]
    claim, header = _original(conn, clm01, f.payer_id)
    totals = line_totals(view, clps)  # every payment of this payer, reversals included
    paid_by_line, allowed_by_line = totals.paid, totals.allowed
    lines = [LetterLine(ln.line_number, ln.date_from, _line_code(ln), ln.units, from_cents(ln.charge),
                        from_cents(allowed_by_line[ln.identity]) if ln.identity in allowed_by_line else None,
                        from_cents(paid_by_line.get(ln.identity, 0))) for ln in billed_claim.lines]
    allowed_total = sum((x.allowed for x in lines if x.allowed is not None), Decimal("0")) \
        if any(x.allowed is not None for x in lines) else None
    wording = _letter_of(categories.get(f.category), f.id)
    payer_name = _insurer_name(conn, payer) if payer else None
    payer_name = payer_name or row.payer_name or f.payer_id or ""
    others = tuple(OtherPayment(
        _insurer_name(conn, view.payers[str(r["payer_id"])]) or str(r["payer_id"])
        if str(r["payer_id"]) in view.payers else str(r["payer_id"]),
        str(r["payer_id"]), str(r.get("role", "")), str(r.get("clp07", "")), str(r.get("trn02", "")),
        _record_date(r, view.payers[str(r["payer_id"])].clps if str(r["payer_id"]) in view.payers else []),
        Decimal(r.get("paid") or "0")) for r in records
        if r.get("record") == "CLP" and r.get("payer_id") and r.get("payer_id") != f.payer_id)
    start, end = billed_claim.service_range
    address = refund_address(conn, pack, f.payer_id or "",
                             clps[-1].payment.id if clps and clps[-1].payment else None)
    refunds = _recorded_refunds(conn, f.id)
    claim_number = str(culprit.get("clp07", ""))
    patient = claim.patient if claim and claim.patient and claim.patient.name else None
    subscriber = claim.subscriber if claim else None
    return PayerLetter(
        finding_id=f.id, category=f.category, today=today, provider=_provider(claim, header, row, pack),
        payer_name=payer_name, payer_id=f.payer_id or "", payer_address=address.lines,
        payer_attention=address.attention,
        patient_name=_person(row.patient_first_name, row.patient_last_name),
        member_id=row.subscriber_member_id or (clps[-1].member_id if clps else ""),
        account_number=clm01, payer_claim_number=claim_number,
        service_from=start, service_to=end, lines=tuple(lines), billed=from_cents(billed_claim.charge),
        allowed=allowed_total, paid=from_cents(payer.net_paid) if payer else Decimal("0.00"), refund=f.amount,
        reason=wording.reason.format(payer_name=payer_name, amount=f"{f.amount:,.2f}",
                                     allowed=evidence.get("allowed", "n/a")),
        codes=_codes(conn, records), check_number=str(culprit.get("trn02", "")),
        check_date=culprit_proof.check_date if culprit_proof else None, proof=proof, deadline=f.deadline,
        method=_payer_method(f, refunds, claim_number), refunds=refunds, recoup=not refunds,
        patient_birth_date=(patient.birth_date if patient else None) or (subscriber.birth_date if subscriber and
                                                                        not patient else None),
        group_number=subscriber.group_number if subscriber else "",
        group_name=subscriber.group_name if subscriber else "", other_payments=others)


def _returned_letter(conn: Connection, f: StoredFinding, today: date, pack: RulePack) -> PayerLetter:
    """The letter of a double recovery (Owed.PROVIDER): the payer letter's frame, its claim and lines,
    with our refund check and the recoupment that repeated it as the proof, asking for the money back."""
    letter = _payer_letter(conn, f, today, pack)
    records = json.loads(f.evidence).get("records", [])
    ours = [r for r in records if r.get("record") == "refund"]
    plbs = [r for r in records if r.get("record") == "PLB"]
    proof = tuple(PaymentProof(f"our refund ({r['method']})", str(r["number"]), date.fromisoformat(r["date"]), "",
                               None, Decimal(r["amount"])) for r in ours) + tuple(
        PaymentProof(f"recouped again (PLB {r.get('reason')})", str(r.get("trn02") or ""),
                     date.fromisoformat(r["check_date"]) if r.get("check_date") else None,
                     str(r.get("reference") or ""), None, Decimal(r["amount"])) for r in plbs)
    last = plbs[-1] if plbs else {}
    checks = ", ".join(f"{r['method']} {r['number']} dated {date.fromisoformat(r['date']).strftime('%m/%d/%Y')}"
                       for r in ours)
    return replace(letter, proof=proof, payer_claim_number=str(last.get("reference") or letter.payer_claim_number),
                   check_number=str(last.get("trn02") or ""), deadline=None, refunds=(), recoup=False,
                   check_date=date.fromisoformat(last["check_date"]) if last.get("check_date") else None,
                   heading="Request to return a double recovery", total_label="Owed to us",
                   method=f"Our refund ({checks}) already repaid this overpayment. Please return {f.amount:,.2f} by "
                          "check, or reverse the recoupment on your next remittance (a negative PLB adjustment "
                          "referencing the payer claim number).")


def _person(first: str | None, last: str | None) -> str:
    return " ".join(x for x in (first, last) if x).strip()


def _patient_method(f: StoredFinding, refunds: tuple[RefundCheck, ...], offset: bool, consented: bool) -> str:
    if refunds:
        rest = f.amount - sum((r.amount for r in refunds), Decimal("0.00"))
        many = len(refunds) > 1
        return (f"Our refund {_checks(refunds)} {'are' if many else 'is'} enclosed"
                + (f"; the remaining {rest:,.2f} follows by separate check." if rest > 0 else "."))
    if offset and consented:
        return (f"With your consent, we have applied this credit of {f.amount:,.2f} to the open balance of another "
                "visit on your account; your next statement shows it. No check is enclosed.")
    if offset:
        return (f"With your consent, we will apply this credit of {f.amount:,.2f} to the open balance of another "
                "visit on your account; your next statement will show it. No check is enclosed.")
    return f"We are refunding {f.amount:,.2f} to you by check."


def _patient_notice(conn: Connection, f: StoredFinding, today: date, pack: RulePack) -> PatientNotice:
    clm01 = f.patient_control_number or ""
    view = _view(conn, clm01)
    billed_claim = view.billed_claim
    assert billed_claim is not None
    rows = stored.claims_of(conn, clm01)
    row = rows[-1]
    claim, header = _original(conn, clm01, None if len({r.payer_id for r in rows}) == 1 else billed_claim.payer_id)
    address: tuple[str, ...] = ()
    if claim is not None:
        who = claim.patient.name if claim.patient and claim.patient.name and claim.patient.name.address else \
            (claim.subscriber.name if claim.subscriber else None)
        if who is not None:
            address = _address(who.address, who.city, who.state, who.postal_code)
    charges = from_cents(billed_claim.charge)
    insurers = tuple(InsurerPayment(_insurer_name(conn, pv) or payer_id, from_cents(pv.net_paid))
                     for payer_id, pv in view.payers.items() if pv.clps)
    # What the patient owes: the payers' final patient responsibility, or less where the finding says so
    # (a voided claim owes nothing), so the notice's table adds up to the refund it announces.
    pr = min(from_cents(view.final_pr or 0), max(from_cents(view.patient_paid) - f.amount, Decimal("0.00")))
    paid = tuple(PatientPaymentLine(p.payment_date, from_cents(p.amount)) for p in view.account.patient_payments)
    start, end = billed_claim.service_range
    refunds = _recorded_refunds(conn, f.id)
    # What was decided, one way: a check recorded is a refund, whatever detect proposed.
    consented = f.status == Status.OFFSET
    offset = not refunds and (consented or f.refund_to == "offset")
    return PatientNotice(
        finding_id=f.id, today=today, provider=_provider(claim, header, row, pack),
        patient_name=_person(row.patient_first_name, row.patient_last_name), patient_address=address,
        account_number=clm01, service_from=start, service_to=end,
        services=tuple(PatientService(ln.date_from, _line_code(ln), from_cents(ln.charge))
                       for ln in billed_claim.lines),
        charges=charges, insurer_payments=insurers,
        insurer_adjustments=charges - sum((i.paid for i in insurers), Decimal("0")) - pr,
        patient_responsibility=pr, patient_payments=paid, patient_paid=from_cents(view.patient_paid),
        refund=f.amount, method=_patient_method(f, refunds, offset, consented), deadline=f.deadline, offset=offset,
        consented=consented, refunds=refunds,
        may_keep_credit=bool(json.loads(f.evidence).get("state_rule", {}).get("may_keep_credit", True)),
        reason=_letter_of(categories.get(f.category), f.id).reason.format(
            share=f"{pr:,.2f}", paid=f"{from_cents(view.patient_paid):,.2f}", amount=f"{f.amount:,.2f}"))


def _insurer_name(conn: Connection, pv: Any) -> str | None:
    for clp in reversed(pv.clps):
        if clp.payment is not None:
            return stored.payer_name(conn, clp.payment.id)
    return None


def build_context(engine: Engine, finding_id: int, to: str = "payer", today: date | None = None,
                  pack: RulePack | None = None) -> PayerLetter | PatientNotice:
    if to not in ("payer", "patient"):
        raise UsageError("--to must be payer or patient")
    today = today or datetime.now(UTC).date()
    pack = pack or load_pack()
    with engine.connect() as conn:
        f = _finding(conn, finding_id)
        owed = categories.get(f.category).owed
        if to == "patient" and owed is not Owed.PATIENT:
            raise UsageError(f"finding {finding_id} is a {f.category}: the refund goes to the payer, not the patient")
        if to == "payer" and owed is Owed.PATIENT:
            raise UsageError(f"finding {finding_id} is a {categories.get(f.category).label}: use --to patient")
        if to == "payer" and owed is Owed.PROVIDER:
            return _returned_letter(conn, f, today, pack)
        return _payer_letter(conn, f, today, pack) if to == "payer" else _patient_notice(conn, f, today, pack)


def default_recipient(engine: Engine, finding_id: int) -> str:
    with engine.connect() as conn:
        return categories.get(_finding(conn, finding_id).category).letter_to


def render_letter(engine: Engine, finding_id: int, *, to: str | None = None, fmt: str = "pdf",
                  template: str | Path | None = None, by: str = "system", today: date | None = None,
                  pack: RulePack | None = None, rules_path: str | Path | None = None) -> bytes:
    """The letter for a finding as PDF, HTML or text bytes; records a letter_written event. The rule
    pack (`pack`, else the file `rules_path` merged over the default) gives letterhead, signer and
    refund addresses. A refund's letter is written only after its last approval step
    (outputs/approvals.py); build_context alone previews what it would say."""
    if fmt not in ("pdf", "html", "txt"):
        raise UsageError("letter format must be pdf, html or txt")
    with engine.connect() as conn:
        released(conn, finding_id, "letter")
    to = to or default_recipient(engine, finding_id)
    context = build_context(engine, finding_id, to, today, pack or load_pack(rules_path))
    if fmt == "pdf":
        data = letter_pdf(context, render(context, "txt", template) if template is not None else None)
    else:
        data = render(context, fmt, template).encode("utf-8")
    with engine.begin() as conn:
        record(conn, "letter_written", finding_id=finding_id, actor=by,
               details={"to": to, "format": fmt, "template": str(template) if template else "default",
                        "refund": f"{context.refund:.2f}", "bytes": len(data)})
    return data
