"""two-step sign-in and protected identity

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 06:00:00
"""

from alembic import op
import sqlalchemy as sa
import app.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('mfa_enrolled_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))

    # Sessions from before have no second factor: they end, and everybody signs in (and enrols) again.
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mfa_passed_at', app.db.UTCDateTime(timezone=True), nullable=True))

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    # Protected identity: NOT NULL in two steps, every existing case unprotected.
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protected', sa.Boolean(), nullable=True))
    op.execute("UPDATE submissions SET protected = false")
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.alter_column('protected', existing_type=sa.Boolean(), nullable=False)

    op.create_table('named_officers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_named_officers_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_named_officers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_named_officers')),
    sa.UniqueConstraint('submission_id', 'user_id', name='uq_named_officers_submission_user')
    )
    with op.batch_alter_table('named_officers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_named_officers_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_named_officers_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('named_officers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_named_officers_user_id'))
        batch_op.drop_index(batch_op.f('ix_named_officers_submission_id'))
    op.drop_table('named_officers')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('protected')
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('mfa_passed_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('mfa_enrolled_at')
        batch_op.drop_column('totp_secret')
