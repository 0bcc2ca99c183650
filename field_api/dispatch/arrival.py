"""Arrival from fixes: what tracking asks of dispatch, and what the clocks learn from positions.

Tracking calls `evaluate_fixes` in the same transaction as the fixes it stores; the evaluation is
recomputed from every stored usable fix of the dispatch's window, so its result does not depend on the
order in which batches arrive.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.dispatch.models import Case, Dispatch, DispatchStatus
from field_api.dispatch.service import TimelineEntry, record_fix_arrival
from field_api.tracking.models import Fix as StoredFix
from field_api.tracking.models import LatestPosition
from geo.arrival import ArrivalFence, EventKind, evaluate_arrival, projected_arrival
from geo.distance import any_within_radius
from geo.fixes import Fix
from geo.zones import Coverage

# Phones buffer for days; a late batch may still prove an arrival on a dispatch closed since.
REEVALUATION_HORIZON = timedelta(days=7)


def fence_of(dispatch: Dispatch) -> ArrivalFence:
    """The arrival fence around the dispatch's site."""
    return ArrivalFence(dispatch.fence_lat, dispatch.fence_lon, dispatch.arrive_radius_m, dispatch.leave_radius_m)


# Built once (tracking runs these for every batch): a reused statement skips rebuilding and hashing it.
_WINDOWS = sa.select(Dispatch.surveyor_id, Dispatch.dispatched_at, Dispatch.closed_at).where(
    Dispatch.surveyor_id.in_(sa.bindparam("ids", expanding=True)),
    sa.or_(Dispatch.closed_at.is_(None), Dispatch.closed_at >= sa.bindparam("since", type_=Dispatch.closed_at.type)))


def _affected(surveyor_id, earliest, now, horizon) -> sa.Select:
    """The surveyor's on-site dispatches (dispatched since `horizon`) whose arrival fixes from `earliest` on
    can still prove or move."""
    return sa.select(Dispatch.id).join(Case, Case.id == Dispatch.case_id).where(
        Dispatch.surveyor_id == surveyor_id, Case.on_site.is_(True), Dispatch.dispatched_at <= now,
        sa.or_(Dispatch.closed_at.is_(None), Dispatch.closed_at >= earliest),
        Dispatch.dispatched_at >= horizon,
        # An arrival already proven at or before these fixes cannot move earlier through them.
        sa.or_(Dispatch.arrived_at.is_(None), Dispatch.arrived_at > earliest))


_TIME = Dispatch.dispatched_at.type
_FENCES = _affected(sa.bindparam("surveyor_id"), sa.bindparam("earliest", type_=_TIME),
                    sa.bindparam("now", type_=_TIME), sa.bindparam("horizon", type_=_TIME)).add_columns(
    Dispatch.fence_lat, Dispatch.fence_lon, Dispatch.leave_radius_m, Dispatch.dispatched_at, Dispatch.closed_at)


def active_dispatch_windows(session: Session, surveyor_ids: Collection[int],
                            since: datetime) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """Per surveyor, the periods after `since` during which a dispatch was open (end None: still open)."""
    windows: dict[int, list[tuple[datetime, datetime | None]]] = {}
    if not surveyor_ids:
        return windows
    rows = session.connection().execute(_WINDOWS, {"ids": sorted(set(surveyor_ids)), "since": since})
    for surveyor_id, start, end in rows:
        windows.setdefault(surveyor_id, []).append((start, end))
    return windows


def _track(session: Session, dispatch: Dispatch, until: datetime) -> list[Fix]:
    rows = session.execute(
        sa.select(StoredFix.device_time, StoredFix.lat, StoredFix.lon, StoredFix.accuracy_m, StoredFix.speed_mps)
        .where(StoredFix.surveyor_id == dispatch.surveyor_id, StoredFix.device_time >= dispatch.dispatched_at,
               StoredFix.device_time <= until, StoredFix.poor_accuracy.is_(False), StoredFix.implausible.is_(False))
        .order_by(StoredFix.device_time))
    return [Fix(device_time=t, lat=lat, lon=lon, accuracy_m=acc, speed_mps=speed) for t, lat, lon, acc, speed in rows]


def fences_near(session: Session, *, surveyor_id: int, earliest: datetime, now: datetime,
                fixes: Sequence[tuple[datetime, float, float]]) -> list[int]:
    """The surveyor's dispatches that usable fixes (device time, lat, lon) from `earliest` on can affect and
    come within the leave radius of: only these can have their arrival proven or moved by them (a read)."""
    if not fixes:
        return []
    fences = session.connection().execute(_FENCES, {"surveyor_id": surveyor_id, "earliest": earliest, "now": now,
                                                    "horizon": now - REEVALUATION_HORIZON}).all()
    return [row.id for row in fences if _near_fence(row, fixes, now)]


def evaluate_fixes(session: Session, *, surveyor_id: int, earliest: datetime, now: datetime,
                   near_fences: Collection[int] | None = None) -> None:
    """Re-evaluate arrival for the surveyor's dispatches that fixes from `earliest` on can affect.

    `near_fences`, when given, narrows them to these dispatches (`fences_near` of the fixes just stored, when
    no stored fix changed its usability): the others are skipped before they are loaded or locked.
    """
    if near_fences is not None and not near_fences:
        return
    affected = _affected(surveyor_id, earliest, now, now - REEVALUATION_HORIZON)
    if near_fences is not None:
        affected = affected.where(Dispatch.id.in_(sorted(near_fences)))
    candidates = session.scalars(sa.select(Dispatch).where(Dispatch.id.in_(affected.scalar_subquery()))
                                 .order_by(Dispatch.id).with_for_update(of=Dispatch)).unique().all()
    for dispatch in candidates:
        result = evaluate_arrival(fence_of(dispatch), _track(session, dispatch, dispatch.closed_at or now))
        proven = result.arrived_at
        if proven is not None and (dispatch.arrived_at is None or proven.device_time < dispatch.arrived_at):
            record_fix_arrival(session, dispatch, proven, now)


def _near_fence(dispatch: sa.Row, fixes: Sequence[tuple[datetime, float, float]], now: datetime) -> bool:
    # Only a fix within the leave radius can start, extend or confirm a stay (one outside it only ends
    # stays), so new fixes that all stay outside cannot prove an arrival; haversine bounds, geodesic decides.
    start, until = dispatch.dispatched_at, dispatch.closed_at or now  # a Row's attribute costs a call
    inside = [(lat, lon) for at, lat, lon in fixes if start <= at <= until]
    if not inside:
        return False
    lats, lons = zip(*inside)
    return any_within_radius(dispatch.fence_lat, dispatch.fence_lon, lats, lons, dispatch.leave_radius_m)


def fence_events(session: Session, dispatch: Dispatch) -> list:
    """Arrivals at and departures from the dispatch's site that its surveyor's fixes show, for the timeline."""
    until = dispatch.closed_at or datetime.max.replace(tzinfo=dispatch.dispatched_at.tzinfo)
    result = evaluate_arrival(fence_of(dispatch), _track(session, dispatch, until))
    names = {EventKind.ARRIVED: "site_entered", EventKind.LEFT: "site_left"}
    return [TimelineEntry(kind=names[e.kind], at=e.device_time, source="fixes", device_time=e.device_time,
                          lat=e.fix.lat, lon=e.fix.lon, data={"accuracy_m": e.fix.accuracy_m})
            for e in result.events]


def project_arrivals(session: Session, dispatches: Collection[Dispatch], now: datetime) -> None:
    """Set each open, not yet arrived dispatch's projected arrival from its surveyor's latest fix."""
    waiting = [d for d in dispatches if d.status is DispatchStatus.OPEN and d.arrived_at is None
               and d.arrival_due_at is not None]
    if not waiting:
        return
    latest = {p.surveyor_id: p for p in session.scalars(
        sa.select(LatestPosition).where(LatestPosition.surveyor_id.in_(sorted({d.surveyor_id for d in waiting}))))}
    for dispatch in waiting:
        position = latest.get(dispatch.surveyor_id)
        if position is None or position.device_time < dispatch.dispatched_at:
            continue
        fix = Fix(device_time=position.device_time, lat=position.lat, lon=position.lon,
                  accuracy_m=position.accuracy_m, speed_mps=position.speed_mps)
        dispatch.projected_arrival_at = projected_arrival(now, fix, (dispatch.fence_lat, dispatch.fence_lon),
                                                          position.speed_mps, Coverage(dispatch.case.coverage))


def held_windows(session: Session) -> list[tuple[int, datetime, datetime | None]]:
    """(surveyor, start, end) of dispatches on cases under legal hold: pruning keeps their fixes."""
    rows = session.execute(sa.select(Dispatch.surveyor_id, Dispatch.dispatched_at, Dispatch.closed_at)
                           .join(Case, Case.id == Dispatch.case_id).where(Case.legal_hold_reason.is_not(None)))
    return [(surveyor_id, start, end) for surveyor_id, start, end in rows]

