"""Payment identity and claim submissions: a re-delivered 835 or a re-sent 837 claim is recognised, and
the (ISA06, ISA13) pair is no longer unique.

payment gains payer_key, content_digest and conflict_of; payment_identity keys (payer, TRN02) to the
payment posted first; remittance_delivery and claim_submission record what came again; claim gains
its signature; source_file gains warnings. Existing payments are keyed by TRN03 (else their payer
id); their content digest and the claims' signatures stay NULL (never compared), since computing
them needs the parser.

Revision ID: 0007_identity
Revises: 0006_deposits
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_identity'
down_revision = '0006_deposits'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('source_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warnings', sa.Text(), nullable=True,
                                      comment='one a line: a re-used ISA13, a remittance re-delivered or held, '
                                              'a claim submitted again'))
    with op.batch_alter_table('interchange', schema=None) as batch_op:
        batch_op.drop_constraint('uq_interchange_sender_id_control_number', type_='unique')
        batch_op.create_index('ix_interchange_sender_id_control_number', ['sender_id', 'control_number'],
                              unique=False)
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature', sa.String(length=64), nullable=True,
                                      comment='SHA-256 of CLM01, payer, frequency, charge, dates and lines: the '
                                              'same claim sent again'))
        batch_op.create_unique_constraint(batch_op.f('uq_claim_signature'), ['signature'])
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payer_key', sa.String(), nullable=True,
                                      comment='TRN03, else N1*PR N104: the payer of the payment identity '
                                              '(domain.md 1.11)'))
        batch_op.add_column(sa.Column('content_digest', sa.String(length=64), nullable=True,
                                      comment="SHA-256 of the remittance's money: CLP, SVC, CAS and PLB amounts "
                                              "and codes"))
        batch_op.add_column(sa.Column('conflict_of', sa.Integer(), nullable=True,
                                      comment='held, not posted: the posted payment with the same TRN02 and payer '
                                              'it disagrees with'))
        batch_op.create_foreign_key(batch_op.f('fk_payment_conflict_of_payment'), 'payment', ['conflict_of'], ['id'])
        batch_op.create_index(batch_op.f('ix_payment_conflict_of'), ['conflict_of'], unique=False)
    op.create_table('payment_identity',
    sa.Column('payer_key', sa.String(), nullable=False, comment='TRN03, else N1*PR N104'),
    sa.Column('trace_number', sa.String(), nullable=False, comment='TRN02'),
    sa.Column('payment_id', sa.Integer(), nullable=False, comment='the payment posted'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_payment_identity_payment_id_payment')),
    sa.PrimaryKeyConstraint('payer_key', 'trace_number', name=op.f('pk_payment_identity'))
    )
    op.create_table('remittance_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False, comment='the payment stored first'),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('transaction_set_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False, comment='the BPR segment'),
    sa.Column('byte_offset', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False, comment='UTC time the store took it'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_remittance_delivery_payment_id_payment')),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'],
                            name=op.f('fk_remittance_delivery_source_file_id_source_file')),
    sa.ForeignKeyConstraint(['transaction_set_id'], ['transaction_set.id'],
                            name=op.f('fk_remittance_delivery_transaction_set_id_transaction_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remittance_delivery'))
    )
    with op.batch_alter_table('remittance_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remittance_delivery_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_remittance_delivery_source_file_id'), ['source_file_id'], unique=False)
    op.create_table('claim_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False, comment='the claim first stored'),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('transaction_set_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.Integer(), nullable=False, comment='the CLM segment'),
    sa.Column('byte_offset', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False, comment='UTC time the store took it'),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_claim_submission_claim_id_claim')),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'],
                            name=op.f('fk_claim_submission_source_file_id_source_file')),
    sa.ForeignKeyConstraint(['transaction_set_id'], ['transaction_set.id'],
                            name=op.f('fk_claim_submission_transaction_set_id_transaction_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_submission'))
    )
    with op.batch_alter_table('claim_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_submission_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_submission_source_file_id'), ['source_file_id'], unique=False)
    # Payments already stored: the first under each (payer, TRN02) is the one posted.
    op.execute("UPDATE payment SET payer_key = COALESCE(NULLIF(trace_payer_id, ''), payer_id)")
    op.execute("INSERT INTO payment_identity (payer_key, trace_number, payment_id)"
               " SELECT payer_key, trace_number, MIN(id) FROM payment"
               " WHERE payer_key IS NOT NULL AND payer_key <> '' AND trace_number IS NOT NULL AND trace_number <> ''"
               " GROUP BY payer_key, trace_number")


def downgrade() -> None:
    op.drop_table('claim_submission')
    op.drop_table('remittance_delivery')
    op.drop_table('payment_identity')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_conflict_of'))
        batch_op.drop_constraint(batch_op.f('fk_payment_conflict_of_payment'), type_='foreignkey')
        batch_op.drop_column('conflict_of')
        batch_op.drop_column('content_digest')
        batch_op.drop_column('payer_key')
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_claim_signature'), type_='unique')
        batch_op.drop_column('signature')
    with op.batch_alter_table('interchange', schema=None) as batch_op:
        batch_op.drop_index('ix_interchange_sender_id_control_number')
        batch_op.create_unique_constraint('uq_interchange_sender_id_control_number', ['sender_id', 'control_number'])
    with op.batch_alter_table('source_file', schema=None) as batch_op:
        batch_op.drop_column('warnings')
