"""people name index: the organisation's matrix by name reads one page of the index, not everyone sorted

Revision ID: scale_2
Revises: reliability_4
Create Date: 2026-12-02 02:06:00

"""
from alembic import op


revision = 'scale_2'
down_revision = 'reliability_4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_people_name', 'people', ['last_name', 'first_name', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_people_name', table_name='people')
