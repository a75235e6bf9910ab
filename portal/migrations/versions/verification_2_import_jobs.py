"""roster and exclusion imports run as jobs: their state, progress, attempts and error

Revision ID: verification_2
Revises: scale_3
Create Date: 2026-12-02 18:45:00
"""
from alembic import op
import sqlalchemy as sa

import portal.models.base  # noqa: F401  (UTCDateTime columns)


revision = 'verification_2'
down_revision = 'scale_3'
branch_labels = None
depends_on = None


def upgrade():
    # Imports made before this ran in the request, to the end: they are done.
    with op.batch_alter_table('verification_imports') as batch:
        batch.add_column(sa.Column('state', sa.String(length=16), server_default='done', nullable=False))
        batch.add_column(sa.Column('processed', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch.add_column(sa.Column('queued_at', portal.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('started_at', portal.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('progress_at', portal.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('finished_at', portal.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.create_index('ix_verification_imports_state', ['state'])
    op.execute("UPDATE verification_imports SET processed = rows, finished_at = imported_at")


def downgrade():
    with op.batch_alter_table('verification_imports') as batch:
        batch.drop_index('ix_verification_imports_state')
        for column in ('finished_at', 'progress_at', 'started_at', 'queued_at', 'error', 'attempts', 'processed',
                       'state'):
            batch.drop_column(column)
