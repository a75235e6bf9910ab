"""documents.type_request: the credential type a reviewer asked an administrator to add

Revision ID: review_2
Revises: reliability_6
Create Date: 2026-12-02 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'review_2'
down_revision = 'reliability_6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('type_request', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('documents') as batch:
        batch.drop_column('type_request')
