"""merge the snapshot and webhook-key branches

Revision ID: 0003
Revises: 0002, integrations_1
Create Date: 2026-11-29 03:59:19.711215

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = ('0002', 'integrations_1')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
