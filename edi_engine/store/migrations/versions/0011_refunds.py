"""Refunds are cash (issue 12 item 5, issue 11 item 12): the `refund` table (check or EFT number,
amount, date, payee of each repayment of a finding, partial ones included) and the
`refund_recorded` audit event.

Revision ID: 0011_refunds
Revises: 0010_credit_dates
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011_refunds'
down_revision = '0010_credit_dates'
branch_labels = None
depends_on = None

_EVENTS_BEFORE = ('identified, approved, refunded, offset, dismissed, resolved, reopened, letter_written, '
                  'corrected_claim_written, note, investigation_started, investigation_ended, cms838_reported')
_EVENTS = _EVENTS_BEFORE + ', refund_recorded'
_MESSAGE = 'audit_event is append-only'  # as 0004_audit


def _event_comment(comment: str, existing: str) -> None:
    # SQLite keeps no column comments, and a batch rebuild of audit_event there would drop 0004's
    # append-only triggers: the comment is PostgreSQL's alone (as in 0010).
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('audit_event', 'event', existing_type=sa.String(), existing_nullable=False, comment=comment,
                        existing_comment=existing)


def _sqlite_append_only() -> None:
    """A SQLite database upgraded by a development build of 0010 (which rebuilt audit_event to change
    a comment) lost 0004's triggers: put them back where they are missing."""
    if op.get_bind().dialect.name == 'sqlite':
        for action in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER IF NOT EXISTS audit_event_no_{action.lower()} BEFORE {action} ON audit_event "
                       f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")


def upgrade() -> None:
    _event_comment(_EVENTS, _EVENTS_BEFORE)
    _sqlite_append_only()
    op.create_table('refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False, comment='finding.id the money repaid'),
    sa.Column('method', sa.String(), nullable=False, comment='check or eft'),
    sa.Column('number', sa.String(), nullable=False, comment='check number, or the EFT trace number'),
    sa.Column('amount', sa.BigInteger(), nullable=False, comment='what of the check or EFT repaid this finding'),
    sa.Column('paid_on', sa.Date(), nullable=False, comment='check issue date or EFT effective date'),
    sa.Column('payee', sa.String(), nullable=False,
              comment='who the check was made out to: the payer or the patient'),
    sa.Column('recorded_by', sa.String(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False, comment='UTC'),
    sa.Column('source', sa.String(), nullable=False,
              comment='mark-refunded, web, or the issued-checks file and line'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund')),
    sa.UniqueConstraint('finding_id', 'method', 'number', name=op.f('uq_refund_finding_id_method_number'))
    )
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_finding_id'), ['finding_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_finding_id'))
    op.drop_table('refund')
    _event_comment(_EVENTS_BEFORE, _EVENTS)
