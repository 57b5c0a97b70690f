"""outbox rows know their case

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 04:19:06.535072
"""

from alembic import op
import sqlalchemy as sa
import app.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_submission_id'), ['submission_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_submission_id_submissions'), 'submissions', ['submission_id'], ['id'], ondelete='SET NULL')

    # Mail queued before this revision: a receipt's mail is about the case whose receipt it carries.
    op.execute("UPDATE outbox SET submission_id = receipt_submission_id WHERE submission_id IS NULL")




def downgrade() -> None:

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_submission_id_submissions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_submission_id'))
        batch_op.drop_column('submission_id')


