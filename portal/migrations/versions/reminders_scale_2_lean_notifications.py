"""notifications carry the ids of people, credentials, types and documents as
plain columns (no foreign keys: each was a lookup and row lock per row the
daily scan writes), and index persons and credentials only on the rows read
by them: a missing requirement's records by (person, type), escalations by
credential

Revision ID: reminders_scale_2
Revises: reminders_scale_1
Create Date: 2026-12-04 02:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'reminders_scale_2'
down_revision = 'reminders_scale_1'
branch_labels = None
depends_on = None

MISSING_KINDS = "kind IN ('missing-seen', 'missing')"
ESCALATIONS = "kind = 'escalation'"
FOREIGN_KEYS = (  # (constraint, column, table referred to)
    ('fk_notifications_credential_id_credentials', 'credential_id', 'credentials'),
    ('fk_notifications_credential_type_id_credential_types', 'credential_type_id', 'credential_types'),
    ('fk_notifications_document_id_documents', 'document_id', 'documents'),
    ('fk_notifications_person_id_people', 'person_id', 'people'),
    ('fk_notifications_recipient_person_id_people', 'recipient_person_id', 'people'),
)


def upgrade():
    with op.batch_alter_table('notifications') as batch:
        for name, _, _ in FOREIGN_KEYS:
            batch.drop_constraint(name, type_='foreignkey')
        batch.drop_index('ix_notifications_person_id')
        batch.drop_index('ix_notifications_credential_id')
        batch.create_index('ix_notifications_missing_person_type', ['person_id', 'credential_type_id'],
                           postgresql_where=sa.text(MISSING_KINDS), sqlite_where=sa.text(MISSING_KINDS))
        batch.create_index('ix_notifications_escalation_credential', ['credential_id'],
                           postgresql_where=sa.text(ESCALATIONS), sqlite_where=sa.text(ESCALATIONS))


def downgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.drop_index('ix_notifications_escalation_credential')
        batch.drop_index('ix_notifications_missing_person_type')
        batch.create_index('ix_notifications_credential_id', ['credential_id'])
        batch.create_index('ix_notifications_person_id', ['person_id'])
        for name, column, table in FOREIGN_KEYS:
            batch.create_foreign_key(name, table, [column], ['id'])
