"""Tracking: devices, duty intervals, position fixes and each surveyor's latest position

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 11:52:29.504207
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('surveyor_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('protocol', sa.Enum('osmand', 'owntracks', 'app', name='protocol', native_enum=False, length=16), nullable=False),
    sa.Column('default_crs', sa.String(length=8), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['surveyor_id'], ['user_account.id'], name=op.f('fk_device_surveyor_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_device_token_hash'))
    )
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_surveyor_id'), ['surveyor_id'], unique=False)

    op.create_table('duty_interval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('surveyor_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['surveyor_id'], ['user_account.id'], name=op.f('fk_duty_interval_surveyor_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_interval'))
    )
    with op.batch_alter_table('duty_interval', schema=None) as batch_op:
        batch_op.create_index('ix_duty_interval_surveyor_started', ['surveyor_id', 'started_at'], unique=False)
        batch_op.create_index('uq_duty_interval_open', ['surveyor_id'], unique=True, sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))

    op.create_table('latest_position',
    sa.Column('surveyor_id', sa.Integer(), nullable=False),
    sa.Column('device_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lat', sa.Double(), nullable=False),
    sa.Column('lon', sa.Double(), nullable=False),
    sa.Column('accuracy_m', sa.Double(), nullable=True),
    sa.Column('speed_mps', sa.Double(), nullable=True),
    sa.Column('heading_deg', sa.Double(), nullable=True),
    sa.Column('battery', sa.Double(), nullable=True),
    sa.Column('source', sa.Enum('api', 'osmand', 'owntracks', name='source', native_enum=False, length=16), nullable=False),
    sa.Column('poor_accuracy', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['surveyor_id'], ['user_account.id'], name=op.f('fk_latest_position_surveyor_id_user_account')),
    sa.PrimaryKeyConstraint('surveyor_id', name=op.f('pk_latest_position'))
    )
    op.create_table('fix',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('surveyor_id', sa.Integer(), nullable=False),
    sa.Column('device_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lat', sa.Double(), nullable=False),
    sa.Column('lon', sa.Double(), nullable=False),
    sa.Column('accuracy_m', sa.Double(), nullable=True),
    sa.Column('speed_mps', sa.Double(), nullable=True),
    sa.Column('heading_deg', sa.Double(), nullable=True),
    sa.Column('altitude_m', sa.Double(), nullable=True),
    sa.Column('battery', sa.Double(), nullable=True),
    sa.Column('provider', sa.String(length=16), nullable=True),
    sa.Column('source', sa.Enum('api', 'osmand', 'owntracks', name='source', native_enum=False, length=16), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('poor_accuracy', sa.Boolean(), nullable=False),
    sa.Column('implausible', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_fix_device_id_device')),
    sa.ForeignKeyConstraint(['surveyor_id'], ['user_account.id'], name=op.f('fk_fix_surveyor_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fix')),
    sa.UniqueConstraint('surveyor_id', 'device_time', name=op.f('uq_fix_surveyor_id_device_time'))
    )
    with op.batch_alter_table('fix', schema=None) as batch_op:
        batch_op.create_index('ix_fix_device_time', ['device_time'], unique=False)


def downgrade():
    with op.batch_alter_table('fix', schema=None) as batch_op:
        batch_op.drop_index('ix_fix_device_time')

    op.drop_table('fix')
    op.drop_table('latest_position')
    with op.batch_alter_table('duty_interval', schema=None) as batch_op:
        batch_op.drop_index('uq_duty_interval_open', sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
        batch_op.drop_index('ix_duty_interval_surveyor_started')

    op.drop_table('duty_interval')
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_surveyor_id'))

    op.drop_table('device')
