"""notifications indexed by recipient and id: a person's notification
settings page lists the last few sent to them (newest first); without it
that query walked the notifications backwards from the newest, ~4 s for a
person with few of them among 3,000,000

Revision ID: reminders_scale_3
Revises: scale_6
Create Date: 2026-12-04 19:50:00

"""
from alembic import op

revision = 'reminders_scale_3'
down_revision = 'scale_6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.create_index('ix_notifications_recipient', ['recipient_person_id', 'id'])


def downgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.drop_index('ix_notifications_recipient')
