"""Canonical datum, service zones, cases, dispatches and their timeline, outbox, worker lease

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 11:52:46.866503
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def configured_datum():
    """FIELD_API_DATUM of the app running the migration (wgs84 outside an app)."""
    try:
        from flask import current_app
        return current_app.config.get('DATUM', 'wgs84')
    except RuntimeError:
        return 'wgs84'


def upgrade():
    op.create_table('deployment_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_deployment_setting'))
    )
    # The coordinates stored from here on are in this datum; the app refuses to start with another.
    settings = sa.table('deployment_setting', sa.column('key', sa.String), sa.column('value', sa.String))
    op.bulk_insert(settings, [{'key': 'datum', 'value': configured_datum()}])
    op.create_table('worker_lease',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_lease'))
    )
    op.create_table('outbox_message',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('topic', sa.String(length=40), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_outbox_message_branch_id_branch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_created_at'), ['created_at'], unique=False)

    op.create_table('claim_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('report_number', sa.String(length=40), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('line', sa.Enum('motor', 'property', name='line', native_enum=False, length=16), nullable=False),
    sa.Column('on_site', sa.Boolean(), nullable=False),
    sa.Column('lat', sa.Double(), nullable=False),
    sa.Column('lon', sa.Double(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('customer_name', sa.String(length=120), nullable=False),
    sa.Column('customer_phone', sa.String(length=32), nullable=True),
    sa.Column('is_vip', sa.Boolean(), nullable=False),
    sa.Column('plate_number', sa.String(length=16), nullable=True),
    sa.Column('coverage', sa.String(length=16), nullable=False),
    sa.Column('zones_branch_id', sa.Integer(), nullable=True),
    sa.Column('zones_version', sa.Integer(), nullable=True),
    sa.Column('first_dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('legal_hold_reason', sa.String(length=500), nullable=True),
    sa.Column('legal_hold_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_claim_case_branch_id_branch')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_claim_case_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['zones_branch_id'], ['branch.id'], name=op.f('fk_claim_case_zones_branch_id_branch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_case')),
    sa.UniqueConstraint('report_number', name=op.f('uq_claim_case_report_number'))
    )
    with op.batch_alter_table('claim_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_case_branch_id'), ['branch_id'], unique=False)

    op.create_table('service_zones',
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('feature_collection', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_service_zones_branch_id_branch')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_service_zones_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('branch_id', name=op.f('pk_service_zones'))
    )
    op.create_table('dispatch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('surveyor_id', sa.Integer(), nullable=False),
    sa.Column('dispatched_by_id', sa.Integer(), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('clock_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_first', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('open', 'completed', 'cancelled', 'reassigned', name='dispatchstatus', native_enum=False, length=16), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('fence_lat', sa.Double(), nullable=False),
    sa.Column('fence_lon', sa.Double(), nullable=False),
    sa.Column('arrive_radius_m', sa.Double(), nullable=False),
    sa.Column('leave_radius_m', sa.Double(), nullable=False),
    sa.Column('contact_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contact_state', sa.Enum('pending', 'at_risk', 'met', 'missed', 'excused', 'cancelled', name='clockstate', native_enum=False, length=16), nullable=True),
    sa.Column('contacted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('arrival_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('arrival_state', sa.Enum('pending', 'at_risk', 'met', 'missed', 'excused', 'cancelled', name='clockstate', native_enum=False, length=16), nullable=True),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('arrival_source', sa.String(length=16), nullable=True),
    sa.Column('agreed_arrival_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('projected_arrival_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late_notice_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late_notice_eta', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late_notice_reason', sa.String(length=500), nullable=True),
    sa.Column('contact_excuse', sa.Enum('communication_outage', 'traffic', 'geography', name='excusecause', native_enum=False, length=24), nullable=True),
    sa.Column('contact_excuse_note', sa.String(length=500), nullable=True),
    sa.Column('arrival_excuse', sa.Enum('communication_outage', 'traffic', 'geography', name='excusecause', native_enum=False, length=24), nullable=True),
    sa.Column('arrival_excuse_note', sa.String(length=500), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_dispatch_branch_id_branch')),
    sa.ForeignKeyConstraint(['case_id'], ['claim_case.id'], name=op.f('fk_dispatch_case_id_claim_case')),
    sa.ForeignKeyConstraint(['dispatched_by_id'], ['user_account.id'], name=op.f('fk_dispatch_dispatched_by_id_user_account')),
    sa.ForeignKeyConstraint(['surveyor_id'], ['user_account.id'], name=op.f('fk_dispatch_surveyor_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch'))
    )
    with op.batch_alter_table('dispatch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispatch_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_dispatch_open_clocks', ['status', 'arrival_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_surveyor_id'), ['surveyor_id'], unique=False)

    op.create_table('dispatch_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispatch_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('device_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('client_event_id', sa.String(length=36), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('accuracy_m', sa.Double(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_dispatch_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['dispatch_id'], ['dispatch.id'], name=op.f('fk_dispatch_event_dispatch_id_dispatch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_event')),
    sa.UniqueConstraint('client_event_id', name=op.f('uq_dispatch_event_client_event_id'))
    )
    with op.batch_alter_table('dispatch_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispatch_event_dispatch_id'), ['dispatch_id'], unique=False)

    with op.batch_alter_table('branch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arrival_radius_m', sa.Double(), nullable=True))



def downgrade():
    with op.batch_alter_table('branch', schema=None) as batch_op:
        batch_op.drop_column('arrival_radius_m')

    with op.batch_alter_table('dispatch_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispatch_event_dispatch_id'))

    op.drop_table('dispatch_event')
    with op.batch_alter_table('dispatch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispatch_surveyor_id'))
        batch_op.drop_index(batch_op.f('ix_dispatch_status'))
        batch_op.drop_index('ix_dispatch_open_clocks')
        batch_op.drop_index(batch_op.f('ix_dispatch_case_id'))
        batch_op.drop_index(batch_op.f('ix_dispatch_branch_id'))

    op.drop_table('dispatch')
    op.drop_table('service_zones')
    with op.batch_alter_table('claim_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_case_branch_id'))

    op.drop_table('claim_case')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_created_at'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_branch_id'))

    op.drop_table('outbox_message')
    op.drop_table('worker_lease')
    op.drop_table('deployment_setting')
