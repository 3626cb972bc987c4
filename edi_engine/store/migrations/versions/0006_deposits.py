"""Bank deposits (BAI2 or CSV) and their reassociation to 835 payments: deposit, deposit_match.

Revision ID: 0006_deposits
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_deposits'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deposit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False, comment='line number: the BAI2 16 record, or the CSV line'),
    sa.Column('deposit_date', sa.Date(), nullable=False, comment='BAI2 02 as-of date; CSV deposit_date'),
    sa.Column('amount', sa.BigInteger(), nullable=False, comment='BAI2 16 amount; CSV amount'),
    sa.Column('account', sa.String(), nullable=False, comment='BAI2 03 customer account number; CSV account'),
    sa.Column('type_code', sa.String(), nullable=True, comment='BAI2 16 type code (165 ACH credit, 301 deposit); NULL for CSV'),
    sa.Column('trace_number', sa.String(), nullable=True, comment='reassociation trace: TRN02 of the CCD+ addenda (BAI2 text), or the CSV reference'),
    sa.Column('originator', sa.String(), nullable=True, comment='TRN03 of the addenda, or the CSV payer column'),
    sa.Column('bank_reference', sa.String(), nullable=True, comment='BAI2 16 bank reference number'),
    sa.Column('customer_reference', sa.String(), nullable=True, comment='BAI2 16 customer reference number (check serial)'),
    sa.Column('claim_payment', sa.Boolean(), nullable=False, comment='NACHA HCCLAIMPMT or a TRN addenda seen, or a CSV row: an ERA is expected for it'),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'], name=op.f('fk_deposit_source_file_id_source_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposit'))
    )
    with op.batch_alter_table('deposit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deposit_source_file_id'), ['source_file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deposit_trace_number'), ['trace_number'], unique=False)

    op.create_table('deposit_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('deposit_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(), nullable=False, comment='trn02, check_number or amount+date'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_deposit_match_payment_id_payment')),
    sa.ForeignKeyConstraint(['deposit_id'], ['deposit.id'], name=op.f('fk_deposit_match_deposit_id_deposit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposit_match')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_deposit_match_payment_id')),
    sa.UniqueConstraint('deposit_id', name=op.f('uq_deposit_match_deposit_id'))
    )


def downgrade() -> None:
    op.drop_table('deposit_match')
    with op.batch_alter_table('deposit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deposit_trace_number'))
        batch_op.drop_index(batch_op.f('ix_deposit_source_file_id'))
    op.drop_table('deposit')
