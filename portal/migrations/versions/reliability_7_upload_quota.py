"""documents name the API token that sent them; indexes for the upload quota

Revision ID: reliability_7
Revises: review_2
Create Date: 2026-12-02 08:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'reliability_7'
down_revision = 'review_2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('api_token_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_documents_api_token_id_api_tokens', 'api_tokens', ['api_token_id'], ['id'])
        batch.create_index('ix_documents_uploader_created', ['uploaded_by_id', 'created_at'])
        batch.create_index('ix_documents_token_created', ['api_token_id', 'created_at'])


def downgrade():
    with op.batch_alter_table('documents') as batch:
        batch.drop_index('ix_documents_token_created')
        batch.drop_index('ix_documents_uploader_created')
        batch.drop_constraint('fk_documents_api_token_id_api_tokens', type_='foreignkey')
        batch.drop_column('api_token_id')
