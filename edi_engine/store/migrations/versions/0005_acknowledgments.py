"""Acknowledgments: acknowledgment, one row per TA1, 999 (AK9 and each AK2 loop) or 277CA status.

Money columns are BIGINT cents (see store/types.py).

Revision ID: 0005
Revises: 0004_audit
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004_audit'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('acknowledgment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('transaction_set_id', sa.Integer(), nullable=True, comment='the 999/277CA set read; NULL for a TA1'),
    sa.Column('segment', sa.Integer(), nullable=False, comment='TA1, AK2, AK9 or the 277CA HL'),
    sa.Column('byte_offset', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False, comment='TA1, 999 or 277CA'),
    sa.Column('level', sa.String(), nullable=False,
              comment='interchange (TA1), group (AK9), transaction_set (AK2/IK5), information_receiver, '
                      'provider_of_service, claim (277CA 2000B/2000C/2000D)'),
    sa.Column('disposition', sa.String(), nullable=False,
              comment='accepted, rejected, partial, received, pending, other'),
    sa.Column('code', sa.String(), nullable=False, comment='TA104, AK901, IK501 or the deciding STC01-1 category'),
    sa.Column('detail_codes', sa.Text(), nullable=False,
              comment='TA105; AK905-909; IK502-506 and IK3 segment/position/code; STC composites '
                      'category:status:entity'),
    sa.Column('sender_id', sa.String(), nullable=True, comment="the acknowledgment's ISA06"),
    sa.Column('receiver_id', sa.String(), nullable=True, comment="the acknowledgment's ISA08"),
    sa.Column('group_sender_id', sa.String(), nullable=True, comment="the acknowledgment's GS02"),
    sa.Column('group_receiver_id', sa.String(), nullable=True, comment="the acknowledgment's GS03"),
    sa.Column('ack_date', sa.Date(), nullable=True,
              comment='277CA DTP*009, else STC02, else BHT04; 999 GS04, else ISA09; TA1 ISA09'),
    sa.Column('acknowledged_interchange_control', sa.String(), nullable=True, comment='TA101'),
    sa.Column('acknowledged_group_control', sa.String(), nullable=True, comment='AK102 (GS06 acknowledged)'),
    sa.Column('acknowledged_set_type', sa.String(), nullable=True, comment='AK201 (ST01 acknowledged)'),
    sa.Column('acknowledged_set_control', sa.String(), nullable=True, comment='AK202 (ST02 acknowledged)'),
    sa.Column('patient_control_number', sa.String(), nullable=True, comment='277CA 2200D TRN02 (CLM01)'),
    sa.Column('charge', sa.BigInteger(), nullable=True, comment='277CA STC04'),
    sa.Column('payer_claim_control_number', sa.String(), nullable=True, comment='277CA 2200D REF*1K (835 CLP07)'),
    sa.Column('payer_id', sa.String(), nullable=True, comment='277CA 2100A NM109'),
    sa.Column('trace_number', sa.String(), nullable=True, comment='277CA 2200B/2200C TRN02'),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'],
                            name=op.f('fk_acknowledgment_source_file_id_source_file')),
    sa.ForeignKeyConstraint(['transaction_set_id'], ['transaction_set.id'],
                            name=op.f('fk_acknowledgment_transaction_set_id_transaction_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acknowledgment'))
    )
    with op.batch_alter_table('acknowledgment', schema=None) as batch_op:
        batch_op.create_index('ix_acknowledgment_group_set',
                              ['acknowledged_group_control', 'acknowledged_set_control'], unique=False)
        batch_op.create_index(batch_op.f('ix_acknowledgment_patient_control_number'), ['patient_control_number'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_acknowledgment_source_file_id'), ['source_file_id'], unique=False)


def downgrade() -> None:
    op.drop_table('acknowledgment')
