"""The live map: on-duty surveyors at their latest positions, open cases with both clocks, zones (RFC 7946)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from field_api.accounts.models import Role
from field_api.extensions import db
from geo.datum import Datum, convert
from tests.factories.dispatch import FUTIAN_CIVIC_CENTER
from tests.factories.live import by_id, features
from tests.factories.tracking import FUTIAN

SITE_FIX = {"lat": FUTIAN_CIVIC_CENTER[0], "lon": FUTIAN_CIVIC_CENTER[1], "crs": "gcj02", "accuracy": 10}


@pytest.fixture
def desk(accounts, dispatching):
    dispatching.shenzhen_zones()
    return accounts.sign_in(Role.COORDINATOR, "SZ")


def on_duty(accounts, tracking, branch="SZ-FT", fix=FUTIAN, **user):
    """A surveyor on duty who has sent one fix."""
    surveyor = accounts.sign_in(Role.SURVEYOR, branch, **user)
    tracking.duty(surveyor, True, at=tracking.at(minutes=-10))
    if fix is not None:
        response = tracking.post(surveyor, [tracking.fix(tracking.at(seconds=-30), *fix, battery=0.8, speed=5.0)])
        assert response.json["accepted"] == 1, response.json
    return surveyor


def test_the_map_shows_on_duty_surveyors_of_the_callers_branches_at_their_latest_positions(
        accounts, tracking, live, desk):
    li = on_duty(accounts, tracking, "SZ-FT", display_name="Li Wei 李伟")
    zhang = on_duty(accounts, tracking, "SZ-BA", fix=(22.6392, 113.8107))
    elsewhere = on_duty(accounts, tracking, "GZ")
    resting = accounts.sign_in(Role.SURVEYOR, "SZ-FT")

    collection = live.map(desk)

    assert collection["type"] == "FeatureCollection" and collection["datum"] == "wgs84"
    shown = by_id(collection, "surveyor")
    assert set(shown) == {li.user.id, zhang.user.id}
    assert elsewhere.user.id not in shown and resting.user.id not in shown
    feature = shown[li.user.id]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [FUTIAN[1], FUTIAN[0]]}
    props = feature["properties"]
    assert props["name"] == "Li Wei 李伟" and props["branch_code"] == "SZ-FT"
    assert props["state"] == "idle" and props["dispatch_id"] is None
    assert props["fix_age_s"] == 30 and props["battery"] == 0.8 and props["speed_kmh"] == 18.0


def test_a_surveyor_on_duty_without_a_fix_yet_has_no_geometry(accounts, tracking, live, desk):
    new = on_duty(accounts, tracking, fix=None)
    feature = by_id(live.map(desk), "surveyor")[new.user.id]
    assert feature["geometry"] is None and feature["properties"]["fix_time"] is None


def test_a_dispatched_surveyor_is_en_route_then_on_site_after_checking_in(accounts, tracking, dispatching, live,
                                                                           desk):
    surveyor = on_duty(accounts, tracking)
    case = dispatching.case()
    dispatch = dispatching.dispatch(case, surveyor, desk)

    props = by_id(live.map(desk), "surveyor")[surveyor.user.id]["properties"]
    assert props["state"] == "en_route"
    assert (props["dispatch_id"], props["case_id"]) == (dispatch["id"], case.id)

    assert dispatching.event(dispatch["id"], surveyor, "arrived", fix=SITE_FIX).status_code == 201
    assert by_id(live.map(desk), "surveyor")[surveyor.user.id]["properties"]["state"] == "on_site"


def test_open_cases_carry_their_dispatch_and_both_clocks_minutes_late_once_missed(accounts, tracking, dispatching,
                                                                                   live, desk, clock):
    surveyor = on_duty(accounts, tracking)
    waiting = dispatching.case()
    case = dispatching.case()
    dispatch = dispatching.dispatch(case, surveyor, desk)
    clock.advance(minutes=31)

    cases = by_id(live.map(desk), "case")
    assert cases[waiting.id]["properties"]["dispatch"] is None
    site = cases[case.id]
    lat, lon = convert(*FUTIAN_CIVIC_CENTER, Datum.GCJ02, Datum.WGS84)
    assert site["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    props = site["properties"]
    assert props["report_number"] == case.report_number and props["coverage"] == "urban"
    clocks = props["dispatch"]
    assert clocks["dispatch_id"] == dispatch["id"] and clocks["surveyor_id"] == surveyor.user.id
    assert clocks["contact"]["state"] == "missed" and clocks["contact"]["minutes_left"] == -26.0
    assert clocks["arrival"]["state"] == "missed" and clocks["arrival"]["minutes_left"] == -1.0
    assert clocks["arrival"]["due_at"] == dispatch["arrival"]["due_at"]


def test_a_completed_case_leaves_the_map(accounts, tracking, dispatching, live, desk):
    surveyor = on_duty(accounts, tracking)
    case = dispatching.case()
    dispatch = dispatching.dispatch(case, surveyor, desk)
    dispatching.event(dispatch["id"], surveyor, "arrived", fix=SITE_FIX)
    assert dispatching.event(dispatch["id"], surveyor, "completed").status_code == 201
    assert case.id not in by_id(live.map(desk), "case")


def test_coordinates_come_in_wgs84_by_default_and_in_the_datum_asked(accounts, tracking, live, desk):
    surveyor = on_duty(accounts, tracking)
    collection = live.map(desk, crs="gcj02")
    assert collection["datum"] == "gcj02"
    lat, lon = convert(*FUTIAN, Datum.WGS84, Datum.GCJ02)
    assert by_id(collection, "surveyor")[surveyor.user.id]["geometry"]["coordinates"] == pytest.approx(
        [lon, lat], abs=1e-7)


def test_zones_come_as_polygons_only_when_asked(live, desk):
    assert features(live.map(desk), "zone") == []
    zones = features(live.map(desk, zones="true"), "zone")
    assert zones and {z["properties"]["coverage"] for z in zones} == {"urban", "suburban"}
    assert all(z["geometry"]["type"] == "MultiPolygon" for z in zones)
    assert {z["properties"]["branch_code"] for z in zones} == {"SZ"}


def test_a_sub_branch_coordinator_sees_the_parent_branch_zones_that_apply_to_it(accounts, live, desk):
    futian = accounts.sign_in(Role.COORDINATOR, "SZ-FT")
    assert features(live.map(futian, zones="true"), "zone")


def test_a_branch_narrows_the_map_to_its_subtree_and_another_branch_is_not_found(accounts, tracking, live, desk,
                                                                                  client):
    futian = on_duty(accounts, tracking, "SZ-FT")
    on_duty(accounts, tracking, "SZ-BA")
    assert set(by_id(live.map(desk, branch="SZ-FT"), "surveyor")) == {futian.user.id}
    accounts.branch("GZ")
    response = client.get("/api/v1/live/map?branch=GZ", headers=desk.headers)
    assert response.status_code == 404


def test_the_map_reads_the_same_few_queries_for_many_surveyors_as_for_a_few(app, accounts, tracking, live, desk,
                                                                          clock):
    def statements() -> int:
        count = 0

        def counter(*_args):
            nonlocal count
            count += 1

        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", counter)
            try:
                live.map(desk, zones="true")
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", counter)
        return count

    for _ in range(2):
        on_duty(accounts, tracking)
    few = statements()
    for _ in range(12):
        on_duty(accounts, tracking)
    clock.advance(seconds=1)  # past the share window: built again
    assert statements() == few


# Sharing: coordinators asking for the same view within the share window are handed the same built map.

def builds(app) -> int:
    return app.extensions["live_maps"].builds


def test_coordinators_asking_for_the_same_view_within_a_second_share_one_built_map(app, accounts, tracking, live,
                                                                                   desk, client):
    on_duty(accounts, tracking)
    colleague = accounts.sign_in(Role.COORDINATOR, "SZ")
    first = client.get("/api/v1/live/map", headers=desk.headers)
    second = client.get("/api/v1/live/map", headers=colleague.headers)
    assert first.status_code == second.status_code == 200
    assert second.data == first.data and builds(app) == 1
    assert client.get("/api/v1/live/map?crs=gcj02", headers=colleague.headers).status_code == 200
    assert builds(app) == 2  # another datum is another view


def test_a_change_to_a_case_or_a_dispatch_is_on_the_next_map_at_once(accounts, tracking, dispatching, live, desk):
    surveyor = on_duty(accounts, tracking)
    assert by_id(live.map(desk), "case") == {}
    case = dispatching.case()
    assert set(by_id(live.map(desk), "case")) == {case.id}
    dispatch = dispatching.dispatch(case, surveyor, desk)
    assert by_id(live.map(desk), "case")[case.id]["properties"]["dispatch"]["dispatch_id"] == dispatch["id"]


def test_a_new_position_is_on_the_map_once_the_share_window_has_passed(accounts, tracking, live, desk, clock):
    surveyor = on_duty(accounts, tracking)
    before = live.map(desk)
    moved = (22.5600, 114.0600)
    assert tracking.post(surveyor, [tracking.fix(tracking.at(), *moved)]).json["accepted"] == 1

    shared = live.map(desk)
    assert shared == before  # built less than a second ago, no case or dispatch changed since
    clock.advance(seconds=1)
    fresh = live.map(desk)
    assert by_id(fresh, "surveyor")[surveyor.user.id]["geometry"]["coordinates"] == [moved[1], moved[0]]
    assert fresh["generated_at"] > shared["generated_at"]
    assert fresh["last_event_id"].split("-")[1] > shared["last_event_id"].split("-")[1]


def test_a_narrower_view_is_never_handed_a_map_shared_by_a_wider_one(app, accounts, tracking, live, desk):
    futian_surveyor = on_duty(accounts, tracking, "SZ-FT")
    on_duty(accounts, tracking, "SZ-BA")
    assert len(by_id(live.map(desk), "surveyor")) == 2
    futian_desk = accounts.sign_in(Role.COORDINATOR, "SZ-FT")
    assert set(by_id(live.map(futian_desk), "surveyor")) == {futian_surveyor.user.id}
    assert set(by_id(live.map(desk, branch="SZ-FT"), "surveyor")) == {futian_surveyor.user.id}
    assert builds(app) == 3


def test_with_sharing_off_every_map_is_built(app, accounts, tracking, live, desk):
    app.extensions["live_maps"].share_s = 0
    on_duty(accounts, tracking)
    live.map(desk)
    live.map(desk)
    assert builds(app) == 0  # built each time, none kept
