"""studio: drafts, versions by whom, closing and archiving

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 05:42:06.858272
"""

from alembic import op
import sqlalchemy as sa
import app.db
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('eservices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_message', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('open_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('open_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('archived_at', app.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('form_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('based_on', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('edited_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('edited_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_form_versions_published_by_id_users'), 'users', ['published_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_form_versions_created_by_id_users'), 'users', ['created_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_form_versions_edited_by_id_users'), 'users', ['edited_by_id'], ['id'], ondelete='SET NULL')

    # NOT NULL in two steps: every version so far was published from a file, at its first revision.
    op.execute("UPDATE form_versions SET revision = 1, source = 'file' WHERE revision IS NULL")
    with op.batch_alter_table('form_versions', schema=None) as batch_op:
        batch_op.alter_column('revision', existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('form_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_form_versions_edited_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_form_versions_created_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_form_versions_published_by_id_users'), type_='foreignkey')
        batch_op.drop_column('published_by_id')
        batch_op.drop_column('edited_by_id')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('edited_at')
        batch_op.drop_column('revision')
        batch_op.drop_column('based_on')
        batch_op.drop_column('source')

    with op.batch_alter_table('eservices', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
        batch_op.drop_column('open_until')
        batch_op.drop_column('open_from')
        batch_op.drop_column('closed_message')

