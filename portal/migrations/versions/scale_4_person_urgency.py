"""person roll-ups: whether the first expiry is unknown and the states held, so the matrix's urgency sorts
and state filters walk an index and stop at the page; the roll-ups are emptied (pages read the snapshot rows
until the nightly refresh builds them again)

Revision ID: scale_4
Revises: verification_2
Create Date: 2026-12-02 18:50:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'scale_4'
down_revision = 'verification_2'
branch_labels = None
depends_on = None


ROLL_UPS = ("compliance_tallies", "person_compliance")


def upgrade():
    # Rows written before these columns would read as "no expiry, no state".
    for table in ROLL_UPS:
        op.execute(f"DELETE FROM {table}")
    with op.batch_alter_table('person_compliance') as batch:
        batch.add_column(sa.Column('expiry_unknown', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column('states', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch.create_index('ix_person_compliance_urgency', ['worst_rank', 'expiry_unknown', 'first_expiry'],
                           unique=False)
        batch.create_index('ix_person_compliance_expiry', ['expiry_unknown', 'first_expiry'], unique=False)


def downgrade():
    for table in ROLL_UPS:
        op.execute(f"DELETE FROM {table}")
    with op.batch_alter_table('person_compliance') as batch:
        batch.drop_index('ix_person_compliance_expiry')
        batch.drop_index('ix_person_compliance_urgency')
        batch.drop_column('states')
        batch.drop_column('expiry_unknown')
