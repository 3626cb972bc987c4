"""The store's reads for one account (one CLM01): its claims, their adjudications, and the source
documents behind them, for letters, corrected claims and the web detail page.

Owns the SQL behind those reads. What the tables do not hold of the 837 (HI codes, providers and
their N3/N4/REF/PER, COB loops, kept segments) nor of the 835 payer (1000A N3/N4) is read from the
file's contents as the store keeps them (source_content, through read.stored_file), parsed again:
never from the path the file was ingested from. A file ingested before the store kept contents
(migration 0008) says so, and ingesting it again keeps them. Outputs do no file I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from edi_engine.errors import InputError, UsageError
from edi_engine.parsers import TransactionStart, parse_file
from edi_engine.parsers.transaction import TransactionInfo
from edi_engine.parsers.x221a1_835_models import Address, ClaimPayment, RemittanceHeader
from edi_engine.parsers.x837_models import Claim837, ClaimsHeader837
from edi_engine.store import tables
from edi_engine.store.read import stored_file

__all__ = [
    "Adjudication", "ClaimLineRow", "ClaimRow", "OriginalDocument", "adjudications_matched", "adjudications_of",
    "claims_of", "corrected_claim_isa13s", "interchange_control_numbers", "original_837", "payer_address",
    "payer_name", "remittance_codes", "NOT_KEPT", "RemittanceCodes",
]

# What evidence says of a file stored before its contents were kept.
NOT_KEPT = "ingested before the store kept file contents; ingest the file again to keep them"

_C = tables.claim
_L = tables.claim_line
_SF = tables.source_file
_CP = tables.claim_payment
_P = tables.payment
_M = tables.payment_match
_A = tables.audit_event


@dataclass(frozen=True, slots=True)
class ClaimLineRow:
    """A stored 837 service line (2400)."""

    id: int
    line_number: int  # LX01
    procedure_code: str | None
    modifiers: str
    revenue_code: str | None
    charge: Decimal
    units: Decimal | None
    service_date_from: date | None
    line_control_number: str | None  # REF*6R


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """A stored 837 claim (2300 CLM) with the file it came from; `id` is the row id, CLM01 is
    `patient_control_number`."""

    id: int
    source_file_id: int
    file_name: str
    segment: int
    variant: str
    patient_control_number: str
    charge: Decimal
    frequency_code: str | None
    payer_id: str | None
    payer_name: str | None
    subscriber_member_id: str | None
    patient_last_name: str | None
    patient_first_name: str | None
    billing_provider_id: str | None
    billing_provider_name: str | None
    lines: tuple[ClaimLineRow, ...]


def _line(r: Row[Any]) -> ClaimLineRow:
    return ClaimLineRow(r.id, r.line_number, r.procedure_code, r.modifiers or "", r.revenue_code, r.charge, r.units,
                        r.service_date_from, r.line_control_number)


def claims_of(conn: Connection, clm01: str) -> list[ClaimRow]:
    """Every stored submission of claim CLM01 (originals, replacements, voids), oldest row first."""
    claims = conn.execute(select(_C, _SF.c.name.label("file_name")).join(_SF, _SF.c.id == _C.c.source_file_id)
                          .where(_C.c.patient_control_number == clm01).order_by(_C.c.id)).all()
    lines = conn.execute(select(_L).where(_L.c.claim_id.in_([c.id for c in claims]))
                         .order_by(_L.c.claim_id, _L.c.line_number)).all() if claims else []
    return [ClaimRow(c.id, c.source_file_id, c.file_name, c.segment, c.variant, c.patient_control_number, c.charge,
                     c.frequency_code, c.payer_id, c.payer_name, c.subscriber_member_id, c.patient_last_name,
                     c.patient_first_name, c.billing_provider_id, c.billing_provider_name,
                     tuple(_line(ln) for ln in lines if ln.claim_id == c.id)) for c in claims]


@dataclass(frozen=True, slots=True)
class Adjudication:
    """A standing (not reversal) 835 claim payment with a payer claim control number."""

    claim_payment_id: int
    payer_claim_control_number: str  # CLP07
    payment_date: date | None  # BPR16
    payer_id: str | None  # as the 835 names it (not canonical)


def _adjudications() -> Any:
    return (select(_CP.c.payer_claim_control_number, _P.c.payment_date, _CP.c.id, _P.c.payer_id)
            .join(_P, _P.c.id == _CP.c.payment_id)
            .where(_CP.c.status_code != "22", _CP.c.payer_claim_control_number.is_not(None)))


def _adjudication(r: Row[Any]) -> Adjudication:
    return Adjudication(r.id, r.payer_claim_control_number, r.payment_date, r.payer_id)


def adjudications_matched(conn: Connection, claim_id: int) -> list[Adjudication]:
    """Adjudications detect matched to the claim row `claim_id`."""
    query = _adjudications().join(_M, (_M.c.subject == "claim_payment") & (_M.c.subject_id == _CP.c.id))
    return [_adjudication(r) for r in conn.execute(query.where(_M.c.claim_id == claim_id))]


def adjudications_of(conn: Connection, clm01: str) -> list[Adjudication]:
    """Adjudications whose CLP01 is `clm01`, matched or not (before detect has run)."""
    return [_adjudication(r) for r in conn.execute(_adjudications().where(_CP.c.patient_control_number == clm01))]


def payer_name(conn: Connection, payment_id: int) -> str | None:
    """N1*PR N102 of an 835 payment."""
    value = conn.execute(select(_P.c.payer_name).where(_P.c.id == payment_id)).scalar()
    return None if value is None else str(value)


def interchange_control_numbers(conn: Connection, sender_id: str) -> list[str]:
    """ISA13 of every stored interchange from this sender (ISA06)."""
    return [r[0] for r in conn.execute(select(tables.interchange.c.control_number)
                                       .where(tables.interchange.c.sender_id == sender_id)) if r[0]]


def corrected_claim_isa13s(conn: Connection) -> list[str]:
    """ISA13 of every corrected claim written before (kept in the audit trail's details)."""
    out = []
    for (details,) in conn.execute(select(_A.c.details).where(_A.c.event == "corrected_claim_written")):
        out.append(str(json.loads(details).get("isa13", "")))
    return out


@dataclass(frozen=True, slots=True)
class OriginalDocument:
    """A claim as its 837 carried it, parsed again from the file's stored contents."""

    claim: Claim837
    header: ClaimsHeader837
    info: TransactionInfo


def original_837(conn: Connection, row: ClaimRow) -> OriginalDocument:
    """The claim `row` parsed again from its stored file; UsageError when the store does not hold the
    file's contents, InputError when they do not carry the claim where it was stored."""
    name = PurePath(row.file_name).name
    stream = stored_file(conn, row.source_file_id)
    if stream is None:
        raise UsageError(f"the 837 that carried claim {row.patient_control_number} ({name}) was {NOT_KEPT}; the "
                         "claim cannot be rebuilt completely without it")
    start: TransactionStart | None = None
    with stream:
        for item in parse_file(stream, name=row.file_name):
            if isinstance(item, TransactionStart):
                start = item
            elif isinstance(item, Claim837) and item.segment == row.segment and start is not None:
                if item.patient_control_number != row.patient_control_number or \
                        not isinstance(start.header, ClaimsHeader837):
                    break
                return OriginalDocument(item, start.header, start.info)
    raise InputError(f"the stored contents of {name} do not carry claim {row.patient_control_number} at "
                     f"segment {row.segment}")


def payer_address(conn: Connection, payment_id: int) -> Address | None:
    """N3/N4 of the 835's 1000A payer loop, from the file's stored contents; None when not held."""
    row = conn.execute(select(_P.c.segment, _P.c.source_file_id, _SF.c.name)
                       .join(_SF, _SF.c.id == _P.c.source_file_id).where(_P.c.id == payment_id)).first()
    stream = stored_file(conn, row.source_file_id) if row is not None else None
    if row is None or stream is None:
        return None
    try:
        with stream:
            for item in parse_file(stream, name=row.name):
                if isinstance(item, TransactionStart):
                    header = item.header
                    if isinstance(header, RemittanceHeader) and header.segment == row.segment:
                        return header.payer.address if header.payer else None
    except InputError:
        return None
    return None


@dataclass(frozen=True, slots=True)
class RemittanceCodes:
    """The codes one 835 claim payment (2100 CLP with its 2110 lines) carried, in file order."""

    adjustments: tuple[tuple[str, str], ...]  # (CAS01 group, CARC) of the 2100 and 2110 CAS
    remarks: tuple[str, ...]  # RARCs: MOA03-07 / MIA05, 20-23, then LQ*HE of the lines


def remittance_codes(conn: Connection, file_id: int, segment: int) -> RemittanceCodes | None:
    """CAS reason codes and remark codes of the CLP at (or with an SVC at) `segment` of stored 835
    `file_id`, parsed again from the file's stored contents (the tables keep CAS, not remarks); None
    when not held."""
    row = conn.execute(select(_SF.c.name).where(_SF.c.id == file_id)).first()
    stream = stored_file(conn, file_id) if row is not None else None
    if row is None or stream is None:
        return None
    try:
        with stream:
            for item in parse_file(stream, name=row.name):
                if isinstance(item, ClaimPayment) and segment in (item.segment, *(s.segment for s in item.services)):
                    cas = [*item.adjustments, *(a for svc in item.services for a in svc.adjustments)]
                    remarks = [*item.remark_codes,
                               *(code for svc in item.services for q, code in svc.remarks if q == "HE" and code)]
                    return RemittanceCodes(tuple((a.group, a.reason) for a in cas), tuple(remarks))
    except InputError:
        return None
    return None
