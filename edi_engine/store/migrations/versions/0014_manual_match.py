"""Manual matching (issue 13 item 2): the `manual_match` table (a payment matched to a claim, or a
line, by a person, with a note; undone by setting undone_*, never deleted) and the
`payment_matched` / `payment_unmatched` audit events.

Revision ID: 0014_manual_match
Revises: 0013_payers
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014_manual_match'
down_revision = '0013_payers'
branch_labels = None
depends_on = None

_EVENTS_BEFORE = ('identified, approved, refunded, offset, dismissed, resolved, reopened, letter_written, '
                  'corrected_claim_written, note, investigation_started, investigation_ended, cms838_reported, '
                  'refund_recorded, refund_returned')
_EVENTS = _EVENTS_BEFORE + ', payment_matched, payment_unmatched'


def _event_comment(comment: str, existing: str) -> None:
    # PostgreSQL only: a SQLite batch rebuild of audit_event would drop its append-only triggers (0010).
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('audit_event', 'event', existing_type=sa.String(), existing_nullable=False, comment=comment,
                        existing_comment=existing)


def upgrade() -> None:
    _event_comment(_EVENTS, _EVENTS_BEFORE)
    op.create_table('manual_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(), nullable=False, comment='claim_payment (CLP) or service_payment (SVC)'),
    sa.Column('subject_id', sa.Integer(), nullable=False, comment="id of the row in the subject's table"),
    sa.Column('claim_id', sa.Integer(), nullable=False, comment='837 claim the payment is matched to'),
    sa.Column('claim_line_id', sa.Integer(), nullable=True, comment='837 line, when matched to a line'),
    sa.Column('finding_id', sa.Integer(), nullable=True, comment='the unmatched_payment finding it answered'),
    sa.Column('note', sa.Text(), nullable=False, comment='why, in the words of who matched it'),
    sa.Column('matched_by', sa.String(), nullable=False),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=False, comment='UTC'),
    sa.Column('undone_by', sa.String(), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True, comment='UTC; NULL while the match is in force'),
    sa.Column('undo_note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manual_match'))
    )
    with op.batch_alter_table('manual_match', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manual_match_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index('ix_manual_match_subject_subject_id', ['subject', 'subject_id'], unique=False)
        batch_op.create_index('uq_manual_match_in_force', ['subject', 'subject_id'], unique=True,
                              sqlite_where=sa.text('undone_at IS NULL'),
                              postgresql_where=sa.text('undone_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('manual_match', schema=None) as batch_op:
        batch_op.drop_index('uq_manual_match_in_force')
        batch_op.drop_index('ix_manual_match_subject_subject_id')
        batch_op.drop_index(batch_op.f('ix_manual_match_finding_id'))
    op.drop_table('manual_match')
    _event_comment(_EVENTS_BEFORE, _EVENTS)
