"""reminder scans record the day they scanned, when they started and with what (reminder_scans); the
snapshot refresh records when what the scan reads of a person changed (reminder_changes); notifications
of a missing requirement are indexed by (kind, step, due_on) for the missing-requirement escalations: the next day's scan reads
what came due and who changed, not the registry

Revision ID: reminders_scale_1
Revises: verification_4
Create Date: 2026-12-03 13:40:00

"""
import sqlalchemy as sa
from alembic import op

from portal.models.base import UTCDateTime

revision = 'reminders_scale_1'
down_revision = 'verification_4'
branch_labels = None
depends_on = None

MISSING_KINDS = "kind IN ('missing-seen', 'missing')"


def upgrade():
    op.create_table(
        'reminder_scans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('on', sa.Date(), nullable=False),
        sa.Column('started_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('full', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_scans')),
    )
    op.create_table(
        'reminder_changes',
        sa.Column('person_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('changed_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('person_id', name=op.f('pk_reminder_changes')),
    )
    with op.batch_alter_table('reminder_changes') as batch:
        batch.create_index(batch.f('ix_reminder_changes_changed_at'), ['changed_at'], unique=False)
    with op.batch_alter_table('notifications') as batch:
        batch.create_index('ix_notifications_kind_step_due', ['kind', 'step', 'due_on'], unique=False,
                           postgresql_where=sa.text(MISSING_KINDS), sqlite_where=sa.text(MISSING_KINDS))


def downgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.drop_index('ix_notifications_kind_step_due')
    with op.batch_alter_table('reminder_changes') as batch:
        batch.drop_index(batch.f('ix_reminder_changes_changed_at'))
    op.drop_table('reminder_changes')
    op.drop_table('reminder_scans')
