"""The baseline endpoint: the same rules written the naive way (a schema object, queries and an ORM row per fix).

Served by gunicorn as `bench.naive_app:app` next to the real API; it exists only in the benchmark.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request

from field_api.access import authenticate
from field_api.app import create_app
from field_api.clock import current_clock
from field_api.dispatch import arrival
from field_api.extensions import db
from field_api.tracking.models import DutyInterval, Fix, LatestPosition, Source
from schemas.positions import FixInSchema

app = create_app()


@app.post("/bench/naive/positions")
def naive_positions():
    """Record a batch one fix at a time, each through its own schema object, queries and ORM row."""
    session, now = db.session, current_clock().now()
    actor = authenticate(session, now)
    accepted = duplicate = off_duty = 0
    newest = earliest = None
    for item in request.get_json()["fixes"]:
        fix = FixInSchema().load(item)
        at = min(fix["device_time"], now)
        on_duty = session.scalar(sa.select(DutyInterval.id).where(
            DutyInterval.surveyor_id == actor.user_id, DutyInterval.started_at <= at,
            sa.or_(DutyInterval.ended_at.is_(None), DutyInterval.ended_at > at)))
        if on_duty is None:
            off_duty += 1
            continue
        if session.scalar(sa.select(Fix.id).where(Fix.surveyor_id == actor.user_id, Fix.device_time == at)):
            duplicate += 1
            continue
        row = Fix(surveyor_id=actor.user_id, device_time=at, received_at=now, lat=fix["lat"], lon=fix["lon"],
                  accuracy_m=fix["accuracy"], speed_mps=fix.get("speed"), heading_deg=fix.get("heading"),
                  altitude_m=fix.get("altitude"), battery=fix.get("battery"), provider=fix.get("provider"),
                  source=Source.API, poor_accuracy=fix["accuracy"] > 100, implausible=False)
        session.add(row)
        session.flush()
        accepted += 1
        newest = row if newest is None or row.device_time > newest.device_time else newest
        earliest = at if earliest is None else min(earliest, at)
    if newest is not None:
        latest = session.get(LatestPosition, actor.user_id) or LatestPosition(surveyor_id=actor.user_id)
        if latest.device_time is None or latest.device_time < newest.device_time:
            for name in ("device_time", "received_at", "lat", "lon", "accuracy_m", "speed_mps", "heading_deg",
                         "battery", "source", "poor_accuracy"):
                setattr(latest, name, getattr(newest, name))
            session.add(latest)
        arrival.evaluate_fixes(session, surveyor_id=actor.user_id, earliest=earliest, now=now)
    session.commit()
    return jsonify(accepted=accepted, duplicate=duplicate, off_duty=off_duty, rejected=[])
