"""The clock of a credit (issue 12): finding.arose_on (when the money that made it was received),
the investigation that suspends a Medicare deadline (42 CFR 401.305(b)(2), CY2025 PFS final rule),
and what the CMS-838 already reported (so a credit is reported once, and again only when it changes).

Revision ID: 0010_credit_dates
Revises: 0009_security
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_credit_dates'
down_revision = '0009_security'
branch_labels = None
depends_on = None


_EVENTS_BEFORE = ('identified, approved, refunded, offset, dismissed, resolved, reopened, letter_written, '
                  'corrected_claim_written, note')
_EVENTS = _EVENTS_BEFORE + ', investigation_started, investigation_ended, cms838_reported'


def _event_comment(comment: str, existing: str) -> None:
    # SQLite keeps no column comments, and a batch rebuild of audit_event there would drop the triggers
    # that keep it append-only (0004): the comment is PostgreSQL's alone.
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('audit_event', 'event', existing_type=sa.String(), existing_nullable=False, comment=comment,
                        existing_comment=existing)


def upgrade() -> None:
    _event_comment(_EVENTS, _EVENTS_BEFORE)
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arose_on', sa.Date(), nullable=True,
                                      comment='when the money that made the credit was received (BPR16, '
                                              'patient payment date); NULL when no payment date is known'))
        batch_op.add_column(sa.Column('investigation_started_on', sa.Date(), nullable=True,
                                      comment='a good-faith investigation suspends the Medicare clock'))
        batch_op.add_column(sa.Column('investigation_ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reported_on', sa.Date(), nullable=True,
                                      comment='the day a CMS-838 last listed it'))
        batch_op.add_column(sa.Column('reported_amount', sa.BigInteger(), nullable=True,
                                      comment='cents the CMS-838 listed then; a change is reported again'))


def downgrade() -> None:
    _event_comment(_EVENTS_BEFORE, _EVENTS)
    with op.batch_alter_table('finding', schema=None) as batch_op:
        for column in ('reported_amount', 'reported_on', 'investigation_ended_on', 'investigation_started_on',
                       'arose_on'):
            batch_op.drop_column(column)
