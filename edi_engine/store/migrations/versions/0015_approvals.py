"""The approval chain (issue 13 item 3): `approval_step`, one row per step of a refund's approval
taken (who, when, note, the amount approved), and the `step_approved` and `viewed` audit events.

Revision ID: 0015_approvals
Revises: 0014_manual_match
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015_approvals'
down_revision = '0014_manual_match'
branch_labels = None
depends_on = None

_EVENTS_BEFORE = ('identified, approved, refunded, offset, dismissed, resolved, reopened, letter_written, '
                  'corrected_claim_written, note, investigation_started, investigation_ended, cms838_reported, '
                  'refund_recorded, refund_returned, payment_matched, payment_unmatched')
_EVENTS = _EVENTS_BEFORE + ', step_approved, viewed'


def _event_comment(comment: str, existing: str) -> None:
    # PostgreSQL only: a SQLite batch rebuild of audit_event would drop its append-only triggers (0010).
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('audit_event', 'event', existing_type=sa.String(), existing_nullable=False, comment=comment,
                        existing_comment=existing)


def upgrade() -> None:
    _event_comment(_EVENTS, _EVENTS_BEFORE)
    op.create_table('approval_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False, comment='finding.id'),
    sa.Column('step', sa.Integer(), nullable=False, comment='1-based position in the chain'),
    sa.Column('name', sa.String(), nullable=False, comment="the step's name in the rule pack's [approvals]"),
    sa.Column('role', sa.String(), nullable=False, comment='the least role the step needed'),
    sa.Column('actor', sa.String(), nullable=False, comment='who took it'),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False, comment='UTC'),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False, comment="the finding's amount approved"),
    sa.Column('basis', sa.String(), nullable=False,
              comment="the finding as approved: detect's last change and the amount"),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_step')),
    sa.UniqueConstraint('finding_id', 'basis', 'step', name=op.f('uq_approval_step_finding_id_basis_step'))
    )
    with op.batch_alter_table('approval_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_step_finding_id'), ['finding_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('approval_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_step_finding_id'))
    op.drop_table('approval_step')
    _event_comment(_EVENTS_BEFORE, _EVENTS)
