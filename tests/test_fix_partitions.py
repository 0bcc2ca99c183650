"""On PostgreSQL the fix history is partitioned by day, so that retention drops whole days."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from field_api.accounts.models import Role
from field_api.tracking.models import Fix
from tests.conftest import POSTGRES_URL
from tests.factories.dispatch import FUTIAN_CIVIC_CENTER, wgs84
from tests.factories.tracks import drive, offset

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="partitioning is PostgreSQL's; SQLite keeps one fix table")


def partitions(session) -> set[str]:
    session.rollback()
    return set(session.scalars(sa.text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'public.fix'::regclass")))


def fixes_of(session, surveyor_id) -> int:
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(Fix).where(Fix.surveyor_id == surveyor_id))


def test_a_fix_is_stored_in_the_partition_of_its_utc_day_created_on_demand(accounts, tracking, session):
    surveyor = accounts.sign_in(Role.SURVEYOR, "SZ")
    tracking.duty(surveyor, True, tracking.at(days=-3))
    old = tracking.at(hours=-30)  # 2026-06-29 20:00 UTC, a day no partition was made ahead for
    response = tracking.post(surveyor, [tracking.fix(old), tracking.fix(tracking.at(minutes=-1))])
    assert response.json["accepted"] == 2
    homes = session.execute(sa.text("SELECT tableoid::regclass::text FROM fix WHERE surveyor_id = :s "
                                    "ORDER BY device_time"), {"s": surveyor.user.id}).scalars().all()
    assert homes == ["fix_partitions.fix_20260629", "fix_partitions.fix_20260701"]


def test_the_worker_creates_the_coming_days_partitions_ahead(runner, session):
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert {"fix_20260630", "fix_20260701", "fix_20260702", "fix_20260703"} <= partitions(session)


def test_pruning_drops_a_whole_day_without_held_fixes_and_deletes_row_by_row_in_a_held_day(
        accounts, client, dispatching, runner, clock, tracking, session):
    dispatching.shenzhen_zones()
    desk = accounts.sign_in(Role.COORDINATOR, "SZ")
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    free = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    held_surveyor = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    tracking.duty(free, True, tracking.at(days=-3))
    tracking.post(free, [tracking.fix(tracking.at(hours=-30)), tracking.fix(tracking.at(minutes=-30))])
    held = dispatching.dispatch(dispatching.case(), held_surveyor, desk)
    site = wgs84(FUTIAN_CIVIC_CENTER)
    track = drive(offset(site, -3000, 0), site, depart=clock.now(), speed_kmh=40)
    clock.advance(minutes=10)
    assert client.post("/api/v1/positions", json={"fixes": track},
                       headers=held_surveyor.headers).json["accepted"] == len(track)
    assert client.put(f"/api/v1/cases/{held['case']['id']}/legal-hold", json={"reason": "complaint"},
                      headers=manager.headers).status_code == 200
    assert {"fix_20260629", "fix_20260701"} <= partitions(session)

    clock.advance(days=120)
    result = runner.invoke(args=["positions", "prune"])
    assert result.exit_code == 0, result.output
    remaining = partitions(session)
    assert "fix_20260629" not in remaining and "fix_20260701" in remaining
    assert fixes_of(session, free.user.id) == 0
    assert fixes_of(session, held_surveyor.user.id) == len(track)
    assert "deleted 2 fixes" in result.output
