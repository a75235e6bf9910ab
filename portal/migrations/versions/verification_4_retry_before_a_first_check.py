"""a credential never checked keeps when to ask a source that was down again: a standing with no outcome

Revision ID: verification_4
Revises: verification_3
Create Date: 2026-12-03 08:50:00
"""
from alembic import op
import sqlalchemy as sa

import portal.models.base  # noqa: F401  (UTCDateTime columns)


revision = 'verification_4'
down_revision = 'verification_3'
branch_labels = None
depends_on = None

COLUMNS = (('outcome', sa.String(length=16)), ('method', sa.String(length=32)),
           ('verification_id', sa.Integer()), ('checked_at', portal.models.base.UTCDateTime(timezone=True)))


def upgrade():
    with op.batch_alter_table('verification_states') as batch:
        for name, type_ in COLUMNS:
            batch.alter_column(name, existing_type=type_, nullable=True)


def downgrade():
    op.execute("DELETE FROM verification_states WHERE outcome IS NULL")
    with op.batch_alter_table('verification_states') as batch:
        for name, type_ in COLUMNS:
            batch.alter_column(name, existing_type=type_, nullable=False)
