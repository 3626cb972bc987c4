"""A finding as one detect run computes it, before it is reconciled with the stored findings, and
the evidence records that prove it (file name and id, segment number, byte offset, ISA13/ST02, TRN02,
CLP07, amounts); `explain` reads the segment from the store's copy of the file by id and offset.
Knows nothing of the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from edi_engine.ledger import StoreFacts
from edi_engine.money import from_cents
from edi_engine.rules.lifecycle import Status
from edi_engine.store.read import ClaimFact, ClpFact, PatientPaymentFact, PlbFact, SvcFact

__all__ = ["UNKNOWN_CHECK_DATE", "Candidate", "claim_evidence", "clp_evidence", "note_missing_payment_dates",
           "patient_payment_evidence", "plb_evidence", "svc_evidence"]

# Set on an evidence record whose payment has no BPR16 in the store: the file's was missing or
# could not be read (the parser warned, with its position, and stored a null).
UNKNOWN_CHECK_DATE = "check_date_unknown"


@dataclass(slots=True)
class Candidate:
    category: str
    clm01: str | None
    payer_id: str | None
    amount: int  # cents
    refund_to: str | None
    cause: str = ""
    line_key: str = ""
    payer_type: str | None = None
    status: Status = Status.OPEN  # or RESOLVED when a later remittance already recovered it
    deadline_from: date | None = None  # the refund clock's start when the rule names one; else identification
    arose_on: date | None = None  # set by detect from the evidence (rules/deadlines.arose_on)
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def natural_key(self) -> str:
        return "|".join((self.category, self.clm01 or "", self.payer_id or "", self.line_key, self.cause))


def _money(cents: int | None) -> str | None:
    return None if cents is None else str(from_cents(cents))


def _file(facts: StoreFacts, file_id: int) -> str:
    f = facts.files.get(file_id)
    return f.name if f else f"file #{file_id}"


def _by_hand(facts: StoreFacts, subject: str, subject_id: int) -> dict[str, Any]:
    """The manual match record of a payment a person matched to its claim (store/manual.py), if any; the
    role stays the category's own (letters and corrections read it)."""
    manual = facts.manual_for(subject, subject_id)
    return {} if manual is None else {"matched": manual.as_evidence()}


def clp_evidence(clp: ClpFact, facts: StoreFacts, role: str) -> dict[str, Any]:
    p = clp.payment
    return {
        **_by_hand(facts, "claim_payment", clp.id),
        "role": role, "record": "CLP", "file": _file(facts, clp.file_id), "file_id": clp.file_id,
        "segment": clp.segment, "offset": clp.offset, "isa13": p.isa13 if p else None, "st02": p.st02 if p else None,
        "trn02": p.trace_number if p else None, "check_date": p.payment_date.isoformat() if p and p.payment_date
        else None, "payer_id": clp.payer_id, "clp01": clp.clp01, "clp02": clp.status, "clp07": clp.clp07,
        "charge": _money(clp.charge), "paid": _money(clp.paid), "patient_responsibility": _money(clp.pr),
        **({UNKNOWN_CHECK_DATE: True} if p is not None and p.payment_date is None else {}),
    }


def note_missing_payment_dates(cand: Candidate) -> None:
    """Say, in the finding itself, what a payment date that could not be read changes.

    A refund deadline counts from the day the finding is identified (rules/deadlines.py), never
    from BPR16, so it stands; the day the credit arose (its age, and the late flag) falls back to
    the other payment dates of the evidence, else to that identification day. Idempotent.
    """
    records = cand.evidence.get("records", [])
    traces = sorted({str(r.get("trn02") or "?") for r in records if r.get(UNKNOWN_CHECK_DATE)})
    if not traces:
        return
    which = ", ".join(traces)
    deadline = ("its refund deadline counts from the day this finding was identified, not from a payment date"
                if cand.refund_to is not None else "it has no refund deadline")
    note = (f"the payment date (BPR16) of check/EFT {which} was missing or unreadable in its file: it is shown as "
            f"n/a, {deadline}, and the credit's age counts from the other payment dates here, else from the day "
            "it was identified")
    notes = cand.evidence.setdefault("notes", [])
    if note not in notes:
        notes.append(note)
        summary = str(cand.evidence.get("summary") or "")
        cand.evidence["summary"] = f"{summary} (note: {note})" if summary else f"Note: {note}"


def svc_evidence(svc: SvcFact, clp: ClpFact, facts: StoreFacts, role: str) -> dict[str, Any]:
    return {
        **_by_hand(facts, "service_payment", svc.id),
        "role": role, "record": "SVC", "file": _file(facts, svc.file_id), "file_id": svc.file_id,
        "segment": svc.segment, "offset": svc.offset, "clp07": clp.clp07,
        "trn02": clp.payment.trace_number if clp.payment else None,
        # The paid date (BPR16) of the line's check: when the credit arose, and the CMS-838's paid date.
        "check_date": clp.payment.payment_date.isoformat() if clp.payment and clp.payment.payment_date else None,
        "procedure": svc.sub_procedure or svc.procedure, "ref6r": svc.ref6r or None,
        "charge": _money(svc.charge), "paid": _money(svc.paid), "allowed": _money(svc.allowed),
    }


def plb_evidence(plb: PlbFact, facts: StoreFacts, role: str) -> dict[str, Any]:
    p = facts.payments.get(plb.payment_id)
    return {
        "role": role, "record": "PLB", "file": _file(facts, plb.file_id), "file_id": plb.file_id,
        "segment": plb.segment, "offset": plb.offset, "isa13": p.isa13 if p else None, "st02": p.st02 if p else None,
        "trn02": p.trace_number if p else None, "reason": plb.reason, "reference": plb.reference,
        "amount": _money(plb.amount),
    }


def claim_evidence(claim: ClaimFact, facts: StoreFacts, role: str) -> dict[str, Any]:
    return {
        "role": role, "record": "CLM", "file": _file(facts, claim.file_id), "file_id": claim.file_id,
        "segment": claim.segment, "offset": claim.offset, "clm01": claim.clm01, "payer_id": claim.payer_id,
        "charge": _money(claim.charge),
        "frequency": claim.frequency or None, "ref_f8": claim.original_reference or None,
    }


def patient_payment_evidence(pp: PatientPaymentFact, facts: StoreFacts, role: str) -> dict[str, Any]:
    return {
        "role": role, "record": "patient payment", "file": _file(facts, pp.file_id), "line": pp.segment,
        "date": pp.payment_date.isoformat(), "amount": _money(pp.amount), "reference": pp.reference or None,
    }
