"""rate-limit counters in the database, shared by every web worker

Revision ID: reliability_4
Revises: reliability_3
Create Date: 2026-12-02 02:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'reliability_4'
down_revision = 'reliability_3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_limit_counters',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters'))
    )


def downgrade():
    op.drop_table('rate_limit_counters')
