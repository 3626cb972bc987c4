"""Audit trail: audit_event, append-only (triggers refuse UPDATE and DELETE).

Revision ID: 0004_audit
Revises: 0003_web_users
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_audit'
down_revision = '0003_web_users'
branch_labels = None
depends_on = None

_MESSAGE = 'audit_event is append-only'


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=True, comment='finding.id; NULL for claim-level events'),
    sa.Column('event', sa.String(), nullable=False,
              comment='identified, approved, refunded, offset, dismissed, resolved, reopened, letter_written, '
                      'corrected_claim_written, note'),
    sa.Column('actor', sa.String(), nullable=False, comment='who: a user name, or detect/system'),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False, comment='UTC time of the event'),
    sa.Column('note', sa.Text(), nullable=False, comment="why, in the actor's words"),
    sa.Column('details', sa.Text(), nullable=False,
              comment='JSON: status before/after, amounts, files, control numbers'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_event'), ['event'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{_MESSAGE}';
            END $$""")
        op.execute("CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
        op.execute("CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()")
    else:
        for action in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER audit_event_no_{action.lower()} BEFORE {action} ON audit_event "
                       f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TABLE audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    else:
        op.drop_table('audit_event')
