"""Daily partitions of the fix history on PostgreSQL: made ahead by the worker, on demand by ingestion.

Partitions are fix_partitions.fix_YYYYMMDD, each one UTC day of device time. A partition is created in
its own short autocommit transaction, never inside a request's, so two requests racing to create the same
day cannot deadlock; each process remembers the days it has seen. SQLite has no partitions: every
function here is then a no-op.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

SCHEMA = "fix_partitions"
AHEAD_DAYS = 2
DDL_LOCK_TIMEOUT = "10s"

_known: dict[str, set[date]] = {}
_partitioned: dict[str, bool] = {}
_lock = threading.Lock()


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def day_of(at: datetime) -> date:
    """The UTC day a device time falls in (the partition that holds it)."""
    return at.astimezone(timezone.utc).date()


def name_of(day: date) -> str:
    """A day's partition table, unqualified."""
    return f"fix_{day:%Y%m%d}"


def bounds(day: date) -> tuple[datetime, datetime]:
    """The device-time range [start, end) a day's partition holds."""
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


def is_partitioned(engine: Engine) -> bool:
    """Whether the fix table is a partitioned table (PostgreSQL after migration 0008)."""
    if engine.dialect.name != "postgresql":
        return False
    key = _key(engine)
    if key not in _partitioned:
        with engine.connect() as conn:
            kind = conn.exec_driver_sql("SELECT relkind FROM pg_class WHERE oid = to_regclass('public.fix')").scalar()
        _partitioned[key] = kind == "p"
    return _partitioned[key]


def existing(conn: Connection) -> dict[date, str]:
    """The fix table's partitions by day, read from the catalog."""
    rows = conn.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'public.fix'::regclass").scalars()
    days = {}
    for name in rows:
        try:
            days[datetime.strptime(name, "fix_%Y%m%d").date()] = name
        except ValueError:
            continue  # a partition this module did not make: leave it alone
    return days


def ensure(engine: Engine, days: Iterable[date]) -> int:
    """Create the partitions of the given days that do not exist yet; return how many were created."""
    if not is_partitioned(engine):
        return 0
    key = _key(engine)
    with _lock:
        missing = sorted(set(days) - _known.setdefault(key, set()))
    if not missing:
        return 0
    created = 0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        present = existing(conn)
        conn.exec_driver_sql(f"SET lock_timeout = '{DDL_LOCK_TIMEOUT}'")
        for day in missing:
            if day not in present:
                start, end = bounds(day)
                try:
                    conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{name_of(day)} PARTITION OF fix "
                                         f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")
                    created += 1
                except sa.exc.DBAPIError:
                    # Another process created it a moment ago: that is all we wanted.
                    if day not in existing(conn):
                        raise
        conn.exec_driver_sql("RESET lock_timeout")
    with _lock:
        _known[key].update(missing)
    return created


def ensure_for_times(session: Session, first: datetime, last: datetime) -> None:
    """Make sure partitions exist for every day from `first` to `last` (before inserting fixes in them)."""
    ensure_for_times_engine(session.get_bind(), first, last)


def ensure_for_times_engine(engine: Engine, first: datetime, last: datetime) -> int:
    """ensure_for_times for an engine (bulk loads outside a request)."""
    if engine.dialect.name != "postgresql":
        return 0
    day, end = day_of(first), day_of(last)
    return ensure(engine, [day + timedelta(days=n) for n in range((end - day).days + 1)])


def forget(engine: Engine, days: Iterable[date]) -> None:
    """Drop days from this process's memory (their partitions were dropped)."""
    with _lock:
        _known.get(_key(engine), set()).difference_update(days)


def create_ahead(session: Session, now: datetime) -> int:
    """The worker's job: partitions from yesterday to AHEAD_DAYS ahead exist before fixes need them."""
    engine = session.get_bind()
    today = day_of(now)
    return ensure(engine, [today + timedelta(days=n) for n in range(-1, AHEAD_DAYS + 1)])
