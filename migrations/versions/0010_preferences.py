"""preferences: the Trusts and sites a bank worker would rather work at

Revision ID: 0010_preferences
Revises: 0009_offers
Create Date: 2026-11-23 02:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_preferences'
down_revision = '0009_offers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('worker_preferred_trusts',
    sa.Column('settings_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['settings_id'], ['worker_bank_settings.id'], name=op.f('fk_worker_preferred_trusts_settings_id_worker_bank_settings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_worker_preferred_trusts_trust_id_trusts')),
    sa.PrimaryKeyConstraint('settings_id', 'trust_id', name=op.f('pk_worker_preferred_trusts'))
    )
    op.create_table('worker_preferred_sites',
    sa.Column('settings_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['settings_id'], ['worker_bank_settings.id'], name=op.f('fk_worker_preferred_sites_settings_id_worker_bank_settings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_worker_preferred_sites_site_id_sites')),
    sa.PrimaryKeyConstraint('settings_id', 'site_id', name=op.f('pk_worker_preferred_sites'))
    )


def downgrade():
    op.drop_table('worker_preferred_sites')
    op.drop_table('worker_preferred_trusts')
