"""Initial schema: files, envelopes, 837 claims, 835 payments, imports, payer aliases.

Money columns are BIGINT cents and quantities VARCHAR(40) decimal text (see store/types.py).

Revision ID: 0001
Revises:
Create Date: 2026-11-27 01:12:30.339155
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payer_alias',
    sa.Column('alias', sa.String(), nullable=False),
    sa.Column('payer_id', sa.String(), nullable=False, comment='canonical: 837 2010BB NM109'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('alias', name=op.f('pk_payer_alias'))
    )
    with op.batch_alter_table('payer_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payer_alias_payer_id'), ['payer_id'], unique=False)

    op.create_table('source_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False, comment="SHA-256 of the file's bytes"),
    sa.Column('name', sa.Text(), nullable=False, comment='path as given when it was ingested'),
    sa.Column('size', sa.BigInteger(), nullable=False, comment='bytes'),
    sa.Column('kind', sa.String(), nullable=False, comment='835, 837, 835+837, patient-payments, fee-schedule, unknown'),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False, comment='UTC time the store took the file'),
    sa.Column('status', sa.String(), nullable=False, comment='ingested or failed'),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('transactions', sa.Integer(), nullable=False, comment='transaction sets stored'),
    sa.Column('claims', sa.Integer(), nullable=False, comment='837 claims (CLM) stored'),
    sa.Column('payments', sa.Integer(), nullable=False, comment='835 claim payments (CLP) stored'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_file')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_source_file_content_hash'))
    )
    op.create_table('fee_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False, comment='CSV line number'),
    sa.Column('payer_id', sa.String(), nullable=False, comment='canonical payer id (837 2010BB NM109)'),
    sa.Column('procedure_code', sa.String(), nullable=False),
    sa.Column('modifier', sa.String(), nullable=False, comment="'' when the amount is for any modifier"),
    sa.Column('allowed_amount', sa.BigInteger(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'], name=op.f('fk_fee_schedule_source_file_id_source_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_schedule'))
    )
    with op.batch_alter_table('fee_schedule', schema=None) as batch_op:
        batch_op.create_index('ix_fee_schedule_lookup', ['payer_id', 'procedure_code', 'modifier'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_schedule_source_file_id'), ['source_file_id'], unique=False)

    op.create_table('interchange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False),
    sa.Column('byte_offset', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(), nullable=True, comment='ISA06'),
    sa.Column('receiver_id', sa.String(), nullable=True, comment='ISA08'),
    sa.Column('control_number', sa.String(), nullable=True, comment='ISA13'),
    sa.Column('interchange_date', sa.Date(), nullable=True, comment='ISA09'),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'], name=op.f('fk_interchange_source_file_id_source_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interchange')),
    sa.UniqueConstraint('sender_id', 'control_number', name=op.f('uq_interchange_sender_id_control_number'))
    )
    with op.batch_alter_table('interchange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interchange_source_file_id'), ['source_file_id'], unique=False)

    op.create_table('patient_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False, comment='CSV line number'),
    sa.Column('patient_control_number', sa.String(), nullable=False, comment='claim_id column: CLM01'),
    sa.Column('payment_date', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('method', sa.String(), nullable=True),
    sa.Column('reference', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'], name=op.f('fk_patient_payment_source_file_id_source_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_payment'))
    )
    with op.batch_alter_table('patient_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_payment_patient_control_number'), ['patient_control_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_payment_source_file_id'), ['source_file_id'], unique=False)

    op.create_table('transaction_set',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('interchange_id', sa.Integer(), nullable=True),
    sa.Column('segment', sa.Integer(), nullable=False),
    sa.Column('byte_offset', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False, comment='835, 837P, 837I, 837D'),
    sa.Column('implementation', sa.String(), nullable=False, comment='ST03, else GS08'),
    sa.Column('control_number', sa.String(), nullable=True, comment='ST02'),
    sa.Column('group_control_number', sa.String(), nullable=True, comment='GS06'),
    sa.Column('group_sender_id', sa.String(), nullable=True, comment='GS02'),
    sa.Column('group_receiver_id', sa.String(), nullable=True, comment='GS03'),
    sa.Column('group_date', sa.Date(), nullable=True, comment='GS04'),
    sa.Column('segment_count', sa.Integer(), nullable=False, comment='segments ST..SE as read'),
    sa.ForeignKeyConstraint(['interchange_id'], ['interchange.id'], name=op.f('fk_transaction_set_interchange_id_interchange')),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'], name=op.f('fk_transaction_set_source_file_id_source_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_set'))
    )
    with op.batch_alter_table('transaction_set', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transaction_set_source_file_id'), ['source_file_id'], unique=False)

    op.create_table('claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('transaction_set_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False),
    sa.Column('byte_offset', sa.Integer(), nullable=False),
    sa.Column('variant', sa.String(), nullable=False, comment='P, I or D'),
    sa.Column('patient_control_number', sa.String(), nullable=False, comment='CLM01'),
    sa.Column('charge', sa.BigInteger(), nullable=False, comment='CLM02'),
    sa.Column('facility_code', sa.String(), nullable=True, comment='CLM05-1: place of service or TOB digits 1-2'),
    sa.Column('frequency_code', sa.String(), nullable=True, comment='CLM05-3'),
    sa.Column('original_reference', sa.String(), nullable=True, comment='REF*F8: payer claim control number of the claim replaced'),
    sa.Column('payer_id', sa.String(), nullable=True, comment='2010BB NM109'),
    sa.Column('payer_name', sa.String(), nullable=True, comment='2010BB NM103'),
    sa.Column('subscriber_member_id', sa.String(), nullable=True, comment='2010BA NM109'),
    sa.Column('subscriber_last_name', sa.String(), nullable=True, comment='2010BA NM103'),
    sa.Column('subscriber_first_name', sa.String(), nullable=True, comment='2010BA NM104'),
    sa.Column('subscriber_birth_date', sa.Date(), nullable=True, comment='2010BA DMG02'),
    sa.Column('patient_last_name', sa.String(), nullable=True, comment='2010CA NM103, else the subscriber'),
    sa.Column('patient_first_name', sa.String(), nullable=True, comment='2010CA NM104, else the subscriber'),
    sa.Column('patient_birth_date', sa.Date(), nullable=True, comment='2010CA DMG02, else the subscriber'),
    sa.Column('billing_provider_id', sa.String(), nullable=True, comment='2010AA NM109 (NPI)'),
    sa.Column('billing_provider_name', sa.String(), nullable=True, comment='2010AA NM103'),
    sa.Column('statement_from', sa.Date(), nullable=True, comment='DTP*434 from (837I)'),
    sa.Column('statement_to', sa.Date(), nullable=True, comment='DTP*434 to (837I)'),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'], name=op.f('fk_claim_source_file_id_source_file')),
    sa.ForeignKeyConstraint(['transaction_set_id'], ['transaction_set.id'], name=op.f('fk_claim_transaction_set_id_transaction_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim'))
    )
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_patient_control_number'), ['patient_control_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_payer_id'), ['payer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_source_file_id'), ['source_file_id'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('transaction_set_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False, comment='the BPR segment'),
    sa.Column('byte_offset', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False, comment='BPR02'),
    sa.Column('credit_debit', sa.String(), nullable=True, comment='BPR03'),
    sa.Column('method', sa.String(), nullable=True, comment='BPR04: ACH, CHK, NON, ...'),
    sa.Column('payment_date', sa.Date(), nullable=True, comment='BPR16'),
    sa.Column('trace_number', sa.String(), nullable=True, comment='TRN02: check or EFT number'),
    sa.Column('trace_payer_id', sa.String(), nullable=True, comment='TRN03'),
    sa.Column('payer_id', sa.String(), nullable=True, comment='N1*PR N104, else REF*2U, else TRN03; see payer_alias'),
    sa.Column('payer_name', sa.String(), nullable=True, comment='N1*PR N102'),
    sa.Column('payee_id_qualifier', sa.String(), nullable=True, comment='N1*PE N103'),
    sa.Column('payee_id', sa.String(), nullable=True, comment='N1*PE N104'),
    sa.Column('payee_name', sa.String(), nullable=True, comment='N1*PE N102'),
    sa.Column('production_date', sa.Date(), nullable=True, comment='DTM*405'),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'], name=op.f('fk_payment_source_file_id_source_file')),
    sa.ForeignKeyConstraint(['transaction_set_id'], ['transaction_set.id'], name=op.f('fk_payment_transaction_set_id_transaction_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_payer_id'), ['payer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_source_file_id'), ['source_file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_trace_number'), ['trace_number'], unique=False)

    op.create_table('claim_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False),
    sa.Column('byte_offset', sa.Integer(), nullable=False),
    sa.Column('line_number', sa.Integer(), nullable=False, comment='LX01'),
    sa.Column('procedure_qualifier', sa.String(), nullable=True, comment='SV101-1 / SV202-1 / SV301-1'),
    sa.Column('procedure_code', sa.String(), nullable=True, comment='SV101-2 / SV202-2 / SV301-2'),
    sa.Column('modifiers', sa.String(), nullable=False, comment="procedure modifiers joined by ':'"),
    sa.Column('revenue_code', sa.String(), nullable=True, comment='SV201 (837I)'),
    sa.Column('charge', sa.BigInteger(), nullable=False, comment='SV102 / SV203 / SV302'),
    sa.Column('units', sa.String(length=40), nullable=True, comment='SV104 / SV205'),
    sa.Column('service_date_from', sa.Date(), nullable=True, comment='DTP*472'),
    sa.Column('service_date_to', sa.Date(), nullable=True, comment='DTP*472 (RD8 end)'),
    sa.Column('line_control_number', sa.String(), nullable=True, comment='REF*6R'),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_claim_line_claim_id_claim')),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'], name=op.f('fk_claim_line_source_file_id_source_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_line'))
    )
    with op.batch_alter_table('claim_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_line_claim_id'), ['claim_id'], unique=False)

    op.create_table('claim_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False),
    sa.Column('byte_offset', sa.Integer(), nullable=False),
    sa.Column('patient_control_number', sa.String(), nullable=False, comment='CLP01'),
    sa.Column('status_code', sa.String(), nullable=False, comment='CLP02'),
    sa.Column('charge', sa.BigInteger(), nullable=False, comment='CLP03'),
    sa.Column('paid', sa.BigInteger(), nullable=False, comment='CLP04'),
    sa.Column('patient_responsibility', sa.BigInteger(), nullable=True, comment='CLP05'),
    sa.Column('filing_indicator', sa.String(), nullable=True, comment='CLP06'),
    sa.Column('payer_claim_control_number', sa.String(), nullable=True, comment='CLP07'),
    sa.Column('facility_code', sa.String(), nullable=True, comment='CLP08'),
    sa.Column('frequency_code', sa.String(), nullable=True, comment='CLP09'),
    sa.Column('patient_last_name', sa.String(), nullable=True, comment='NM1*QC NM103'),
    sa.Column('patient_first_name', sa.String(), nullable=True, comment='NM1*QC NM104'),
    sa.Column('patient_member_id', sa.String(), nullable=True, comment='NM1*QC NM109'),
    sa.Column('insured_last_name', sa.String(), nullable=True, comment='NM1*IL NM103'),
    sa.Column('insured_first_name', sa.String(), nullable=True, comment='NM1*IL NM104'),
    sa.Column('insured_member_id', sa.String(), nullable=True, comment='NM1*IL NM109'),
    sa.Column('statement_from', sa.Date(), nullable=True, comment='DTM*232'),
    sa.Column('statement_to', sa.Date(), nullable=True, comment='DTM*233'),
    sa.Column('received_date', sa.Date(), nullable=True, comment='DTM*050'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_claim_payment_payment_id_payment')),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'], name=op.f('fk_claim_payment_source_file_id_source_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_payment'))
    )
    with op.batch_alter_table('claim_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_payment_patient_control_number'), ['patient_control_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_payment_payer_claim_control_number'), ['payer_claim_control_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_payment_payment_id'), ['payment_id'], unique=False)

    op.create_table('provider_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False),
    sa.Column('byte_offset', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.String(), nullable=False, comment='PLB01'),
    sa.Column('fiscal_period_date', sa.Date(), nullable=True, comment='PLB02'),
    sa.Column('reason_code', sa.String(), nullable=False, comment='PLB03-1/05-1/...: e.g. WO, FB, L6, 72'),
    sa.Column('reference', sa.String(), nullable=True, comment='PLB03-2/05-2/...'),
    sa.Column('amount', sa.BigInteger(), nullable=False, comment='PLB04/06/...: positive reduces the payment'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_provider_adjustment_payment_id_payment')),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'], name=op.f('fk_provider_adjustment_source_file_id_source_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_adjustment'))
    )
    with op.batch_alter_table('provider_adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_adjustment_payment_id'), ['payment_id'], unique=False)

    op.create_table('service_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_payment_id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False),
    sa.Column('byte_offset', sa.Integer(), nullable=False),
    sa.Column('procedure_qualifier', sa.String(), nullable=True, comment='SVC01-1'),
    sa.Column('procedure_code', sa.String(), nullable=True, comment='SVC01-2'),
    sa.Column('modifiers', sa.String(), nullable=False, comment="SVC01-3..6 joined by ':'"),
    sa.Column('charge', sa.BigInteger(), nullable=False, comment='SVC02'),
    sa.Column('paid', sa.BigInteger(), nullable=False, comment='SVC03'),
    sa.Column('revenue_code', sa.String(), nullable=True, comment='SVC04'),
    sa.Column('units', sa.String(length=40), nullable=True, comment='SVC05'),
    sa.Column('submitted_procedure_qualifier', sa.String(), nullable=True, comment='SVC06-1'),
    sa.Column('submitted_procedure_code', sa.String(), nullable=True, comment='SVC06-2'),
    sa.Column('submitted_modifiers', sa.String(), nullable=False, comment="SVC06-3..6 joined by ':'"),
    sa.Column('original_units', sa.String(length=40), nullable=True, comment='SVC07'),
    sa.Column('service_date_from', sa.Date(), nullable=True, comment='DTM*472 or DTM*150'),
    sa.Column('service_date_to', sa.Date(), nullable=True, comment='DTM*472 or DTM*151'),
    sa.Column('line_control_number', sa.String(), nullable=True, comment='REF*6R'),
    sa.Column('allowed', sa.BigInteger(), nullable=True, comment='AMT*B6'),
    sa.ForeignKeyConstraint(['claim_payment_id'], ['claim_payment.id'], name=op.f('fk_service_payment_claim_payment_id_claim_payment')),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'], name=op.f('fk_service_payment_source_file_id_source_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_payment'))
    )
    with op.batch_alter_table('service_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_payment_claim_payment_id'), ['claim_payment_id'], unique=False)

    op.create_table('adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_payment_id', sa.Integer(), nullable=False),
    sa.Column('service_payment_id', sa.Integer(), nullable=True),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False, comment='the CAS segment'),
    sa.Column('byte_offset', sa.Integer(), nullable=False),
    sa.Column('group_code', sa.String(), nullable=False, comment='CAS01: CO, PR, OA, PI (CR in 4010)'),
    sa.Column('reason_code', sa.String(), nullable=False, comment='CAS02/05/...: CARC'),
    sa.Column('amount', sa.BigInteger(), nullable=False, comment='CAS03/06/...'),
    sa.Column('quantity', sa.String(length=40), nullable=True, comment='CAS04/07/...'),
    sa.ForeignKeyConstraint(['claim_payment_id'], ['claim_payment.id'], name=op.f('fk_adjustment_claim_payment_id_claim_payment')),
    sa.ForeignKeyConstraint(['service_payment_id'], ['service_payment.id'], name=op.f('fk_adjustment_service_payment_id_service_payment')),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'], name=op.f('fk_adjustment_source_file_id_source_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adjustment'))
    )
    with op.batch_alter_table('adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adjustment_claim_payment_id'), ['claim_payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjustment_service_payment_id'), ['service_payment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjustment_service_payment_id'))
        batch_op.drop_index(batch_op.f('ix_adjustment_claim_payment_id'))

    op.drop_table('adjustment')
    with op.batch_alter_table('service_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_payment_claim_payment_id'))

    op.drop_table('service_payment')
    with op.batch_alter_table('provider_adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_adjustment_payment_id'))

    op.drop_table('provider_adjustment')
    with op.batch_alter_table('claim_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_payment_payment_id'))
        batch_op.drop_index(batch_op.f('ix_claim_payment_payer_claim_control_number'))
        batch_op.drop_index(batch_op.f('ix_claim_payment_patient_control_number'))

    op.drop_table('claim_payment')
    with op.batch_alter_table('claim_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_line_claim_id'))

    op.drop_table('claim_line')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_trace_number'))
        batch_op.drop_index(batch_op.f('ix_payment_source_file_id'))
        batch_op.drop_index(batch_op.f('ix_payment_payer_id'))

    op.drop_table('payment')
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_source_file_id'))
        batch_op.drop_index(batch_op.f('ix_claim_payer_id'))
        batch_op.drop_index(batch_op.f('ix_claim_patient_control_number'))

    op.drop_table('claim')
    with op.batch_alter_table('transaction_set', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transaction_set_source_file_id'))

    op.drop_table('transaction_set')
    with op.batch_alter_table('patient_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_payment_source_file_id'))
        batch_op.drop_index(batch_op.f('ix_patient_payment_patient_control_number'))

    op.drop_table('patient_payment')
    with op.batch_alter_table('interchange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interchange_source_file_id'))

    op.drop_table('interchange')
    with op.batch_alter_table('fee_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_schedule_source_file_id'))
        batch_op.drop_index('ix_fee_schedule_lookup')

    op.drop_table('fee_schedule')
    op.drop_table('source_file')
    with op.batch_alter_table('payer_alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payer_alias_payer_id'))

    op.drop_table('payer_alias')
