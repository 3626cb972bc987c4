"""The tables the engine keeps, declared once in SQLModel; Alembic migrations create them.

Owns table and column names. Names are plain and come from the implementation guides; a column's
comment names the X12 element it holds (e.g. `payer_claim_control_number` -- CLP07). Every row
from a file carries `source_file_id`, `segment` (1-based segment number of its anchor segment in
that file) and `byte_offset`, so any fact can be shown with the segment that proves it; rows from
CSV imports carry the CSV line number in `segment`.

Money columns are `Money` (integer cents in the database, Decimal in Python); quantities are
`DecimalText`. Strings are unbounded (VARCHAR without a length): senders do not all keep to the
guides' maxima, and a value must not be rejected on PostgreSQL yet accepted on SQLite.
This module is declarations only: rows are written with SQLAlchemy Core in
batches (see ingest.py), never one ORM object per row. Later layers (ledger, findings, audit)
add their own tables through new migrations; they must not change these names casually.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Index, MetaData, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from edi_engine.store.types import DecimalText, Money

__all__ = [
    "Adjustment", "Claim", "ClaimLine", "ClaimPayment", "FeeSchedule", "Interchange", "PatientPayment",
    "Payment", "PayerAlias", "ProviderAdjustment", "ServicePayment", "SourceFile", "TransactionSet", "metadata",
]

metadata: MetaData = SQLModel.metadata
# Stable constraint names, so later migrations (and SQLite batch mode) can refer to them.
metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _c(comment: str) -> dict[str, str]:
    return {"comment": comment}


class SourceFile(SQLModel, table=True):
    """One file handed to ingest or import: stored completely (`ingested`) or recorded as `failed`."""

    __tablename__ = "source_file"
    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=64, unique=True, sa_column_kwargs=_c("SHA-256 of the file's bytes"))
    name: str = Field(sa_type=Text, sa_column_kwargs=_c("path as given when it was ingested"))
    size: int = Field(sa_type=BigInteger, sa_column_kwargs=_c("bytes"))
    kind: str = Field(sa_column_kwargs=_c("835, 837, 835+837, patient-payments, fee-schedule, unknown"))
    received_at: datetime = Field(sa_column_kwargs=_c("UTC time the store took the file"))
    status: str = Field(sa_column_kwargs=_c("ingested or failed"))
    error: str | None = Field(default=None, sa_type=Text)
    transactions: int = Field(default=0, sa_column_kwargs=_c("transaction sets stored"))
    claims: int = Field(default=0, sa_column_kwargs=_c("837 claims (CLM) stored"))
    payments: int = Field(default=0, sa_column_kwargs=_c("835 claim payments (CLP) stored"))


class Interchange(SQLModel, table=True):
    """ISA..IEA. (sender_id, control_number) is unique: the same ISA13 from the same sender twice is a conflict."""

    __tablename__ = "interchange"
    __table_args__ = (UniqueConstraint("sender_id", "control_number"),)
    id: int | None = Field(default=None, primary_key=True)
    source_file_id: int = Field(foreign_key="source_file.id", index=True)
    segment: int
    byte_offset: int
    sender_id: str | None = Field(default=None, sa_column_kwargs=_c("ISA06"))
    receiver_id: str | None = Field(default=None, sa_column_kwargs=_c("ISA08"))
    control_number: str | None = Field(default=None, sa_column_kwargs=_c("ISA13"))
    interchange_date: date | None = Field(default=None, sa_column_kwargs=_c("ISA09"))


class TransactionSet(SQLModel, table=True):
    """ST..SE with its functional group's facts."""

    __tablename__ = "transaction_set"
    id: int | None = Field(default=None, primary_key=True)
    source_file_id: int = Field(foreign_key="source_file.id", index=True)
    interchange_id: int | None = Field(default=None, foreign_key="interchange.id")
    segment: int
    byte_offset: int
    kind: str = Field(sa_column_kwargs=_c("835, 837P, 837I, 837D"))
    implementation: str = Field(sa_column_kwargs=_c("ST03, else GS08"))
    control_number: str | None = Field(default=None, sa_column_kwargs=_c("ST02"))
    group_control_number: str | None = Field(default=None, sa_column_kwargs=_c("GS06"))
    group_sender_id: str | None = Field(default=None, sa_column_kwargs=_c("GS02"))
    group_receiver_id: str | None = Field(default=None, sa_column_kwargs=_c("GS03"))
    group_date: date | None = Field(default=None, sa_column_kwargs=_c("GS04"))
    segment_count: int = Field(sa_column_kwargs=_c("segments ST..SE as read"))


class Claim(SQLModel, table=True):
    """An 837 claim (2300 CLM) with its payer, subscriber and patient."""

    __tablename__ = "claim"
    id: int | None = Field(default=None, primary_key=True)
    source_file_id: int = Field(foreign_key="source_file.id", index=True)
    transaction_set_id: int = Field(foreign_key="transaction_set.id")
    segment: int
    byte_offset: int
    variant: str = Field(sa_column_kwargs=_c("P, I or D"))
    patient_control_number: str = Field(index=True, sa_column_kwargs=_c("CLM01"))
    charge: Decimal = Field(sa_type=Money, sa_column_kwargs=_c("CLM02"))
    facility_code: str | None = Field(default=None, sa_column_kwargs=_c("CLM05-1: place of service or TOB digits 1-2"))
    frequency_code: str | None = Field(default=None, sa_column_kwargs=_c("CLM05-3"))
    original_reference: str | None = Field(default=None, sa_column_kwargs=_c("REF*F8: payer claim control number of the claim replaced"))
    payer_id: str | None = Field(default=None, index=True, sa_column_kwargs=_c("2010BB NM109"))
    payer_name: str | None = Field(default=None, sa_column_kwargs=_c("2010BB NM103"))
    subscriber_member_id: str | None = Field(default=None, sa_column_kwargs=_c("2010BA NM109"))
    subscriber_last_name: str | None = Field(default=None, sa_column_kwargs=_c("2010BA NM103"))
    subscriber_first_name: str | None = Field(default=None, sa_column_kwargs=_c("2010BA NM104"))
    subscriber_birth_date: date | None = Field(default=None, sa_column_kwargs=_c("2010BA DMG02"))
    patient_last_name: str | None = Field(default=None, sa_column_kwargs=_c("2010CA NM103, else the subscriber"))
    patient_first_name: str | None = Field(default=None, sa_column_kwargs=_c("2010CA NM104, else the subscriber"))
    patient_birth_date: date | None = Field(default=None, sa_column_kwargs=_c("2010CA DMG02, else the subscriber"))
    billing_provider_id: str | None = Field(default=None, sa_column_kwargs=_c("2010AA NM109 (NPI)"))
    billing_provider_name: str | None = Field(default=None, sa_column_kwargs=_c("2010AA NM103"))
    statement_from: date | None = Field(default=None, sa_column_kwargs=_c("DTP*434 from (837I)"))
    statement_to: date | None = Field(default=None, sa_column_kwargs=_c("DTP*434 to (837I)"))


class ClaimLine(SQLModel, table=True):
    """An 837 service line (2400): SV1/SV2/SV3 with its date and REF*6R."""

    __tablename__ = "claim_line"
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    source_file_id: int = Field(foreign_key="source_file.id")
    segment: int
    byte_offset: int
    line_number: int = Field(sa_column_kwargs=_c("LX01"))
    procedure_qualifier: str | None = Field(default=None, sa_column_kwargs=_c("SV101-1 / SV202-1 / SV301-1"))
    procedure_code: str | None = Field(default=None, sa_column_kwargs=_c("SV101-2 / SV202-2 / SV301-2"))
    modifiers: str = Field(default="", sa_column_kwargs=_c("procedure modifiers joined by ':'"))
    revenue_code: str | None = Field(default=None, sa_column_kwargs=_c("SV201 (837I)"))
    charge: Decimal = Field(sa_type=Money, sa_column_kwargs=_c("SV102 / SV203 / SV302"))
    units: Decimal | None = Field(default=None, sa_type=DecimalText, sa_column_kwargs=_c("SV104 / SV205"))
    service_date_from: date | None = Field(default=None, sa_column_kwargs=_c("DTP*472"))
    service_date_to: date | None = Field(default=None, sa_column_kwargs=_c("DTP*472 (RD8 end)"))
    line_control_number: str | None = Field(default=None, sa_column_kwargs=_c("REF*6R"))


class Payment(SQLModel, table=True):
    """An 835 transaction's payment: BPR, TRN, payer (1000A) and payee (1000B)."""

    __tablename__ = "payment"
    id: int | None = Field(default=None, primary_key=True)
    source_file_id: int = Field(foreign_key="source_file.id", index=True)
    transaction_set_id: int = Field(foreign_key="transaction_set.id")
    segment: int = Field(sa_column_kwargs=_c("the BPR segment"))
    byte_offset: int
    amount: Decimal = Field(sa_type=Money, sa_column_kwargs=_c("BPR02"))
    credit_debit: str | None = Field(default=None, sa_column_kwargs=_c("BPR03"))
    method: str | None = Field(default=None, sa_column_kwargs=_c("BPR04: ACH, CHK, NON, ..."))
    payment_date: date | None = Field(default=None, sa_column_kwargs=_c("BPR16"))
    trace_number: str | None = Field(default=None, index=True, sa_column_kwargs=_c("TRN02: check or EFT number"))
    trace_payer_id: str | None = Field(default=None, sa_column_kwargs=_c("TRN03"))
    payer_id: str | None = Field(default=None, index=True,
                                 sa_column_kwargs=_c("N1*PR N104, else REF*2U, else TRN03; see payer_alias"))
    payer_name: str | None = Field(default=None, sa_column_kwargs=_c("N1*PR N102"))
    payee_id_qualifier: str | None = Field(default=None, sa_column_kwargs=_c("N1*PE N103"))
    payee_id: str | None = Field(default=None, sa_column_kwargs=_c("N1*PE N104"))
    payee_name: str | None = Field(default=None, sa_column_kwargs=_c("N1*PE N102"))
    production_date: date | None = Field(default=None, sa_column_kwargs=_c("DTM*405"))


class ClaimPayment(SQLModel, table=True):
    """An 835 claim payment (2100 CLP)."""

    __tablename__ = "claim_payment"
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    source_file_id: int = Field(foreign_key="source_file.id")
    segment: int
    byte_offset: int
    patient_control_number: str = Field(index=True, sa_column_kwargs=_c("CLP01"))
    status_code: str = Field(sa_column_kwargs=_c("CLP02"))
    charge: Decimal = Field(sa_type=Money, sa_column_kwargs=_c("CLP03"))
    paid: Decimal = Field(sa_type=Money, sa_column_kwargs=_c("CLP04"))
    patient_responsibility: Decimal | None = Field(default=None, sa_type=Money, sa_column_kwargs=_c("CLP05"))
    filing_indicator: str | None = Field(default=None, sa_column_kwargs=_c("CLP06"))
    payer_claim_control_number: str | None = Field(default=None, index=True, sa_column_kwargs=_c("CLP07"))
    facility_code: str | None = Field(default=None, sa_column_kwargs=_c("CLP08"))
    frequency_code: str | None = Field(default=None, sa_column_kwargs=_c("CLP09"))
    patient_last_name: str | None = Field(default=None, sa_column_kwargs=_c("NM1*QC NM103"))
    patient_first_name: str | None = Field(default=None, sa_column_kwargs=_c("NM1*QC NM104"))
    patient_member_id: str | None = Field(default=None, sa_column_kwargs=_c("NM1*QC NM109"))
    insured_last_name: str | None = Field(default=None, sa_column_kwargs=_c("NM1*IL NM103"))
    insured_first_name: str | None = Field(default=None, sa_column_kwargs=_c("NM1*IL NM104"))
    insured_member_id: str | None = Field(default=None, sa_column_kwargs=_c("NM1*IL NM109"))
    statement_from: date | None = Field(default=None, sa_column_kwargs=_c("DTM*232"))
    statement_to: date | None = Field(default=None, sa_column_kwargs=_c("DTM*233"))
    received_date: date | None = Field(default=None, sa_column_kwargs=_c("DTM*050"))


class ServicePayment(SQLModel, table=True):
    """An 835 service payment (2110 SVC)."""

    __tablename__ = "service_payment"
    id: int | None = Field(default=None, primary_key=True)
    claim_payment_id: int = Field(foreign_key="claim_payment.id", index=True)
    source_file_id: int = Field(foreign_key="source_file.id")
    segment: int
    byte_offset: int
    procedure_qualifier: str | None = Field(default=None, sa_column_kwargs=_c("SVC01-1"))
    procedure_code: str | None = Field(default=None, sa_column_kwargs=_c("SVC01-2"))
    modifiers: str = Field(default="", sa_column_kwargs=_c("SVC01-3..6 joined by ':'"))
    charge: Decimal = Field(sa_type=Money, sa_column_kwargs=_c("SVC02"))
    paid: Decimal = Field(sa_type=Money, sa_column_kwargs=_c("SVC03"))
    revenue_code: str | None = Field(default=None, sa_column_kwargs=_c("SVC04"))
    units: Decimal | None = Field(default=None, sa_type=DecimalText, sa_column_kwargs=_c("SVC05"))
    submitted_procedure_qualifier: str | None = Field(default=None, sa_column_kwargs=_c("SVC06-1"))
    submitted_procedure_code: str | None = Field(default=None, sa_column_kwargs=_c("SVC06-2"))
    submitted_modifiers: str = Field(default="", sa_column_kwargs=_c("SVC06-3..6 joined by ':'"))
    original_units: Decimal | None = Field(default=None, sa_type=DecimalText, sa_column_kwargs=_c("SVC07"))
    service_date_from: date | None = Field(default=None, sa_column_kwargs=_c("DTM*472 or DTM*150"))
    service_date_to: date | None = Field(default=None, sa_column_kwargs=_c("DTM*472 or DTM*151"))
    line_control_number: str | None = Field(default=None, sa_column_kwargs=_c("REF*6R"))
    allowed: Decimal | None = Field(default=None, sa_type=Money, sa_column_kwargs=_c("AMT*B6"))


class Adjustment(SQLModel, table=True):
    """One CAS triplet, claim level (service_payment_id NULL) or line level."""

    __tablename__ = "adjustment"
    id: int | None = Field(default=None, primary_key=True)
    claim_payment_id: int = Field(foreign_key="claim_payment.id", index=True)
    service_payment_id: int | None = Field(default=None, foreign_key="service_payment.id", index=True)
    source_file_id: int = Field(foreign_key="source_file.id")
    segment: int = Field(sa_column_kwargs=_c("the CAS segment"))
    byte_offset: int
    group_code: str = Field(sa_column_kwargs=_c("CAS01: CO, PR, OA, PI (CR in 4010)"))
    reason_code: str = Field(sa_column_kwargs=_c("CAS02/05/...: CARC"))
    amount: Decimal = Field(sa_type=Money, sa_column_kwargs=_c("CAS03/06/..."))
    quantity: Decimal | None = Field(default=None, sa_type=DecimalText, sa_column_kwargs=_c("CAS04/07/..."))


class ProviderAdjustment(SQLModel, table=True):
    """One PLB reason/amount pair."""

    __tablename__ = "provider_adjustment"
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    source_file_id: int = Field(foreign_key="source_file.id")
    segment: int
    byte_offset: int
    provider_id: str = Field(sa_column_kwargs=_c("PLB01"))
    fiscal_period_date: date | None = Field(default=None, sa_column_kwargs=_c("PLB02"))
    reason_code: str = Field(sa_column_kwargs=_c("PLB03-1/05-1/...: e.g. WO, FB, L6, 72"))
    reference: str | None = Field(default=None, sa_column_kwargs=_c("PLB03-2/05-2/..."))
    amount: Decimal = Field(sa_type=Money, sa_column_kwargs=_c("PLB04/06/...: positive reduces the payment"))


class PatientPayment(SQLModel, table=True):
    """A payment by the patient, imported from CSV; `segment` is the CSV line number."""

    __tablename__ = "patient_payment"
    id: int | None = Field(default=None, primary_key=True)
    source_file_id: int = Field(foreign_key="source_file.id", index=True)
    segment: int = Field(sa_column_kwargs=_c("CSV line number"))
    patient_control_number: str = Field(index=True, sa_column_kwargs=_c("claim_id column: CLM01"))
    payment_date: date
    amount: Decimal = Field(sa_type=Money)
    method: str | None = Field(default=None)
    reference: str | None = Field(default=None)


class FeeSchedule(SQLModel, table=True):
    """A payer's allowed amount per procedure and modifier, imported from CSV; `segment` is the CSV line number."""

    __tablename__ = "fee_schedule"
    __table_args__ = (Index("ix_fee_schedule_lookup", "payer_id", "procedure_code", "modifier"),)
    id: int | None = Field(default=None, primary_key=True)
    source_file_id: int = Field(foreign_key="source_file.id", index=True)
    segment: int = Field(sa_column_kwargs=_c("CSV line number"))
    payer_id: str = Field(sa_column_kwargs=_c("canonical payer id (837 2010BB NM109)"))
    procedure_code: str
    modifier: str = Field(default="", sa_column_kwargs=_c("'' when the amount is for any modifier"))
    allowed_amount: Decimal = Field(sa_type=Money)
    effective_from: date | None = None
    effective_to: date | None = None


class PayerAlias(SQLModel, table=True):
    """Another name a payer uses (typically on the 835 side) for the canonical 837 payer id."""

    __tablename__ = "payer_alias"
    alias: str = Field(primary_key=True)
    payer_id: str = Field(index=True, sa_column_kwargs=_c("canonical: 837 2010BB NM109"))
    created_at: datetime
