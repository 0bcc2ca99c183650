"""The hot insert of a batch of fixes, below the ORM and the Core compiler: one statement per batch.

PostgreSQL gets one INSERT ... SELECT FROM json_to_recordset ON CONFLICT DO NOTHING RETURNING, so a batch of
500 is one JSON parameter rather than 7,500 bound values; SQLite gets one executemany with values
already in its storage format. Either way a fix already stored (same surveyor, same device time) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.tracking.models import Fix

FIX = Fix.__table__

COLUMNS = ("surveyor_id", "device_time", "received_at", "lat", "lon", "accuracy_m", "speed_mps", "heading_deg",
           "altitude_m", "battery", "provider", "source", "device_id", "poor_accuracy", "implausible")
PER_FIX = ("device_time", "lat", "lon", "accuracy_m", "speed_mps", "heading_deg", "altitude_m", "battery",
           "provider", "poor_accuracy", "implausible")
PER_FIX_TYPES = ("timestamptz", "float8", "float8", "float8", "float8", "float8", "float8", "float8", "varchar",
                 "bool", "bool")

_POSTGRES = sa.text(
    f"INSERT INTO fix ({', '.join(COLUMNS)}) "
    "SELECT :surveyor_id, t.device_time, :received_at, t.lat, t.lon, t.accuracy_m, t.speed_mps, t.heading_deg, "
    "t.altitude_m, t.battery, t.provider, :source, :device_id, t.poor_accuracy, t.implausible "
    "FROM json_to_recordset(CAST(:fixes AS json)) "
    f"AS t({', '.join(f'{name} {kind}' for name, kind in zip(PER_FIX, PER_FIX_TYPES))}) "
    "ON CONFLICT (surveyor_id, device_time) DO NOTHING RETURNING device_time")
_SQLITE = (f"INSERT INTO fix ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
           "ON CONFLICT (surveyor_id, device_time) DO NOTHING")


def sqlite_time(at: datetime) -> str:
    """An instant as SQLAlchemy stores it in SQLite (UTC wall time, always with microseconds)."""
    at = at.astimezone(timezone.utc)
    return (f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}:{at.second:02d}."
            f"{at.microsecond:06d}")


@dataclass(frozen=True)
class EncodedFixes:
    """One surveyor's new fixes as the insert's parameters, ready before a transaction needs them."""

    surveyor_id: int
    received_at: datetime
    times: set[datetime]
    params: Any


def encode(session: Session, surveyor_id: int, rows: list[dict[str, Any]], *, received_at: datetime, source: str,
           device_id: int | None) -> EncodedFixes:
    """Turn the rows into the insert's parameters for the session's database (no query)."""
    times = {r["device_time"] for r in rows}
    if session.get_bind().dialect.name == "postgresql":
        # The rows travel as one JSON document that PostgreSQL unpacks in C: adapting 5,500 values (or
        # building array literals) in Python cost more than the insert itself. Extra keys are ignored.
        params = {"fixes": orjson.dumps(rows).decode(), "surveyor_id": surveyor_id, "received_at": received_at,
                  "source": source, "device_id": device_id}
    else:
        received = sqlite_time(received_at)
        params = [(surveyor_id, sqlite_time(r["device_time"]), received, r["lat"], r["lon"], r["accuracy_m"],
                   r["speed_mps"], r["heading_deg"], r["altitude_m"], r["battery"], r["provider"], source,
                   device_id, r["poor_accuracy"], r["implausible"]) for r in rows]
    return EncodedFixes(surveyor_id, received_at, times, params)


def insert(session: Session, fixes: EncodedFixes) -> set[datetime]:
    """Insert encoded fixes; return the device times actually stored (others were there already)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.execute(_POSTGRES, fixes.params)
        if cursor.rowcount == len(fixes.times):  # the common case: no need to read what came back
            return fixes.times
        # Compare as the caller holds them (UTC): the driver answers in the session's time zone.
        return {at.astimezone(timezone.utc) for at in cursor.scalars()}
    cursor = connection.exec_driver_sql(_SQLITE, fixes.params)
    if cursor.rowcount == len(fixes.times):
        return fixes.times
    # Fewer rows than sent: find out which (only when a concurrent writer got there first).
    return set(connection.execute(sa.select(FIX.c.device_time).where(
        FIX.c.surveyor_id == fixes.surveyor_id, FIX.c.received_at == fixes.received_at,
        FIX.c.device_time.in_(sorted(fixes.times)))).scalars())

