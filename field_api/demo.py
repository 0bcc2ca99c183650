"""Demo data: a head office, the Shenzhen branch with two sub-branches, and users of every role."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor
from field_api.accounts import service as accounts
from field_api.accounts.models import Branch, Role, User
from field_api.visits import demo as visits_demo

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
    yield from visits_demo.seed(session, config=config, now=now)
