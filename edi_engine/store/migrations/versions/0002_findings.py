"""Ledger and rules tables: payment_match (how each 835 fact was matched) and finding.

Money columns are BIGINT cents (see store/types.py).

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(), nullable=False,
              comment='claim_payment, service_payment, reversal or provider_adjustment'),
    sa.Column('subject_id', sa.Integer(), nullable=False, comment="id of the row in the subject's table"),
    sa.Column('claim_id', sa.Integer(), nullable=True, comment='837 claim matched'),
    sa.Column('claim_line_id', sa.Integer(), nullable=True, comment='837 line matched (service payments)'),
    sa.Column('claim_payment_id', sa.Integer(), nullable=True, comment='CLP reversed or recouped'),
    sa.Column('method', sa.String(), nullable=False,
              comment='e.g. clp01+payer+charge, ref6r, svc06+date+units, clp07'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_match')),
    sa.UniqueConstraint('subject', 'subject_id', name=op.f('uq_payment_match_subject_subject_id'))
    )
    with op.batch_alter_table('payment_match', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_match_claim_id'), ['claim_id'], unique=False)

    op.create_table('finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('natural_key', sa.Text(), nullable=False, comment='category|CLM01|payer|line|cause: stable across runs'),
    sa.Column('category', sa.String(), nullable=False),
    sa.Column('patient_control_number', sa.String(), nullable=True, comment='CLM01 / CLP01'),
    sa.Column('payer_id', sa.String(), nullable=True, comment='canonical payer id'),
    sa.Column('line_key', sa.String(), nullable=False, comment='REF*6R or LX01 when the finding is per line'),
    sa.Column('cause', sa.String(), nullable=False,
              comment='what distinguishes findings of one category on one claim'),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('refund_to', sa.String(), nullable=True, comment='payer, patient or offset'),
    sa.Column('payer_type', sa.String(), nullable=True, comment='medicare, medicaid, commercial, ...'),
    sa.Column('identified_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('status', sa.String(), nullable=False,
              comment='open, resolved; decisions: approved, dismissed, refunded, offset'),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False,
              comment='JSON: files, segments, control and check numbers, amounts'),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True, comment='UTC time of the last change by detect'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_finding_natural_key'))
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_patient_control_number'), ['patient_control_number'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_finding_status'), ['status'], unique=False)


def downgrade() -> None:
    op.drop_table('finding')
    op.drop_table('payment_match')
