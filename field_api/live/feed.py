"""The live map as one GeoJSON FeatureCollection: on-duty surveyors, open cases with their clocks, zones.

Built from a few column queries straight into dicts (no ORM or schema object per feature) and
converted to the reader's datum in bulk, so a branch with ten thousand surveyors answers quickly.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import numpy as np
import orjson
import shapely.geometry
import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, branch_subtree, visible
from field_api.accounts.models import Branch, Role, User
from field_api.accounts.service import visible_branch
from field_api.dispatch import clock
from field_api.dispatch.models import Case, Dispatch, DispatchStatus
from field_api.live.outbox_reader import latest_outbox_id
from field_api.live.sharing import SharedMaps
from field_api.tracking.models import DutyInterval, LatestPosition
from field_api.zones.models import ServiceZones
from geo.datum import Datum, convert_many
from geo.zones import parse_zones

OPEN = DispatchStatus.OPEN
IDLE, EN_ROUTE, ON_SITE = "idle", "en_route", "on_site"
MPS_TO_KMH = 3.6
# Enum members' `.value` is a Python-level descriptor (about 1 µs each, several per feature on this path);
# `_value_` is the plain attribute behind it.

# What the clock rules read of a dispatch (field_api.dispatch.clock), fetched as columns.
_CLOCK_FACTS = ("status", "contact_due_at", "contacted_at", "contact_excuse", "arrival_due_at", "arrived_at",
                "late_notice_at", "arrival_excuse", "projected_arrival_at")
_DISPATCH_COLUMNS = (Dispatch.id.label("dispatch_id"), Dispatch.surveyor_id, Dispatch.dispatched_at,
                     Dispatch.closed_at.label("dispatch_closed_at"),
                     *(getattr(Dispatch, name) for name in _CLOCK_FACTS))


def snapshot(session: Session, *, actor: Actor, now: datetime, canonical: Datum, datum: Datum,
             cursor: int, branch_code: str | None = None, with_zones: bool = False) -> dict[str, Any]:
    """The live map of the actor's branches (or one branch's subtree) as a FeatureCollection in `datum`.

    `cursor` is the outbox position read before it (`latest_outbox_id`): the stream resumes after it.
    """
    with _without_cyclic_gc():
        return _snapshot(session, actor=actor, now=now, canonical=canonical, datum=datum,
                         branch_code=branch_code, with_zones=with_zones, cursor=cursor)


def shared_snapshot(session: Session, maps: SharedMaps, *, actor: Actor, now: datetime, canonical: Datum,
                    datum: Datum, branch_code: str | None = None, with_zones: bool = False) -> bytes:
    """`snapshot` encoded, shared with whoever asks for the same view while it is fresh (live.sharing)."""
    cursor = latest_outbox_id(session)  # read first: the stream replays whatever commits after it
    # What a map depends on besides the data: actors with equal views are shown the same map.
    view = (None if actor.sees_everything else actor.subtree, actor.branch_id, actor.role.is_field_staff,
            branch_code, datum, with_zones)
    return maps.get(view, cursor=cursor, now=now, build=lambda: orjson.dumps(snapshot(
        session, actor=actor, now=now, canonical=canonical, datum=datum, cursor=cursor, branch_code=branch_code,
        with_zones=with_zones)))


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cycle collector while tens of thousands of rows and features are alive.

    They hold no cycles, but their allocations trigger full collections that walk all of them again
    (profiled: a third of a 10,000-surveyor map). Process-wide, so only the caller that paused it resumes it.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _snapshot(session: Session, *, actor: Actor, now: datetime, canonical: Datum, datum: Datum,
              branch_code: str | None, with_zones: bool, cursor: int) -> dict[str, Any]:
    within = _within(session, actor, branch_code)
    surveyors = surveyor_features(session, now=now, canonical=canonical, datum=datum,
                                  where=[visible(actor, User), *within(User.branch_id)])
    cases = case_features(session, now=now, canonical=canonical, datum=datum,
                          where=[Case.closed_at.is_(None), visible(actor, Case), *within(Case.branch_id)])
    zones = zone_features(session, actor=actor, canonical=canonical, datum=datum,
                          branch_code=branch_code) if with_zones else []
    return {"type": "FeatureCollection", "features": surveyors + cases + zones, "datum": datum.value,
            "generated_at": now.isoformat(), "last_event_id": f"{cursor}-{_ms(now)}"}


def _within(session: Session, actor: Actor, branch_code: str | None):
    if not branch_code:
        return lambda column: []
    subtree = sorted(branch_subtree(session, visible_branch(session, actor, branch_code).id))
    return lambda column: [column.in_(subtree)]


def scope_of(session: Session, *, actor: Actor, branch_code: str | None) -> frozenset[int] | None:
    """The branches whose events a stream carries: a branch's subtree, the actor's, or None for every branch."""
    if branch_code:
        return branch_subtree(session, visible_branch(session, actor, branch_code).id)
    return None if actor.sees_everything else actor.subtree


def _ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def surveyor_features(session: Session, *, now: datetime, canonical: Datum, datum: Datum,
                      where: Iterable[Any], on_duty_only: bool = True) -> list[dict[str, Any]]:
    """Surveyors on duty (or on an open dispatch) at their kept latest positions, with state and dispatch."""
    # A surveyor has at most one open duty interval (uq_duty_interval_open): joined once, not probed twice.
    duty = sa.orm.aliased(DutyInterval)
    on_duty = duty.surveyor_id.is_not(None)
    query = (sa.select(User.id, User.display_name, Branch.code, on_duty,
                       LatestPosition.lat, LatestPosition.lon, LatestPosition.device_time,
                       LatestPosition.accuracy_m, LatestPosition.battery, LatestPosition.speed_mps,
                       LatestPosition.heading_deg, Dispatch.id, Dispatch.case_id,
                       Dispatch.arrived_at, Dispatch.arrival_due_at, Dispatch.dispatched_at)
             .join(Branch, Branch.id == User.branch_id)
             .outerjoin(LatestPosition, LatestPosition.surveyor_id == User.id)
             .outerjoin(Dispatch, sa.and_(Dispatch.surveyor_id == User.id, Dispatch.status == OPEN))
             .outerjoin(duty, sa.and_(duty.surveyor_id == User.id, duty.ended_at.is_(None)))
             .where(User.role == Role.SURVEYOR, User.is_active, *where)
             .order_by(User.id))
    if on_duty_only:
        query = query.where(sa.or_(on_duty, Dispatch.id.is_not(None)))
    # Rows are read as tuples: a named attribute of a Row costs a Python call, and there are ~16 per surveyor.
    rows_by_surveyor: dict[int, list[tuple]] = {}
    for row in session.connection().execute(query).all():  # fetchall: row-by-row fetching costs more
        rows_by_surveyor.setdefault(row[0], []).append(row)
    groups = list(rows_by_surveyor.values())
    points = _points([rows[0][4] for rows in groups], [rows[0][5] for rows in groups], canonical, datum)
    return [_surveyor_feature(rows, point, now) for rows, point in zip(groups, points)]


def _current(rows: list[tuple]) -> tuple | None:
    """The dispatch a surveyor is on now: the site they are at, else the most urgent arrival."""
    open_ = [r for r in rows if r[11] is not None]
    if not open_:
        return None
    if len(open_) == 1:
        return open_[0]
    return min(open_, key=lambda r: (r[13] is None, r[14] is None, r[14] or r[15], r[15]))


def _surveyor_feature(rows: list[tuple], point: list[float] | None, now: datetime) -> dict[str, Any]:
    (surveyor_id, name, branch_code, on_duty, _lat, _lon, fix_time, accuracy_m, battery, speed_mps,
     heading_deg, *_) = rows[0]
    current = _current(rows)
    state = IDLE if current is None else (ON_SITE if current[13] is not None else EN_ROUTE)
    return {"type": "Feature", "id": f"surveyor-{surveyor_id}",
            "geometry": None if point is None else {"type": "Point", "coordinates": point},
            "properties": {
                "kind": "surveyor", "surveyor_id": surveyor_id, "name": name, "branch_code": branch_code,
                "on_duty": bool(on_duty), "state": state,
                "dispatch_id": current[11] if current else None,
                "case_id": current[12] if current else None,
                "open_dispatches": 0 if current is None else sum(1 for r in rows if r[11] is not None),
                "fix_time": fix_time.isoformat() if fix_time else None,
                "fix_age_s": round((now - fix_time).total_seconds()) if fix_time else None,
                "accuracy_m": accuracy_m, "battery": battery,
                "speed_kmh": None if speed_mps is None else round(speed_mps * MPS_TO_KMH, 1),
                "heading_deg": heading_deg}}


def case_features(session: Session, *, now: datetime, canonical: Datum, datum: Datum,
                  where: Iterable[Any]) -> list[dict[str, Any]]:
    """Cases with their open dispatch (if any) and both clocks read at `now`."""
    surveyor = sa.orm.aliased(User)
    query = (sa.select(Case.id, Case.report_number, Case.line, Case.on_site, Case.lat, Case.lon, Case.address,
                       Case.coverage, Case.is_vip, Case.reported_at, Case.closed_at,
                       Branch.code.label("branch_code"), surveyor.display_name.label("surveyor_name"),
                       *_DISPATCH_COLUMNS)
             .join(Branch, Branch.id == Case.branch_id)
             .outerjoin(Dispatch, sa.and_(Dispatch.case_id == Case.id, Dispatch.status == OPEN))
             .outerjoin(surveyor, surveyor.id == Dispatch.surveyor_id)
             .where(*where).order_by(Case.id))
    rows = session.connection().execute(query).all()
    points = _points([r[4] for r in rows], [r[5] for r in rows], canonical, datum)
    return [_case_feature(row, point, now) for row, point in zip(rows, points)]


def _case_feature(row: tuple, point: list[float] | None, now: datetime) -> dict[str, Any]:
    (case_id, report_number, line, on_site, _lat, _lon, address, coverage, is_vip, reported_at, closed_at,
     branch_code, surveyor_name, dispatch_id, surveyor_id, dispatched_at, dispatch_closed_at, *facts) = row
    dispatch = None
    if dispatch_id is not None:
        clock_facts = SimpleNamespace(**dict(zip(_CLOCK_FACTS, facts)), closed_at=dispatch_closed_at,
                                      case=SimpleNamespace(line=line, on_site=on_site))
        arrived_at = facts[5]
        dispatch = {"dispatch_id": dispatch_id, "surveyor_id": surveyor_id,
                    "surveyor_name": surveyor_name, "status": facts[0]._value_,
                    "dispatched_at": dispatched_at.isoformat(),
                    "arrived_at": arrived_at.isoformat() if arrived_at else None,
                    "contact": _clock(clock.read_contact(clock_facts, now)),
                    "arrival": _clock(clock.read_arrival(clock_facts, now))}
    return {"type": "Feature", "id": f"case-{case_id}",
            "geometry": None if point is None else {"type": "Point", "coordinates": point},
            "properties": {
                "kind": "case", "case_id": case_id, "report_number": report_number, "line": line._value_,
                "on_site": on_site, "coverage": coverage, "address": address, "is_vip": is_vip,
                "branch_code": branch_code, "reported_at": reported_at.isoformat(),
                "closed_at": closed_at.isoformat() if closed_at else None, "dispatch": dispatch}}


def _clock(reading: clock.ClockReading | None) -> dict[str, Any] | None:
    if reading is None:
        return None
    return {"state": reading.state._value_, "due_at": reading.due_at.isoformat() if reading.due_at else None,
            "minutes_left": reading.minutes_left, "with_notice": reading.with_notice,
            "no_time_agreed": reading.no_time_agreed}


def _points(lats: list[float | None], lons: list[float | None], canonical: Datum,
            datum: Datum) -> list[list[float] | None]:
    """[lon, lat] of each position in the reader's datum, converted all at once; None where there is none."""
    located = [i for i, (lat, lon) in enumerate(zip(lats, lons)) if lat is not None and lon is not None]
    points: list[list[float] | None] = [None] * len(lats)
    if not located:
        return points
    converted_lats, converted_lons = convert_many([lats[i] for i in located], [lons[i] for i in located],
                                                  canonical, datum)
    for i, lat, lon in zip(located, np.round(converted_lats, 7).tolist(), np.round(converted_lons, 7).tolist()):
        points[i] = [lon, lat]
    return points


def zone_features(session: Session, *, actor: Actor, canonical: Datum, datum: Datum,
                  branch_code: str | None) -> list[dict[str, Any]]:
    """The zones of the branches in view: each branch's own, and the nearest ancestor's above them."""
    root = visible_branch(session, actor, branch_code) if branch_code else None
    owners = _zone_owners(session, actor, root)
    rows = session.execute(sa.select(ServiceZones, Branch.code).join(Branch, Branch.id == ServiceZones.branch_id)
                           .where(ServiceZones.branch_id.in_(owners)).order_by(ServiceZones.branch_id)).all()
    features = []
    for zones_row, code in rows:
        zones = parse_zones(zones_row.feature_collection, datum=canonical).converted(datum)
        for zone in zones.zones:
            name = zone.properties.get("name") or zone.properties.get("name_en") or zone.properties.get("name_zh")
            features.append({"type": "Feature", "id": f"zone-{code}-{zone.index}",
                             "geometry": shapely.geometry.mapping(zone.geometry),
                             "properties": {"kind": "zone", "coverage": zone.kind.value, "name": name,
                                            "branch_code": code, "version": zones_row.version}})
    return features


def _zone_owners(session: Session, actor: Actor, root: Branch | None) -> list[int]:
    """Branches whose zones apply in view: those in the subtree, and the nearest ancestor holding zones."""
    top_id = root.id if root is not None else actor.branch_id
    subtree = branch_subtree(session, top_id) if top_id is not None else frozenset()
    if actor.sees_everything and root is None:
        return list(session.scalars(sa.select(ServiceZones.branch_id)))
    owners = set(session.scalars(sa.select(ServiceZones.branch_id).where(ServiceZones.branch_id.in_(sorted(subtree)))))
    branch = session.get(Branch, top_id)
    while branch is not None and branch.id not in owners:
        if session.get(ServiceZones, branch.id) is not None:
            owners.add(branch.id)
            break
        branch = branch.parent
    return sorted(owners)
