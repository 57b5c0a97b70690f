"""the inbox's status counts are answered from the index alone: protected joins the status indexes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 13:00:00
"""

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# (name, columns before, columns after): the counts test "protected is false, or the reader is named on
# the case" for every entry they count; with protected in the index, no entry sends them to the table.
INDEXES = (
    (
        'ix_submissions_status_received',
        ['status', 'submitted_at', 'id', 'eservice_id'],
        ['status', 'submitted_at', 'id', 'eservice_id', 'protected'],
    ),
    (
        'ix_submissions_eservice_status_received',
        ['eservice_id', 'status', 'submitted_at', 'id'],
        ['eservice_id', 'status', 'submitted_at', 'id', 'protected'],
    ),
)


def upgrade() -> None:
    for name, _before, after in INDEXES:
        op.drop_index(name, table_name='submissions')
        op.create_index(name, 'submissions', after, unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite chooses indexes by the statistics ANALYZE gathers, and new indexes have none until the
        # nightly job (app.worker.refresh_query_statistics) runs: without them the inbox sorts every case.
        op.execute('PRAGMA analysis_limit = 1000')
        op.execute('ANALYZE submissions')


def downgrade() -> None:
    for name, before, _after in INDEXES:
        op.drop_index(name, table_name='submissions')
        op.create_index(name, 'submissions', before, unique=False)
