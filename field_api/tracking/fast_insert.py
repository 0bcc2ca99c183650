"""The hot insert of a batch of fixes, below the ORM and the Core compiler: one statement per batch.

PostgreSQL gets one INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING RETURNING, so a batch of
500 is 15 array parameters rather than 7,500 bound values; SQLite gets one executemany with values
already in its storage format. Either way a fix already stored (same surveyor, same device time) is skipped.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

COLUMNS = ("surveyor_id", "device_time", "received_at", "lat", "lon", "accuracy_m", "speed_mps", "heading_deg",
           "altitude_m", "battery", "provider", "source", "device_id", "poor_accuracy", "implausible")
PER_FIX = ("device_time", "lat", "lon", "accuracy_m", "speed_mps", "heading_deg", "altitude_m", "battery",
           "provider", "poor_accuracy", "implausible")
ARRAY_TYPES = ("timestamptz", "float8", "float8", "float8", "float8", "float8", "float8", "float8", "varchar",
               "bool", "bool")

_POSTGRES = sa.text(
    f"INSERT INTO fix ({', '.join(COLUMNS)}) "
    "SELECT :surveyor_id, t.device_time, :received_at, t.lat, t.lon, t.accuracy_m, t.speed_mps, t.heading_deg, "
    "t.altitude_m, t.battery, t.provider, :source, :device_id, t.poor_accuracy, t.implausible "
    "FROM unnest(" + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in zip(PER_FIX, ARRAY_TYPES)) + ") "
    f"AS t({', '.join(PER_FIX)}) "
    "ON CONFLICT (surveyor_id, device_time) DO NOTHING RETURNING device_time")
_SQLITE = (f"INSERT INTO fix ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
           "ON CONFLICT (surveyor_id, device_time) DO NOTHING")


def _element(kind: str, value: Any) -> str:
    if value is None:
        return "NULL"
    if kind == "float8":
        return repr(float(value))  # PostgreSQL reads repr(), including nan and inf
    if kind == "bool":
        return "t" if value else "f"
    if kind == "timestamptz":
        return value.isoformat()
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array(kind: str, values: list[Any]) -> str:
    """A PostgreSQL array literal: psycopg's list adaptation quotes element by element with regexes, which
    costs more than the insert itself; these elements need no quoting but text, which is quoted here."""
    return "{" + ",".join([_element(kind, v) for v in values]) + "}"


def sqlite_time(at: datetime) -> str:
    """An instant as SQLAlchemy stores it in SQLite (UTC wall time, always with microseconds)."""
    at = at.astimezone(timezone.utc)
    return (f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}:{at.second:02d}."
            f"{at.microsecond:06d}")


def insert_fixes(session: Session, surveyor_id: int, rows: list[dict[str, Any]], *, received_at: datetime,
                 source: str, device_id: int | None) -> set[datetime]:
    """Insert one surveyor's new fixes; return the device times actually stored (others were there already)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        params: dict[str, Any] = {name: _array(kind, [r[name] for r in rows])
                                  for name, kind in zip(PER_FIX, ARRAY_TYPES)}
        params.update(surveyor_id=surveyor_id, received_at=received_at, source=source, device_id=device_id)
        stored = connection.execute(_POSTGRES, params).scalars().all()
        # Compare as the caller holds them (UTC): the driver answers in the session's time zone.
        return {at.astimezone(timezone.utc) for at in stored}
    received = sqlite_time(received_at)
    values = [(surveyor_id, sqlite_time(r["device_time"]), received, r["lat"], r["lon"], r["accuracy_m"],
               r["speed_mps"], r["heading_deg"], r["altitude_m"], r["battery"], r["provider"], source, device_id,
               r["poor_accuracy"], r["implausible"]) for r in rows]
    cursor = connection.exec_driver_sql(_SQLITE, values)
    if cursor.rowcount == len(rows):
        return {r["device_time"] for r in rows}
    # Fewer rows than sent: find out which (only when a concurrent writer got there first).
    times = [v[1] for v in values]
    stored_now = {t for (t,) in connection.exec_driver_sql(
        f"SELECT device_time FROM fix WHERE surveyor_id = ? AND received_at = ? AND device_time IN "
        f"({', '.join('?' * len(times))})", (surveyor_id, received, *times))}
    return {r["device_time"] for r, v in zip(rows, values) if v[1] in stored_now}
