"""audit chain: each event's place in an HMAC chain (tamper evidence)

Revision ID: reliability_5
Revises: scale_2
Create Date: 2026-12-02 02:25:00

On PostgreSQL, when CREDWATCH_DB_APP_ROLE names the role the portal runs
as (migrations run as the owner), that role may only read and append to
audit_events: no UPDATE, DELETE, TRUNCATE, and, not owning the table, no
ALTER TABLE or DISABLE TRIGGER either.
"""
import os

from alembic import op
import sqlalchemy as sa


revision = 'reliability_5'
down_revision = 'scale_2'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('audit_events', sa.Column('chain_seq', sa.Integer(), nullable=True))
    op.add_column('audit_events', sa.Column('chain_hash', sa.String(length=64), nullable=True))
    op.create_index('ix_audit_events_chain_seq', 'audit_events', ['chain_seq'], unique=True)
    role = os.environ.get("CREDWATCH_DB_APP_ROLE")
    if role and op.get_bind().dialect.name == "postgresql":
        quoted = '"' + role.replace('"', '""') + '"'
        op.execute(f"REVOKE ALL ON audit_events FROM {quoted}")
        op.execute(f"GRANT SELECT, INSERT ON audit_events TO {quoted}")
        op.execute(f"GRANT USAGE ON SEQUENCE audit_events_id_seq TO {quoted}")


def downgrade():
    op.drop_index('ix_audit_events_chain_seq', table_name='audit_events')
    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.drop_column('chain_hash')
        batch_op.drop_column('chain_seq')
