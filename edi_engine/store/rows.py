"""Parsed 835/837 models to row dicts for the store's tables.

Owns which model field lands in which column, and the money boundary (Decimal to integer cents,
exact, through edi_engine.money, with the segment's position on a sub-cent amount). Reads the
parsers' models by attribute name only; knows nothing of connections or batching (ingest.py does that).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from edi_engine.errors import InputError, Position
from edi_engine.money import Cents, to_cents
from edi_engine.parsers.transaction import TransactionInfo
from edi_engine.store.payers import payer_id_835

__all__ = ["RemittanceDigest", "adjustment_rows", "claim_line_rows", "claim_payment_row", "claim_row",
           "claim_signature", "interchange_row", "payer_key_835", "payment_row", "provider_adjustment_rows",
           "service_payment_row", "transaction_set_row"]

Row = dict[str, Any]


def _money(value: Decimal | None, what: str, file: str, model: Any) -> Cents | None:
    """money.to_cents with the segment's Position, built only on error: this runs for every amount of every file."""
    if value is None:
        return None
    try:
        return to_cents(value, what)
    except InputError as exc:
        raise InputError(exc.message, Position(file, offset=model.offset, segment=model.segment)) from None


def _qty(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _s(value: str | None) -> str | None:
    return value or None


def _mods(modifiers: tuple[str, ...]) -> str:
    return ":".join(m for m in modifiers if m)


def interchange_row(file_id: int, info: TransactionInfo, isa_segment: int, isa_offset: int) -> Row:
    return {"source_file_id": file_id, "segment": isa_segment, "byte_offset": isa_offset,
            "sender_id": info.interchange_sender, "receiver_id": info.interchange_receiver,
            "control_number": info.interchange_control, "interchange_date": info.interchange_date}


def transaction_set_row(file_id: int, interchange_id: int | None, info: TransactionInfo) -> Row:
    return {"source_file_id": file_id, "interchange_id": interchange_id, "segment": info.segment,
            "byte_offset": info.offset, "kind": info.kind, "implementation": info.implementation,
            "control_number": info.transaction_control, "group_control_number": info.group_control,
            "group_sender_id": info.group_sender, "group_receiver_id": info.group_receiver,
            "group_date": info.group_date, "segment_count": 0}


# ---- 835 -------------------------------------------------------------------------------------

def payer_key_835(header: Any) -> str | None:
    """The payer of the payment identity (domain.md 1.11): TRN03, else N1*PR N104."""
    n104 = header.payer.party.id if header.payer is not None else ""
    return _s((header.payer_identifier or "").strip()) or _s((n104 or "").strip())


class RemittanceDigest:
    """SHA-256 over a remittance's money, fed claim by claim as the parser yields them (nothing kept):
    per CLP its CLP01/02/03/04/05/07, its CAS, and each SVC's code, amounts, units and CAS; then the PLBs.
    Names, addresses and references (REF*6R, corrected patient data) are left out, so a payer's re-sent
    835 with added detail is still the same payment; a changed amount or claim is not (domain.md 1.11)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._hash = hashlib.sha256()

    def _feed(self, value: object) -> None:
        self._hash.update(json.dumps(value, default=str, separators=(",", ":")).encode())
        self._hash.update(b"\n")

    def _cas(self, adjustments: tuple[Any, ...]) -> list[object]:
        return [(a.group, a.reason, _money(a.amount, "CAS amount", self.file, a)) for a in adjustments]

    def claim(self, clp: Any) -> None:
        f = self.file
        self._feed(("CLP", clp.patient_control_number, clp.status, _money(clp.charge, "CLP03", f, clp),
                    _money(clp.paid, "CLP04", f, clp), _money(clp.patient_responsibility, "CLP05", f, clp),
                    clp.payer_claim_control_number, self._cas(clp.adjustments),
                    [(s.qualifier, s.procedure_code, _mods(s.modifiers), _money(s.charge, "SVC02", f, s),
                      _money(s.paid, "SVC03", f, s), _qty(s.units_paid), self._cas(s.adjustments))
                     for s in clp.services]))

    def trailer(self, trailer: Any) -> str:
        plbs = trailer.provider_adjustments if trailer is not None else ()
        self._feed(("PLB", [(p.provider_id, p.reason, p.reference, _money(p.amount, "PLB amount", self.file, p))
                            for p in plbs]))
        return self._hash.hexdigest()


def payment_row(file_id: int, set_id: int, header: Any, file: str) -> Row:
    payer = header.payer
    n104 = payer.party.id if payer is not None else None
    ref_2u = next((v for q, v in payer.references if q == "2U"), None) if payer is not None else None
    payee = header.payee.party if header.payee is not None else None
    return {"source_file_id": file_id, "transaction_set_id": set_id, "segment": header.segment,
            "byte_offset": header.offset, "amount": _money(header.total_payment, "BPR02", file, header),
            "credit_debit": _s(header.credit_debit), "method": _s(header.payment_method),
            "payment_date": header.payment_date, "trace_number": _s(header.trace_number),
            "trace_payer_id": _s(header.payer_identifier),
            "payer_id": payer_id_835(n104, ref_2u, header.payer_identifier),
            "payer_name": _s(payer.party.last_or_organization) if payer is not None else None,
            "payee_id_qualifier": _s(payee.id_qualifier) if payee else None,
            "payee_id": _s(payee.id) if payee else None,
            "payee_name": _s(payee.last_or_organization) if payee else None,
            "production_date": header.production_date, "payer_key": payer_key_835(header)}


def claim_payment_row(file_id: int, payment_id: int, clp: Any, file: str) -> Row:
    patient, insured = clp.patient, clp.insured
    return {"payment_id": payment_id, "source_file_id": file_id, "segment": clp.segment, "byte_offset": clp.offset,
            "patient_control_number": clp.patient_control_number, "status_code": clp.status,
            "charge": _money(clp.charge, "CLP03", file, clp), "paid": _money(clp.paid, "CLP04", file, clp),
            "patient_responsibility": _money(clp.patient_responsibility, "CLP05", file, clp),
            "filing_indicator": _s(clp.filing_indicator),
            "payer_claim_control_number": _s(clp.payer_claim_control_number),
            "facility_code": _s(clp.facility_type), "frequency_code": _s(clp.frequency),
            "patient_last_name": _s(patient.last_or_organization) if patient else None,
            "patient_first_name": _s(patient.first) if patient else None,
            "patient_member_id": _s(patient.id) if patient else None,
            "insured_last_name": _s(insured.last_or_organization) if insured else None,
            "insured_first_name": _s(insured.first) if insured else None,
            "insured_member_id": _s(insured.id) if insured else None,
            "statement_from": clp.statement_from, "statement_to": clp.statement_to,
            "received_date": clp.received_date}


def service_payment_row(file_id: int, claim_payment_id: int, svc: Any, file: str) -> Row:
    sub = svc.submitted_procedure
    return {"claim_payment_id": claim_payment_id, "source_file_id": file_id, "segment": svc.segment,
            "byte_offset": svc.offset, "procedure_qualifier": _s(svc.qualifier),
            "procedure_code": _s(svc.procedure_code), "modifiers": _mods(svc.modifiers),
            "charge": _money(svc.charge, "SVC02", file, svc), "paid": _money(svc.paid, "SVC03", file, svc),
            "revenue_code": _s(svc.revenue_code), "units": _qty(svc.units_paid),
            "submitted_procedure_qualifier": _s(sub.qualifier) if sub else None,
            "submitted_procedure_code": _s(sub.code) if sub else None,
            "submitted_modifiers": _mods(sub.modifiers) if sub else "",
            "original_units": _qty(svc.original_units), "service_date_from": svc.service_date_from,
            "service_date_to": svc.service_date_to, "line_control_number": _s(svc.line_control_number),
            "allowed": _money(svc.allowed_amount, "AMT02", file, svc)}


def adjustment_rows(file_id: int, claim_payment_id: int, service_payment_id: int | None,
                    adjustments: tuple[Any, ...], file: str) -> list[Row]:
    return [{"claim_payment_id": claim_payment_id, "service_payment_id": service_payment_id,
             "source_file_id": file_id, "segment": a.segment, "byte_offset": a.offset, "group_code": a.group,
             "reason_code": a.reason, "amount": _money(a.amount, "CAS amount", file, a), "quantity": _qty(a.quantity)}
            for a in adjustments]


def provider_adjustment_rows(file_id: int, payment_id: int, trailer: Any, file: str) -> list[Row]:
    return [{"payment_id": payment_id, "source_file_id": file_id, "segment": p.segment, "byte_offset": p.offset,
             "provider_id": p.provider_id, "fiscal_period_date": p.fiscal_period_date, "reason_code": p.reason,
             "reference": _s(p.reference), "amount": _money(p.amount, "PLB amount", file, p)}
            for p in (trailer.provider_adjustments if trailer is not None else ())]


# ---- 837 -------------------------------------------------------------------------------------

def claim_row(file_id: int, set_id: int, clm: Any, file: str) -> Row:
    sub = clm.subscriber
    sub_name = sub.name if sub is not None else None
    pat = clm.patient
    pat_name = pat.name if pat is not None else sub_name  # no 2000C: the subscriber is the patient
    pat_dob = pat.birth_date if pat is not None else (sub.birth_date if sub is not None else None)
    billing = clm.billing_provider.provider if clm.billing_provider is not None else None
    return {"source_file_id": file_id, "transaction_set_id": set_id, "segment": clm.segment,
            "byte_offset": clm.offset, "variant": clm.variant, "patient_control_number": clm.patient_control_number,
            "charge": _money(clm.charge, "CLM02", file, clm), "facility_code": _s(clm.facility_code),
            "frequency_code": _s(clm.frequency), "original_reference": _s(clm.original_reference),
            "payer_id": _s(clm.payer.id) if clm.payer else None,
            "payer_name": _s(clm.payer.name) if clm.payer else None,
            "subscriber_member_id": _s(sub_name.id) if sub_name else None,
            "subscriber_last_name": _s(sub_name.name) if sub_name else None,
            "subscriber_first_name": _s(sub_name.first) if sub_name else None,
            "subscriber_birth_date": sub.birth_date if sub is not None else None,
            "patient_last_name": _s(pat_name.name) if pat_name else None,
            "patient_first_name": _s(pat_name.first) if pat_name else None,
            "patient_birth_date": pat_dob,
            "billing_provider_id": _s(billing.id) if billing else None,
            "billing_provider_name": _s(billing.name) if billing else None,
            "statement_from": clm.statement_from, "statement_to": clm.statement_to}


def claim_signature(claim: Row, lines: list[Row]) -> str:
    """What makes two 837 claims the same claim sent again: CLM01, payer, frequency, charge, statement
    dates, and each line's number, procedure, modifiers, revenue code, charge, units and dates."""
    key = [claim["patient_control_number"], claim["payer_id"], claim["frequency_code"], claim["charge"],
           claim["variant"], claim["statement_from"], claim["statement_to"],
           [(ln["line_number"], ln["procedure_qualifier"], ln["procedure_code"], ln["modifiers"], ln["revenue_code"],
             ln["charge"], ln["units"], ln["service_date_from"], ln["service_date_to"]) for ln in lines]]
    return hashlib.sha256(json.dumps(key, default=str, separators=(",", ":")).encode()).hexdigest()


def claim_line_rows(file_id: int, claim_id: int, clm: Any, file: str) -> list[Row]:
    return [{"claim_id": claim_id, "source_file_id": file_id, "segment": ln.segment, "byte_offset": ln.offset,
             "line_number": ln.line_number, "procedure_qualifier": _s(ln.procedure_qualifier),
             "procedure_code": _s(ln.procedure_code), "modifiers": _mods(ln.modifiers),
             "revenue_code": _s(ln.revenue_code), "charge": _money(ln.charge, "line charge", file, ln),
             "units": _qty(ln.units), "service_date_from": ln.service_date_from,
             "service_date_to": ln.service_date_to, "line_control_number": _s(ln.line_control_number)}
            for ln in clm.lines]
