"""Review web app security: web_session.last_seen_at (the idle timeout), login_device (browsers that
signed in before, which sign-in throttling lets through).

Revision ID: 0009_security
Revises: 0008_source_content
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_security'
down_revision = '0008_source_content'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True,
                                      comment='UTC; the idle timeout counts from here'))
    op.execute("UPDATE web_session SET last_seen_at = created_at")
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.alter_column('last_seen_at', existing_type=sa.DateTime(timezone=True), nullable=False,
                              existing_comment='UTC; the idle timeout counts from here')
    op.create_table('login_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False, comment="SHA-256 hex of the device cookie's token"),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, comment='UTC'),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False,
              comment='UTC; last successful sign-in from it'),
    sa.Column('failures', sa.Integer(), nullable=False, comment='wrong passwords from it since that sign-in'),
    sa.ForeignKeyConstraint(['user_id'], ['web_user.id'], name=op.f('fk_login_device_user_id_web_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_device')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_device_token_hash'))
    )
    with op.batch_alter_table('login_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_device_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('login_device')
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
