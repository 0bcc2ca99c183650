"""Claim forms, their attachments (stored before or after the form) and the per-branch chain of seals

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 15:02:24.217739
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('claim_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('scene', 'vehicle_damage', 'injury', 'party_signature', 'company_seal', 'id_copy', 'passbook_copy', 'payment_receipt', 'other', name='attachmentkind', native_enum=False, length=24), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('thumbnail_sha256', sa.String(length=64), nullable=True),
    sa.Column('stripped_sha256', sa.String(length=64), nullable=True),
    sa.Column('stripped_content_type', sa.String(length=32), nullable=True),
    sa.Column('device_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fix_lat', sa.Double(), nullable=True),
    sa.Column('fix_lon', sa.Double(), nullable=True),
    sa.Column('fix_accuracy_m', sa.Double(), nullable=True),
    sa.Column('exif_taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exif_lat', sa.Double(), nullable=True),
    sa.Column('exif_lon', sa.Double(), nullable=True),
    sa.Column('site_distance_m', sa.Double(), nullable=True),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=True),
    sa.Column('signer_role', sa.String(length=32), nullable=True),
    sa.Column('strokes_sha256', sa.String(length=64), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_claim_attachment_branch_id_branch')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_claim_attachment_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_attachment')),
    sa.UniqueConstraint('form_id', 'sha256', name=op.f('uq_claim_attachment_form_id_sha256'))
    )
    with op.batch_alter_table('claim_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_attachment_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_attachment_form_id'), ['form_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_attachment_uploaded_by_id'), ['uploaded_by_id'], unique=False)

    op.create_table('claim_form',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('dispatch_id', sa.Integer(), nullable=False),
    sa.Column('surveyor_id', sa.Integer(), nullable=False),
    sa.Column('account', sa.Text(), nullable=True),
    sa.Column('party_name', sa.String(length=120), nullable=True),
    sa.Column('party_phone', sa.String(length=32), nullable=True),
    sa.Column('party_id_number', sa.String(length=32), nullable=True),
    sa.Column('insured_kind', sa.Enum('person', 'organization', name='insuredkind', native_enum=False, length=16), nullable=False),
    sa.Column('insured_name', sa.String(length=200), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('payment_method', sa.Enum('transfer', 'other', name='paymentmethod', native_enum=False, length=16), nullable=False),
    sa.Column('form_date', sa.Date(), nullable=True),
    sa.Column('notice_handed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('manifest', sa.JSON(), nullable=False),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('awaiting', sa.JSON(), nullable=False),
    sa.Column('documents_complete_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('corrects_id', sa.Uuid(), nullable=True),
    sa.Column('corrected_by_id', sa.Uuid(), nullable=True),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('input_digest', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_claim_form_branch_id_branch')),
    sa.ForeignKeyConstraint(['corrected_by_id'], ['claim_form.id'], name=op.f('fk_claim_form_corrected_by_id_claim_form')),
    sa.ForeignKeyConstraint(['corrects_id'], ['claim_form.id'], name=op.f('fk_claim_form_corrects_id_claim_form')),
    sa.ForeignKeyConstraint(['dispatch_id'], ['dispatch.id'], name=op.f('fk_claim_form_dispatch_id_dispatch')),
    sa.ForeignKeyConstraint(['surveyor_id'], ['user_account.id'], name=op.f('fk_claim_form_surveyor_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_form')),
    sa.UniqueConstraint('corrects_id', name=op.f('uq_claim_form_corrects_id'))
    )
    with op.batch_alter_table('claim_form', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_form_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_form_dispatch_id'), ['dispatch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_form_surveyor_id'), ['surveyor_id'], unique=False)

    op.create_table('claim_seal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('previous_digest', sa.String(length=64), nullable=True),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sealed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_claim_seal_branch_id_branch')),
    sa.ForeignKeyConstraint(['form_id'], ['claim_form.id'], name=op.f('fk_claim_seal_form_id_claim_form')),
    sa.ForeignKeyConstraint(['sealed_by_id'], ['user_account.id'], name=op.f('fk_claim_seal_sealed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_seal')),
    sa.UniqueConstraint('branch_id', 'sequence', name=op.f('uq_claim_seal_branch_id_sequence')),
    sa.UniqueConstraint('form_id', name=op.f('uq_claim_seal_form_id'))
    )
    with op.batch_alter_table('claim_seal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_seal_branch_id'), ['branch_id'], unique=False)



def downgrade():
    with op.batch_alter_table('claim_seal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_seal_branch_id'))

    op.drop_table('claim_seal')
    with op.batch_alter_table('claim_form', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_form_surveyor_id'))
        batch_op.drop_index(batch_op.f('ix_claim_form_dispatch_id'))
        batch_op.drop_index(batch_op.f('ix_claim_form_branch_id'))

    op.drop_table('claim_form')
    with op.batch_alter_table('claim_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_attachment_uploaded_by_id'))
        batch_op.drop_index(batch_op.f('ix_claim_attachment_form_id'))
        batch_op.drop_index(batch_op.f('ix_claim_attachment_branch_id'))

    op.drop_table('claim_attachment')
