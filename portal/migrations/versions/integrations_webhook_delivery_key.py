"""webhook deliveries: one per webhook and event key

Revision ID: integrations_1
Revises: 0001
"""
from alembic import op

revision = "integrations_1"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_webhook_deliveries_webhook_event_key", ["webhook_id", "event_key"]
        )


def downgrade():
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_webhook_deliveries_webhook_event_key", type_="unique")
