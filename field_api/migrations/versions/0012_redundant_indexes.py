"""Drop the single-column indexes that 0011's composite ones lead with: cases and visits by branch, dispatches by
case, item outcomes by visit (its unique key on visit and item leads with it)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 02:00:00.000000
"""
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

REDUNDANT = (
    ('claim_case', 'ix_claim_case_branch_id', 'branch_id'),
    ('dispatch', 'ix_dispatch_case_id', 'case_id'),
    ('visit', 'ix_visit_branch_id', 'branch_id'),
    ('visit_item_outcome', 'ix_visit_item_outcome_visit_id', 'visit_id'),
)


def upgrade():
    for table, index, _column in REDUNDANT:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)


def downgrade():
    for table, index, column in REDUNDANT:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(index, [column], unique=False)
