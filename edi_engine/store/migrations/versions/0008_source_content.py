"""Evidence kept in the store: source_content, each ingested file's bytes compressed in chunks.

Files ingested before this revision get no rows: their evidence says so until the same file is
ingested again, which keeps its contents (store/content.py keep_missing).

Revision ID: 0008_source_content
Revises: 0007_identity
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_source_content'
down_revision = '0007_identity'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('source_content',
    sa.Column('source_file_id', sa.Integer(), nullable=False),
    sa.Column('start_offset', sa.BigInteger(), nullable=False,
              comment="byte offset in the file of the chunk's first byte"),
    sa.Column('length', sa.Integer(), nullable=False,
              comment='bytes of the file in this chunk, before compression'),
    sa.Column('codec', sa.String(), nullable=False, comment='zlib'),
    sa.Column('data', sa.LargeBinary(), nullable=False, comment='the chunk, compressed'),
    sa.ForeignKeyConstraint(['source_file_id'], ['source_file.id'],
                            name=op.f('fk_source_content_source_file_id_source_file')),
    sa.PrimaryKeyConstraint('source_file_id', 'start_offset', name=op.f('pk_source_content'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        # The chunks are compressed already: TOAST should store them out of line without trying pglz again.
        op.execute('ALTER TABLE source_content ALTER COLUMN data SET STORAGE EXTERNAL')


def downgrade() -> None:
    op.drop_table('source_content')
