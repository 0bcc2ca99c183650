"""Compliance report indexes: cases by branch and first dispatch, visits by branch and date, latest dispatch, applied items

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 18:50:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

APPLIED = "outcome <> 'not_applicable'"


def upgrade():
    with op.batch_alter_table('claim_case', schema=None) as batch_op:
        batch_op.create_index('ix_claim_case_branch_first_dispatched', ['branch_id', 'first_dispatched_at'], unique=False)

    with op.batch_alter_table('dispatch', schema=None) as batch_op:
        batch_op.create_index('ix_dispatch_case_latest', ['case_id', 'id'], unique=False)

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_branch_date', ['branch_id', 'visit_date'], unique=False)

    with op.batch_alter_table('visit_item_outcome', schema=None) as batch_op:
        batch_op.create_index('ix_visit_item_outcome_applied', ['visit_id', 'item_code', 'outcome'], unique=False,
                              sqlite_where=sa.text(APPLIED), postgresql_where=sa.text(APPLIED))


def downgrade():
    with op.batch_alter_table('visit_item_outcome', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_item_outcome_applied', sqlite_where=sa.text(APPLIED),
                            postgresql_where=sa.text(APPLIED))

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_branch_date')

    with op.batch_alter_table('dispatch', schema=None) as batch_op:
        batch_op.drop_index('ix_dispatch_case_latest')

    with op.batch_alter_table('claim_case', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_case_branch_first_dispatched')
