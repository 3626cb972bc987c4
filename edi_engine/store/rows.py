"""Parsed 835/837 models to rows for the store's tables: dicts for the few rows of a set's envelope and
header, tuples (see "bulk rows") for claims, lines, claim payments, services and adjustments.

Owns which model field lands in which column, and the money boundary (Decimal to integer cents,
exact, through edi_engine.money, with the segment's position on a sub-cent amount). Reads the
parsers' models by attribute name only; knows nothing of connections or batching (ingest.py does that).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from edi_engine.errors import InputError, Position
from edi_engine.money import Cents, to_cents
from edi_engine.parsers.transaction import TransactionInfo
from edi_engine.store.payers import payer_id_835

__all__ = ["CAS_LEAD", "CAS_REST", "CLAIM_LEAD", "CLAIM_REST", "CLP_LEAD", "CLP_REST", "LINE_LEAD", "LINE_REST",
           "PLB_LEAD", "PLB_REST", "SVC_LEAD", "SVC_REST", "Claim837", "Payment835", "RemittanceDigest", "claim_837",
           "claim_signature", "interchange_row", "payer_key_835", "payment_835", "payment_row",
           "provider_adjustments_835", "transaction_set_row"]

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
    return ":".join(filter(None, modifiers))


def _day(value: date | None) -> str | None:
    """A date in the bulk rows' database form: ISO text (SQLAlchemy's own SQLite DATE format; PostgreSQL's
    COPY reads it as a date), so the rows go to executemany or COPY as they are."""
    return None if value is None else value.isoformat()


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


# ---- bulk rows --------------------------------------------------------------------------------
# The tables written in bulk take tuples: the columns the file's own data fills (REST), built before the
# file's transaction begins (ingest.py), and in front of them the ids and parents only the write knows
# (LEAD), so a row goes in as `lead + rest` without a dict per row. Dates are ISO text (_day).

CLAIM_LEAD = ("id", "source_file_id", "transaction_set_id")
CLAIM_REST = ("segment", "byte_offset", "variant", "patient_control_number", "charge", "facility_code",
              "frequency_code", "original_reference", "payer_id", "payer_name", "subscriber_member_id",
              "subscriber_last_name", "subscriber_first_name", "subscriber_birth_date", "patient_last_name",
              "patient_first_name", "patient_birth_date", "billing_provider_id", "billing_provider_name",
              "statement_from", "statement_to", "signature")
LINE_LEAD = ("claim_id", "source_file_id")
LINE_REST = ("segment", "byte_offset", "line_number", "procedure_qualifier", "procedure_code", "modifiers",
             "revenue_code", "charge", "units", "service_date_from", "service_date_to", "line_control_number")
CLP_LEAD = ("id", "payment_id", "source_file_id")
CLP_REST = ("segment", "byte_offset", "patient_control_number", "status_code", "charge", "paid",
            "patient_responsibility", "filing_indicator", "payer_claim_control_number", "facility_code",
            "frequency_code", "patient_last_name", "patient_first_name", "patient_member_id", "insured_last_name",
            "insured_first_name", "insured_member_id", "statement_from", "statement_to", "received_date")
SVC_LEAD = ("id", "claim_payment_id", "source_file_id")
SVC_REST = ("segment", "byte_offset", "procedure_qualifier", "procedure_code", "modifiers", "charge", "paid",
            "revenue_code", "units", "submitted_procedure_qualifier", "submitted_procedure_code",
            "submitted_modifiers", "original_units", "service_date_from", "service_date_to", "line_control_number",
            "allowed")
CAS_LEAD = ("claim_payment_id", "service_payment_id", "source_file_id")
CAS_REST = ("segment", "byte_offset", "group_code", "reason_code", "amount", "quantity")
PLB_LEAD = ("payment_id", "source_file_id")
PLB_REST = ("segment", "byte_offset", "provider_id", "fiscal_period_date", "reason_code", "reference", "amount")


# ---- 835 -------------------------------------------------------------------------------------

def payer_key_835(header: Any) -> str | None:
    """The payer of the payment identity (domain.md 1.11): TRN03, else N1*PR N104."""
    n104 = header.payer.party.id if header.payer is not None else ""
    return _s((header.payer_identifier or "").strip()) or _s((n104 or "").strip())


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


# ---- 837 -------------------------------------------------------------------------------------


@dataclass(slots=True)
class Payment835:
    """One 835 claim payment (2100 CLP) in database form: its row, its claim-level CAS, and each service
    (2110) with that service's CAS; `money` is what RemittanceDigest hashes of it."""

    row: tuple[Any, ...]
    adjustments: list[tuple[Any, ...]]
    services: list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]
    money: tuple[Any, ...]


def _cas(adjustments: tuple[Any, ...], file: str) -> list[tuple[Any, ...]]:
    return [(a.segment, a.offset, a.group, a.reason, _money(a.amount, "CAS amount", file, a),
             None if a.quantity is None else str(a.quantity)) for a in adjustments]


def payment_835(clp: Any, file: str) -> Payment835:
    """CLP_REST, its CAS (CAS_REST) and services (SVC_REST with theirs), each amount converted once."""
    patient, insured = clp.patient, clp.insured
    charge, paid = _money(clp.charge, "CLP03", file, clp), _money(clp.paid, "CLP04", file, clp)
    responsibility = _money(clp.patient_responsibility, "CLP05", file, clp)
    row = (clp.segment, clp.offset, clp.patient_control_number, clp.status, charge, paid, responsibility,
           clp.filing_indicator or None, clp.payer_claim_control_number or None, clp.facility_type or None,
           clp.frequency or None,
           (patient.last_or_organization or None) if patient else None, (patient.first or None) if patient else None,
           (patient.id or None) if patient else None,
           (insured.last_or_organization or None) if insured else None, (insured.first or None) if insured else None,
           (insured.id or None) if insured else None,
           _day(clp.statement_from), _day(clp.statement_to), _day(clp.received_date))
    cas = _cas(clp.adjustments, file)
    services = []
    service_money = []
    for svc in clp.services:
        sub = svc.submitted_procedure
        mods = _mods(svc.modifiers)
        s_charge, s_paid = _money(svc.charge, "SVC02", file, svc), _money(svc.paid, "SVC03", file, svc)
        units = _qty(svc.units_paid)
        s_cas = _cas(svc.adjustments, file)
        services.append(((svc.segment, svc.offset, svc.qualifier or None, svc.procedure_code or None, mods, s_charge,
                          s_paid, svc.revenue_code or None, units, (sub.qualifier or None) if sub else None,
                          (sub.code or None) if sub else None, _mods(sub.modifiers) if sub else "",
                          _qty(svc.original_units), _day(svc.service_date_from), _day(svc.service_date_to),
                          svc.line_control_number or None, _money(svc.allowed_amount, "AMT02", file, svc)), s_cas))
        service_money.append((svc.qualifier, svc.procedure_code, mods, s_charge, s_paid, units,
                              [(a[2], a[3], a[4]) for a in s_cas]))
    money = ("CLP", clp.patient_control_number, clp.status, charge, paid, responsibility,
             clp.payer_claim_control_number, [(a[2], a[3], a[4]) for a in cas], service_money)
    return Payment835(row, cas, services, money)


def provider_adjustments_835(trailer: Any, file: str) -> list[tuple[Any, ...]]:
    """The set's PLB pairs (PLB_REST)."""
    return [(p.segment, p.offset, p.provider_id, _day(p.fiscal_period_date), p.reason, p.reference or None,
             _money(p.amount, "PLB amount", file, p))
            for p in (trailer.provider_adjustments if trailer is not None else ())]


# One encoder for every digest: json.dumps with these arguments builds one per call, for the same output.
_JSON = json.JSONEncoder(default=str, separators=(",", ":"))


class RemittanceDigest:
    """SHA-256 over a remittance's money, fed claim by claim as the parser yields them (nothing kept):
    per CLP its CLP01/02/03/04/05/07, its CAS, and each SVC's code, amounts, units and CAS; then the PLBs.
    Names, addresses and references (REF*6R, corrected patient data) are left out, so a payer's re-sent
    835 with added detail is still the same payment; a changed amount or claim is not (domain.md 1.11).
    The bytes hashed are those of the stored digests (payment.content_digest): they must not change."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._hash = hashlib.sha256()

    def _feed(self, value: object) -> None:
        self._hash.update(_JSON.encode(value).encode())
        self._hash.update(b"\n")

    def claim(self, payment: Payment835) -> None:
        self._feed(payment.money)

    def trailer(self, trailer: Any) -> str:
        plbs = trailer.provider_adjustments if trailer is not None else ()
        self._feed(("PLB", [(p.provider_id, p.reason, p.reference, _money(p.amount, "PLB amount", self.file, p))
                            for p in plbs]))
        return self._hash.hexdigest()


# ---- 837 -------------------------------------------------------------------------------------

@dataclass(slots=True)
class Claim837:
    """One 837 claim in database form: CLAIM_REST (its signature last) and its lines (LINE_REST)."""

    row: tuple[Any, ...]
    lines: list[tuple[Any, ...]]
    signature: str
    segment: int
    offset: int


def claim_837(clm: Any, file: str) -> Claim837:
    sub = clm.subscriber
    sub_name = sub.name if sub is not None else None
    pat = clm.patient
    pat_name = pat.name if pat is not None else sub_name  # no 2000C: the subscriber is the patient
    pat_dob = pat.birth_date if pat is not None else (sub.birth_date if sub is not None else None)
    billing = clm.billing_provider.provider if clm.billing_provider is not None else None
    payer = clm.payer
    charge = _money(clm.charge, "CLM02", file, clm)
    payer_id = (payer.id or None) if payer else None
    frequency = clm.frequency or None
    statement_from, statement_to = _day(clm.statement_from), _day(clm.statement_to)
    lines = [(ln.segment, ln.offset, ln.line_number, ln.procedure_qualifier or None, ln.procedure_code or None,
              _mods(ln.modifiers), ln.revenue_code or None, _money(ln.charge, "line charge", file, ln), _qty(ln.units),
              _day(ln.service_date_from), _day(ln.service_date_to), ln.line_control_number or None)
             for ln in clm.lines]
    signature = claim_signature(clm.patient_control_number, payer_id, frequency, charge, clm.variant,
                                statement_from, statement_to, lines)
    row = (clm.segment, clm.offset, clm.variant, clm.patient_control_number, charge, clm.facility_code or None,
           frequency, clm.original_reference or None, payer_id, (payer.name or None) if payer else None,
           (sub_name.id or None) if sub_name else None, (sub_name.name or None) if sub_name else None,
           (sub_name.first or None) if sub_name else None, _day(sub.birth_date) if sub is not None else None,
           (pat_name.name or None) if pat_name else None, (pat_name.first or None) if pat_name else None,
           _day(pat_dob), (billing.id or None) if billing else None, (billing.name or None) if billing else None,
           statement_from, statement_to, signature)
    return Claim837(row, lines, signature, clm.segment, clm.offset)


def claim_signature(patient_control_number: str, payer_id: str | None, frequency: str | None, charge: int | None,
                    variant: str, statement_from: str | None, statement_to: str | None,
                    lines: list[tuple[Any, ...]]) -> str:
    """What makes two 837 claims the same claim sent again: CLM01, payer, frequency, charge, statement
    dates, and each line's number, procedure, modifiers, revenue code, charge, units and dates. The bytes
    hashed are those of the stored signatures (claim.signature): they must not change."""
    key = [patient_control_number, payer_id, frequency, charge, variant, statement_from, statement_to,
           [(ln[2], ln[3], ln[4], ln[5], ln[6], ln[7], ln[8], ln[9], ln[10]) for ln in lines]]
    return hashlib.sha256(_JSON.encode(key).encode()).hexdigest()
