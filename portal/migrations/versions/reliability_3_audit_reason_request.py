"""audit events: the reason given and the request that made the change

Revision ID: reliability_3
Revises: reliability_2
Create Date: 2026-12-02 02:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'reliability_3'
down_revision = 'reliability_2'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('audit_events', sa.Column('reason', sa.Text(), nullable=True))
    op.add_column('audit_events', sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.drop_column('request_id')
        batch_op.drop_column('reason')
