"""Demo data for the board: a week of SZ's duty roster, a waiting case, an entrusted case and a care callback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor
from field_api.accounts.models import Branch, User
from field_api.board.entrustment import entrust
from field_api.board.followups import batch_slot, extract_followups
from field_api.board.models import RosterShift
from field_api.board.roster import ShiftPlan, replace_roster
from field_api.dispatch import cases
from field_api.dispatch.models import Case, Line
from geo.datum import Datum, convert

DAY = ("sz.coordinator", ("ft.surveyor1", "ft.surveyor2", "ba.surveyor1"))
NIGHT = ("sz.chief", ("ft.surveyor2", "ba.surveyor1"))
# report number, branch, site (GCJ-02), address, customer, plate, minutes before now (None: in the callback window)
REPORTS = [
    ("DEMO-0004", "SZ", (22.5410, 114.0960), "福田区 华强北 Huaqiangbei", "Zhou Jie 周杰", "粤B13579", 6),
    ("DEMO-0005", "GZ", (22.5485, 114.1315), "罗湖区 东门 Dongmen (a Guangzhou policy)", "He Ping 何平", "粤A24680", 12),
    ("DEMO-0006", "SZ", (22.5200, 113.9300), "南山区 后海 Houhai", "Sun Li 孙丽", "粤B97531", None),
]


def seed(session: Session, *, config: Any, now: datetime) -> Iterator[str]:
    """Create whatever of the board's demo data is missing; running twice changes nothing."""
    actor = Actor.system("seed-demo")
    _week_of_roster(session, actor, now)
    yield "roster: SZ day shifts 08:00-20:00 and night shifts 20:00-08:00 for a week (sz.chief answers the nights)"
    canonical = Datum(config["DATUM"])
    for number, branch, site, address, customer, plate, minutes in REPORTS:
        if session.scalar(sa.select(Case.id).where(Case.report_number == number)) is not None:
            continue
        reported = now - timedelta(minutes=minutes) if minutes is not None else batch_slot(now) - timedelta(minutes=55)
        lat, lon = convert(*site, Datum.GCJ02, canonical)
        case = cases.create_case(session, actor=actor, now=now, canonical=canonical, branch_code=branch,
                                 report_number=number, reported_at=reported, line=Line.MOTOR, on_site=True, lat=lat,
                                 lon=lon, customer_name=customer, customer_phone="13500000000", plate_number=plate,
                                 address=address)
        if branch == "GZ":
            entrust(session, actor=actor, now=now, case_id=case.id, to_branch_code="SZ", items="现场查勘、定损",
                    authorised_amount=Decimal("5000.00"))
    extract_followups(session, now)
    yield "board: DEMO-0004 waiting for dispatch, DEMO-0005 entrusted by GZ to SZ, DEMO-0006 on the callback list"


def _week_of_roster(session: Session, actor: Actor, now: datetime) -> None:
    shenzhen = session.scalar(sa.select(Branch).where(Branch.code == "SZ"))
    zone = ZoneInfo(shenzhen.timezone)
    today = now.astimezone(zone).date()
    start = datetime.combine(today - timedelta(days=1), time(20), zone)
    end = datetime.combine(today + timedelta(days=7), time(8), zone)
    if session.scalar(sa.select(RosterShift.id).where(RosterShift.branch_id == shenzhen.id,
                                                      RosterShift.starts_at < end, RosterShift.ends_at > start)):
        return
    ids = dict(session.execute(sa.select(User.username, User.id)).all())
    plans, cursor = [], start
    while cursor < end:
        night = cursor.hour == 20
        coordinator, surveyors = NIGHT if night else DAY
        until = datetime.combine(cursor.date() + timedelta(days=1), time(8), zone) if night else \
            datetime.combine(cursor.date(), time(20), zone)
        plans.append(ShiftPlan(starts=cursor, ends=until, coordinator_id=ids[coordinator],
                               surveyor_ids=tuple(ids[s] for s in surveyors), note="夜班" if night else "白班"))
        cursor = until
    replace_roster(session, actor=actor, now=now, branch_code="SZ", start=start, end=end, shifts=plans)
