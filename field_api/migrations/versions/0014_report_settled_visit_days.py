"""Settled report days of visits, checklist items and follow-ups: the triggers that drop a kept local date when a
visit, an item outcome or a follow-up of it is written

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 20:30:00.000000
"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# What each table's rows unsettle: the sources, and the rows' branch and local date, as a SELECT over a table of
# rows (PostgreSQL's transition tables) and as a condition on one row (SQLite's row triggers).
UNSETTLES = {
    'visit': (('visits', 'visit_items'), "SELECT branch_id, visit_date FROM {rows}",
              "branch_id = {row}.branch_id AND day = {row}.visit_date"),
    'visit_item_outcome': (('visit_items',),
                           "SELECT v.branch_id, v.visit_date FROM visit v WHERE v.id IN (SELECT visit_id FROM {rows})",
                           "(branch_id, day) IN (SELECT branch_id, visit_date FROM visit WHERE id = {row}.visit_id)"),
    'client_task': (('follow_up_tasks',), "SELECT branch_id, due_on FROM {rows}",
                    "branch_id = {row}.branch_id AND day = {row}.due_on"),
}
VERBS = {'INSERT': ('NEW',), 'UPDATE': ('OLD', 'NEW'), 'DELETE': ('OLD',)}

# PostgreSQL: statement-level triggers over the transition tables (a bulk write unsettles each of its days once),
# taking the shared advisory lock of each day as migration 0013's row triggers do.
POSTGRESQL_FUNCTIONS = """
CREATE FUNCTION report_unsettle_on(p_sources text[], p_branch integer, p_day date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_day IS NULL THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(report_day_lock(s, p_branch, p_day)) FROM unnest(p_sources) AS s;
    DELETE FROM report_settled_day WHERE source = ANY (p_sources) AND branch_id = p_branch AND day = p_day;
END $$;
"""


def _postgresql_function(table: str) -> str:
    sources, days, _ = UNSETTLES[table]
    array = "ARRAY[" + ", ".join(f"'{s}'" for s in sources) + "]"

    def unsettle(rows: str) -> str:
        return (f"PERFORM report_unsettle_on({array}, d.branch_id, d.day) FROM "
                f"(SELECT DISTINCT * FROM ({days.format(rows=rows)}) AS r (branch_id, day)) AS d;")

    return f"""
CREATE FUNCTION report_unsettle_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {unsettle('old_rows')}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {unsettle('new_rows')}
    END IF;
    RETURN NULL;
END $$;
"""


def _transition_tables(verb: str) -> str:
    return " ".join(f"{row} TABLE AS {row.lower()}_rows" for row in VERBS[verb])


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRESQL_FUNCTIONS)
        for table in UNSETTLES:
            op.execute(_postgresql_function(table))
            for verb in VERBS:
                op.execute(f"CREATE TRIGGER report_unsettle_{verb.lower()} AFTER {verb} ON {table} "
                           f"REFERENCING {_transition_tables(verb)} FOR EACH STATEMENT "
                           f"EXECUTE FUNCTION report_unsettle_{table}()")
        return
    for table, (sources, _, of_row) in UNSETTLES.items():
        listed = ", ".join(f"'{s}'" for s in sources)
        for verb, rows in VERBS.items():
            body = " ".join(f"DELETE FROM report_settled_day WHERE source IN ({listed}) AND {of_row.format(row=row)};"
                            for row in rows)
            op.execute(f"CREATE TRIGGER {table}_report_unsettle_{verb.lower()} AFTER {verb} ON {table} "
                       f"BEGIN {body} END")


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table in UNSETTLES:
        for verb in VERBS:
            op.execute(f"DROP TRIGGER report_unsettle_{verb.lower()} ON {table}" if postgresql
                       else f"DROP TRIGGER {table}_report_unsettle_{verb.lower()}")
        if postgresql:
            op.execute(f"DROP FUNCTION report_unsettle_{table}()")
    if postgresql:
        op.execute("DROP FUNCTION report_unsettle_on(text[], integer, date)")
