"""What a stream sends: outbox messages turned into changes of the map, and the catch-up after a reconnect."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.accounts.models import User
from field_api.dispatch.models import Case
from field_api.live.feed import case_features, surveyor_features
from field_api.live.hub import CHANGE, POSITION, LiveEvent
from field_api.live.outbox_reader import COLUMNS, OUTBOX
from field_api.tracking.models import LatestPosition
from geo.datum import Datum

# Positions are not numbered like the outbox: a reconnecting stream resends those received a little
# before its last one, so a batch committed late (or on a host whose clock lags) is not missed.
POSITION_OVERLAP = timedelta(seconds=10)
REPLAY_LIMIT = 2000


def position_event(message: dict[str, Any]) -> LiveEvent:
    """A position announced by a process (see field_api.outbox.announce) as a live event."""
    return LiveEvent(POSITION, message.get("branch_id"), message["payload"])


def change_event(session: Session, row: Any, *, now: datetime, canonical: Datum) -> LiveEvent:
    """An outbox message with the current state of the case and the surveyor it concerns (canonical datum)."""
    payload = row.payload or {}
    case = None
    if payload.get("case_id") is not None:
        found = case_features(session, now=now, canonical=canonical, datum=canonical,
                              where=[Case.id == payload["case_id"]])
        case = found[0] if found else None
    surveyor = None
    if payload.get("surveyor_id") is not None:
        found = surveyor_features(session, now=now, canonical=canonical, datum=canonical,
                                  where=[User.id == payload["surveyor_id"]], on_duty_only=False)
        surveyor = found[0] if found else None
    data = {"topic": row.topic, "at": row.created_at.isoformat(), "message": payload, "case": case,
            "surveyor": surveyor}
    return LiveEvent(CHANGE, row.branch_id, data, outbox_id=row.id)


def _in_scope(column: Any, scope: Collection[int] | None) -> list[Any]:
    return [] if scope is None else [column.in_(sorted(scope))]


def replay_changes(session: Session, *, scope: Collection[int] | None, after: int, upto: int | None, now: datetime,
                   canonical: Datum) -> list[LiveEvent] | None:
    """The changes a reconnecting stream missed, in order; None when there are too many to replay."""
    query = sa.select(*COLUMNS).where(OUTBOX.c.id > after, *_in_scope(OUTBOX.c.branch_id, scope))
    if upto is not None:
        query = query.where(OUTBOX.c.id <= upto)
    rows = session.execute(query.order_by(OUTBOX.c.id).limit(REPLAY_LIMIT + 1)).all()
    if len(rows) > REPLAY_LIMIT:
        return None
    return [change_event(session, row, now=now, canonical=canonical) for row in rows]


def replay_positions(session: Session, *, scope: Collection[int] | None, since: datetime) -> list[LiveEvent]:
    """The latest positions received since a moment (less the overlap), as position events."""
    rows = session.execute(
        sa.select(LatestPosition.surveyor_id, User.branch_id, LatestPosition.lat, LatestPosition.lon,
                  LatestPosition.device_time, LatestPosition.received_at, LatestPosition.accuracy_m,
                  LatestPosition.battery, LatestPosition.speed_mps, LatestPosition.heading_deg)
        .join(User, User.id == LatestPosition.surveyor_id)
        .where(LatestPosition.received_at >= since - POSITION_OVERLAP, *_in_scope(User.branch_id, scope))
        .order_by(LatestPosition.received_at)).all()
    return [LiveEvent(POSITION, row.branch_id, {
        "surveyor_id": row.surveyor_id, "lat": row.lat, "lon": row.lon, "device_time": row.device_time.isoformat(),
        "received_at": row.received_at.isoformat(), "accuracy_m": row.accuracy_m, "battery": row.battery,
        "speed_mps": row.speed_mps, "heading_deg": row.heading_deg}) for row in rows]
