"""worker heartbeats carry the consumer's Tesseract version (for /healthz)

Revision ID: reliability_6
Revises: reliability_5
Create Date: 2026-12-02 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'reliability_6'
down_revision = 'reliability_5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('worker_heartbeats') as batch:
        batch.add_column(sa.Column('ocr_version', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('worker_heartbeats') as batch:
        batch.drop_column('ocr_version')
