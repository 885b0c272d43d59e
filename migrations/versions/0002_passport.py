"""passport: credential types, credentials, acceptances, requirements

Revision ID: 0002_passport
Revises: 0001_core
Create Date: 2026-11-22 23:41:51.881125

"""
from alembic import op
import sqlalchemy as sa

# The credential types as first seeded (a snapshot of passport/reference.py at this revision).
CREDENTIAL_TYPES = [
    {'code': 'identity', 'name': 'Identity check', 'category': 'employment_check', 'check_standard': 'identity', 'evidence': 'document', 'needs_expiry': False, 'refresher_months': None, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'right_to_work', 'name': 'Right to work', 'category': 'employment_check', 'check_standard': 'right_to_work', 'evidence': 'either', 'needs_expiry': False, 'refresher_months': None, 'registration_body': None, 'reference_label': 'Share code', 'recognised': True},
    {'code': 'references', 'name': 'Employment history and references', 'category': 'employment_check', 'check_standard': 'employment_history', 'evidence': 'document', 'needs_expiry': False, 'refresher_months': None, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'dbs_enhanced', 'name': 'Enhanced DBS check with barred lists', 'category': 'employment_check', 'check_standard': 'criminal_record', 'evidence': 'either', 'needs_expiry': False, 'refresher_months': None, 'registration_body': None, 'reference_label': 'DBS certificate number', 'recognised': True},
    {'code': 'gmc_registration', 'name': 'GMC registration and licence to practise', 'category': 'registration', 'check_standard': 'registration', 'evidence': 'reference', 'needs_expiry': True, 'refresher_months': None, 'registration_body': 'GMC', 'reference_label': 'GMC number', 'recognised': True},
    {'code': 'nmc_registration', 'name': 'NMC registration', 'category': 'registration', 'check_standard': 'registration', 'evidence': 'reference', 'needs_expiry': True, 'refresher_months': None, 'registration_body': 'NMC', 'reference_label': 'NMC PIN', 'recognised': True},
    {'code': 'hcpc_registration', 'name': 'HCPC registration', 'category': 'registration', 'check_standard': 'registration', 'evidence': 'reference', 'needs_expiry': True, 'refresher_months': None, 'registration_body': 'HCPC', 'reference_label': 'HCPC registration number', 'recognised': True},
    {'code': 'work_health', 'name': 'Work health assessment', 'category': 'occupational_health', 'check_standard': 'work_health', 'evidence': 'document', 'needs_expiry': False, 'refresher_months': None, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'immunisations', 'name': 'Immunisations (hepatitis B, MMR, varicella, TB)', 'category': 'occupational_health', 'check_standard': 'work_health', 'evidence': 'document', 'needs_expiry': False, 'refresher_months': None, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'cstf_conflict_resolution', 'name': 'Conflict resolution', 'category': 'training', 'check_standard': None, 'evidence': 'document', 'needs_expiry': False, 'refresher_months': 36, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'cstf_equality_diversity', 'name': 'Equality, diversity and human rights', 'category': 'training', 'check_standard': None, 'evidence': 'document', 'needs_expiry': False, 'refresher_months': 36, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'cstf_fire_safety', 'name': 'Fire safety', 'category': 'training', 'check_standard': None, 'evidence': 'document', 'needs_expiry': False, 'refresher_months': 24, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'cstf_health_safety', 'name': 'Health, safety and welfare', 'category': 'training', 'check_standard': None, 'evidence': 'document', 'needs_expiry': False, 'refresher_months': 36, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'cstf_infection_prevention', 'name': 'Infection prevention and control', 'category': 'training', 'check_standard': None, 'evidence': 'document', 'needs_expiry': False, 'refresher_months': 12, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'cstf_information_governance', 'name': 'Information governance and data security', 'category': 'training', 'check_standard': None, 'evidence': 'document', 'needs_expiry': False, 'refresher_months': 12, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'cstf_moving_handling', 'name': 'Moving and handling', 'category': 'training', 'check_standard': None, 'evidence': 'document', 'needs_expiry': False, 'refresher_months': 24, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'cstf_prevent', 'name': 'Preventing radicalisation (Prevent)', 'category': 'training', 'check_standard': None, 'evidence': 'document', 'needs_expiry': False, 'refresher_months': 36, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'cstf_resuscitation', 'name': 'Resuscitation', 'category': 'training', 'check_standard': None, 'evidence': 'document', 'needs_expiry': False, 'refresher_months': 12, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'cstf_safeguarding_adults', 'name': 'Safeguarding adults', 'category': 'training', 'check_standard': None, 'evidence': 'document', 'needs_expiry': False, 'refresher_months': 36, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'cstf_safeguarding_children', 'name': 'Safeguarding children', 'category': 'training', 'check_standard': None, 'evidence': 'document', 'needs_expiry': False, 'refresher_months': 36, 'registration_body': None, 'reference_label': None, 'recognised': True},
    {'code': 'local_induction', 'name': 'Local induction', 'category': 'local', 'check_standard': None, 'evidence': 'document', 'needs_expiry': False, 'refresher_months': None, 'registration_body': None, 'reference_label': None, 'recognised': False},
]


# revision identifiers, used by Alembic.
revision = '0002_passport'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('credential_types',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('category', sa.Enum('employment_check', 'registration', 'occupational_health', 'training', 'local', name='category', native_enum=False, length=20), nullable=False),
    sa.Column('check_standard', sa.String(length=40), nullable=True),
    sa.Column('evidence', sa.Enum('document', 'reference', 'either', name='evidence', native_enum=False, length=20), nullable=False),
    sa.Column('needs_expiry', sa.Boolean(), nullable=False),
    sa.Column('refresher_months', sa.Integer(), nullable=True),
    sa.Column('registration_body', sa.Enum('GMC', 'NMC', 'HCPC', name='registrationbody', native_enum=False, length=20), nullable=True),
    sa.Column('reference_label', sa.String(length=60), nullable=True),
    sa.Column('recognised', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_types')),
    sa.UniqueConstraint('code', name=op.f('uq_credential_types_code'))
    )
    op.create_table('training_intervals',
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('credential_type_id', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credential_type_id'], ['credential_types.id'], name=op.f('fk_training_intervals_credential_type_id_credential_types')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_training_intervals_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_intervals')),
    sa.UniqueConstraint('trust_id', 'credential_type_id', name=op.f('uq_training_intervals_trust_id_credential_type_id'))
    )
    with op.batch_alter_table('training_intervals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_intervals_trust_id'), ['trust_id'], unique=False)

    op.create_table('credentials',
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('credential_type_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('awaiting_verification', 'verified', 'rejected', name='credentialstatus', native_enum=False, length=30), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('evidence_key', sa.String(length=100), nullable=True),
    sa.Column('evidence_filename', sa.String(length=200), nullable=True),
    sa.Column('evidence_content_type', sa.String(length=50), nullable=True),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_by_user_id', sa.Integer(), nullable=True),
    sa.Column('verified_by_trust_id', sa.Integer(), nullable=True),
    sa.Column('verification_method', sa.String(length=60), nullable=True),
    sa.Column('verification_note', sa.Text(), nullable=True),
    sa.Column('rejected_reason', sa.Text(), nullable=True),
    sa.Column('expiry_announced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credential_type_id'], ['credential_types.id'], name=op.f('fk_credentials_credential_type_id_credential_types')),
    sa.ForeignKeyConstraint(['verified_by_trust_id'], ['trusts.id'], name=op.f('fk_credentials_verified_by_trust_id_trusts')),
    sa.ForeignKeyConstraint(['verified_by_user_id'], ['users.id'], name=op.f('fk_credentials_verified_by_user_id_users')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_credentials_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credentials'))
    )
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credentials_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_credentials_worker_id'), ['worker_id'], unique=False)

    op.create_table('credential_acceptances',
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('verified_by_trust_id', sa.Integer(), nullable=False),
    sa.Column('accepted_by_user_id', sa.Integer(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_user_id'], ['users.id'], name=op.f('fk_credential_acceptances_accepted_by_user_id_users')),
    sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'], name=op.f('fk_credential_acceptances_credential_id_credentials')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_credential_acceptances_trust_id_trusts')),
    sa.ForeignKeyConstraint(['verified_by_trust_id'], ['trusts.id'], name=op.f('fk_credential_acceptances_verified_by_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_acceptances')),
    sa.UniqueConstraint('credential_id', 'trust_id', name=op.f('uq_credential_acceptances_credential_id_trust_id'))
    )
    with op.batch_alter_table('credential_acceptances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_acceptances_credential_id'), ['credential_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credential_acceptances_trust_id'), ['trust_id'], unique=False)

    op.create_table('credential_events',
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('trust_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_credential_events_actor_user_id_users')),
    sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'], name=op.f('fk_credential_events_credential_id_credentials')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_credential_events_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_events'))
    )
    with op.batch_alter_table('credential_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_events_credential_id'), ['credential_id'], unique=False)

    op.create_table('trust_requirements',
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('credential_type_id', sa.Integer(), nullable=False),
    sa.Column('staff_group', sa.Enum('medical', 'nursing', 'ahp', 'support', name='staffgroup', native_enum=False, length=20), nullable=True),
    sa.Column('grade', sa.String(length=20), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credential_type_id'], ['credential_types.id'], name=op.f('fk_trust_requirements_credential_type_id_credential_types')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_trust_requirements_department_id_departments')),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_trust_requirements_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_requirements')),
    sa.UniqueConstraint('trust_id', 'credential_type_id', 'staff_group', 'grade', 'department_id', name=op.f('uq_trust_requirements_trust_id_credential_type_id_staff_group_grade_department_id'))
    )
    with op.batch_alter_table('trust_requirements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trust_requirements_trust_id'), ['trust_id'], unique=False)

    # ### end Alembic commands ###

    credential_types = sa.table(
        "credential_types",
        *(sa.column(name) for name in CREDENTIAL_TYPES[0]),
    )
    op.bulk_insert(credential_types, CREDENTIAL_TYPES)


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('trust_requirements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trust_requirements_trust_id'))

    op.drop_table('trust_requirements')
    with op.batch_alter_table('credential_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credential_events_credential_id'))

    op.drop_table('credential_events')
    with op.batch_alter_table('credential_acceptances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credential_acceptances_trust_id'))
        batch_op.drop_index(batch_op.f('ix_credential_acceptances_credential_id'))

    op.drop_table('credential_acceptances')
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credentials_worker_id'))
        batch_op.drop_index(batch_op.f('ix_credentials_status'))

    op.drop_table('credentials')
    with op.batch_alter_table('training_intervals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_intervals_trust_id'))

    op.drop_table('training_intervals')
    op.drop_table('credential_types')
    # ### end Alembic commands ###
