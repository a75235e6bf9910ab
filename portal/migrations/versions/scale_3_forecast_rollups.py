"""roll-ups carry the forecast's own figures (people whose assignments change judged by the engine): the
stored ones lack them, so they are emptied; pages read the snapshot rows until the nightly refresh
(or `refresh_everyone`) builds them again

Revision ID: scale_3
Revises: reliability_7
Create Date: 2026-12-02 18:45:00

"""
from alembic import op


revision = 'scale_3'
down_revision = 'reliability_7'
branch_labels = None
depends_on = None


def upgrade():
    # Tallies of the old shape cannot be added to new ones: with none stored,
    # the session hook keeps nothing current until the next full rebuild.
    op.execute("DELETE FROM compliance_tallies")
    op.execute("DELETE FROM person_compliance")


def downgrade():
    op.execute("DELETE FROM compliance_tallies")
    op.execute("DELETE FROM person_compliance")
