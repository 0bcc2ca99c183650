"""A simulated fleet: surveyors on duty with open dispatches, and the fix batches their phones post.

Users, tokens and duty are inserted in bulk (they are the benchmark's fixture, not what it measures);
cases and dispatches go through the real services so their clocks and fences are what production makes.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from field_api.access import Actor, token_digest
from field_api.accounts import service as accounts
from field_api.accounts.models import AccessToken, Branch, Role, User
from field_api.dispatch import cases
from field_api.dispatch import service as dispatching
from field_api.dispatch.models import Line
from field_api.tracking.models import DutyInterval
from geo.datum import Datum

METRES_PER_DEGREE_LAT = 111_195.0
SPEED_MPS = 10.0
EVERY_S = 1
BRANCH = "BENCH"


@dataclass(frozen=True)
class Surveyor:
    """One simulated phone: its bearer token, its dispatch site and where its drive starts."""

    index: int
    user_id: int
    token: str
    site: tuple[float, float]
    start_m: float  # how far south of the site the drive starts


@dataclass(frozen=True)
class Fleet:
    """The seeded surveyors and the instant their fixes start from."""

    surveyors: list[Surveyor]
    t0: datetime


def seed(session, *, surveyors: int, dispatches: int, now: datetime, seed: int = 7) -> Fleet:
    """Create a branch of on-duty surveyors, each with a token, and `dispatches` open on-site dispatches."""
    rng = random.Random(seed)
    system = Actor.system("bench")
    if session.scalar(sa.select(Branch.id).where(Branch.code == BRANCH)) is None:
        accounts.create_branch(session, actor=system, now=now, code="HQ", name="Head office", parent_code=None,
                               default_timezone="Asia/Shanghai")
        accounts.create_branch(session, actor=system, now=now, code=BRANCH, name="Benchmark branch",
                               parent_code="HQ", default_timezone="Asia/Shanghai")
    ids, tokens = users(session, role=Role.SURVEYOR, count=surveyors, now=now)
    dispatched_at = now - timedelta(days=1)
    session.execute(sa.insert(DutyInterval), [
        {"surveyor_id": uid, "started_at": now - timedelta(days=2)} for uid in ids])
    session.commit()
    fleet = []
    for i, (uid, token) in enumerate(zip(ids, tokens)):
        site = (22.50 + rng.random() * 0.2, 113.90 + rng.random() * 0.4)
        fleet.append(Surveyor(index=i, user_id=uid, token=token, site=site, start_m=rng.uniform(2_000, 40_000)))
    for s in fleet[:dispatches]:
        case = cases.create_case(session, actor=system, now=dispatched_at, canonical=Datum.WGS84,
                                 branch_code=BRANCH, report_number=f"BENCH-{s.index:06d}",
                                 reported_at=dispatched_at, line=Line.MOTOR, on_site=True, lat=s.site[0],
                                 lon=s.site[1], customer_name="Customer", plate_number="粤B00000")
        dispatching.dispatch_case(session, actor=system, now=dispatched_at, case_id=case.id, surveyor_id=s.user_id,
                                  default_radius_m=200.0)
    return Fleet(surveyors=fleet, t0=dispatched_at + timedelta(minutes=1))


def users(session, *, role: Role, count: int, now: datetime) -> tuple[list[int], list[str]]:
    """Users of the role in the benchmark branch, each with a bearer token (in bulk): their ids and tokens."""
    prefix = f"bench.{role.value[0]}"
    branch_id = session.scalar(sa.select(Branch.id).where(Branch.code == BRANCH))
    session.execute(sa.insert(User), [
        {"username": f"{prefix}{i:05d}", "display_name": f"{role.value.title()} {i}", "role": role,
         "branch_id": branch_id, "password_hash": "!", "created_at": now} for i in range(count)])
    ids = list(session.scalars(sa.select(User.id).where(User.username.like(f"{prefix}%")).order_by(User.username)))
    tokens = [f"{prefix}{i}-{secrets.token_urlsafe(16)}" for i in range(count)]
    session.execute(sa.insert(AccessToken), [
        {"token_hash": token_digest(t), "user_id": uid, "created_at": now, "expires_at": now + timedelta(days=2)}
        for t, uid in zip(tokens, ids)])
    return ids, tokens


def row(s: Surveyor, t0: datetime, i: int) -> tuple[datetime, float, float]:
    """The surveyor's i-th fix: driving north towards (and past) the site, one fix a second."""
    lat = s.site[0] + (i * SPEED_MPS * EVERY_S - s.start_m) / METRES_PER_DEGREE_LAT
    return t0 + timedelta(seconds=i * EVERY_S), lat, s.site[1]


def fixes(s: Surveyor, t0: datetime, batch: int, size: int, offset: int = 0) -> list[dict]:
    """One batch as the app sends it (device time with offset, WGS-84)."""
    out = []
    for i in range(offset + batch * size, offset + (batch + 1) * size):
        at, lat, lon = row(s, t0, i)
        out.append({"device_time": at.isoformat(), "lat": round(lat, 7), "lon": round(lon, 7), "accuracy": 8.0,
                    "speed": SPEED_MPS, "heading": 0.0, "battery": 0.8, "provider": "gps"})
    return out


def body(s: Surveyor, t0: datetime, batch: int, size: int, offset: int = 0) -> bytes:
    """A batch, JSON-encoded once before the clock starts."""
    return json.dumps({"fixes": fixes(s, t0, batch, size, offset), "crs": "wgs84"}).encode()


def utc(value: str) -> datetime:
    """Parse an ISO instant into UTC."""
    return datetime.fromisoformat(value).astimezone(timezone.utc)
