"""A disputed case's fixes outlive the retention period until its legal hold is lifted."""

from __future__ import annotations

import sqlalchemy as sa

from field_api.accounts.models import Role
from field_api.tracking.models import Fix
from tests.factories.dispatch import FUTIAN_CIVIC_CENTER, wgs84
from tests.factories.tracks import drive, offset


def stored_fixes(session, surveyor_id):
    session.expire_all()
    return session.scalar(sa.select(sa.func.count()).select_from(Fix).where(Fix.surveyor_id == surveyor_id))


def test_pruning_keeps_the_fixes_of_a_case_on_legal_hold_until_it_is_lifted(
        accounts, client, dispatching, runner, clock, session):
    dispatching.shenzhen_zones()
    desk = accounts.sign_in(Role.COORDINATOR, "SZ")
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    surveyor = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    held = dispatching.dispatch(dispatching.case(), surveyor, desk)
    site = wgs84(FUTIAN_CIVIC_CENTER)
    track = drive(offset(site, -3000, 0), site, depart=clock.now(), speed_kmh=40)
    clock.advance(minutes=10)
    client.post("/api/v1/positions", json={"fixes": track}, headers=surveyor.headers)
    dispatching.event(held["id"], surveyor, "completed")
    stored = stored_fixes(session, surveyor.user.id)
    assert stored == len(track)

    hold = client.put(f"/api/v1/cases/{held['case']['id']}/legal-hold", json={"reason": "customer complaint"},
                      headers=manager.headers)
    assert hold.status_code == 200 and hold.json["legal_hold_reason"] == "customer complaint"
    clock.advance(days=120)
    result = runner.invoke(args=["positions", "prune"])
    assert result.exit_code == 0, result.output
    assert stored_fixes(session, surveyor.user.id) == stored

    manager = accounts.sign_in(Role.MANAGER, "SZ")  # a new day, a new token
    assert client.delete(f"/api/v1/cases/{held['case']['id']}/legal-hold",
                         headers=manager.headers).status_code == 200
    runner.invoke(args=["positions", "prune"])
    assert stored_fixes(session, surveyor.user.id) == 0


def test_only_managers_and_admins_put_a_case_on_hold(accounts, client, dispatching):
    case = dispatching.case()
    coordinator = accounts.sign_in(Role.COORDINATOR, "SZ")
    response = client.put(f"/api/v1/cases/{case.id}/legal-hold", json={"reason": "x"}, headers=coordinator.headers)
    assert response.status_code == 403
