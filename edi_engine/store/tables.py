"""The tables the engine keeps: SQLAlchemy Core `Table`s on one MetaData, declared once; Alembic
migrations create them, and only edi_engine.store reads or writes them.

Owns table and column names. Names are plain and come from the implementation guides; a column's
comment names the X12 element it holds (e.g. `payer_claim_control_number` -- CLP07). Every row
from a file carries `source_file_id`, `segment` (1-based segment number of its anchor segment in
that file) and `byte_offset`, so any fact can be shown with the segment that proves it; rows from
CSV imports carry the CSV line number in `segment`.

Money columns are `Money` (integer cents in the database, Decimal in Python); quantities are
`DecimalText`; times are `UTCDateTime` (aware, UTC). Strings are unbounded (VARCHAR without a
length): senders do not all keep to the guides' maxima, and a value must not be rejected on
PostgreSQL yet accepted on SQLite. Rows are written with Core in batches (see ingest.py), never one
object per row: these were SQLModel classes once, but nothing ever instantiated them, so the tables
are plain Core and `sqlmodel` is not a dependency. A table keeps the name of its SQL table, so
`claim_payment` (the stored CLP rows) is never confused with the parsers' `ClaimPayment` model.

The ledger's and rules' tables (`payment_match`, `finding`), the audit trail and the web app's users
are declared here too: one schema, one MetaData, so Alembic sees all of it. Their owners' notes:

- Identity below the file (ingest.py): `payment_identity` keys (payer, TRN02) to the payment posted
  first; a later set with the same payment is a `remittance_delivery` row (nothing posted), one that
  differs is a `payment` row with `conflict_of` set, stored with its claims but read by no ledger
  (store/read.py); an 837 claim whose `signature` is stored is a `claim_submission` row.
- `payment_match` is derived data: `detect` rewrites only the rows whose match changed. `finding`
  is reconciled, never rebuilt: its `natural_key` (category + claim + payer + line + cause) is
  unique, so a re-run updates a finding instead of adding another, and a human decision in
  `status` is never overwritten by the engine.
- `audit_event` is append-only: migration 0003 adds triggers that make UPDATE and DELETE fail on
  SQLite and PostgreSQL. `finding_id` is deliberately not a foreign key: a later SQLite batch
  migration of `finding` copies and drops that table, and a foreign key from an append-only table
  would make that drop fail; events must outlive any such rebuild.
- `web_user`, `web_session`, `login_attempt`, `login_device`, `api_token`, `api_token_use`: nothing below the
  web layer knows who is signed in.
  Passwords are stored only as argon2 hashes and session tokens only as SHA-256 digests, so a copy
  of the database does not let anyone sign in; API tokens likewise are kept only as SHA-256 digests.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from edi_engine.store.types import DecimalText, Money

__all__ = [
    "EVENTS", "UTCDateTime", "acknowledgment", "adjustment", "api_token", "api_token_use", "approval_step",
    "audit_event", "claim", "claim_line", "claim_payment", "claim_submission", "deposit", "deposit_match",
    "detect_partition", "detect_run", "fee_schedule", "finding", "ingest_staged", "interchange", "login_attempt",
    "login_device", "manual_match", "metadata", "patient_payment", "payer_alias", "payment", "payment_identity",
    "payment_match", "provider_adjustment", "refund", "remittance_delivery", "service_payment", "source_content",
    "source_file", "transaction_set", "web_session", "web_user",
]

metadata = MetaData(naming_convention={
    # Stable constraint names, so later migrations (and SQLite batch mode) can refer to them.
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# The events of a finding's (or claim's) life the audit trail records.
EVENTS = ("identified", "approved", "refunded", "offset", "dismissed", "resolved", "reopened",
          "letter_written", "corrected_claim_written", "note", "investigation_started", "investigation_ended",
          "cms838_reported", "refund_recorded", "refund_returned", "payment_matched", "payment_unmatched",
          "step_approved", "viewed", "api_token_created", "api_token_revoked")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes, stored as UTC and read back as UTC; SQLite keeps no offset, so a naive value read
    from it is UTC by construction. A naive value written is refused rather than guessed."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("datetimes must carry a time zone (datetime.now(UTC))")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)


# One file handed to ingest or import: stored completely (`ingested`) or recorded as `failed`.
source_file = Table(
    'source_file', metadata,
    Column('id', Integer, primary_key=True),
    Column('content_hash', String(64), nullable=False, unique=True, comment="SHA-256 of the file's bytes"),
    Column('name', Text, nullable=False, comment='path as given when it was ingested'),
    Column('size', BigInteger, nullable=False, comment='bytes'),
    Column('kind', String, nullable=False, comment='835, 837, 835+837, patient-payments, fee-schedule, unknown'),
    Column('received_at', UTCDateTime(), nullable=False, comment='UTC time the store took the file'),
    Column('status', String, nullable=False, comment='ingested or failed'),
    Column('error', Text, nullable=True),
    Column('transactions', Integer, nullable=False, comment='transaction sets stored'),
    Column('claims', Integer, nullable=False, comment='837 claims (CLM) stored'),
    Column('payments', Integer, nullable=False, comment='835 claim payments (CLP) stored'),
    Column('warnings', Text, nullable=True,
           comment='one a line: a re-used ISA13, a remittance re-delivered or held, a claim submitted again'),
)

# The bytes of an ingested file, compressed, in chunks (store/content.py): the evidence outputs show.
source_content = Table(
    'source_content', metadata,
    Column('source_file_id', Integer, ForeignKey('source_file.id'), primary_key=True),
    Column('start_offset', BigInteger, primary_key=True, comment="byte offset in the file of the chunk's first byte"),
    Column('length', Integer, nullable=False, comment='bytes of the file in this chunk, before compression'),
    Column('codec', String, nullable=False, comment='zlib'),
    Column('data', LargeBinary, nullable=False, comment='the chunk, compressed'),
)

# ISA..IEA. (sender_id, control_number) is not unique: senders restart and reuse ISA13 (X12.5 asks
# uniqueness only for a time span), so the same pair from another file is a warning, not a refusal.
interchange = Table(
    'interchange', metadata,
    Column('id', Integer, primary_key=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False, index=True),
    Column('segment', Integer, nullable=False),
    Column('byte_offset', Integer, nullable=False),
    Column('sender_id', String, nullable=True, comment='ISA06'),
    Column('receiver_id', String, nullable=True, comment='ISA08'),
    Column('control_number', String, nullable=True, comment='ISA13'),
    Column('interchange_date', Date, nullable=True, comment='ISA09'),
    Index('ix_interchange_sender_id_control_number', 'sender_id', 'control_number'),
)

# ST..SE with its functional group's facts.
transaction_set = Table(
    'transaction_set', metadata,
    Column('id', Integer, primary_key=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False, index=True),
    Column('interchange_id', Integer, ForeignKey('interchange.id'), nullable=True),
    Column('segment', Integer, nullable=False),
    Column('byte_offset', Integer, nullable=False),
    Column('kind', String, nullable=False, comment='835, 837P, 837I, 837D'),
    Column('implementation', String, nullable=False, comment='ST03, else GS08'),
    Column('control_number', String, nullable=True, comment='ST02'),
    Column('group_control_number', String, nullable=True, comment='GS06'),
    Column('group_sender_id', String, nullable=True, comment='GS02'),
    Column('group_receiver_id', String, nullable=True, comment='GS03'),
    Column('group_date', Date, nullable=True, comment='GS04'),
    Column('segment_count', Integer, nullable=False, comment='segments ST..SE as read'),
)

# An 837 claim (2300 CLM) with its payer, subscriber and patient.
claim = Table(
    'claim', metadata,
    Column('id', Integer, primary_key=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False, index=True),
    Column('transaction_set_id', Integer, ForeignKey('transaction_set.id'), nullable=False),
    Column('segment', Integer, nullable=False),
    Column('byte_offset', Integer, nullable=False),
    Column('variant', String, nullable=False, comment='P, I or D'),
    Column('patient_control_number', String, nullable=False, index=True, comment='CLM01'),
    Column('charge', Money, nullable=False, comment='CLM02'),
    Column('facility_code', String, nullable=True, comment='CLM05-1: place of service or TOB digits 1-2'),
    Column('frequency_code', String, nullable=True, comment='CLM05-3'),
    Column('original_reference', String, nullable=True,
            comment='REF*F8: payer claim control number of the claim replaced'),
    Column('payer_id', String, nullable=True, index=True, comment='2010BB NM109'),
    Column('payer_name', String, nullable=True, comment='2010BB NM103'),
    Column('subscriber_member_id', String, nullable=True, comment='2010BA NM109'),
    Column('subscriber_last_name', String, nullable=True, comment='2010BA NM103'),
    Column('subscriber_first_name', String, nullable=True, comment='2010BA NM104'),
    Column('subscriber_birth_date', Date, nullable=True, comment='2010BA DMG02'),
    Column('patient_last_name', String, nullable=True, comment='2010CA NM103, else the subscriber'),
    Column('patient_first_name', String, nullable=True, comment='2010CA NM104, else the subscriber'),
    Column('patient_birth_date', Date, nullable=True, comment='2010CA DMG02, else the subscriber'),
    Column('billing_provider_id', String, nullable=True, comment='2010AA NM109 (NPI)'),
    Column('billing_provider_name', String, nullable=True, comment='2010AA NM103'),
    Column('statement_from', Date, nullable=True, comment='DTP*434 from (837I)'),
    Column('statement_to', Date, nullable=True, comment='DTP*434 to (837I)'),
    Column('signature', String(64), nullable=True, unique=True,
           comment='SHA-256 of CLM01, payer, frequency, charge, dates and lines: the same claim sent again'),
)

# A claim received again unchanged (same signature): one claim, another submission, no new charge.
claim_submission = Table(
    'claim_submission', metadata,
    Column('id', Integer, primary_key=True),
    Column('claim_id', Integer, ForeignKey('claim.id'), nullable=False, index=True, comment='the claim first stored'),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False, index=True),
    Column('transaction_set_id', Integer, ForeignKey('transaction_set.id'), nullable=False),
    Column('segment', Integer, nullable=False, comment='the CLM segment'),
    Column('byte_offset', Integer, nullable=False),
    Column('received_at', UTCDateTime(), nullable=False, comment='UTC time the store took it'),
)

# An 837 service line (2400): SV1/SV2/SV3 with its date and REF*6R.
claim_line = Table(
    'claim_line', metadata,
    Column('id', Integer, primary_key=True),
    Column('claim_id', Integer, ForeignKey('claim.id'), nullable=False, index=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False),
    Column('segment', Integer, nullable=False),
    Column('byte_offset', Integer, nullable=False),
    Column('line_number', Integer, nullable=False, comment='LX01'),
    Column('procedure_qualifier', String, nullable=True, comment='SV101-1 / SV202-1 / SV301-1'),
    Column('procedure_code', String, nullable=True, comment='SV101-2 / SV202-2 / SV301-2'),
    Column('modifiers', String, nullable=False, comment="procedure modifiers joined by ':'"),
    Column('revenue_code', String, nullable=True, comment='SV201 (837I)'),
    Column('charge', Money, nullable=False, comment='SV102 / SV203 / SV302'),
    Column('units', DecimalText, nullable=True, comment='SV104 / SV205'),
    Column('service_date_from', Date, nullable=True, comment='DTP*472'),
    Column('service_date_to', Date, nullable=True, comment='DTP*472 (RD8 end)'),
    Column('line_control_number', String, nullable=True, comment='REF*6R'),
)

# An 835 transaction's payment: BPR, TRN, payer (1000A) and payee (1000B).
payment = Table(
    'payment', metadata,
    Column('id', Integer, primary_key=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False, index=True),
    Column('transaction_set_id', Integer, ForeignKey('transaction_set.id'), nullable=False),
    Column('segment', Integer, nullable=False, comment='the BPR segment'),
    Column('byte_offset', Integer, nullable=False),
    Column('amount', Money, nullable=False, comment='BPR02'),
    Column('credit_debit', String, nullable=True, comment='BPR03'),
    Column('method', String, nullable=True, comment='BPR04: ACH, CHK, NON, ...'),
    Column('payment_date', Date, nullable=True, comment='BPR16'),
    Column('trace_number', String, nullable=True, index=True, comment='TRN02: check or EFT number'),
    Column('trace_payer_id', String, nullable=True, comment='TRN03'),
    Column('payer_id', String, nullable=True, index=True,
            comment='N1*PR N104, else REF*2U, else TRN03; see payer_alias'),
    Column('payer_name', String, nullable=True, comment='N1*PR N102'),
    Column('payee_id_qualifier', String, nullable=True, comment='N1*PE N103'),
    Column('payee_id', String, nullable=True, comment='N1*PE N104'),
    Column('payee_name', String, nullable=True, comment='N1*PE N102'),
    Column('production_date', Date, nullable=True, comment='DTM*405'),
    Column('payer_key', String, nullable=True,
           comment='TRN03, else N1*PR N104: the payer of the payment identity (domain.md 1.11)'),
    Column('content_digest', String(64), nullable=True,
           comment="SHA-256 of the remittance's money: CLP, SVC, CAS and PLB amounts and codes"),
    Column('conflict_of', Integer, ForeignKey('payment.id'), nullable=True, index=True,
           comment='held, not posted: the posted payment with the same TRN02 and payer it disagrees with'),
)

# The payment identity's unique half (payer, TRN02) -> the payment posted first under it. Inserted in
# the file's transaction with ON CONFLICT DO NOTHING, like source_file's content hash: one process
# posts a payment, any other finds it and records a delivery (or holds a conflict).
payment_identity = Table(
    'payment_identity', metadata,
    Column('payer_key', String, primary_key=True, comment='TRN03, else N1*PR N104'),
    Column('trace_number', String, primary_key=True, comment='TRN02'),
    Column('payment_id', Integer, ForeignKey('payment.id'), nullable=False, comment='the payment posted'),
)

# A transaction set that carried a payment already stored (same payer, TRN02, BPR16, BPR02, BPR03 and
# money): recorded, posted nothing.
remittance_delivery = Table(
    'remittance_delivery', metadata,
    Column('id', Integer, primary_key=True),
    Column('payment_id', Integer, ForeignKey('payment.id'), nullable=False, index=True,
           comment='the payment stored first'),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False, index=True),
    Column('transaction_set_id', Integer, ForeignKey('transaction_set.id'), nullable=False),
    Column('segment', Integer, nullable=False, comment='the BPR segment'),
    Column('byte_offset', Integer, nullable=False),
    Column('received_at', UTCDateTime(), nullable=False, comment='UTC time the store took it'),
)

# An 835 claim payment (2100 CLP).
claim_payment = Table(
    'claim_payment', metadata,
    Column('id', Integer, primary_key=True),
    Column('payment_id', Integer, ForeignKey('payment.id'), nullable=False, index=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False),
    Column('segment', Integer, nullable=False),
    Column('byte_offset', Integer, nullable=False),
    Column('patient_control_number', String, nullable=False, index=True, comment='CLP01'),
    Column('status_code', String, nullable=False, comment='CLP02'),
    Column('charge', Money, nullable=False, comment='CLP03'),
    Column('paid', Money, nullable=False, comment='CLP04'),
    Column('patient_responsibility', Money, nullable=True, comment='CLP05'),
    Column('filing_indicator', String, nullable=True, comment='CLP06'),
    Column('payer_claim_control_number', String, nullable=True, index=True, comment='CLP07'),
    Column('facility_code', String, nullable=True, comment='CLP08'),
    Column('frequency_code', String, nullable=True, comment='CLP09'),
    Column('patient_last_name', String, nullable=True, comment='NM1*QC NM103'),
    Column('patient_first_name', String, nullable=True, comment='NM1*QC NM104'),
    Column('patient_member_id', String, nullable=True, comment='NM1*QC NM109'),
    Column('insured_last_name', String, nullable=True, comment='NM1*IL NM103'),
    Column('insured_first_name', String, nullable=True, comment='NM1*IL NM104'),
    Column('insured_member_id', String, nullable=True, comment='NM1*IL NM109'),
    Column('statement_from', Date, nullable=True, comment='DTM*232'),
    Column('statement_to', Date, nullable=True, comment='DTM*233'),
    Column('received_date', Date, nullable=True, comment='DTM*050'),
)

# An 835 service payment (2110 SVC).
service_payment = Table(
    'service_payment', metadata,
    Column('id', Integer, primary_key=True),
    Column('claim_payment_id', Integer, ForeignKey('claim_payment.id'), nullable=False, index=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False),
    Column('segment', Integer, nullable=False),
    Column('byte_offset', Integer, nullable=False),
    Column('procedure_qualifier', String, nullable=True, comment='SVC01-1'),
    Column('procedure_code', String, nullable=True, comment='SVC01-2'),
    Column('modifiers', String, nullable=False, comment="SVC01-3..6 joined by ':'"),
    Column('charge', Money, nullable=False, comment='SVC02'),
    Column('paid', Money, nullable=False, comment='SVC03'),
    Column('revenue_code', String, nullable=True, comment='SVC04'),
    Column('units', DecimalText, nullable=True, comment='SVC05'),
    Column('submitted_procedure_qualifier', String, nullable=True, comment='SVC06-1'),
    Column('submitted_procedure_code', String, nullable=True, comment='SVC06-2'),
    Column('submitted_modifiers', String, nullable=False, comment="SVC06-3..6 joined by ':'"),
    Column('original_units', DecimalText, nullable=True, comment='SVC07'),
    Column('service_date_from', Date, nullable=True, comment='DTM*472 or DTM*150'),
    Column('service_date_to', Date, nullable=True, comment='DTM*472 or DTM*151'),
    Column('line_control_number', String, nullable=True, comment='REF*6R'),
    Column('allowed', Money, nullable=True, comment='AMT*B6'),
)

# One CAS triplet, claim level (service_payment_id NULL) or line level.
adjustment = Table(
    'adjustment', metadata,
    Column('id', Integer, primary_key=True),
    Column('claim_payment_id', Integer, ForeignKey('claim_payment.id'), nullable=False, index=True),
    Column('service_payment_id', Integer, ForeignKey('service_payment.id'), nullable=True, index=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False),
    Column('segment', Integer, nullable=False, comment='the CAS segment'),
    Column('byte_offset', Integer, nullable=False),
    Column('group_code', String, nullable=False, comment='CAS01: CO, PR, OA, PI (CR in 4010)'),
    Column('reason_code', String, nullable=False, comment='CAS02/05/...: CARC'),
    Column('amount', Money, nullable=False, comment='CAS03/06/...'),
    Column('quantity', DecimalText, nullable=True, comment='CAS04/07/...'),
)

# One PLB reason/amount pair.
provider_adjustment = Table(
    'provider_adjustment', metadata,
    Column('id', Integer, primary_key=True),
    Column('payment_id', Integer, ForeignKey('payment.id'), nullable=False, index=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False),
    Column('segment', Integer, nullable=False),
    Column('byte_offset', Integer, nullable=False),
    Column('provider_id', String, nullable=False, comment='PLB01'),
    Column('fiscal_period_date', Date, nullable=True, comment='PLB02'),
    Column('reason_code', String, nullable=False, comment='PLB03-1/05-1/...: e.g. WO, FB, L6, 72'),
    Column('reference', String, nullable=True, comment='PLB03-2/05-2/...'),
    Column('amount', Money, nullable=False, comment='PLB04/06/...: positive reduces the payment'),
)

# A payment by the patient, imported from CSV; `segment` is the CSV line number.
patient_payment = Table(
    'patient_payment', metadata,
    Column('id', Integer, primary_key=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False, index=True),
    Column('segment', Integer, nullable=False, comment='CSV line number'),
    Column('patient_control_number', String, nullable=False, index=True, comment='claim_id column: CLM01'),
    Column('payment_date', Date, nullable=False),
    Column('amount', Money, nullable=False),
    Column('method', String, nullable=True),
    Column('reference', String, nullable=True),
)

# A payer's allowed amount per procedure and modifier, imported from CSV; `segment` is the CSV line number.
fee_schedule = Table(
    'fee_schedule', metadata,
    Column('id', Integer, primary_key=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False, index=True),
    Column('segment', Integer, nullable=False, comment='CSV line number'),
    Column('payer_id', String, nullable=False, comment='canonical payer id (837 2010BB NM109)'),
    Column('procedure_code', String, nullable=False),
    Column('modifier', String, nullable=False, comment="'' when the amount is for any modifier"),
    Column('allowed_amount', Money, nullable=False),
    Column('effective_from', Date, nullable=True),
    Column('effective_to', Date, nullable=True),
    Index('ix_fee_schedule_lookup', 'payer_id', 'procedure_code', 'modifier'),
)

# A credit to the provider's bank account, imported from a BAI2 file (one 16 record with its 88
# continuations) or a deposits CSV; `segment` is the line number. Only what reassociation needs is
# kept: the 16 record's free text is not stored, only the TRN trace read from it (store/bai2.py).
deposit = Table(
    'deposit', metadata,
    Column('id', Integer, primary_key=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False, index=True),
    Column('segment', Integer, nullable=False, comment='line number: the BAI2 16 record, or the CSV line'),
    Column('deposit_date', Date, nullable=False, comment='BAI2 02 as-of date; CSV deposit_date'),
    Column('amount', Money, nullable=False, comment='BAI2 16 amount; CSV amount'),
    Column('account', String, nullable=False, comment='BAI2 03 customer account number; CSV account'),
    Column('type_code', String, nullable=True, comment='BAI2 16 type code (165 ACH credit, 301 deposit); NULL for CSV'),
    Column('trace_number', String, nullable=True, index=True,
           comment='reassociation trace: TRN02 of the CCD+ addenda (BAI2 text), or the CSV reference'),
    Column('originator', String, nullable=True, comment='TRN03 of the addenda, or the CSV payer column'),
    Column('bank_reference', String, nullable=True, comment='BAI2 16 bank reference number'),
    Column('customer_reference', String, nullable=True, comment='BAI2 16 customer reference number (check serial)'),
    Column('claim_payment', Boolean, nullable=False,
           comment='NACHA HCCLAIMPMT or a TRN addenda seen, or a CSV row: an ERA is expected for it'),
)

# Which deposit an 835 payment (BPR/TRN) arrived as: derived by detect, rewritten only where it changed.
deposit_match = Table(
    'deposit_match', metadata,
    Column('id', Integer, primary_key=True),
    Column('payment_id', Integer, ForeignKey('payment.id'), nullable=False, unique=True),
    Column('deposit_id', Integer, ForeignKey('deposit.id'), nullable=False, unique=True),
    Column('method', String, nullable=False, comment='trn02, check_number or amount+date'),
)

# Another name a payer uses (typically on the 835 side) for the canonical 837 payer id.
payer_alias = Table(
    'payer_alias', metadata,
    Column('alias', String, primary_key=True),
    Column('payer_id', String, nullable=False, index=True, comment='canonical: 837 2010BB NM109'),
    Column('created_at', UTCDateTime(), nullable=False),
)

# A payer's facts as the office keeps them (`edi-engine payers import`, store/payers.py): its name
# (shown wherever its id is), its type (medicare, medicaid, commercial, ...: detection reads it before
# the rule pack's [payers]) and where its refund desk is. `id` is the canonical id of payer_alias.
payer = Table(
    'payer', metadata,
    Column('id', String, primary_key=True, comment='canonical payer id: 837 2010BB NM109'),
    Column('name', String, nullable=False),
    Column('type', String, nullable=True, comment='medicare, medicaid, medicare_advantage, commercial, ...'),
    Column('refund_address', Text, nullable=True, comment="the refund desk's mailing address, lines joined by newline"),
    Column('contact', String, nullable=True, comment='a person or department, and a phone'),
    Column('fax', String, nullable=True),
    Column('email', String, nullable=True),
    Column('letter_preferences', String, nullable=True,
           comment="how letters go, in order of preference: mail, fax, email joined by ';'"),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False, comment='the CSV last imported'),
    Column('segment', Integer, nullable=False, comment='its CSV line number'),
    Column('updated_at', UTCDateTime(), nullable=False, comment='UTC'),
)

# How an 835 fact was tied to the 837 (or a reversal/PLB to the payment it concerns).
payment_match = Table(
    'payment_match', metadata,
    Column('id', Integer, primary_key=True),
    Column('subject', String, nullable=False,
            comment='claim_payment, service_payment, reversal or provider_adjustment'),
    Column('subject_id', Integer, nullable=False, comment="id of the row in the subject's table"),
    Column('claim_id', Integer, nullable=True, index=True, comment='837 claim matched'),
    Column('claim_line_id', Integer, nullable=True, comment='837 line matched (service payments)'),
    Column('claim_payment_id', Integer, nullable=True, comment='CLP reversed or recouped'),
    Column('method', String, nullable=False, comment='e.g. clp01+payer+charge, ref6r, svc06+date+units, clp07'),
    UniqueConstraint('subject', 'subject_id'),
)

# A payment matched to a claim (or a line) by a person: the ledger uses it as it uses an automatic
# match (method 'manual'). Never deleted: undoing it sets undone_*, so who matched and who undid
# stay on record; at most one row per payment is in force (undone_at NULL). Ids are not foreign
# keys, as in payment_match: matching is derived from these rows, never the other way round.
manual_match = Table(
    'manual_match', metadata,
    Column('id', Integer, primary_key=True),
    Column('subject', String, nullable=False, comment='claim_payment (CLP) or service_payment (SVC)'),
    Column('subject_id', Integer, nullable=False, comment="id of the row in the subject's table"),
    Column('claim_id', Integer, nullable=False, comment='837 claim the payment is matched to'),
    Column('claim_line_id', Integer, nullable=True, comment='837 line, when matched to a line'),
    Column('finding_id', Integer, nullable=True, index=True, comment='the unmatched_payment finding it answered'),
    Column('note', Text, nullable=False, comment='why, in the words of who matched it'),
    Column('matched_by', String, nullable=False),
    Column('matched_at', UTCDateTime(), nullable=False, comment='UTC'),
    Column('undone_by', String, nullable=True),
    Column('undone_at', UTCDateTime(), nullable=True, comment='UTC; NULL while the match is in force'),
    Column('undo_note', Text, nullable=True),
    Index('ix_manual_match_subject_subject_id', 'subject', 'subject_id'),
    Index('uq_manual_match_in_force', 'subject', 'subject_id', unique=True,
          sqlite_where=text('undone_at IS NULL'), postgresql_where=text('undone_at IS NULL')),
)

# A credit balance (refund finding) or a data problem (unmatched_payment, unbalanced_remittance).
finding = Table(
    'finding', metadata,
    Column('id', Integer, primary_key=True),
    Column('natural_key', Text, nullable=False, unique=True,
            comment='category|CLM01|payer|line|cause: stable across runs'),
    Column('category', String, nullable=False, index=True),
    Column('patient_control_number', String, nullable=True, index=True, comment='CLM01 / CLP01'),
    Column('payer_id', String, nullable=True, comment='canonical payer id'),
    Column('line_key', String, nullable=False, comment='REF*6R or LX01 when the finding is per line'),
    Column('cause', String, nullable=False, comment='what distinguishes findings of one category on one claim'),
    Column('amount', Money, nullable=False),
    Column('refund_to', String, nullable=True, comment='payer, patient or offset'),
    Column('payer_type', String, nullable=True, comment='medicare, medicaid, commercial, ...'),
    Column('identified_on', Date, nullable=False),
    Column('deadline', Date, nullable=True),
    Column('status', String, nullable=False, index=True,
            comment='open, resolved; decisions: approved, dismissed, refunded, offset'),
    Column('resolved_on', Date, nullable=True),
    Column('evidence', Text, nullable=False, comment='JSON: files, segments, control and check numbers, amounts'),
    Column('updated_at', UTCDateTime(), nullable=True, comment='UTC time of the last change by detect'),
    Column('arose_on', Date, nullable=True,
           comment='when the money that made the credit was received (BPR16, patient payment date); '
                   'NULL when no payment date is known'),
    Column('investigation_started_on', Date, nullable=True,
           comment='a good-faith investigation suspends the Medicare clock'),
    Column('investigation_ended_on', Date, nullable=True),
    Column('reported_on', Date, nullable=True, comment='the day a CMS-838 last listed it'),
    Column('reported_amount', Money, nullable=True,
           comment='cents the CMS-838 listed then; a change is reported again'),
)

# Money the provider paid back on a finding: one check or EFT (or the part of one that repaid this
# finding; a check may repay several). Recorded by `findings mark-refunded`, the detail page or
# `refunds post`; the ledger posts each on the account (ledger/postings.py "refund"), so a repaid
# credit is not reported again. `finding_id` is not a foreign key, for the reason audit_event gives.
# (finding, method, number) is unique: the same check recorded twice for a finding is one refund.
refund = Table(
    'refund', metadata,
    Column('id', Integer, primary_key=True),
    Column('finding_id', Integer, nullable=False, index=True, comment='finding.id the money repaid'),
    Column('method', String, nullable=False, comment='check or eft'),
    Column('number', String, nullable=False, comment='check number, or the EFT trace number'),
    Column('amount', Money, nullable=False, comment='what of the check or EFT repaid this finding'),
    Column('paid_on', Date, nullable=False, comment='check issue date or EFT effective date'),
    Column('payee', String, nullable=False, comment='who the check was made out to: the payer or the patient'),
    Column('recorded_by', String, nullable=False),
    Column('recorded_at', UTCDateTime(), nullable=False, comment='UTC'),
    Column('source', String, nullable=False, comment='mark-refunded, web, or the issued-checks file and line'),
    Column('returned_on', Date, nullable=True, comment='the check came back or was never cashed: not a repayment'),
    Column('returned_reason', String, nullable=True, comment='returned or uncashed'),
    UniqueConstraint('finding_id', 'method', 'number'),
)

# One step of a refund's approval chain taken (rules/approvals.py; the audit trail records each too).
# A step stands while the finding is as it was when the step was taken: `basis` is the finding's
# amount and detect's last change of it (finding.updated_at), so an amount changed or a credit
# resolved and reopened since asks for its approvals again. (finding, basis, step) is unique: two
# people taking the same step at once record one. `finding_id` is no foreign key (see audit_event).
approval_step = Table(
    'approval_step', metadata,
    Column('id', Integer, primary_key=True),
    Column('finding_id', Integer, nullable=False, index=True, comment='finding.id'),
    Column('step', Integer, nullable=False, comment='1-based position in the chain'),
    Column('name', String, nullable=False, comment="the step's name in the rule pack's [approvals]"),
    Column('role', String, nullable=False, comment='the least role the step needed'),
    Column('actor', String, nullable=False, comment='who took it'),
    Column('at', UTCDateTime(), nullable=False, comment='UTC'),
    Column('note', Text, nullable=False),
    Column('amount', Money, nullable=False, comment="the finding's amount approved"),
    Column('basis', String, nullable=False, comment="the finding as approved: detect's last change and the amount"),
    UniqueConstraint('finding_id', 'basis', 'step'),
)

# Who did what to a finding (or claim), when and why. Never updated, never deleted.
audit_event = Table(
    'audit_event', metadata,
    Column('id', Integer, primary_key=True),
    Column('finding_id', Integer, nullable=True, index=True, comment='finding.id; NULL for claim-level events'),
    Column('event', String, nullable=False, index=True, comment=', '.join(EVENTS)),
    Column('actor', String, nullable=False, comment='who: a user name, or detect/system'),
    Column('at', DateTime(timezone=True), nullable=False, comment='UTC time of the event'),
    Column('note', Text, nullable=False, comment="why, in the actor's words"),
    Column('details', Text, nullable=False, comment='JSON: status before/after, amounts, files, control numbers'),
)

# A person who signs in to the review app.
web_user = Table(
    'web_user', metadata,
    Column('id', Integer, primary_key=True),
    Column('username', String, nullable=False, unique=True),
    Column('password_hash', String, nullable=False, comment='argon2id hash (PHC string)'),
    Column('role', String, nullable=False, comment='reviewer, approver or admin'),
    Column('disabled', Boolean, nullable=False),
    Column('created_at', UTCDateTime(), nullable=False, comment='UTC'),
)

# A signed-in browser: the cookie holds a random token, the row only its digest.
web_session = Table(
    'web_session', metadata,
    Column('id', Integer, primary_key=True),
    Column('token_hash', String(64), nullable=False, unique=True, comment="SHA-256 hex of the cookie's token"),
    Column('user_id', Integer, ForeignKey('web_user.id'), nullable=False, index=True),
    Column('csrf_token', String, nullable=False, comment='echoed by every form of this session'),
    Column('created_at', UTCDateTime(), nullable=False, comment='UTC'),
    Column('expires_at', UTCDateTime(), nullable=False, comment='UTC'),
    Column('last_seen_at', UTCDateTime(), nullable=False, comment='UTC; the idle timeout counts from here'),
)

# A browser that has signed in as this user before (its cookie holds a random token, the row only
# the digest): sign-in throttling lets it through, so an attacker's failures cannot lock the owner out.
login_device = Table(
    'login_device', metadata,
    Column('id', Integer, primary_key=True),
    Column('token_hash', String(64), nullable=False, unique=True, comment="SHA-256 hex of the device cookie's token"),
    Column('user_id', Integer, ForeignKey('web_user.id'), nullable=False, index=True),
    Column('created_at', UTCDateTime(), nullable=False, comment='UTC'),
    Column('last_used_at', UTCDateTime(), nullable=False, comment='UTC; last successful sign-in from it'),
    Column('failures', Integer, nullable=False, comment='wrong passwords from it since that sign-in'),
)

# A user's HTTP API token (Authorization: Bearer): the secret is shown once, the row keeps its SHA-256
# digest only. The token acts with its user's role, and not at all once revoked or the user disabled.
api_token = Table(
    'api_token', metadata,
    Column('id', Integer, primary_key=True),
    Column('token_hash', String(64), nullable=False, unique=True, comment="SHA-256 hex of the token's secret"),
    Column('user_id', Integer, ForeignKey('web_user.id'), nullable=False, index=True),
    Column('name', String, nullable=False, comment='what the token is for, as its creator said'),
    Column('created_at', UTCDateTime(), nullable=False, comment='UTC'),
    Column('created_by', String, nullable=False, comment='who created it'),
    Column('revoked_at', UTCDateTime(), nullable=True, comment='UTC; NULL while the token works'),
    Column('revoked_by', String, nullable=True),
    Column('last_used_at', UTCDateTime(), nullable=True, comment='UTC'),
)

# One request made with an API token: the use half of the tokens' audit (creation and revocation are
# audit_event rows). Ids and route only, never a query string or body, so no PHI.
api_token_use = Table(
    'api_token_use', metadata,
    Column('id', Integer, primary_key=True),
    Column('token_id', Integer, ForeignKey('api_token.id'), nullable=False, index=True),
    Column('at', UTCDateTime(), nullable=False, index=True, comment='UTC'),
    Column('method', String(8), nullable=False),
    Column('path', String, nullable=False, comment='the request path (ids, no query string)'),
    Column('status', Integer, nullable=False, comment='HTTP status answered'),
    Column('address', String, nullable=False, comment='client IP address'),
)

# One sign-in attempt, kept for rate limiting per username and per client address.
login_attempt = Table(
    'login_attempt', metadata,
    Column('id', Integer, primary_key=True),
    Column('username', String, nullable=False, index=True),
    Column('address', String, nullable=False, index=True, comment='client IP address'),
    Column('at', UTCDateTime(), nullable=False, index=True, comment='UTC'),
    Column('succeeded', Boolean, nullable=False),
)


# One verdict read from a TA1, 999 or 277CA (store/acks.py writes and reads these). Not linked by
# foreign key to what it answers: an acknowledgment may arrive before its 837 is stored, so the
# link (GS06+ST02 and the swapped interchange parties for a 999; CLM01, charge and payer for a
# 277CA) is resolved when claims are read.
acknowledgment = Table(
    'acknowledgment', metadata,
    Column('id', Integer, primary_key=True),
    Column('source_file_id', Integer, ForeignKey('source_file.id'), nullable=False, index=True),
    Column('transaction_set_id', Integer, ForeignKey('transaction_set.id'), nullable=True,
           comment='the 999/277CA set read; NULL for a TA1'),
    Column('segment', Integer, nullable=False, comment='TA1, AK2, AK9 or the 277CA HL'),
    Column('byte_offset', Integer, nullable=False),
    Column('kind', String, nullable=False, comment='TA1, 999 or 277CA'),
    Column('level', String, nullable=False,
           comment='interchange (TA1), group (AK9), transaction_set (AK2/IK5), information_receiver, '
                   'provider_of_service, claim (277CA 2000B/2000C/2000D)'),
    Column('disposition', String, nullable=False, comment='accepted, rejected, partial, received, pending, other'),
    Column('code', String, nullable=False, comment='TA104, AK901, IK501 or the deciding STC01-1 category'),
    Column('detail_codes', Text, nullable=False,
           comment='TA105; AK905-909; IK502-506 and IK3 segment/position/code; STC composites category:status:entity'),
    Column('sender_id', String, nullable=True, comment="the acknowledgment's ISA06"),
    Column('receiver_id', String, nullable=True, comment="the acknowledgment's ISA08"),
    Column('group_sender_id', String, nullable=True, comment="the acknowledgment's GS02"),
    Column('group_receiver_id', String, nullable=True, comment="the acknowledgment's GS03"),
    Column('ack_date', Date, nullable=True,
           comment='277CA DTP*009, else STC02, else BHT04; 999 GS04, else ISA09; TA1 ISA09'),
    Column('acknowledged_interchange_control', String, nullable=True, comment='TA101'),
    Column('acknowledged_group_control', String, nullable=True, comment='AK102 (GS06 acknowledged)'),
    Column('acknowledged_set_type', String, nullable=True, comment='AK201 (ST01 acknowledged)'),
    Column('acknowledged_set_control', String, nullable=True, comment='AK202 (ST02 acknowledged)'),
    Column('patient_control_number', String, nullable=True, index=True, comment='277CA 2200D TRN02 (CLM01)'),
    Column('charge', Money, nullable=True, comment='277CA STC04'),
    Column('payer_claim_control_number', String, nullable=True, comment='277CA 2200D REF*1K (835 CLP07)'),
    Column('payer_id', String, nullable=True, comment='277CA 2100A NM109'),
    Column('trace_number', String, nullable=True, comment='277CA 2200B/2200C TRN02'),
    Index('ix_acknowledgment_group_set', 'acknowledged_group_control', 'acknowledged_set_control'),
)

# The findings queue's search (store/queue.py): patient names and member ids by case-insensitive
# prefix, on the 837 claim and on the 835's NM1*QC/IL (a payment no claim matched), and the payer
# menu (migration 0013).
_LOWER_INDEXES = (
    ('ix_claim_lower_patient_last_name', claim.c.patient_last_name),
    ('ix_claim_lower_patient_first_name', claim.c.patient_first_name),
    ('ix_claim_lower_subscriber_member_id', claim.c.subscriber_member_id),
    ('ix_claim_payment_lower_patient_last_name', claim_payment.c.patient_last_name),
    ('ix_claim_payment_lower_patient_first_name', claim_payment.c.patient_first_name),
    ('ix_claim_payment_lower_patient_member_id', claim_payment.c.patient_member_id),
    ('ix_claim_payment_lower_insured_member_id', claim_payment.c.insured_member_id),
)
for _name, _column in _LOWER_INDEXES:
    Index(_name, func.lower(_column))
Index('ix_finding_payer_id', finding.c.payer_id)

# One completed detect run over the whole store: how far its inputs reached (the highest ids it
# read), so the next run re-examines only the accounts touched since (rules/run.py). A run whose
# fingerprint (engine version, rule pack, as-of date, payer aliases) differs from the last one's
# examines every account. Written by the run itself, in its own transaction.
detect_run = Table(
    'detect_run', metadata,
    Column('id', Integer, primary_key=True),
    Column('finished_at', UTCDateTime(), nullable=False),
    Column('as_of', Date, nullable=False),
    Column('fingerprint', String(64), nullable=False,
           comment='SHA-256 of engine version, rule pack, as-of date and payer aliases'),
    Column('mode', String, nullable=False, comment='full or incremental'),
    Column('accounts', Integer, nullable=False, comment='accounts examined'),
    Column('last_source_file_id', Integer, nullable=False, comment='highest source_file.id read'),
    Column('last_audit_event_id', Integer, nullable=False, comment='highest audit_event.id read'),
    Column('last_refund_id', Integer, nullable=False, comment='highest refund.id read'),
    Column('last_acknowledgment_id', Integer, nullable=False, comment='highest acknowledgment.id read'),
    Column('account_links', Text, nullable=False,
           comment='JSON: replacement CLM01 -> the CLM01 it replaces, as the run linked them'),
    Column('rejected_claims', Text, nullable=False, comment='JSON: claim ids an acknowledgment rejected'),
)


# A file handed to the task queue (edi_engine/tasks): its bytes wait here, compressed, so that a worker on
# any host sharing the database can ingest it without sharing a folder. Keyed by content hash: the same
# file queued twice is staged once. Deleted once a worker has stored it (or recorded its failure).
ingest_staged = Table(
    'ingest_staged', metadata,
    Column('content_hash', String(64), primary_key=True, comment="SHA-256 of the file's bytes"),
    Column('name', String, nullable=False, comment='the name the file was queued under'),
    Column('size', BigInteger, nullable=False, comment='bytes before compression'),
    Column('data', LargeBinary, nullable=False, comment='the whole file, zlib'),
    Column('staged_at', UTCDateTime(), nullable=False),
)

# One account partition of a partitioned detect run (rules/run.py detect_partition): what the partition's
# worker found, kept until the run's final store-wide step reconciles every partition at once and deletes
# them. Written in the partition's own transaction with its match rows, so a worker killed mid-partition
# leaves nothing and the retried job writes it whole.
detect_partition = Table(
    'detect_partition', metadata,
    Column('run_token', String(32), primary_key=True, comment='the partitioned run'),
    Column('part', Integer, primary_key=True, comment='0 .. parts-1'),
    Column('parts', Integer, nullable=False),
    Column('scan', LargeBinary, nullable=False, comment="the partition's candidates (pickle, written by a worker)"),
    Column('finished_at', UTCDateTime(), nullable=False),
)
