"""staffing risks: each active person's assignments at risk, kept with their roll-up, so the organisation's
and a department's forecast list them without loading facts; the roll-ups are emptied (pages read the
snapshot rows until the nightly refresh builds them again, risks included)

Revision ID: scale_5
Revises: reminders_scale_2
Create Date: 2026-12-04 02:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'scale_5'
down_revision = 'reminders_scale_2'
branch_labels = None
depends_on = None


ROLL_UPS = ("compliance_tallies", "person_compliance")


def upgrade():
    # Roll-ups built before this table have no risks beside them: a current
    # tally would list none.
    for table in ROLL_UPS:
        op.execute(f"DELETE FROM {table}")
    op.create_table('staffing_risks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('department_key', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('credential_type_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=True),
    sa.Column('lapses_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staffing_risks'))
    )
    op.create_index(op.f('ix_staffing_risks_person_id'), 'staffing_risks', ['person_id'], unique=False)
    op.create_index(op.f('ix_staffing_risks_department_key'), 'staffing_risks', ['department_key'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_staffing_risks_department_key'), table_name='staffing_risks')
    op.drop_index(op.f('ix_staffing_risks_person_id'), table_name='staffing_risks')
    op.drop_table('staffing_risks')
    for table in ROLL_UPS:
        op.execute(f"DELETE FROM {table}")
