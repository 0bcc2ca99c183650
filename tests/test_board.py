"""The coordinators' board: states, ages, the dispatch-wait flag and the order of urgency."""

from __future__ import annotations

from datetime import timedelta

import pytest

from field_api.accounts.models import Role


@pytest.fixture
def desk(accounts, dispatching):
    """SZ's zones and its coordinator."""
    dispatching.shenzhen_zones()
    return accounts.sign_in(Role.COORDINATOR, "SZ")


def _board(rosters, who, branch="SZ"):
    return rosters.get("/api/v1/board", who, branch=branch)


def test_a_case_waiting_longer_than_three_minutes_for_dispatch_is_flagged(dispatching, rosters, desk, clock):
    case = dispatching.case()
    clock.advance(minutes=3)
    [row] = _board(rosters, desk)
    assert (row["case"]["id"], row["state"], row["age_minutes"], row["waiting_too_long"]) == (
        case.id, "waiting", 3.0, False)
    clock.advance(seconds=30)
    [row] = _board(rosters, desk)
    assert row["waiting_too_long"] is True and row["minutes_left"] == -0.5


def test_the_dispatch_wait_threshold_is_configurable(app, dispatching, rosters, desk, clock):
    app.config["DISPATCH_WAIT_MINUTES"] = 10
    dispatching.case()
    clock.advance(minutes=5)
    assert _board(rosters, desk)[0]["waiting_too_long"] is False


def test_the_report_to_dispatch_delay_is_kept(accounts, dispatching, rosters, desk, clock):
    case = dispatching.case()
    clock.advance(minutes=2)
    dispatching.dispatch(case, accounts.sign_in(Role.SURVEYOR, "SZ-FT"), desk)
    clock.advance(minutes=7)
    [row] = _board(rosters, desk)
    assert (row["state"], row["dispatch_delay_minutes"], row["age_minutes"]) == ("dispatched", 2.0, 9.0)
    assert row["dispatch"]["contact"]["state"] == "missed" and row["dispatch"]["arrival"]["state"] == "pending"


def test_the_board_shows_accepted_cases_first_then_vip_then_time_left_then_done_today(
        accounts, dispatching, rosters, desk, clock):
    surveyor = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    dispatched = dispatching.case()  # arrival due in 30 minutes
    dispatching.dispatch(dispatched, surveyor, desk)
    done = dispatching.case(on_site=False)
    finisher = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    finished = dispatching.dispatch(done, finisher, desk)
    assert dispatching.event(finished["id"], finisher, "completed").status_code == 201
    clock.advance(minutes=1)
    waiting = dispatching.case()  # three minutes to wait
    vip = dispatching.case(is_vip=True)
    foreign = dispatching.case(branch="GZ", at=(23.1291, 113.2644))
    gz = accounts.sign_in(Role.COORDINATOR, "GZ")
    response = dispatching.client.post(f"/api/v1/cases/{foreign.id}/entrustment", headers=gz.headers,
                                       json={"to_branch": "SZ", "items": "现场查勘", "authorised_amount": "5000.00"})
    assert response.status_code == 201, response.json

    rows = _board(rosters, desk)

    assert [r["case"]["id"] for r in rows] == [foreign.id, vip.id, waiting.id, dispatched.id, done.id]
    assert [r["state"] for r in rows] == ["waiting", "waiting", "waiting", "dispatched", "done"]
    assert rows[0]["accepted"] is True and rows[0]["entrustment"]["from_branch"] == "GZ"
    assert rows[2]["minutes_left"] == 3.0 and rows[3]["minutes_left"] == 4.0


def test_the_board_of_another_branch_is_not_shown(accounts, dispatching, rosters, desk):
    dispatching.case()
    outsider = accounts.sign_in(Role.COORDINATOR, "GZ")
    assert dispatching.client.get("/api/v1/board", query_string={"branch": "SZ"},
                                  headers=outsider.headers).status_code == 404
    assert rosters.get("/api/v1/board", outsider, branch="GZ") == []


def test_a_case_tells_its_report_to_dispatch_delay(accounts, dispatching, desk, clock, client):
    case = dispatching.case()
    assert client.get(f"/api/v1/cases/{case.id}", headers=desk.headers).json["dispatch_delay_minutes"] is None
    clock.advance(minutes=4, seconds=30)
    dispatching.dispatch(case, accounts.sign_in(Role.SURVEYOR, "SZ-FT"), desk)
    assert client.get(f"/api/v1/cases/{case.id}", headers=desk.headers).json["dispatch_delay_minutes"] == 4.5
