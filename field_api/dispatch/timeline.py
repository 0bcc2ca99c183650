"""A dispatch's timeline: recorded events and what the fixes show, in time order, for audit and disputes."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, get_visible
from field_api.dispatch.arrival import fence_events
from field_api.dispatch.models import Dispatch, DispatchEvent
from field_api.dispatch.service import EventKind, TimelineEntry

PHONE_KINDS = frozenset(k.value for k in EventKind)


def timeline(session: Session, *, actor: Actor, dispatch_id: int) -> list[TimelineEntry]:
    """Every recorded event and every arrival or departure the fixes show, in time order."""
    dispatch = get_visible(session, actor, Dispatch, dispatch_id)
    events = session.scalars(sa.select(DispatchEvent).where(DispatchEvent.dispatch_id == dispatch.id)
                             .order_by(DispatchEvent.at, DispatchEvent.id))
    entries = [TimelineEntry(kind=e.kind, at=e.at, source=_source(e), device_time=e.device_time,
                             recorded_at=e.recorded_at, actor_id=e.actor_id, lat=e.lat, lon=e.lon, data=e.data)
               for e in events]
    entries += fence_events(session, dispatch)
    return sorted(entries, key=lambda entry: entry.at)


def _source(event: DispatchEvent) -> str:
    if event.kind in PHONE_KINDS:
        return "phone"
    if event.kind in ("arrival_detected", "arrival_revised"):
        return "fixes"
    return "system" if event.actor_id is None else "coordinator"
