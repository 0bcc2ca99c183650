"""PostgreSQL: the fix history partitioned by day of device time (SQLite keeps the plain table)

Daily range partitions live in the fix_partitions schema (fix_YYYYMMDD, UTC days) so that retention drops
whole days; the primary key becomes (id, device_time) because a partitioned table's unique keys must
include the partition key. Existing fixes are copied into partitions for the days they cover. On both
databases the fix table drops its two foreign keys (their per-row checks were the largest cost of ingestion).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 12:20:00.000000
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

SCHEMA = 'fix_partitions'
COLUMNS = """
    id BIGINT NOT NULL DEFAULT nextval('fix_id_seq'),
    surveyor_id INTEGER NOT NULL,
    device_time TIMESTAMP WITH TIME ZONE NOT NULL,
    received_at TIMESTAMP WITH TIME ZONE NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    accuracy_m DOUBLE PRECISION,
    speed_mps DOUBLE PRECISION,
    heading_deg DOUBLE PRECISION,
    altitude_m DOUBLE PRECISION,
    battery DOUBLE PRECISION,
    provider VARCHAR(16),
    source VARCHAR(16) NOT NULL,
    device_id INTEGER,
    poor_accuracy BOOLEAN NOT NULL,
    implausible BOOLEAN NOT NULL
"""
FOREIGN_KEYS = (('fk_fix_surveyor_id_user_account', 'surveyor_id', 'user_account'),
                ('fk_fix_device_id_device', 'device_id', 'device'))


def _rename_old(conn, suffix):
    conn.exec_driver_sql(f"ALTER TABLE fix RENAME TO fix_{suffix}")
    for name in ('pk_fix', 'uq_fix_surveyor_id_device_time'):
        conn.exec_driver_sql(f"ALTER TABLE fix_{suffix} RENAME CONSTRAINT {name} TO {name}_{suffix}")
    conn.exec_driver_sql(f"ALTER INDEX ix_fix_device_time RENAME TO ix_fix_device_time_{suffix}")
    conn.exec_driver_sql("ALTER SEQUENCE fix_id_seq OWNED BY NONE")


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name != 'postgresql':
        # The fix table loses its foreign keys: per-row checks on the hottest insert (see the model).
        with op.batch_alter_table('fix', schema=None) as batch_op:
            for name, _, _ in FOREIGN_KEYS:
                batch_op.drop_constraint(name, type_='foreignkey')
        return
    for name, _, _ in FOREIGN_KEYS:
        conn.exec_driver_sql(f"ALTER TABLE fix DROP CONSTRAINT {name}")
    _rename_old(conn, 'unpartitioned')
    conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    conn.exec_driver_sql(f"CREATE TABLE fix ({COLUMNS}, CONSTRAINT pk_fix PRIMARY KEY (id, device_time), "
                         "CONSTRAINT uq_fix_surveyor_id_device_time UNIQUE (surveyor_id, device_time)) "
                         "PARTITION BY RANGE (device_time)")
    conn.exec_driver_sql("CREATE INDEX ix_fix_device_time ON fix (device_time)")
    today = datetime.now(timezone.utc).date()
    days = {today, today + timedelta(days=1)}
    days |= {d.date() for (d,) in conn.exec_driver_sql(
        "SELECT DISTINCT date_trunc('day', device_time AT TIME ZONE 'UTC') FROM fix_unpartitioned")}
    for day in sorted(days):
        start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.fix_{day:%Y%m%d} PARTITION OF fix "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{(start + timedelta(days=1)).isoformat()}')")
    conn.exec_driver_sql("INSERT INTO fix SELECT * FROM fix_unpartitioned")
    conn.exec_driver_sql("DROP TABLE fix_unpartitioned")
    conn.exec_driver_sql("ALTER SEQUENCE fix_id_seq OWNED BY fix.id")


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name != 'postgresql':
        with op.batch_alter_table('fix', schema=None) as batch_op:
            for name, column, table in FOREIGN_KEYS:
                batch_op.create_foreign_key(name, table, [column], ['id'])
        return
    _rename_old(conn, 'partitioned')
    conn.exec_driver_sql(f"CREATE TABLE fix ({COLUMNS}, CONSTRAINT pk_fix PRIMARY KEY (id), "
                         "CONSTRAINT uq_fix_surveyor_id_device_time UNIQUE (surveyor_id, device_time))")
    conn.exec_driver_sql("CREATE INDEX ix_fix_device_time ON fix (device_time)")
    conn.exec_driver_sql("INSERT INTO fix SELECT * FROM fix_partitioned")
    conn.exec_driver_sql("DROP TABLE fix_partitioned")
    conn.exec_driver_sql("ALTER SEQUENCE fix_id_seq OWNED BY fix.id")
    for name, column, table in FOREIGN_KEYS:
        conn.exec_driver_sql(f"ALTER TABLE fix ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {table} (id)")
    conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
