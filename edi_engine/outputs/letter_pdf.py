"""A letter context laid out as a business letter PDF (outputs/pdf.py's `letter_document`):
letterhead from the provider, the date, the recipient block, a heading, the reference block a
refund desk keys the claim from, the tables of lines, payments, other insurance, codes and the
enclosed checks, the body, the signature block and a footer with the reference on every page.

Owns which field of a PayerLetter or PatientNotice goes where on the page; the wording of the
sentences is the context's (outputs/letters.py), so the PDF, the text and the HTML say the same.
An office's own template is set line by line instead (`text_pdf`). Knows nothing of the store.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from edi_engine.money import format_amount
from edi_engine.outputs.letter_context import PatientNotice, PayerLetter, Provider
from edi_engine.outputs.pdf import LetterDocument, Paragraph, Subheading, Table, letter_document, text_pdf

__all__ = ["letter_date", "letter_pdf"]


def _money(value: Decimal | None) -> str:
    return "n/a" if value is None else format_amount(value)


def _d(value: date | None) -> str:
    return "n/a" if value is None else value.strftime("%m/%d/%Y")


def letter_date(value: date) -> str:
    return f"{value.strftime('%B')} {value.day}, {value.year}"


def _span(start: date | None, end: date | None) -> str:
    return _d(start) if start == end or end is None else f"{_d(start)} - {_d(end)}"


def _sender_lines(p: Provider, *, identifiers: bool = True) -> list[str]:
    lines = list(p.address)
    contact = "   ".join(x for x in (f"Phone {p.contact_phone}" if p.contact_phone else "",
                                      f"Fax {p.fax}" if p.fax else "") if x)
    if contact:
        lines.append(contact)
    ids = "   ".join(x for x in (f"NPI {p.npi}" if p.npi else "", f"TIN {p.tin}" if p.tin else "") if x)
    if ids and identifiers:
        lines.append(ids)
    return lines


def _signature(p: Provider) -> list[str]:
    return [x for x in (p.signer_name or "Billing office", p.signer_title, p.name,
                        f"Phone {p.contact_phone}" if p.contact_phone else "") if x]


def _checks_table(letter: PayerLetter) -> Table:
    return Table(("Enclosed", "Number", "Dated", "Amount"),
                 [("EFT" if r.method == "eft" else "Check", r.number, _d(r.paid_on), _money(r.amount))
                  for r in letter.refunds], align=("L", "L", "L", "R"), widths=(20, 30, 25, 25))


def _payer(letter: PayerLetter) -> LetterDocument:
    facts: list[tuple[str, str]] = [
        ("Patient", letter.patient_name), ("Date of birth", _d(letter.patient_birth_date)),
        ("Member ID", letter.member_id), ("Group/policy no.", " ".join(
            x for x in (letter.group_number, f"({letter.group_name})" if letter.group_name else "") if x) or "n/a"),
        ("Patient account", letter.account_number), ("Payer claim no.", letter.payer_claim_number or "n/a"),
        ("Dates of service", _span(letter.service_from, letter.service_to)), ("Payer ID", letter.payer_id),
        ("Check/EFT", f"{letter.check_number or 'n/a'} of {_d(letter.check_date)}"),
        (letter.total_label, _money(letter.refund)),
    ]
    rows = [(str(ln.line), _d(ln.service_date), ln.code, "" if ln.units is None else f"{ln.units:g}",
             _money(ln.billed), _money(ln.allowed), _money(ln.paid)) for ln in letter.lines]
    rows += [("", "", "Total", "", _money(letter.billed), _money(letter.allowed), _money(letter.paid)),
             ("", "", letter.total_label, "", "", "", _money(letter.refund))]
    blocks: list[Paragraph | Subheading | Table] = [
        Paragraph(letter.reason),
        Subheading("Services"),
        Table(("Line", "Date", "Code", "Units", "Billed", "Allowed", "Paid"), rows,
              align=("L", "L", "L", "R", "R", "R", "R"), widths=(9, 18, 26, 10, 17, 17, 17), bold_rows=2),
    ]
    if letter.other_payments:
        blocks += [Subheading("Other insurance on this claim"),
                   Table(("Insurer", "Payer ID", "Its claim no.", "Check/EFT", "Dated", "Paid"),
                         [(o.payer_name, o.payer_id, o.payer_claim_number, o.check_number, _d(o.check_date),
                           _money(o.paid)) for o in letter.other_payments],
                         align=("L", "L", "L", "L", "L", "R"), widths=(34, 14, 24, 24, 16, 16))]
    blocks += [Subheading("Payments and recoveries"),
               Table(("Payment", "Check/EFT", "Dated", "Claim no.", "Billed", "Paid"),
                     [(p.role[:1].upper() + p.role[1:], p.check_number or "n/a", _d(p.check_date),
                       p.payer_claim_number or "n/a", _money(p.billed), _money(p.paid)) for p in letter.proof],
                     align=("L", "L", "L", "L", "R", "R"), widths=(30, 26, 16, 26, 14, 14))]
    if letter.codes:
        blocks += [Subheading("Adjustment and remark codes on these remittances"),
                   Table(("Code", "Group", "Description"), [(f"{c.kind} {c.code}", c.group, c.text)
                                                            for c in letter.codes],
                         align=("L", "L", "L"), widths=(16, 10, 94), font_size=8)]
    blocks.append(Subheading("Enclosed refund" if letter.refunds else "How to return it"))
    if letter.refunds:
        blocks.append(_checks_table(letter))
    blocks.append(Paragraph(letter.method, bold=True))
    if letter.deadline:
        blocks.append(Paragraph(_deadline(letter)))
    blocks.append(Paragraph(f"Please quote your claim number {letter.payer_claim_number or 'n/a'} and our patient "
                            f"account number {letter.account_number} in any reply."))
    recipient = [letter.payer_name, *([f"Attn: {letter.payer_attention}"] if letter.payer_attention else []),
                 *letter.payer_address]
    p = letter.provider
    return LetterDocument(
        title=f"{letter.heading} - {letter.account_number}", sender=p.name, sender_lines=_sender_lines(p),
        date=letter_date(letter.today), recipient=recipient, heading=letter.heading, facts=facts, blocks=blocks,
        signature=_signature(p), footer=f"{p.name}  |  Patient account {letter.account_number}  |  Payer claim "
                                        f"{letter.payer_claim_number or 'n/a'}",
        notes=[f"Enclosure: {'EFT' if r.method == 'eft' else 'check'} {r.number} for {_money(r.amount)}"
               for r in letter.refunds])


def _deadline(letter: PayerLetter) -> str:
    assert letter.deadline is not None
    if letter.refunds:
        return (f"This refund was due by {_d(letter.deadline)}; we are returning it with this letter."
                if letter.deadline < letter.today else f"We return it before its due date, {_d(letter.deadline)}.")
    return (f"This overpayment was due back by {_d(letter.deadline)}." if letter.deadline < letter.today
            else f"This overpayment is due back by {_d(letter.deadline)}.")


def _patient(letter: PatientNotice) -> LetterDocument:
    credit = "Your credit" if letter.offset else "Your refund"
    facts = [("Account number", letter.account_number),
             ("Dates of service", _span(letter.service_from, letter.service_to)),
             (credit, _money(letter.refund))]
    account = [("Total charges", _money(letter.charges))]
    account += [(f"Paid by {i.payer_name}", _money(i.paid)) for i in letter.insurer_payments]
    account += [("Insurance adjustments", _money(letter.insurer_adjustments)),
                ("Your responsibility", _money(letter.patient_responsibility))]
    account += [(f"You paid on {_d(p.paid_on)}", _money(p.amount)) for p in letter.patient_payments]
    account += [("Total you paid", _money(letter.patient_paid)),
                ("Your credit, to be applied to your other balance" if letter.offset and not letter.consented
                 else "Your credit, applied to your other balance" if letter.offset else "Your refund",
                 _money(letter.refund))]
    blocks: list[Paragraph | Subheading | Table] = [
        Paragraph(f"Dear {letter.patient_name},"),
        Paragraph(letter.reason),
        Subheading("Services"),
        Table(("Date", "Service", "Charge"), [(_d(s.service_date), s.code, _money(s.charge))
                                              for s in letter.services],
              align=("L", "L", "R"), widths=(30, 60, 30)),
        Subheading("Your account"),
        Table(("", "Amount"), account, align=("L", "R"), widths=(90, 30), bold_rows=1),
    ]
    blocks.append(Paragraph(letter.method, bold=True))
    for sentence in _patient_options(letter):
        blocks.append(Paragraph(sentence))
    p = letter.provider
    if p.contact_phone:
        blocks.append(Paragraph(f"Questions? Call {p.contact_name or 'our billing office'} at {p.contact_phone}."))
    return LetterDocument(
        title=f"{letter.heading} - account {letter.account_number}", sender=p.name,
        sender_lines=_sender_lines(p, identifiers=False),
        date=letter_date(letter.today), recipient=[letter.patient_name, *letter.patient_address],
        heading=letter.heading, facts=facts, blocks=blocks, signature=_signature(p),
        footer=f"{p.name}  |  Account {letter.account_number}",
        notes=[f"Enclosure: {'EFT' if r.method == 'eft' else 'check'} {r.number} for {_money(r.amount)}"
               for r in letter.refunds])


def _patient_options(letter: PatientNotice) -> list[str]:
    """The one alternative the notice offers, matching its decision (templates say the same)."""
    if letter.refunds:
        return []
    if letter.offset and not letter.consented:
        return ["Please call us to agree, or if you would rather have this amount refunded to you."]
    if letter.offset:
        return []
    if letter.may_keep_credit:
        return ["If you would rather keep this amount as a credit on your account, please call us before we mail "
                "the check."]
    return []


def letter_pdf(letter: PayerLetter | PatientNotice, office_text: str | None = None) -> bytes:
    """The laid-out letter; an office's own template's text (`office_text`) is set line by line."""
    if office_text is not None:
        return text_pdf(office_text, title=letter.heading if isinstance(letter, PayerLetter) else "Refund notice")
    return letter_document(_payer(letter) if isinstance(letter, PayerLetter) else _patient(letter))
