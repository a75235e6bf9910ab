"""compliance roll-ups: one tally per active person and one per department (and the organisation)

Revision ID: scale_1
Revises: reliability_1
Create Date: 2026-12-02 01:20:00

The tables start empty: pages read the snapshot rows until the nightly
refresh (``jobs.compliance``) builds them.
"""
from alembic import op
import sqlalchemy as sa


revision = 'scale_1'
down_revision = 'reliability_1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('person_compliance',
    sa.Column('person_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('department_key', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('worst_rank', sa.Integer(), nullable=True),
    sa.Column('first_expiry', sa.Date(), nullable=True),
    sa.Column('tally', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_person_compliance'))
    )
    op.create_index(op.f('ix_person_compliance_department_key'), 'person_compliance', ['department_key'], unique=False)
    op.create_table('compliance_tallies',
    sa.Column('department_key', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('tally', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('department_key', name=op.f('pk_compliance_tallies'))
    )


def downgrade():
    op.drop_table('compliance_tallies')
    op.drop_index(op.f('ix_person_compliance_department_key'), table_name='person_compliance')
    op.drop_table('person_compliance')
