"""Incremental detect (issue 14 item 4): detect_run records each whole-store run's reach (the highest
file, audit event, refund and acknowledgment ids it read, the account links and rejected claims it
saw), so the next run re-examines only the accounts touched since.

Revision ID: 0017_detect_runs
Revises: 0015_approvals
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017_detect_runs'
down_revision = '0015_approvals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'detect_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False,
                  comment='SHA-256 of engine version, rule pack, as-of date and payer aliases'),
        sa.Column('mode', sa.String(), nullable=False, comment='full or incremental'),
        sa.Column('accounts', sa.Integer(), nullable=False, comment='accounts examined'),
        sa.Column('last_source_file_id', sa.Integer(), nullable=False, comment='highest source_file.id read'),
        sa.Column('last_audit_event_id', sa.Integer(), nullable=False, comment='highest audit_event.id read'),
        sa.Column('last_refund_id', sa.Integer(), nullable=False, comment='highest refund.id read'),
        sa.Column('last_acknowledgment_id', sa.Integer(), nullable=False, comment='highest acknowledgment.id read'),
        sa.Column('account_links', sa.Text(), nullable=False,
                  comment='JSON: replacement CLM01 -> the CLM01 it replaces, as the run linked them'),
        sa.Column('rejected_claims', sa.Text(), nullable=False, comment='JSON: claim ids an acknowledgment rejected'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_detect_run')),
    )


def downgrade() -> None:
    op.drop_table('detect_run')
