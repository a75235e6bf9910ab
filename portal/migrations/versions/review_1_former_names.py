"""people.former_names: names a person held before, recognised at review

Revision ID: review_1
Revises: scale_1
"""
from alembic import op
import sqlalchemy as sa


revision = 'review_1'
down_revision = 'scale_1'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('people', sa.Column('former_names', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    op.drop_column('people', 'former_names')
