"""A refund that did not reach its payee (issue 12 item 4): refund.returned_on and returned_reason
(the check came back, or was never cashed); the money is the provider's to hold again and, for a
patient, ages toward unclaimed property by the state's dormancy period.

Revision ID: 0012_unclaimed
Revises: 0011_refunds
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012_unclaimed'
down_revision = '0011_refunds'
branch_labels = None
depends_on = None

_EVENTS_BEFORE = ('identified, approved, refunded, offset, dismissed, resolved, reopened, letter_written, '
                  'corrected_claim_written, note, investigation_started, investigation_ended, cms838_reported, '
                  'refund_recorded')
_EVENTS = _EVENTS_BEFORE + ', refund_returned'


def _event_comment(comment: str, existing: str) -> None:
    # PostgreSQL only: a SQLite batch rebuild of audit_event would drop its append-only triggers (0010).
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('audit_event', 'event', existing_type=sa.String(), existing_nullable=False, comment=comment,
                        existing_comment=existing)


def upgrade() -> None:
    _event_comment(_EVENTS, _EVENTS_BEFORE)
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.add_column(sa.Column('returned_on', sa.Date(), nullable=True,
                                      comment='the check came back or was never cashed: not a repayment'))
        batch_op.add_column(sa.Column('returned_reason', sa.String(), nullable=True, comment='returned or uncashed'))


def downgrade() -> None:
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_column('returned_reason')
        batch_op.drop_column('returned_on')
    _event_comment(_EVENTS_BEFORE, _EVENTS)
