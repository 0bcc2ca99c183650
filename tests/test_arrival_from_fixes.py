"""Realistic tracks replayed through the positions API, with the clocks checked at several instants."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from field_api.accounts.models import Role
from field_api.dispatch.models import Line
from geo.datum import Datum, convert
from tests.factories.dispatch import BAOAN_AIRPORT, FUTIAN_CIVIC_CENTER, HONG_KONG, wgs84
from tests.factories.tracks import drive, jitter_at, offset


@pytest.fixture
def desk(accounts, dispatching):
    dispatching.shenzhen_zones()
    return accounts.sign_in(Role.COORDINATOR, "SZ")


@pytest.fixture
def surveyor(accounts):
    return accounts.sign_in(Role.SURVEYOR, "SZ-FT")


def post(client, surveyor, fixes, crs="wgs84"):
    response = client.post("/api/v1/positions", json={"crs": crs, "fixes": fixes}, headers=surveyor.headers)
    assert response.status_code == 200, response.json
    return response.json


def clocks(dispatching, d, desk):
    body = dispatching.get(d["id"], desk)
    return body["contact"]["state"] if body["contact"] else None, body["arrival"]["state"], body


def test_a_surveyor_driving_to_an_urban_site_arrives_on_time(client, dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    start, site = clock.now(), wgs84(FUTIAN_CIVIC_CENTER)
    track = drive(offset(site, -5000, 0), site, depart=start, speed_kmh=40)
    dispatching.event(d["id"], surveyor, "contacted", device_time=start + timedelta(minutes=2))
    clock.advance(minutes=4)
    post(client, surveyor, [f for f in track if f["device_time"] <= clock.now().isoformat()])
    assert clocks(dispatching, d, desk)[:2] == ("met", "pending")
    clock.advance(minutes=16)
    post(client, surveyor, track)
    contact, arrival, body = clocks(dispatching, d, desk)
    assert arrival == "met"
    assert body["arrival_source"] == "fixes"
    # 5 km at 40 km/h: inside the 200 m fence after about 7.2 minutes.
    arrived = body["arrived_at"]
    assert (start + timedelta(minutes=7)).isoformat() <= arrived <= (start + timedelta(minutes=7.5)).isoformat()
    kinds = [e["kind"] for e in client.get(f"/api/v1/dispatches/{d['id']}/timeline", headers=desk.headers).json]
    assert "site_entered" in kinds and "arrival_detected" in kinds


def test_a_fix_inside_without_a_confirming_second_fix_is_not_an_arrival(client, dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    site = wgs84(FUTIAN_CIVIC_CENTER)
    post(client, surveyor, [{"device_time": clock.now().isoformat(), "lat": site[0], "lon": site[1],
                             "accuracy": 5}])
    assert clocks(dispatching, d, desk)[1] == "pending"


def test_a_late_arrival_without_notice_is_missed_without_notice(client, dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    start, site = clock.now(), wgs84(FUTIAN_CIVIC_CENTER)
    track = drive(offset(site, -24000, 0), site, depart=start, speed_kmh=40)  # 36 minutes
    clock.advance(minutes=31)
    assert clocks(dispatching, d, desk)[1] == "missed"
    clock.advance(minutes=9)
    post(client, surveyor, track)
    _, arrival, body = clocks(dispatching, d, desk)
    assert arrival == "missed" and body["arrival"]["with_notice"] is False
    assert body["arrived_at"] > body["arrival"]["due_at"]


def test_a_late_arrival_with_notice_in_advance_is_late_with_notice(client, dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    start, site = clock.now(), wgs84(FUTIAN_CIVIC_CENTER)
    track = drive(offset(site, -24000, 0), site, depart=start, speed_kmh=40)
    clock.advance(minutes=20)
    dispatching.event(d["id"], surveyor, "late_notice", reason="accident on the Binhai bridge",
                      new_eta=(start + timedelta(minutes=40)).isoformat())
    clock.advance(minutes=20)
    post(client, surveyor, track)
    _, arrival, body = clocks(dispatching, d, desk)
    assert arrival == "missed" and body["arrival"]["with_notice"] is True


def test_gps_jitter_at_the_radius_produces_no_flapping(client, dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    site = wgs84(FUTIAN_CIVIC_CENTER)
    fixes = jitter_at(site, start=clock.now() + timedelta(minutes=1), radii_m=[190, 210, 185, 230, 195, 250] * 4)
    clock.advance(minutes=6)
    post(client, surveyor, fixes)
    timeline = client.get(f"/api/v1/dispatches/{d['id']}/timeline", headers=desk.headers).json
    kinds = [e["kind"] for e in timeline]
    assert kinds.count("site_entered") == 1
    assert "site_left" not in kinds, "jitter inside the leave radius never reads as leaving"


def test_buffered_fixes_arriving_late_turn_a_missed_arrival_met_in_the_timeline(
        client, dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    start, site = clock.now(), wgs84(FUTIAN_CIVIC_CENTER)
    track = drive(offset(site, -5000, 0), site, depart=start, speed_kmh=40, park_s=30 * 60)
    clock.advance(minutes=40)
    assert clocks(dispatching, d, desk)[1] == "missed"
    # The phone was offline; its buffer comes in late, newest batch first.
    half = len(track) // 2
    post(client, surveyor, track[half:])
    post(client, surveyor, track[:half])
    _, arrival, body = clocks(dispatching, d, desk)
    assert arrival == "met"
    kinds = [e["kind"] for e in client.get(f"/api/v1/dispatches/{d['id']}/timeline", headers=desk.headers).json]
    assert "arrival_revised" in kinds


def test_the_arrival_does_not_depend_on_the_order_of_the_batches(accounts, client, dispatching, desk, clock):
    site = wgs84(FUTIAN_CIVIC_CENTER)
    offsets = []
    for order in (1, -1):
        surveyor = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
        d = dispatching.dispatch(dispatching.case(), surveyor, desk)
        track = drive(offset(site, 0, -3000), site, depart=clock.now(), speed_kmh=30)
        clock.advance(minutes=12)
        for batch in [track[i:i + 7] for i in range(0, len(track), 7)][::order]:
            post(client, surveyor, batch)
        body = dispatching.get(d["id"], desk)
        offsets.append(datetime.fromisoformat(body["arrived_at"]) - datetime.fromisoformat(body["dispatched_at"]))
    assert offsets[0] == offsets[1]


def test_a_suburban_site_has_90_minutes(client, dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(at=BAOAN_AIRPORT), surveyor, desk)
    site = wgs84(BAOAN_AIRPORT)
    track = drive(offset(site, 0, 40000), site, depart=clock.now(), speed_kmh=40)  # an hour
    clock.advance(minutes=45)
    assert clocks(dispatching, d, desk)[1] == "pending"
    clock.advance(minutes=20)
    post(client, surveyor, track)
    assert clocks(dispatching, d, desk)[1] == "met"


def test_outside_coverage_the_agreed_time_is_what_the_fixes_are_checked_against(
        client, dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(at=HONG_KONG), surveyor, desk)
    start, site = clock.now(), wgs84(HONG_KONG)
    dispatching.event(d["id"], surveyor, "agreed_time", device_time=start + timedelta(minutes=3),
                      agreed_time=(start + timedelta(minutes=100)).isoformat())
    track = drive(offset(site, 0, -50000), site, depart=start, speed_kmh=40)  # 75 minutes
    clock.advance(minutes=95)
    post(client, surveyor, track)
    assert clocks(dispatching, d, desk)[1] == "met"


@pytest.mark.parametrize("site_crs", [Datum.GCJ02, Datum.BD09])
def test_a_site_entered_in_a_chinese_map_datum_is_reached_by_wgs84_gps_fixes(
        client, dispatching, desk, surveyor, clock, site_crs):
    site_wgs84 = wgs84(FUTIAN_CIVIC_CENTER)
    entered = convert(*site_wgs84, Datum.WGS84, site_crs)
    d = dispatching.dispatch(dispatching.case(at=entered, crs=site_crs), surveyor, desk)
    track = drive(offset(site_wgs84, 0, -4000), site_wgs84, depart=clock.now(), speed_kmh=40)
    clock.advance(minutes=10)
    post(client, surveyor, track)
    body = dispatching.get(d["id"], desk)
    assert body["arrival"]["state"] == "met"
    first_inside = next(f for f in track if abs(f["lon"] - site_wgs84[1]) * 102_700 <= 200)
    assert body["arrived_at"] == first_inside["device_time"]


def test_gcj02_coordinates_wrongly_declared_wgs84_never_arrive(client, dispatching, desk, surveyor, clock):
    # The site was geocoded in AMap (GCJ-02) but entered as if it were WGS-84: ~600 m off.
    d = dispatching.dispatch(dispatching.case(at=FUTIAN_CIVIC_CENTER, crs=Datum.WGS84), surveyor, desk)
    site_wgs84 = wgs84(FUTIAN_CIVIC_CENTER)
    track = drive(offset(site_wgs84, 0, -4000), site_wgs84, depart=clock.now(), speed_kmh=40)
    clock.advance(minutes=10)
    post(client, surveyor, track)
    assert dispatching.get(d["id"], desk)["arrived_at"] is None


def test_property_has_no_contact_clock_but_arrives_against_the_agreed_time(
        client, dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(line=Line.PROPERTY), surveyor, desk)
    start, site = clock.now(), wgs84(FUTIAN_CIVIC_CENTER)
    dispatching.event(d["id"], surveyor, "agreed_time", agreed_time=(start + timedelta(hours=2)).isoformat())
    track = drive(offset(site, 0, -3000), site, depart=start + timedelta(minutes=90), speed_kmh=30)
    clock.advance(minutes=110)
    post(client, surveyor, track)
    contact, arrival, _ = clocks(dispatching, d, desk)
    assert contact is None and arrival == "met"


def test_a_surveyor_too_far_to_make_it_turns_at_risk_before_the_deadline(client, dispatching, desk, surveyor, clock,
                                                                         session):
    from field_api.dispatch.jobs import tick_clocks

    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    site = wgs84(FUTIAN_CIVIC_CENTER)
    clock.advance(minutes=10)
    # 20 km away with 20 minutes left, stuck in traffic at 20 km/h: an hour to go.
    post(client, surveyor, drive(offset(site, -20000, 0), offset(site, -19000, 0), depart=clock.now()
                                 - timedelta(minutes=3), speed_kmh=20, park_s=0))
    tick_clocks(session, clock.now())
    body = dispatching.get(d["id"], desk)
    assert body["arrival"]["state"] == "at_risk"
    assert body["projected_arrival_at"] > body["arrival"]["due_at"]


def test_a_surveyor_close_by_stays_pending(client, dispatching, desk, surveyor, clock, session):
    from field_api.dispatch.jobs import tick_clocks

    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    site = wgs84(FUTIAN_CIVIC_CENTER)
    clock.advance(minutes=2)
    post(client, surveyor, drive(offset(site, -3000, 0), offset(site, -2500, 0), depart=clock.now()
                                 - timedelta(minutes=1), speed_kmh=40, park_s=0))
    tick_clocks(session, clock.now())
    assert dispatching.get(d["id"], desk)["arrival"]["state"] == "pending"


def test_a_retried_batch_records_the_arrival_once(client, dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    site = wgs84(FUTIAN_CIVIC_CENTER)
    track = drive(offset(site, -2000, 0), site, depart=clock.now(), speed_kmh=40, park_s=300)
    clock.advance(minutes=10)
    post(client, surveyor, track)
    post(client, surveyor, track[len(track) // 2:])
    kinds = [e["kind"] for e in client.get(f"/api/v1/dispatches/{d['id']}/timeline", headers=desk.headers).json]
    assert kinds.count("arrival_detected") == 1
