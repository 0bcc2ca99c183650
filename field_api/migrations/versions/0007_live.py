"""Live map: single-use stream tickets

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-25 12:14:25.285981
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stream_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['token_id'], ['access_token.id'], name=op.f('fk_stream_ticket_token_id_access_token')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_stream_ticket_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stream_ticket')),
    sa.UniqueConstraint('ticket_hash', name=op.f('uq_stream_ticket_ticket_hash'))
    )
    with op.batch_alter_table('stream_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stream_ticket_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stream_ticket_token_id'), ['token_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stream_ticket_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('stream_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stream_ticket_user_id'))
        batch_op.drop_index(batch_op.f('ix_stream_ticket_token_id'))
        batch_op.drop_index(batch_op.f('ix_stream_ticket_expires_at'))

    op.drop_table('stream_ticket')
