"""a failed roster import can be tried again; a check's own evidence file is named by a column

Revision ID: verification_3
Revises: scale_4
Create Date: 2026-12-03 08:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'verification_3'
down_revision = 'scale_4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('verification_imports') as batch:
        batch.add_column(sa.Column('retried_after', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('verifications') as batch:
        batch.add_column(sa.Column('evidence_sha256', sa.String(length=64), nullable=True))
        batch.create_index('ix_verifications_evidence_sha256', ['evidence_sha256'])
    # Checks made before kept the file's digest in their evidence only.
    verifications = sa.table('verifications', sa.column('id', sa.Integer), sa.column('evidence', sa.JSON),
                             sa.column('evidence_sha256', sa.String))
    bind = op.get_bind()
    for row_id, evidence in bind.execute(sa.select(verifications.c.id, verifications.c.evidence)).all():
        digest = ((evidence or {}).get('file') or {}).get('sha256') if isinstance(evidence, dict) else None
        if digest:
            bind.execute(verifications.update().where(verifications.c.id == row_id)
                         .values(evidence_sha256=str(digest)[:64]))


def downgrade():
    with op.batch_alter_table('verifications') as batch:
        batch.drop_index('ix_verifications_evidence_sha256')
        batch.drop_column('evidence_sha256')
    with op.batch_alter_table('verification_imports') as batch:
        batch.drop_column('retried_after')
