"""preview state: page images drawn, or failed within the isolated reader's limits

Revision ID: reliability_2
Revises: review_1
Create Date: 2026-12-02 01:25:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'reliability_2'
down_revision = 'review_1'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('documents', sa.Column('preview_state', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('documents') as batch_op:
        batch_op.drop_column('preview_state')
