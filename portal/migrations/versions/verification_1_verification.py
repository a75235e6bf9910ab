"""verification: checks of credentials against their source, their standing, policies, trust roots, roster imports

Revision ID: verification_1
Revises: 0005
Create Date: 2026-12-02 00:44:36.310810

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = 'verification_1'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('verification_trust_roots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('pem', sa.Text(), nullable=False),
    sa.Column('created_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_trust_roots')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_verification_trust_roots_fingerprint'))
    )
    op.create_table('verification_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credential_type_id', sa.Integer(), nullable=True),
    sa.Column('methods', sa.JSON(), nullable=False),
    sa.Column('reverify_days', sa.Integer(), nullable=True),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['credential_type_id'], ['credential_types.id'], name=op.f('fk_verification_policies_credential_type_id_credential_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_policies')),
    sa.UniqueConstraint('credential_type_id', name=op.f('uq_verification_policies_credential_type_id'))
    )
    op.create_table('verification_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('alerts', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('imported_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_verification_imports_imported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_imports'))
    )
    op.create_table('exclusion_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('row', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('cleared_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['verification_imports.id'], name=op.f('fk_exclusion_matches_import_id_verification_imports')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_exclusion_matches_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exclusion_matches'))
    )
    op.create_index(op.f('ix_exclusion_matches_person_id'), 'exclusion_matches', ['person_id'])

    op.create_table('verifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('checked_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_verifications_checked_by_id_users')),
    sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'], name=op.f('fk_verifications_credential_id_credentials')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_verifications_document_id_documents')),
    sa.ForeignKeyConstraint(['import_id'], ['verification_imports.id'], name=op.f('fk_verifications_import_id_verification_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verifications'))
    )
    op.create_index('ix_verifications_credential_checked', 'verifications', ['credential_id', 'checked_at'])

    op.create_table('verification_states',
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('verification_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_due', sa.Date(), nullable=True),
    sa.Column('retry_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'], name=op.f('fk_verification_states_credential_id_credentials')),
    sa.ForeignKeyConstraint(['verification_id'], ['verifications.id'], name=op.f('fk_verification_states_verification_id_verifications')),
    sa.PrimaryKeyConstraint('credential_id', name=op.f('pk_verification_states'))
    )
    op.create_index(op.f('ix_verification_states_next_due'), 'verification_states', ['next_due'])



def downgrade():
    op.drop_index(op.f('ix_verification_states_next_due'), table_name='verification_states')

    op.drop_table('verification_states')
    op.drop_index('ix_verifications_credential_checked', table_name='verifications')

    op.drop_table('verifications')
    op.drop_index(op.f('ix_exclusion_matches_person_id'), table_name='exclusion_matches')

    op.drop_table('exclusion_matches')
    op.drop_table('verification_imports')
    op.drop_table('verification_policies')
    op.drop_table('verification_trust_roots')
