"""Tracking's rules, with no knowledge of HTTP: devices, duty, recording fixes, tracks and retention."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, get_visible, token_digest, visible
from field_api.accounts.models import Role, User
from field_api.audit.service import record
from field_api.dispatch import arrival
from field_api.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from field_api.tracking import partitions
from field_api.tracking.ingest import MAX_AGE, MAX_AHEAD, IngestResult, Limits, ingest
from field_api.tracking.models import Device, DutyInterval, Fix, LatestPosition, Protocol, Source

log = logging.getLogger(__name__)

TRACKER_SOURCES = {Protocol.OSMAND: Source.OSMAND, Protocol.OWNTRACKS: Source.OWNTRACKS}
TRACK_MAX_FIXES = 50_000
TRACK_MAX_SPAN = timedelta(days=31)
BAD_DEVICE = "Unknown or revoked device token."


@dataclass(frozen=True)
class IssuedDevice:
    """A newly registered device with its clear token, which exists only in this answer."""

    device: Device
    token: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.device, name)


@dataclass(frozen=True)
class DutyState:
    """Whether a surveyor is on duty, and since when (device time)."""

    on_duty: bool
    since: datetime | None


@dataclass(frozen=True)
class PruneResult:
    """What a retention run deleted and kept."""

    cutoff: datetime
    deleted: int
    kept_on_hold: int
    latest_removed: int
    partitions_dropped: int = 0


def _surveyor(session: Session, actor: Actor, surveyor_id: int | None) -> User:
    """The surveyor a request is about: the caller by default; others only within the caller's scope."""
    if surveyor_id is None:
        if actor.role is not Role.SURVEYOR:
            raise Invalid("Name the surveyor.", field="surveyor_id")
        surveyor_id = actor.user_id
    user = get_visible(session, actor, User, surveyor_id)
    if user.role is not Role.SURVEYOR:
        raise Invalid(f"User {surveyor_id} is not a surveyor.", field="surveyor_id")
    return user


def register_device(session: Session, *, actor: Actor, now: datetime, name: str, protocol: Protocol,
                    crs: str | None = None, surveyor_id: int | None = None) -> IssuedDevice:
    """Register a phone to a surveyor and issue its secret token (shown once, stored as a digest)."""
    surveyor = _surveyor(session, actor, surveyor_id)
    crs = crs or "wgs84"
    if protocol in TRACKER_SOURCES and crs != "wgs84":
        raise Invalid(f"The {protocol.value} protocol reports WGS-84 by definition.", field="crs")
    taken = session.scalar(sa.select(Device.id).where(Device.surveyor_id == surveyor.id, Device.name == name,
                                                      Device.revoked_at.is_(None)))
    if taken is not None:
        raise Conflict(f"{surveyor.username} already has a device named {name!r}.", errors={"name": ["Taken."]})
    token = secrets.token_urlsafe(32)
    device = Device(surveyor_id=surveyor.id, name=name, protocol=protocol, default_crs=crs,
                    token_hash=token_digest(token), created_at=now)
    session.add(device)
    session.flush()
    record(session, actor=actor, at=now, action="device.register", entity_type="device", entity_id=device.id,
           branch_id=surveyor.branch_id, changes={"surveyor_id": surveyor.id, "name": name, "protocol": protocol,
                                                  "crs": crs})
    session.commit()
    return IssuedDevice(device=device, token=token)


def _visible_devices(actor: Actor) -> sa.Select:
    # A device is seen by whoever sees its surveyor: the one scoping rule, applied to the owner.
    return sa.select(Device).join(User, Device.surveyor_id == User.id).where(visible(actor, User))


def list_devices(session: Session, *, actor: Actor, surveyor_id: int | None = None,
                 active: bool | None = None) -> sa.Select:
    """The query of devices whose surveyors the actor may see."""
    query = _visible_devices(actor).order_by(Device.id)
    if surveyor_id is not None:
        query = query.where(Device.surveyor_id == surveyor_id)
    if active is not None:
        query = query.where(Device.revoked_at.is_(None) if active else Device.revoked_at.is_not(None))
    return query


def revoke_device(session: Session, *, actor: Actor, now: datetime, device_id: int) -> None:
    """Revoke a device: its token stops working at once; revoking twice changes nothing."""
    device = session.scalar(_visible_devices(actor).where(Device.id == device_id).with_for_update(of=Device))
    if device is None:
        raise NotFound(f"No device {device_id!r}.")
    if device.revoked_at is None:
        device.revoked_at = now
        owner = session.get(User, device.surveyor_id)
        record(session, actor=actor, at=now, action="device.revoke", entity_type="device", entity_id=device.id,
               branch_id=owner.branch_id, changes={"revoked_at": now})
    session.commit()


def authenticate_device(session: Session, *, token: str | None, protocol: Protocol,
                        username: str | None = None) -> tuple[Device, User]:
    """Resolve a tracker app's token (and, for OwnTracks, its username) to an active device and surveyor."""
    if not token:
        raise Unauthorized(BAD_DEVICE)
    row = session.execute(sa.select(Device, User).join(User, Device.surveyor_id == User.id)
                          .where(Device.token_hash == token_digest(token))).first()
    if row is None:
        raise Unauthorized(BAD_DEVICE)
    device, user = row
    if device.revoked_at is not None or device.protocol is not protocol or not user.is_active:
        raise Unauthorized(BAD_DEVICE)
    if username is not None and username.strip().lower() != user.username:
        raise Unauthorized(BAD_DEVICE)
    return device, user


def record_positions(session: Session, *, actor: Actor, now: datetime, batch: Any, limits: Limits,
                     device_id: int | None = None, surveyor_id: int | None = None) -> IngestResult:
    """Record a batch from the surveyor's own app; the datum is the request's, else the device's, else WGS-84."""
    if surveyor_id is not None and surveyor_id != actor.user_id:
        raise Forbidden("A surveyor posts only their own positions.")
    default_crs = None
    if device_id is not None:
        device = session.scalar(sa.select(Device).where(Device.id == device_id, Device.surveyor_id == actor.user_id,
                                                        Device.revoked_at.is_(None)))
        if device is None:
            raise Invalid(f"No active device {device_id} of yours.", field="device_id")
        default_crs = device.default_crs
    result = ingest(session, surveyor_id=actor.user_id, rows=batch.in_canonical(default_crs), source=Source.API,
                    device_id=device_id, now=now, limits=limits, branch_id=actor.branch_id)
    log.info("positions from surveyor %s: %s", actor.user_id, result.summary())
    return result


def record_tracker_report(session: Session, *, token: str | None, protocol: Protocol, rows: list[dict[str, Any]],
                          now: datetime, limits: Limits, username: str | None = None) -> IngestResult:
    """Record canonical-datum fixes that a tracker app sent with its device token."""
    device, user = authenticate_device(session, token=token, protocol=protocol, username=username)
    result = ingest(session, surveyor_id=user.id, rows=rows, source=TRACKER_SOURCES[protocol],
                    device_id=device.id, now=now, limits=limits, branch_id=user.branch_id)
    # Never the token: only the device's id goes to the log.
    log.info("%s report from device %s (surveyor %s): %s", protocol.value, device.id, user.id, result.summary())
    return result


def _last_interval(session: Session, surveyor_id: int, *, lock: bool = False) -> DutyInterval | None:
    query = (sa.select(DutyInterval).where(DutyInterval.surveyor_id == surveyor_id)
             .order_by(DutyInterval.started_at.desc()).limit(1))
    return session.scalar(query.with_for_update() if lock else query)


def _state(last: DutyInterval | None) -> DutyState:
    if last is None:
        return DutyState(on_duty=False, since=None)
    if last.ended_at is None:
        return DutyState(on_duty=True, since=last.started_at)
    return DutyState(on_duty=False, since=last.ended_at)


def switched_on(at: datetime) -> sa.Select:
    """The surveyors whose own duty switch was on at `at` (duty ends exclusively, as position filtering reads it)."""
    return sa.select(DutyInterval.surveyor_id).where(
        DutyInterval.started_at <= at, sa.or_(DutyInterval.ended_at.is_(None), DutyInterval.ended_at > at))


def duty_state(session: Session, *, actor: Actor) -> DutyState:
    """The caller's duty: on since the open interval's start, or off since the last one's end."""
    return _state(_last_interval(session, actor.user_id))


def set_duty(session: Session, *, actor: Actor, now: datetime, on_duty: bool, device_time: datetime) -> DutyState:
    """Go on or off duty at a device time; repeating the current state changes nothing."""
    if device_time > now + MAX_AHEAD:
        raise Invalid("The device time is more than 5 minutes ahead of the server.", field="device_time")
    device_time = min(device_time, now)
    last = _last_interval(session, actor.user_id, lock=True)
    is_open = last is not None and last.ended_at is None
    if on_duty and not is_open:
        if last is not None and device_time < last.ended_at:
            raise Conflict("The last shift ended after this device time; duty changes must come in order.")
        last = DutyInterval(surveyor_id=actor.user_id, started_at=device_time)
        session.add(last)
        session.flush()
        record(session, actor=actor, at=now, action="duty.start", entity_type="duty_interval",
               entity_id=last.id, branch_id=actor.branch_id, changes={"started_at": device_time})
    elif not on_duty and is_open:
        if device_time < last.started_at:
            raise Conflict("The shift started after this device time; duty changes must come in order.")
        last.ended_at = device_time
        record(session, actor=actor, at=now, action="duty.end", entity_type="duty_interval", entity_id=last.id,
               branch_id=actor.branch_id, changes={"ended_at": device_time})
    session.commit()
    return _state(last)


def read_track(session: Session, *, actor: Actor, now: datetime, surveyor_id: int, start: datetime | None,
               end: datetime | None) -> list[sa.Row]:
    """A surveyor's stored fixes in a period, in time order; reading someone else's is audited."""
    end = end or now
    start = start or end - timedelta(hours=24)
    if start >= end:
        raise Invalid("'from' must be before 'to'.", field="from")
    if end - start > TRACK_MAX_SPAN:
        raise Invalid(f"Ask for at most {TRACK_MAX_SPAN.days} days at a time.", field="from")
    user = get_visible(session, actor, User, surveyor_id)
    if user.id != actor.user_id:
        # End the read transaction first so the audit write starts its own (SQLite takes the lock cleanly).
        session.commit()
        record(session, actor=actor, at=now, action="track.read", entity_type="user", entity_id=user.id,
               branch_id=user.branch_id, changes={"from": start, "to": end})
        session.commit()
    rows = session.execute(
        sa.select(Fix.device_time, Fix.lat, Fix.lon, Fix.accuracy_m, Fix.speed_mps, Fix.heading_deg,
                  Fix.altitude_m, Fix.battery, Fix.source, Fix.poor_accuracy, Fix.implausible)
        .where(Fix.surveyor_id == user.id, Fix.device_time >= start, Fix.device_time <= end)
        .order_by(Fix.device_time).limit(TRACK_MAX_FIXES + 1)).all()
    if len(rows) > TRACK_MAX_FIXES:
        raise Invalid(f"More than {TRACK_MAX_FIXES} fixes in this period; ask for a shorter one.", field="from")
    return rows


def latest_positions(session: Session, *, actor: Actor) -> sa.Select:
    """The query of the latest positions of the surveyors the actor may see (for the live map)."""
    return (sa.select(LatestPosition).join(User, LatestPosition.surveyor_id == User.id)
            .where(visible(actor, User)).order_by(LatestPosition.surveyor_id))


def prune(session: Session, *, now: datetime, days: int) -> PruneResult:
    """Delete fixes older than the retention period, except those of dispatches under legal hold.

    On PostgreSQL a day's partition that is wholly past the cutoff and holds no held fix is dropped at
    once; the remaining old fixes are deleted row by row.
    """
    if days < 1:
        raise Invalid("Keep fixes for at least one day.", field="days")
    cutoff = now - timedelta(days=days)
    old = Fix.device_time < cutoff
    windows = arrival.held_windows(session)
    held = [sa.and_(Fix.surveyor_id == surveyor, Fix.device_time >= start,
                    *([Fix.device_time <= end] if end is not None else []))
            for surveyor, start, end in windows]
    on_hold = sa.or_(*held) if held else sa.false()
    kept = session.scalar(sa.select(sa.func.count()).select_from(Fix).where(old, on_hold))
    dropped_days, dropped = _drop_partitions(session, now=now, cutoff=cutoff, windows=windows)
    unsynchronized = {"synchronize_session": False}
    deleted = dropped + session.execute(sa.delete(Fix).where(old, sa.not_(on_hold)),
                                        execution_options=unsynchronized).rowcount
    latest_removed = session.execute(sa.delete(LatestPosition).where(LatestPosition.device_time < cutoff),
                                     execution_options=unsynchronized).rowcount
    record(session, actor=Actor.system("positions-prune"), at=now, action="positions.prune", entity_type="fix",
           entity_id="retention", changes={"cutoff": cutoff, "deleted": deleted, "kept_on_hold": kept,
                                           "latest_removed": latest_removed,
                                           "partitions_dropped": [d.isoformat() for d in dropped_days]})
    session.commit()
    partitions.forget(session.get_bind(), dropped_days)
    return PruneResult(cutoff=cutoff, deleted=deleted, kept_on_hold=kept, latest_removed=latest_removed,
                       partitions_dropped=len(dropped_days))


def _drop_partitions(session: Session, *, now: datetime, cutoff: datetime,
                     windows: list[tuple[int, datetime, datetime | None]]) -> tuple[list, int]:
    """Drop the day partitions wholly before the cutoff that no held window touches; return (days, fixes)."""
    engine = session.get_bind()
    if not partitions.is_partitioned(engine):
        return [], 0
    # Ingestion still accepts fixes this old, so their days keep their partitions (rows go one by one).
    limit = min(cutoff, now - MAX_AGE - timedelta(days=1))
    dropped_days, dropped = [], 0
    for day, name in sorted(partitions.existing(session.connection()).items()):
        start, end = partitions.bounds(day)
        if end > limit or any(s < end and (e is None or e >= start) for _, s, e in windows):
            continue
        table = f"{partitions.SCHEMA}.{name}"
        dropped += session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
        session.execute(sa.text(f"DROP TABLE {table}"))
        dropped_days.append(day)
    return dropped_days, dropped
