"""inbox indexes for every filter and order, trigram search on PostgreSQL

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 06:40:00
"""

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        # Replaced by the composite indexes below, which serve the same queries and the inbox's order.
        batch_op.drop_index('ix_submissions_submitted_at')
        batch_op.drop_index('ix_submissions_status')
        batch_op.create_index('ix_submissions_received_id', ['submitted_at', 'id'], unique=False)
        batch_op.create_index(
            'ix_submissions_status_received', ['status', 'submitted_at', 'id', 'eservice_id'], unique=False
        )
        batch_op.create_index(
            'ix_submissions_eservice_status_received', ['eservice_id', 'status', 'submitted_at', 'id'], unique=False
        )
    if op.get_bind().dialect.name == 'postgresql':
        # pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database owner may create it.
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index(
            'ix_submissions_search_text_trgm',
            'submissions',
            ['search_text'],
            unique=False,
            postgresql_using='gin',
            postgresql_ops={'search_text': 'gin_trgm_ops'},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_submissions_search_text_trgm', table_name='submissions')
        # The pg_trgm extension stays: other things in the database may use it.
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_eservice_status_received')
        batch_op.drop_index('ix_submissions_status_received')
        batch_op.drop_index('ix_submissions_received_id')
        batch_op.create_index('ix_submissions_status', ['status'], unique=False)
        batch_op.create_index('ix_submissions_submitted_at', ['submitted_at'], unique=False)
