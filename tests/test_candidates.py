"""Whom to dispatch: on-duty surveyors (roster and their own switch) ranked by estimated time to the site."""

from __future__ import annotations

from datetime import timedelta

import pytest

from field_api.accounts.models import Role
from field_api.board.roster import on_duty
from field_api.extensions import db
from tests.factories.tracking import METRES_PER_DEGREE_LAT


@pytest.fixture
def desk(accounts, dispatching, rosters):
    """SZ's zones, its coordinator, and a roster shift from 08:00 to 20:00 naming the surveyors given later."""
    dispatching.shenzhen_zones()
    return accounts.sign_in(Role.COORDINATOR, "SZ")


def _north_of(case, metres: float) -> tuple[float, float]:
    return case.lat + metres / METRES_PER_DEGREE_LAT, case.lon


def test_candidates_are_ranked_free_before_busy_by_estimated_minutes_to_the_site(
        accounts, dispatching, rosters, tracking, desk, clock):
    case = dispatching.case()
    other = dispatching.case()
    names = ("far", "near", "busy", "middle", "switched_off", "no_fix")
    s = {name: accounts.sign_in(Role.SURVEYOR, "SZ-FT", username=f"cand.{name}") for name in names}
    shift = rosters.shift("2026-07-01T08:00", "2026-07-01T20:00", desk, list(s.values()))
    assert rosters.put("SZ", desk, [shift], "2026-07-01T00:00", "2026-07-02T00:00").status_code == 200
    for name, metres in (("far", 3000), ("near", 1000), ("busy", 500), ("middle", 2000)):
        tracking.duty(s[name], True, at=tracking.at(hours=-1))
        fix = tracking.fix(tracking.at(seconds=-30), *_north_of(case, metres))
        assert tracking.post(s[name], [fix]).json["accepted"] == 1
    tracking.duty(s["no_fix"], True, at=tracking.at(hours=-1))
    dispatching.dispatch(other, s["busy"], desk)
    # Not on the roster but switched on: still tracked (position filtering reads the switch alone), never a candidate.
    stray = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    tracking.duty(stray, True, at=tracking.at(hours=-1))
    assert tracking.post(stray, [tracking.fix(tracking.at(seconds=-5), *_north_of(case, 10))]).json["accepted"] == 1

    ranked = rosters.get(f"/api/v1/cases/{case.id}/candidates", desk)

    # Urban site: 30 km/h = 500 m a minute; the busy surveyor comes after every free one, the unlocated one
    # after the located ones.
    assert [(c["username"], c["minutes_to_site"]) for c in ranked] == [
        ("cand.near", 2.0), ("cand.middle", 4.0), ("cand.far", 6.0), ("cand.no_fix", None), ("cand.busy", 1.0)]
    assert ranked[0]["distance_m"] == pytest.approx(1000, rel=0.001)
    assert ranked[0]["fix_age_s"] == 30.0 and ranked[0]["busy"] is False
    assert ranked[-1]["busy"] is True and ranked[-1]["current_report_number"] == other.report_number


def test_on_duty_is_the_roster_and_the_switch_together(app, accounts, rosters, tracking, desk, clock):
    on_both = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    roster_only = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    switch_only = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    shift = rosters.shift("2026-07-01T08:00", "2026-07-01T12:00", desk, [on_both, roster_only])
    assert rosters.put("SZ", desk, [shift], "2026-07-01T00:00", "2026-07-02T00:00").status_code == 200
    tracking.duty(on_both, True, at=tracking.at(hours=-1))
    tracking.duty(switch_only, True, at=tracking.at(hours=-1))
    with app.app_context():
        sz = {b.id for b in [accounts.branch("SZ"), accounts.branch("SZ-FT")]}
        assert set(db.session.scalars(on_duty(sz, clock.now()))) == {on_both.user.id}
        # 12:00 local ends the shift: nobody is on duty any more, though the switch stays on.
        assert set(db.session.scalars(on_duty(sz, clock.now() + timedelta(hours=2)))) == set()


def test_candidates_of_another_branchs_case_are_not_shown(accounts, dispatching, desk):
    case = dispatching.case()
    outsider = accounts.sign_in(Role.COORDINATOR, "GZ")
    response = dispatching.client.get(f"/api/v1/cases/{case.id}/candidates", headers=outsider.headers)
    assert response.status_code == 404
