"""Clients, checklist templates, visits with scores and photos, follow-up tasks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 11:59:44.000119
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checklist_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=400), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_checklist_version_published_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_version')),
    sa.UniqueConstraint('code', 'number', name=op.f('uq_checklist_version_code_number'))
    )
    op.create_table('client',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('enterprise', 'institution', 'other', name='clientkind', native_enum=False, length=16), nullable=False),
    sa.Column('contact_person', sa.String(length=120), nullable=True),
    sa.Column('contact_phone', sa.String(length=32), nullable=True),
    sa.Column('address', sa.String(length=400), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('merged_into_id', sa.Uuid(), nullable=True),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('input_digest', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_client_branch_id_branch')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['client.id'], name=op.f('fk_client_merged_into_id_client')),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_client_owner_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client'))
    )
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_owner_id'), ['owner_id'], unique=False)

    op.create_table('checklist_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('standard_item', sa.String(length=16), nullable=True),
    sa.Column('article', sa.String(length=64), nullable=True),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('requirement_zh', sa.Text(), nullable=True),
    sa.Column('requirement_en', sa.Text(), nullable=True),
    sa.Column('applies_at', sa.String(length=32), nullable=False),
    sa.Column('purposes', sa.JSON(), nullable=False),
    sa.Column('answer_type', sa.String(length=32), nullable=False),
    sa.Column('photo_required', sa.Boolean(), nullable=False),
    sa.Column('sub_checks', sa.JSON(), nullable=False),
    sa.Column('exclusions', sa.JSON(), nullable=False),
    sa.Column('exclusions_note_zh', sa.String(length=400), nullable=True),
    sa.Column('exclusions_note_en', sa.String(length=400), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['checklist_version.id'], name=op.f('fk_checklist_item_version_id_checklist_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_item')),
    sa.UniqueConstraint('version_id', 'code', name=op.f('uq_checklist_item_version_id_code'))
    )
    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_item_version_id'), ['version_id'], unique=False)

    op.create_table('visit',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('checklist_version_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('prospecting', 'product_presentation', 'application', 'policy_delivery', 'service_call', name='visitpurpose', native_enum=False, length=24), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', name='visitstatus', native_enum=False, length=16), nullable=False),
    sa.Column('check_in_lat', sa.Double(), nullable=False),
    sa.Column('check_in_lon', sa.Double(), nullable=False),
    sa.Column('check_in_accuracy_m', sa.Double(), nullable=False),
    sa.Column('check_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('check_in_received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('check_out_lat', sa.Double(), nullable=True),
    sa.Column('check_out_lon', sa.Double(), nullable=True),
    sa.Column('check_out_accuracy_m', sa.Double(), nullable=True),
    sa.Column('check_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('check_out_received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('objections', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('photo_manifest', sa.JSON(), nullable=False),
    sa.Column('input_digest', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('amends_id', sa.Uuid(), nullable=True),
    sa.Column('superseded_by_id', sa.Uuid(), nullable=True),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('amendment_reason', sa.String(length=400), nullable=True),
    sa.Column('is_first_meeting', sa.Boolean(), nullable=False),
    sa.Column('distance_m', sa.Double(), nullable=True),
    sa.Column('location_check', sa.String(length=16), nullable=False),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('met_count', sa.Integer(), nullable=False),
    sa.Column('missed_count', sa.Integer(), nullable=False),
    sa.Column('excused_count', sa.Integer(), nullable=False),
    sa.Column('not_applicable_count', sa.Integer(), nullable=False),
    sa.Column('share_met', sa.Double(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['amends_id'], ['visit.id'], name=op.f('fk_visit_amends_id_visit')),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_visit_branch_id_branch')),
    sa.ForeignKeyConstraint(['checklist_version_id'], ['checklist_version.id'], name=op.f('fk_visit_checklist_version_id_checklist_version')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_visit_client_id_client')),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_visit_owner_id_user_account')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['visit.id'], name=op.f('fk_visit_superseded_by_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit')),
    sa.UniqueConstraint('amends_id', name=op.f('uq_visit_amends_id'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_check_in_at'), ['check_in_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_checklist_version_id'), ['checklist_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_is_current'), ['is_current'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_missed_count'), ['missed_count'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_visit_date'), ['visit_date'], unique=False)

    op.create_table('client_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('checklist_version_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=64), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('done_via', sa.String(length=16), nullable=True),
    sa.Column('done_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_client_task_branch_id_branch')),
    sa.ForeignKeyConstraint(['checklist_version_id'], ['checklist_version.id'], name=op.f('fk_client_task_checklist_version_id_checklist_version')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_client_task_client_id_client')),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_client_task_owner_id_user_account')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_client_task_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_task')),
    sa.UniqueConstraint('visit_id', 'item_code', name=op.f('uq_client_task_visit_id_item_code'))
    )
    with op.batch_alter_table('client_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_task_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_task_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_task_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_task_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_task_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_item_outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=400), nullable=True),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_item_outcome_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_item_outcome')),
    sa.UniqueConstraint('visit_id', 'item_code', name=op.f('uq_visit_item_outcome_visit_id_item_code'))
    )
    with op.batch_alter_table('visit_item_outcome', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_item_outcome_item_code'), ['item_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_item_outcome_outcome'), ['outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_item_outcome_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('item_code', sa.String(length=64), nullable=True),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_visit_photo_uploaded_by_id_user_account')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_photo_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_photo')),
    sa.UniqueConstraint('visit_id', 'sha256', name=op.f('uq_visit_photo_visit_id_sha256'))
    )
    with op.batch_alter_table('visit_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_photo_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_photo_visit_id'), ['visit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('visit_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_photo_visit_id'))
        batch_op.drop_index(batch_op.f('ix_visit_photo_sha256'))

    op.drop_table('visit_photo')
    with op.batch_alter_table('visit_item_outcome', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_item_outcome_visit_id'))
        batch_op.drop_index(batch_op.f('ix_visit_item_outcome_outcome'))
        batch_op.drop_index(batch_op.f('ix_visit_item_outcome_item_code'))

    op.drop_table('visit_item_outcome')
    with op.batch_alter_table('client_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_task_visit_id'))
        batch_op.drop_index(batch_op.f('ix_client_task_owner_id'))
        batch_op.drop_index(batch_op.f('ix_client_task_due_on'))
        batch_op.drop_index(batch_op.f('ix_client_task_client_id'))
        batch_op.drop_index(batch_op.f('ix_client_task_branch_id'))

    op.drop_table('client_task')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_visit_date'))
        batch_op.drop_index(batch_op.f('ix_visit_status'))
        batch_op.drop_index(batch_op.f('ix_visit_owner_id'))
        batch_op.drop_index(batch_op.f('ix_visit_missed_count'))
        batch_op.drop_index(batch_op.f('ix_visit_is_current'))
        batch_op.drop_index(batch_op.f('ix_visit_client_id'))
        batch_op.drop_index(batch_op.f('ix_visit_checklist_version_id'))
        batch_op.drop_index(batch_op.f('ix_visit_check_in_at'))
        batch_op.drop_index(batch_op.f('ix_visit_branch_id'))

    op.drop_table('visit')
    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_item_version_id'))

    op.drop_table('checklist_item')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_owner_id'))
        batch_op.drop_index(batch_op.f('ix_client_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_client_branch_id'))

    op.drop_table('client')
    op.drop_table('checklist_version')
