"""Dispatching surveyors, the events their phones record, and what coordinators decide."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, get_visible, visible
from field_api.accounts.models import Role, User
from field_api.accounts.service import arrival_radius, visible_branch
from field_api.audit.service import jsonable, record
from field_api.dispatch import clock
from field_api.dispatch.models import (Case, ClockState, Dispatch, DispatchEvent, DispatchStatus, ExcuseCause,
                                       Line)
from field_api.errors import Conflict, Invalid, NotFound
from field_api.outbox.service import publish
from geo.arrival import ArrivalFence, check_in_within
from geo.fixes import Fix
from geo.zones import Coverage

DEVICE_CLOCK_SKEW = timedelta(minutes=5)
OPEN = DispatchStatus.OPEN


class EventKind(str, enum.Enum):
    """What a surveyor's phone records on a dispatch."""

    CONTACTED = "contacted"
    LATE_NOTICE = "late_notice"
    AGREED_TIME = "agreed_time"
    ARRIVED = "arrived"
    COMPLETED = "completed"


@dataclass(frozen=True)
class PhoneEvent:
    """An event as the phone sent it, coordinates already in the canonical datum."""

    kind: EventKind
    device_time: datetime
    client_event_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    reason: str | None = None
    new_eta: datetime | None = None
    agreed_time: datetime | None = None
    note: str | None = None


def dispatch_case(session: Session, *, actor: Actor, now: datetime, case_id: int, surveyor_id: int,
                  default_radius_m: float) -> Dispatch:
    """Send a surveyor to a case; a re-dispatch hands over the clocks of the case's first dispatch."""
    case = get_visible(session, actor, Case, case_id, for_update=True)
    if case.closed_at is not None:
        raise Conflict("The case is closed.")
    surveyor = session.scalar(sa.select(User).where(User.id == surveyor_id, visible(actor, User)))
    if surveyor is None or surveyor.role is not Role.SURVEYOR or not surveyor.is_active:
        raise Invalid("Choose an active surveyor of your branches.", field="surveyor_id")
    current = _open_dispatch(session, case.id)
    if current is not None and current.surveyor_id == surveyor_id:
        raise Conflict("This surveyor is already dispatched to the case.")
    start = case.first_dispatched_at or now
    radius = arrival_radius(session, case.branch, default_radius_m)
    dispatch = Dispatch(case=case, branch_id=case.branch_id, surveyor_id=surveyor.id, dispatched_by_id=actor.user_id,
                        dispatched_at=now, clock_start=start, is_first=case.first_dispatched_at is None,
                        status=OPEN, fence_lat=case.lat, fence_lon=case.lon, arrive_radius_m=radius,
                        leave_radius_m=ArrivalFence(case.lat, case.lon, radius).leave_radius_m,
                        contact_due_at=clock.contact_due(case.line, case.on_site, start),
                        arrival_due_at=clock.arrival_due(case.line, case.on_site, Coverage(case.coverage), start, None))
    if current is not None:
        _hand_over(current, dispatch)
        current.status, current.closed_at = DispatchStatus.REASSIGNED, now
        settle_and_publish(session, current, now)
    case.first_dispatched_at = start
    session.add(dispatch)
    session.flush()
    _event(session, dispatch, "dispatched", at=now, actor=actor,
           data={"surveyor_id": surveyor.id, "reassigned_from": current.id if current else None})
    settle_and_publish(session, dispatch, now)
    record(session, actor=actor, at=now, action="dispatch.create", entity_type="dispatch", entity_id=dispatch.id,
           branch_id=case.branch_id, changes={"case_id": case.id, "surveyor_id": surveyor.id,
                                              "reassigned_from": current.id if current else None})
    publish(session, now=now, topic="dispatch.created", branch_id=case.branch_id, payload=summary(dispatch))
    session.commit()
    return dispatch


def _open_dispatch(session: Session, case_id: int) -> Dispatch | None:
    return session.scalar(sa.select(Dispatch).where(Dispatch.case_id == case_id, Dispatch.status == OPEN))


def _hand_over(old: Dispatch, new: Dispatch) -> None:
    """The customer has waited since the first dispatch: what was done and promised carries over."""
    for name in ("contacted_at", "agreed_arrival_at", "late_notice_at", "late_notice_eta", "late_notice_reason"):
        setattr(new, name, getattr(old, name))
    if old.agreed_arrival_at is not None and new.arrival_due_at is None:
        new.arrival_due_at = old.arrival_due_at


def record_phone_event(session: Session, *, actor: Actor, now: datetime, dispatch_id: int,
                       event: PhoneEvent, max_accuracy_m: float = 100.0) -> Dispatch:
    """Record what the surveyor did; a retried event (same client_event_id) changes nothing."""
    dispatch = get_visible(session, actor, Dispatch, dispatch_id, for_update=True)
    if event.client_event_id:
        seen = session.scalar(sa.select(DispatchEvent).where(DispatchEvent.client_event_id == event.client_event_id))
        if seen is not None:
            if seen.dispatch_id != dispatch.id:
                raise Conflict("This event id belongs to another dispatch.", errors={"event_id": ["Used."]})
            return dispatch
    if actor.role is not Role.ADMIN and dispatch.surveyor_id != actor.user_id:
        raise NotFound(f"No dispatch {dispatch_id!r}.")
    if dispatch.status is not OPEN:
        raise Conflict(f"The dispatch is {dispatch.status.value}.")
    at = effective_time(event.device_time, now, not_before=dispatch.dispatched_at)
    changes = _APPLY[event.kind](dispatch, event, at, max_accuracy_m)
    _event(session, dispatch, event.kind.value, at=at, recorded_at=now, actor=actor, device_time=event.device_time,
           client_event_id=event.client_event_id, lat=event.lat, lon=event.lon, accuracy_m=event.accuracy_m,
           data=changes)
    settle_and_publish(session, dispatch, now)
    dispatch.version += 1
    record(session, actor=actor, at=now, action=f"dispatch.{event.kind.value}", entity_type="dispatch",
           entity_id=dispatch.id, branch_id=dispatch.branch_id, changes=changes)
    publish(session, now=now, topic="dispatch.event", branch_id=dispatch.branch_id,
            payload={**summary(dispatch), "event": event.kind.value, "at": at})
    session.commit()
    return dispatch


def effective_time(device_time: datetime, now: datetime, *, not_before: datetime | None = None) -> datetime:
    """The device's time, never later than receipt; refused when far in the future or before the dispatch."""
    if device_time > now + DEVICE_CLOCK_SKEW:
        raise Invalid("The device time is more than 5 minutes in the future.", field="device_time")
    if not_before is not None and device_time < not_before - DEVICE_CLOCK_SKEW:
        raise Invalid("The event is dated before the dispatch.", field="device_time")
    at = min(device_time, now)
    return max(at, not_before) if not_before is not None else at


def _contacted(d: Dispatch, e: PhoneEvent, at: datetime, _acc: float) -> dict[str, Any]:
    d.contacted_at = at if d.contacted_at is None else min(d.contacted_at, at)
    return {"contacted_at": d.contacted_at}


def _late_notice(d: Dispatch, e: PhoneEvent, at: datetime, _acc: float) -> dict[str, Any]:
    if not clock.has_arrival_clock(d.case.on_site):
        raise Conflict("This case has no arrival deadline.")
    if d.arrival_due_at is None:
        raise Conflict("No arrival time is agreed yet: record agreed_time first.")
    if at >= d.arrival_due_at:
        raise Invalid("A late notice must be given before the due time.", field="device_time")
    if e.new_eta is None or e.new_eta <= at:
        raise Invalid("Give the new estimated arrival, after the notice.", field="new_eta")
    if not e.reason:
        raise Invalid("Say why the arrival will be late.", field="reason")
    d.late_notice_at, d.late_notice_eta, d.late_notice_reason = at, e.new_eta, e.reason
    return {"reason": e.reason, "new_eta": e.new_eta, "due_at": d.arrival_due_at}


def _agreed_time(d: Dispatch, e: PhoneEvent, at: datetime, _acc: float) -> dict[str, Any]:
    if e.agreed_time is None:
        raise Invalid("Give the arrival time agreed with the customer.", field="agreed_time")
    if e.agreed_time <= at:
        raise Invalid("The agreed time must be later than the agreement.", field="agreed_time")
    case = d.case
    fixed = clock.fixed_arrival_limit(case.line, Coverage(case.coverage)) is not None
    if not fixed and d.agreed_arrival_at is not None:
        raise Conflict("An arrival time is agreed already; a delay is a late_notice.")
    d.agreed_arrival_at = e.agreed_time
    in_window = case.line is not Line.MOTOR or d.contact_due_at is None or at <= d.contact_due_at
    if not fixed and clock.has_arrival_clock(case.on_site) and in_window:
        d.arrival_due_at = e.agreed_time
    return {"agreed_time": e.agreed_time, "moves_due_time": not fixed and in_window}


def _arrived(d: Dispatch, e: PhoneEvent, at: datetime, max_accuracy_m: float) -> dict[str, Any]:
    if e.lat is None or e.lon is None:
        raise Invalid("A check-in needs the phone's position.", field="fix")
    fence = ArrivalFence(d.fence_lat, d.fence_lon, d.arrive_radius_m, d.leave_radius_m)
    fix = Fix(device_time=at, lat=e.lat, lon=e.lon, accuracy_m=e.accuracy_m)
    if not check_in_within(fence, fix, max_accuracy_m):
        raise Invalid(f"The check-in position is not within {d.arrive_radius_m:.0f} m of the site "
                      f"(or less accurate than {max_accuracy_m:.0f} m).", field="fix")
    return set_arrival(d, at, "check_in")


def _completed(d: Dispatch, e: PhoneEvent, at: datetime, _acc: float) -> dict[str, Any]:
    if clock.has_arrival_clock(d.case.on_site) and d.arrived_at is None:
        raise Conflict("Check in at the site before completing the survey.")
    d.status, d.completed_at, d.closed_at = DispatchStatus.COMPLETED, at, at
    d.case.closed_at = at
    return {"completed_at": at, "note": e.note}


_APPLY = {EventKind.CONTACTED: _contacted, EventKind.LATE_NOTICE: _late_notice,
          EventKind.AGREED_TIME: _agreed_time, EventKind.ARRIVED: _arrived, EventKind.COMPLETED: _completed}


def set_arrival(d: Dispatch, at: datetime, source: str) -> dict[str, Any]:
    """Keep the earliest proven arrival."""
    if d.arrived_at is None or at < d.arrived_at:
        d.arrived_at, d.arrival_source = at, source
    return {"arrived_at": d.arrived_at, "source": d.arrival_source}


def record_fix_arrival(session: Session, dispatch: Dispatch, fix: Fix, now: datetime) -> None:
    """Record an arrival the fixes prove; a missed clock turning met is written into the timeline."""
    before = clock.read_arrival(dispatch, now)
    set_arrival(dispatch, fix.device_time, "fixes")
    after = clock.read_arrival(dispatch, now)
    revised = before is not None and before.state is ClockState.MISSED and after.state is ClockState.MET
    kind = "arrival_revised" if revised else "arrival_detected"
    change = {"arrived_at": dispatch.arrived_at, "from": before.state if before else None, "to": after.state}
    _event(session, dispatch, kind, at=fix.device_time, recorded_at=now, lat=fix.lat, lon=fix.lon,
           accuracy_m=fix.accuracy_m, data=change)
    settle_and_publish(session, dispatch, now)
    dispatch.version += 1
    record(session, actor=Actor.system("fixes"), at=now, action=f"dispatch.{kind}", entity_type="dispatch",
           entity_id=dispatch.id, branch_id=dispatch.branch_id, changes=change)
    publish(session, now=now, topic="dispatch.event", branch_id=dispatch.branch_id,
            payload={**summary(dispatch), "event": kind, "at": fix.device_time})


def cancel(session: Session, *, actor: Actor, now: datetime, dispatch_id: int, reason: str) -> Dispatch:
    """A coordinator cancels a dispatch; clocks not yet settled end as cancelled, a missed one stays missed."""
    dispatch = get_visible(session, actor, Dispatch, dispatch_id, for_update=True)
    if dispatch.status is not OPEN:
        raise Conflict(f"The dispatch is {dispatch.status.value}.")
    dispatch.status, dispatch.closed_at, dispatch.cancel_reason = DispatchStatus.CANCELLED, now, reason
    _event(session, dispatch, "cancelled", at=now, actor=actor, data={"reason": reason})
    settle_and_publish(session, dispatch, now)
    dispatch.version += 1
    record(session, actor=actor, at=now, action="dispatch.cancel", entity_type="dispatch", entity_id=dispatch.id,
           branch_id=dispatch.branch_id, changes={"reason": reason})
    publish(session, now=now, topic="dispatch.event", branch_id=dispatch.branch_id,
            payload={**summary(dispatch), "event": "cancelled"})
    session.commit()
    return dispatch


def excuse(session: Session, *, actor: Actor, now: datetime, dispatch_id: int, which: str, cause: ExcuseCause,
           note: str) -> Dispatch:
    """A coordinator excuses a missed deadline with one of the standard's objective causes."""
    dispatch = get_visible(session, actor, Dispatch, dispatch_id, for_update=True)
    reading = (clock.read_contact if which == "contact" else clock.read_arrival)(dispatch, now)
    if reading is None or reading.state is not ClockState.MISSED:
        raise Conflict(f"Only a missed {which} deadline can be excused.")
    setattr(dispatch, f"{which}_excuse", cause)
    setattr(dispatch, f"{which}_excuse_note", note)
    _event(session, dispatch, "excused", at=now, actor=actor, data={"clock": which, "cause": cause, "note": note})
    settle_and_publish(session, dispatch, now)
    dispatch.version += 1
    record(session, actor=actor, at=now, action="dispatch.excuse", entity_type="dispatch", entity_id=dispatch.id,
           branch_id=dispatch.branch_id, changes={"clock": which, "cause": cause, "note": note})
    session.commit()
    return dispatch


def list_dispatches(session: Session, *, actor: Actor, status: DispatchStatus | None = None,
                    branch_code: str | None = None, surveyor_id: int | None = None) -> sa.Select:
    """The dispatches the actor may see, the most urgent arrival first."""
    query = sa.select(Dispatch).where(visible(actor, Dispatch))
    if status is not None:
        query = query.where(Dispatch.status == status)
    if branch_code:
        query = query.where(Dispatch.branch_id == visible_branch(session, actor, branch_code).id)
    if surveyor_id is not None:
        query = query.where(Dispatch.surveyor_id == surveyor_id)
    return query.order_by(Dispatch.arrival_due_at.is_(None), Dispatch.arrival_due_at, Dispatch.id)


def get_dispatch(session: Session, *, actor: Actor, dispatch_id: int) -> Dispatch:
    """A dispatch the actor may see."""
    return get_visible(session, actor, Dispatch, dispatch_id)


def settle_and_publish(session: Session, dispatch: Dispatch, now: datetime) -> list[clock.Transition]:
    """Store the clocks' states; record and publish every change."""
    transitions = clock.settle(dispatch, now)
    for change in transitions:
        _event(session, dispatch, "clock", at=now, data={"clock": change.clock, "from": change.old,
                                                           "to": change.new})
        publish(session, now=now, topic="clock.changed", branch_id=dispatch.branch_id,
                payload={**summary(dispatch), "clock": change.clock, "from": change.old, "to": change.new})
    return transitions


def _event(session: Session, dispatch: Dispatch, kind: str, *, at: datetime, recorded_at: datetime | None = None,
           actor: Actor | None = None, device_time: datetime | None = None, client_event_id: str | None = None,
           lat: float | None = None, lon: float | None = None, accuracy_m: float | None = None,
           data: dict | None = None) -> None:
    session.add(DispatchEvent(dispatch_id=dispatch.id, kind=kind, at=at, device_time=device_time,
                              recorded_at=recorded_at or at, actor_id=actor.user_id if actor else None,
                              client_event_id=client_event_id, lat=lat, lon=lon, accuracy_m=accuracy_m,
                              data=jsonable(data or {})))


def summary(dispatch: Dispatch) -> dict[str, Any]:
    """The few facts of a dispatch that a live-stream message carries."""
    return {"dispatch_id": dispatch.id, "case_id": dispatch.case_id, "surveyor_id": dispatch.surveyor_id,
            "status": dispatch.status, "contact_state": dispatch.contact_state,
            "arrival_state": dispatch.arrival_state, "arrival_due_at": dispatch.arrival_due_at}


@dataclass(frozen=True)
class DispatchView:
    """A dispatch with its clocks read at one instant."""

    dispatch: Dispatch
    contact: clock.ClockReading | None
    arrival: clock.ClockReading | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.dispatch, name)


def view(dispatch: Dispatch, now: datetime) -> DispatchView:
    """Read both clocks of a dispatch at `now`."""
    return DispatchView(dispatch, clock.read_contact(dispatch, now), clock.read_arrival(dispatch, now))


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened on a dispatch, from whichever source."""

    kind: str
    at: datetime
    source: str
    device_time: datetime | None = None
    recorded_at: datetime | None = None
    actor_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    data: dict[str, Any] | None = None
