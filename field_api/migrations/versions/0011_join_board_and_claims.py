"""Join the board (0009) and claim-form (0010) heads, both written on 0008; no schema change

Only so that the reports branch, which merges both, has one head. When the lead re-points 0010 onto 0009
this file goes.

Revision ID: 0011
Revises: 0009, 0010
Create Date: 2026-11-25 15:16:00
"""

revision = '0011'
down_revision = ('0009', '0010')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
