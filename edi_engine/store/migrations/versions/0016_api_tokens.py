"""HTTP API tokens (issue 15 item 2): api_token (a user's bearer token, kept as its SHA-256 digest,
revocable) and api_token_use (each request made with one); audit events api_token_created and
api_token_revoked.

Revision ID: 0016_api_tokens
Revises: 0015_approvals
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016_api_tokens'
down_revision = '0015_approvals'
branch_labels = None
depends_on = None

_EVENTS_BEFORE = ('identified, approved, refunded, offset, dismissed, resolved, reopened, letter_written, '
                  'corrected_claim_written, note, investigation_started, investigation_ended, cms838_reported, '
                  'refund_recorded, refund_returned, payment_matched, payment_unmatched, step_approved, viewed')
_EVENTS = _EVENTS_BEFORE + ', api_token_created, api_token_revoked'


def _event_comment(comment: str, existing: str) -> None:
    # PostgreSQL only: a SQLite batch rebuild of audit_event would drop its append-only triggers (0010).
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('audit_event', 'event', existing_type=sa.String(), existing_nullable=False, comment=comment,
                        existing_comment=existing)


def upgrade() -> None:
    _event_comment(_EVENTS, _EVENTS_BEFORE)
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False, comment="SHA-256 hex of the token's secret"),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False, comment='what the token is for, as its creator said'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, comment='UTC'),
    sa.Column('created_by', sa.String(), nullable=False, comment='who created it'),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True, comment='UTC; NULL while the token works'),
    sa.Column('revoked_by', sa.String(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True, comment='UTC'),
    sa.ForeignKeyConstraint(['user_id'], ['web_user.id'], name=op.f('fk_api_token_user_id_web_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)
    op.create_table('api_token_use',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False, comment='UTC'),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(), nullable=False, comment='the request path (ids, no query string)'),
    sa.Column('status', sa.Integer(), nullable=False, comment='HTTP status answered'),
    sa.Column('address', sa.String(), nullable=False, comment='client IP address'),
    sa.ForeignKeyConstraint(['token_id'], ['api_token.id'], name=op.f('fk_api_token_use_token_id_api_token')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token_use'))
    )
    with op.batch_alter_table('api_token_use', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_use_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_token_use_token_id'), ['token_id'], unique=False)


def downgrade() -> None:
    op.drop_table('api_token_use')
    op.drop_table('api_token')
    _event_comment(_EVENTS_BEFORE, _EVENTS)
