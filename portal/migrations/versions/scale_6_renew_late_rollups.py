"""roll-ups count each person's compliant requirements already too late to renew (the organisation's renew-now
total): the stored ones lack the count, so they are emptied; pages read the snapshot rows until the nightly
refresh (or `refresh_everyone`) builds them again

Revision ID: scale_6
Revises: scale_5
Create Date: 2026-12-04 02:40:00

"""
from alembic import op


revision = 'scale_6'
down_revision = 'scale_5'
branch_labels = None
depends_on = None


def _empty_roll_ups():
    # Tallies without the count cannot be added to new ones: with none
    # stored, the session hook keeps nothing current until the next rebuild.
    op.execute("DELETE FROM compliance_tallies")
    op.execute("DELETE FROM person_compliance")
    op.execute("DELETE FROM staffing_risks")


def upgrade():
    _empty_roll_ups()


def downgrade():
    _empty_roll_ups()
