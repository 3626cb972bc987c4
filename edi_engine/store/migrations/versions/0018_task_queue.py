"""Workers on several machines (issue 15 item 3): ingest_staged holds the bytes of a file queued for a
worker on any host; detect_partition holds what each account partition of a partitioned detect found
until the run's final step reconciles them. The task queue's own tables (procrastinate's) are not
here: `edi-engine db upgrade` applies procrastinate's schema on PostgreSQL (edi_engine/tasks).

Revision ID: 0018_task_queue
Revises: 0017_detect_runs
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018_task_queue'
down_revision = '0017_detect_runs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ingest_staged',
        sa.Column('content_hash', sa.String(length=64), nullable=False, comment="SHA-256 of the file's bytes"),
        sa.Column('name', sa.String(), nullable=False, comment='the name the file was queued under'),
        sa.Column('size', sa.BigInteger(), nullable=False, comment='bytes before compression'),
        sa.Column('data', sa.LargeBinary(), nullable=False, comment='the whole file, zlib'),
        sa.Column('staged_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('content_hash', name=op.f('pk_ingest_staged')),
    )
    op.create_table(
        'detect_partition',
        sa.Column('run_token', sa.String(length=32), nullable=False, comment='the partitioned run'),
        sa.Column('part', sa.Integer(), nullable=False, comment='0 .. parts-1'),
        sa.Column('parts', sa.Integer(), nullable=False),
        sa.Column('scan', sa.LargeBinary(), nullable=False,
                  comment="the partition's candidates (pickle, written by a worker)"),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('run_token', 'part', name=op.f('pk_detect_partition')),
    )


def downgrade() -> None:
    op.drop_table('detect_partition')
    op.drop_table('ingest_staged')
