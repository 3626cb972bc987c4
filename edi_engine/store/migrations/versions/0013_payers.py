"""Payers as data (issue 13 item 4): the payer table (name, type, refund address, contact, fax,
e-mail, letter preferences) written by `edi-engine payers import`; and the indexes the findings
queue's search and sorting need at 100,000 claims (issue 13 item 1).

Revision ID: 0013_payers
Revises: 0012_unclaimed
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013_payers'
down_revision = '0012_unclaimed'
branch_labels = None
depends_on = None

# Case-insensitive prefix search of names and member ids (store/queue.py search_condition).
_LOWER_INDEXES = (
    ('ix_claim_lower_patient_last_name', 'claim', 'patient_last_name'),
    ('ix_claim_lower_patient_first_name', 'claim', 'patient_first_name'),
    ('ix_claim_lower_subscriber_member_id', 'claim', 'subscriber_member_id'),
    ('ix_claim_payment_lower_patient_last_name', 'claim_payment', 'patient_last_name'),
    ('ix_claim_payment_lower_patient_first_name', 'claim_payment', 'patient_first_name'),
    ('ix_claim_payment_lower_patient_member_id', 'claim_payment', 'patient_member_id'),
    ('ix_claim_payment_lower_insured_member_id', 'claim_payment', 'insured_member_id'),
)


def upgrade() -> None:
    op.create_table(
        'payer',
        sa.Column('id', sa.String(), nullable=False, comment='canonical payer id: 837 2010BB NM109'),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('type', sa.String(), nullable=True,
                  comment='medicare, medicaid, medicare_advantage, commercial, ...'),
        sa.Column('refund_address', sa.Text(), nullable=True,
                  comment="the refund desk's mailing address, lines joined by newline"),
        sa.Column('contact', sa.String(), nullable=True, comment='a person or department, and a phone'),
        sa.Column('fax', sa.String(), nullable=True),
        sa.Column('email', sa.String(), nullable=True),
        sa.Column('letter_preferences', sa.String(), nullable=True,
                  comment="how letters go, in order of preference: mail, fax, email joined by ';'"),
        sa.Column('source_file_id', sa.Integer(), nullable=False, comment='the CSV last imported'),
        sa.Column('segment', sa.Integer(), nullable=False, comment='its CSV line number'),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False, comment='UTC'),
        sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    for name, table, column in _LOWER_INDEXES:
        op.create_index(name, table, [sa.text(f'lower({column})')], unique=False)
    op.create_index('ix_finding_payer_id', 'finding', ['payer_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_finding_payer_id', table_name='finding')
    for name, table, _column in _LOWER_INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_table('payer')
