"""Review web app: users, sign-in sessions, sign-in attempts (edi_engine/store/tables.py).

Revision ID: 0003_web_users
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_web_users'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('password_hash', sa.String(), nullable=False, comment='argon2id hash (PHC string)'),
    sa.Column('role', sa.String(), nullable=False, comment='reviewer, approver or admin'),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, comment='UTC'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_user')),
    sa.UniqueConstraint('username', name=op.f('uq_web_user_username'))
    )
    op.create_table('web_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False, comment="SHA-256 hex of the cookie's token"),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(), nullable=False, comment='echoed by every form of this session'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, comment='UTC'),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False, comment='UTC'),
    sa.ForeignKeyConstraint(['user_id'], ['web_user.id'], name=op.f('fk_web_session_user_id_web_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_session_token_hash'))
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_user_id'), ['user_id'], unique=False)
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('address', sa.String(), nullable=False, comment='client IP address'),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False, comment='UTC'),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt')),
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempt_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_username'), ['username'], unique=False)


def downgrade() -> None:
    op.drop_table('login_attempt')
    op.drop_table('web_session')
    op.drop_table('web_user')
