"""used renewal links: a link's nonce claimed once, by primary key

Revision ID: reliability_1
Revises: verification_1
Create Date: 2026-12-02 01:05:00

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base  # noqa: F401  (UTCDateTime columns)


revision = 'reliability_1'
down_revision = 'verification_1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('used_renewal_links',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('used_by_id', sa.Integer(), nullable=True),
    sa.Column('used_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'], name=op.f('fk_used_renewal_links_credential_id_credentials')),
    sa.ForeignKeyConstraint(['used_by_id'], ['users.id'], name=op.f('fk_used_renewal_links_used_by_id_users')),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_used_renewal_links'))
    )
    op.create_index(op.f('ix_used_renewal_links_credential_id'), 'used_renewal_links', ['credential_id'], unique=False)
    # Links used before this table existed were recorded only as audit events.
    bind = op.get_bind()
    events = sa.table("audit_events", sa.column("entity_id", sa.String), sa.column("actor_user_id", sa.Integer),
                      sa.column("occurred_at", portal.models.base.UTCDateTime(timezone=True)),
                      sa.column("action", sa.String), sa.column("after", sa.JSON))
    used = sa.table("used_renewal_links", sa.column("nonce", sa.String), sa.column("credential_id", sa.Integer),
                    sa.column("used_by_id", sa.Integer),
                    sa.column("used_at", portal.models.base.UTCDateTime(timezone=True)))
    seen = set()
    for row in bind.execute(sa.select(events).where(events.c.action == "renewal_link.used")
                            .order_by(events.c.occurred_at)):
        credential_id = (row.after or {}).get("credential_id")
        if row.entity_id and credential_id and row.entity_id not in seen:
            seen.add(row.entity_id)
            bind.execute(used.insert().values(nonce=row.entity_id, credential_id=credential_id,
                                              used_by_id=row.actor_user_id, used_at=row.occurred_at))


def downgrade():
    op.drop_index(op.f('ix_used_renewal_links_credential_id'), table_name='used_renewal_links')
    op.drop_table('used_renewal_links')
