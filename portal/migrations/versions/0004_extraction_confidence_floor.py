"""extraction confidence floor: the least sure reviewed field, stored so the
review queue filters low-confidence documents in SQL; backfilled here

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:55:59.497985

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('extractions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_confidence', sa.Double(), nullable=True))

    from portal.models.documents import confidence_floor

    extractions = sa.table('extractions', sa.column('id', sa.Integer), sa.column('confidence', sa.JSON),
                           sa.column('min_confidence', sa.Double))
    bind = op.get_bind()
    rated = [{"eid": eid, "floor": confidence_floor(confidence)}
             for eid, confidence in bind.execute(sa.select(extractions.c.id, extractions.c.confidence))]
    rated = [row for row in rated if row["floor"] is not None]
    if rated:
        bind.execute(extractions.update().where(extractions.c.id == sa.bindparam("eid"))
                     .values(min_confidence=sa.bindparam("floor")), rated)


def downgrade():
    with op.batch_alter_table('extractions', schema=None) as batch_op:
        batch_op.drop_column('min_confidence')
