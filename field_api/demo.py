"""Demo data: a head office, the Shenzhen branch with two sub-branches, and users of every role."""

from __future__ import annotations

from collections.abc import Iterator
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor
from field_api.accounts import service as accounts
from field_api.accounts.models import Branch, Role, User
from field_api.dispatch import cases
from field_api.dispatch import service as dispatching
from field_api.dispatch.models import Case, Line
from field_api.zones import service as zones
from field_api.zones.models import ServiceZones
from geo.datum import Datum, convert

SHENZHEN_ZONES = Path(__file__).resolve().parent / "data" / "shenzhen-districts-gcj02.geojson"

# report number, line, on site, where (GCJ-02, as AMap gives it), address, customer, VIP, surveyor, minutes ago
CASES = [
    ("DEMO-0001", Line.MOTOR, True, (22.540503, 114.054554), "深南大道 Shennan Blvd & Jintian Rd, Futian",
     "Huang Lei 黄磊", True, "ft.surveyor1", 12),
    ("DEMO-0002", Line.MOTOR, True, (22.555230, 113.883770), "宝安大道 Bao'an Blvd, Xin'an",
     "Zhou Xun 周迅", False, "ba.surveyor1", 40),
    ("DEMO-0003", Line.PROPERTY, True, (22.533012, 114.029620), "车公庙 Chegongmiao warehouse, Futian",
     "Shenzhen Sunrise Trading Co. 深圳日升贸易有限公司", False, "ft.surveyor2", 25),
    ("DEMO-0004", Line.MOTOR, True, (22.717800, 114.245700), "龙岗大道 Longgang Blvd, Longgang",
     "Sun Li 孙俪", False, None, 2),
]

BRANCHES = [
    ("HQ", "Head office 总公司", None),
    ("SZ", "Shenzhen branch 深圳分公司", "HQ"),
    ("SZ-FT", "Futian sub-branch 福田支公司", "SZ"),
    ("SZ-BA", "Bao'an sub-branch 宝安支公司", "SZ"),
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
    yield from seed_dispatching(session, config=config, now=now)


def seed_dispatching(session: Session, *, config: Any, now: datetime) -> Iterator[str]:
    """Shenzhen's zones on the SZ branch, and a few cases dispatched or waiting."""
    actor = Actor.system("seed-demo")
    canonical = Datum(config["DATUM"])
    sz = session.scalar(sa.select(Branch).where(Branch.code == "SZ"))
    if session.get(ServiceZones, sz.id) is None:
        zones.replace_zones(session, actor=actor, now=now, branch_code="SZ",
                            feature_collection=json.loads(SHENZHEN_ZONES.read_text(encoding="utf-8")),
                            crs=Datum.GCJ02, canonical=canonical)
    yield "zones: Shenzhen's districts on SZ (Futian, Luohu, Nanshan, Yantian urban; the rest suburban)"
    users = {u.username: u for u in session.scalars(sa.select(User))}
    existing = set(session.scalars(sa.select(Case.report_number)))
    for number, line, on_site, where, address, customer, vip, surveyor, minutes_ago in CASES:
        if number in existing:
            continue
        lat, lon = convert(*where, Datum.GCJ02, canonical)
        reported = now - timedelta(minutes=minutes_ago)
        case = cases.create_case(session, actor=actor, now=now, canonical=canonical, branch_code="SZ",
                                 report_number=number, reported_at=reported, line=line, on_site=on_site, lat=lat,
                                 lon=lon, address=address, customer_name=customer, customer_phone="13600000000",
                                 is_vip=vip, plate_number="粤B·D1234" if line is Line.MOTOR else None)
        if surveyor:
            dispatching.dispatch_case(session, actor=actor, now=now, case_id=case.id,
                                      surveyor_id=users[surveyor].id, default_radius_m=config["ARRIVAL_RADIUS_M"])
    yield "cases: " + ", ".join(f"{c[0]} ({c[1].value}, {'dispatched to ' + c[7] if c[7] else 'waiting'})"
                                for c in CASES)
