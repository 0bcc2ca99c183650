"""Settled report days: a branch's numbers of a UTC day kept once, and the triggers that drop them when a case or
a dispatch of that day is written

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 14:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# PostgreSQL: a writer holds a shared advisory lock on each day it unsettles until it commits, and the settling
# job takes the exclusive lock before it reads a day (reports/settling.py), so it never keeps numbers read
# before a write that commits after them. SQLite has one writer at a time, and the job is one.
POSTGRESQL = """
CREATE FUNCTION report_day_lock(p_source text, p_branch integer, p_day date) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended(p_source || ':' || p_branch || ':' || p_day, 7071) $$;

CREATE FUNCTION report_unsettle(p_source text, p_branch integer, p_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    p_day date := (p_at AT TIME ZONE 'UTC')::date;
BEGIN
    IF p_day IS NULL THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(report_day_lock(p_source, p_branch, p_day));
    DELETE FROM report_settled_day WHERE source = p_source AND branch_id = p_branch AND day = p_day;
END $$;

CREATE FUNCTION report_unsettle_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM report_unsettle('case_clocks', OLD.branch_id, OLD.first_dispatched_at);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM report_unsettle('case_clocks', NEW.branch_id, NEW.first_dispatched_at);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION report_unsettle_dispatch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM report_unsettle('case_clocks', c.branch_id, c.first_dispatched_at)
        FROM claim_case c WHERE c.id = OLD.case_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM report_unsettle('case_clocks', c.branch_id, c.first_dispatched_at)
        FROM claim_case c WHERE c.id = NEW.case_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER report_unsettle AFTER INSERT OR UPDATE OR DELETE ON claim_case
FOR EACH ROW EXECUTE FUNCTION report_unsettle_case();
CREATE TRIGGER report_unsettle AFTER INSERT OR UPDATE OR DELETE ON dispatch
FOR EACH ROW EXECUTE FUNCTION report_unsettle_dispatch();
"""

_SQLITE_CASE = ("DELETE FROM report_settled_day WHERE source = 'case_clocks' "
                "AND branch_id = {row}.branch_id AND day = date({row}.first_dispatched_at);")
_SQLITE_DISPATCH = ("DELETE FROM report_settled_day WHERE source = 'case_clocks' AND (branch_id, day) IN "
                    "(SELECT branch_id, date(first_dispatched_at) FROM claim_case WHERE id = {row}.case_id);")
ROWS = {'INSERT': ('NEW',), 'UPDATE': ('OLD', 'NEW'), 'DELETE': ('OLD',)}


def upgrade():
    op.create_table(
        'report_settled_day',
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('signature', sa.String(length=64), nullable=False),
        sa.Column('settled_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('counts', sa.LargeBinary(), nullable=False),
        sa.Column('durations', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_report_settled_day_branch_id_branch')),
        sa.PrimaryKeyConstraint('source', 'branch_id', 'day', name=op.f('pk_report_settled_day')),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRESQL)
        return
    for table, delete in (('claim_case', _SQLITE_CASE), ('dispatch', _SQLITE_DISPATCH)):
        for verb, rows in ROWS.items():
            body = " ".join(delete.format(row=row) for row in rows)
            op.execute(f"CREATE TRIGGER {table}_report_unsettle_{verb.lower()} AFTER {verb} ON {table} "
                       f"BEGIN {body} END")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in ('claim_case', 'dispatch'):
            op.execute(f"DROP TRIGGER report_unsettle ON {table}")
        for function in ('report_unsettle_case()', 'report_unsettle_dispatch()',
                         'report_unsettle(text, integer, timestamptz)', 'report_day_lock(text, integer, date)'):
            op.execute(f"DROP FUNCTION {function}")
    else:
        for table in ('claim_case', 'dispatch'):
            for verb in ROWS:
                op.execute(f"DROP TRIGGER {table}_report_unsettle_{verb.lower()}")
    op.drop_table('report_settled_day')
