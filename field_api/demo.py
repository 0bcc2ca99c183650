"""Demo data: a head office, the Shenzhen branch with two sub-branches, users of every role, and a field day."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, actor_for
from field_api.accounts import service as accounts
from field_api.accounts.models import Branch, Role, User
from field_api.board import demo as board_demo
from field_api.claims import demo as claims_demo
from field_api.dispatch import cases
from field_api.dispatch import service as dispatches
from field_api.dispatch.models import Case, Dispatch, Line
from field_api.tracking import service as tracking
from field_api.tracking.ingest import Limits, ingest
from field_api.tracking.models import LatestPosition, Source
from field_api.reports import demo as reports_demo
from field_api.visits import demo as visits_demo
from field_api.zones import service as zones
from field_api.zones.models import ServiceZones
from geo.datum import Datum, convert

BRANCHES = [
    ("HQ", "Head office 总公司", None),
    ("SZ", "Shenzhen branch 深圳分公司", "HQ"),
    ("SZ-FT", "Futian sub-branch 福田支公司", "SZ"),
    ("SZ-BA", "Bao'an sub-branch 宝安支公司", "SZ"),
    ("GZ", "Guangzhou branch 广州分公司", "HQ"),
]

USERS = [
    # username, role, branch, display name, phone, chief coordinator
    ("admin", Role.ADMIN, "HQ", "System administrator", None, False),
    ("hq.manager", Role.MANAGER, "HQ", "Head-office manager 总公司经理", "13800000001", False),
    ("sz.manager", Role.MANAGER, "SZ", "Shenzhen manager 深圳经理", "13800000002", False),
    ("sz.chief", Role.COORDINATOR, "SZ", "Chief coordinator 总协调人", "13800000003", True),
    ("sz.coordinator", Role.COORDINATOR, "SZ", "Coordinator 调度员", "13800000004", False),
    ("ft.surveyor1", Role.SURVEYOR, "SZ-FT", "Li Wei 李伟", "13900000001", False),
    ("ft.surveyor2", Role.SURVEYOR, "SZ-FT", "Wang Fang 王芳", "13900000002", False),
    ("ba.surveyor1", Role.SURVEYOR, "SZ-BA", "Zhang Min 张敏", "13900000003", False),
    ("ft.sales1", Role.SALESPERSON, "SZ-FT", "Chen Jing 陈静", "13700000001", False),
    ("ba.sales1", Role.SALESPERSON, "SZ-BA", "Liu Yang 刘洋", "13700000002", False),
    ("gz.coordinator", Role.COORDINATOR, "GZ", "Guangzhou coordinator 广州调度员", "13800000005", False),
]


def demo_password(username: str) -> str:
    """The demo password of a demo user (printed by the command; never use these for real)."""
    return f"{username}-demo"


def seed(session: Session, *, config: Any, now: datetime) -> Iterator[str]:
    """Create whatever demo data is missing and describe it; running twice changes nothing."""
    actor = Actor.system("seed-demo")
    existing = set(session.scalars(sa.select(Branch.code)))
    for code, name, parent in BRANCHES:
        if code not in existing:
            accounts.create_branch(session, actor=actor, now=now, code=code, name=name, parent_code=parent,
                                   default_timezone=config["TIMEZONE"])
    yield "branches: " + ", ".join(code for code, *_ in BRANCHES)
    existing = set(session.scalars(sa.select(User.username)))
    yield "demo sign-ins (username / password / role / branch):"
    for username, role, branch, name, phone, chief in USERS:
        if username not in existing:
            accounts.create_user(session, actor=actor, now=now, username=username, password=demo_password(username),
                                 role=role, branch_code=branch, display_name=name, phone=phone,
                                 is_chief_coordinator=chief, cheap_hash=config["PASSWORD_HASH_CHEAP"])
        yield f"  {username:<16} {demo_password(username):<22} {role.value:<12} {branch}"
    yield from seed_field_day(session, config=config, now=now)
    yield from visits_demo.seed(session, config=config, now=now)
    yield from board_demo.seed(session, config=config, now=now)
    yield from claims_demo.seed(session, config=config, now=now)
    yield from reports_demo.seed(session, config=config, now=now)


# A morning in Shenzhen for the live map: sites in GCJ-02 (as AMap shows them), phones in WGS-84.
CASES = [
    # report number, line, on site, site (GCJ-02), address, customer, plate
    ("DEMO-0001", Line.MOTOR, True, (22.543099, 114.057868), "福田区 市民中心 Futian Civic Center", "Chen Li 陈莉", "粤B12345"),
    ("DEMO-0002", Line.MOTOR, True, (22.639258, 113.810664), "宝安区 机场 Bao'an Airport", "Huang Gang 黄刚", "粤B67890"),
    ("DEMO-0003", Line.MOTOR, True, (22.533300, 113.930400), "南山区 科技园 Nanshan Science Park", "Xu Ming 徐明",
     "粤B24680"),
]
FIELD_DAY = [
    # surveyor, where the phone is (WGS-84), case dispatched to (None: idle)
    ("ft.surveyor1", (22.5380, 114.0800), "DEMO-0001"),
    ("ba.surveyor1", (22.6050, 113.8700), "DEMO-0002"),
    ("ft.surveyor2", (22.5480, 114.0250), None),
]
SHENZHEN_ZONES = Path(__file__).resolve().parent / "data" / "shenzhen-districts-gcj02.geojson"


def seed_field_day(session: Session, *, config: Any, now: datetime) -> Iterator[str]:
    """Zones for SZ, three reports, two dispatches, and the surveyors on duty with a recent fix each."""
    actor = Actor.system("seed-demo")
    canonical = Datum(config["DATUM"])
    shenzhen = accounts.branch_by_code(session, "SZ")
    if session.get(ServiceZones, shenzhen.id) is None:
        zones.replace_zones(session, actor=actor, now=now, branch_code="SZ", canonical=canonical,
                            feature_collection=json.loads(SHENZHEN_ZONES.read_text(encoding="utf-8")), crs=Datum.GCJ02)
    yield "zones: Shenzhen's districts for SZ"
    reports = {}
    for number, line, on_site, site, address, customer, plate in CASES:
        case = session.scalar(sa.select(Case).where(Case.report_number == number))
        if case is None:
            lat, lon = convert(*site, Datum.GCJ02, canonical)
            case = cases.create_case(session, actor=actor, now=now, canonical=canonical, branch_code="SZ",
                                     report_number=number, reported_at=now, line=line, on_site=on_site, lat=lat,
                                     lon=lon, customer_name=customer, customer_phone="13500000000",
                                     plate_number=plate, address=address)
        reports[number] = case
    for username, (lat, lon), report in FIELD_DAY:
        surveyor = session.scalar(sa.select(User).where(User.username == username))
        surveyor_actor = actor_for(session, surveyor, device="seed-demo")
        tracking.set_duty(session, actor=surveyor_actor, now=now, on_duty=True, device_time=now - timedelta(hours=1))
        case = reports.get(report)
        if case is not None and not session.scalar(sa.select(Dispatch.id).where(Dispatch.case_id == case.id)):
            dispatches.dispatch_case(session, actor=actor, now=now, case_id=case.id, surveyor_id=surveyor.id,
                                     default_radius_m=config["ARRIVAL_RADIUS_M"])
        if session.get(LatestPosition, surveyor.id) is not None:
            continue
        lat, lon = convert(lat, lon, Datum.WGS84, canonical)
        ingest(session, surveyor_id=surveyor.id, source=Source.API, device_id=None, now=now, limits=Limits(),
               branch_id=surveyor.branch_id, rows=[{
                   "device_time": now - timedelta(seconds=20), "lat": lat, "lon": lon, "accuracy_m": 8.0,
                   "speed_mps": 0.0 if case is None else 9.0, "heading_deg": None, "altitude_m": None,
                   "battery": 0.76, "provider": "gps"}])
    yield "live map: 3 reports (DEMO-0001..3), 2 dispatched; ft.surveyor1, ba.surveyor1, ft.surveyor2 on duty"
