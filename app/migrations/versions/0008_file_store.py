"""files and receipts may keep their bytes in a file store (a folder or an S3 bucket)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 09:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TABLES = ('draft_files', 'attachments', 'receipts')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == 'receipts':
                batch_op.alter_column('pdf', new_column_name='content', existing_type=sa.LargeBinary(), nullable=True)
            else:
                batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=True)
            batch_op.add_column(sa.Column('storage_key', sa.String(length=64), nullable=True))
            batch_op.create_index(f'ix_{table}_storage_key', ['storage_key'], unique=False)


def downgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        if bind.execute(sa.text(f'SELECT 1 FROM {table} WHERE storage_key IS NOT NULL LIMIT 1')).first():
            raise RuntimeError(
                f'{table} has bytes in the file store: bring them back into the database before going below 0008'
            )
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_storage_key')
            batch_op.drop_column('storage_key')
            if table == 'receipts':
                batch_op.alter_column('content', new_column_name='pdf', existing_type=sa.LargeBinary(), nullable=False)
            else:
                batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=False)
