"""The two letter contexts: what a payer refund letter and a patient refund notice say, as frozen
dataclasses (one per template; an office's own template sees the same under the name `letter`).

Owns the shape of a letter's facts. Built by outputs/letters.py, rendered by its Jinja2 templates
and laid out as PDF by outputs/letter_pdf.py; knows nothing of the store or of rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

__all__ = ["CodeText", "InsurerPayment", "LetterLine", "OtherPayment", "PatientNotice", "PatientPaymentLine",
           "PatientService", "PayerLetter", "PaymentProof", "Provider", "RefundAddress", "RefundCheck"]


@dataclass(frozen=True, slots=True)
class Provider:
    """The letterhead and the signature block."""

    name: str
    npi: str
    tin: str
    address: tuple[str, ...]
    contact_name: str
    contact_phone: str  # formatted, with its extension
    fax: str = ""
    signer_name: str = ""
    signer_title: str = "Patient Accounts"


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
class CodeText:
    """A code a remittance used: a CARC with its CAS group, or a RARC, and its description."""

    kind: str  # CARC or RARC
    code: str
    group: str  # CAS01 (CO, PR, OA, PI); "" for a RARC
    text: str

    def __str__(self) -> str:
        return f"{self.kind} {self.code}{f' ({self.group})' if self.group else ''}: {self.text}"


@dataclass(frozen=True, slots=True)
class OtherPayment:
    """What another insurer paid on the claim (COB, MSP): named so the payer can coordinate."""

    payer_name: str
    payer_id: str
    role: str  # the evidence's role: primary adjudication, ...
    payer_claim_number: str  # its CLP07
    check_number: str
    check_date: date | None
    paid: Decimal


@dataclass(frozen=True, slots=True)
class RefundCheck:
    """A refund recorded for the finding and not returned: the check (or EFT) the letter encloses."""

    method: str  # check or eft
    number: str
    paid_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class RefundAddress:
    lines: tuple[str, ...]
    attention: str
    source: str  # "rule pack" ([letters.payers.ID]) or "835" (1000A N3/N4)


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
    codes: tuple[CodeText, ...]  # what the remittances in the evidence used (CAS, LQ, MOA/MIA)
    check_number: str  # TRN02 of the original payment
    check_date: date | None  # BPR16
    proof: tuple[PaymentProof, ...]
    deadline: date | None
    method: str
    payer_attention: str = ""
    patient_birth_date: date | None = None  # DMG02 of the patient (or the subscriber who is the patient)
    group_number: str = ""  # SBR03
    group_name: str = ""  # SBR04
    other_payments: tuple[OtherPayment, ...] = ()
    refunds: tuple[RefundCheck, ...] = ()  # enclosed
    recoup: bool = False  # no check recorded: the letter asks for a recoupment (PLB WO) instead
    # A double recovery turns the letter round: the payer is asked to return what it took twice.
    heading: str = "Refund of overpayment"
    total_label: str = "Refund"

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.codes)

    @property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.refunds), Decimal("0.00"))


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
    offset: bool = False  # applied (or, with consent, to be applied) to the patient's other open balance
    consented: bool = False  # an offset a person recorded (the patient agreed); else detect's proposal
    may_keep_credit: bool = True  # the state lets the notice offer to keep the credit instead (rule pack [states])
    refunds: tuple[RefundCheck, ...] = field(default=())  # enclosed

    @property
    def heading(self) -> str:
        return "Credit notice" if self.offset else "Refund notice"
