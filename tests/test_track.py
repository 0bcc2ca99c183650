"""A surveyor's track as GeoJSON: scoped like the surveyor, audited when someone else reads it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from field_api.accounts.models import Role
from field_api.audit.models import AuditEvent
from field_api.extensions import db
from geo.datum import Datum, convert
from tests.factories.tracking import iso


@pytest.fixture
def surveyor(accounts, tracking):
    """A surveyor of SZ-FT with ten fixes from the last few minutes, the fourth one an implausible jump."""
    signed = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    tracking.duty(signed, True, tracking.at(hours=-1))
    signed.fixes = tracking.drive(tracking.at(minutes=-10), 10, every_s=30)
    signed.fixes[3]["lat"] += 0.5
    signed.fixes[6]["accuracy"] = 500
    assert tracking.post(signed, signed.fixes).json["accepted"] == 10
    return signed


def track_reads() -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "track.read")))


def test_a_surveyor_reads_their_own_track_as_geojson_without_an_audit_entry(surveyor, client):
    response = client.get(f"/api/v1/surveyors/{surveyor.user.id}/track", headers=surveyor.headers)
    assert response.status_code == 200
    collection = response.json
    assert collection["type"] == "FeatureCollection" and collection["datum"] == "wgs84"
    line, *points = collection["features"]
    assert line["geometry"]["type"] == "LineString"
    usable = [f for i, f in enumerate(surveyor.fixes) if i not in (3, 6)]
    assert line["geometry"]["coordinates"] == [[f["lon"], f["lat"]] for f in usable]
    assert line["properties"]["times"] == [f["device_time"] for f in usable]
    assert [p["geometry"]["coordinates"] for p in points] == [[f["lon"], f["lat"]] for f in surveyor.fixes]
    assert [p["properties"]["implausible"] for p in points] == [i == 3 for i in range(10)]
    assert [p["properties"]["poor_accuracy"] for p in points] == [i == 6 for i in range(10)]
    assert points[0]["properties"]["device_time"] == surveyor.fixes[0]["device_time"]
    assert track_reads() == []


def test_a_coordinator_reads_a_subtree_surveyors_track_and_the_reading_is_audited(accounts, surveyor, client,
                                                                                   tracking):
    coordinator = accounts.sign_in(Role.COORDINATOR, "SZ")
    start, end = tracking.at(minutes=-9), tracking.at(minutes=-7)
    response = client.get(f"/api/v1/surveyors/{surveyor.user.id}/track",
                          query_string={"from": iso(start), "to": iso(end)}, headers=coordinator.headers)
    assert response.status_code == 200
    times = [p["properties"]["device_time"] for p in response.json["features"][1:]]
    assert times == [f["device_time"] for f in surveyor.fixes[2:7]]
    (event,) = track_reads()
    assert event.actor_id == coordinator.user.id and event.entity_id == str(surveyor.user.id)
    assert event.changes == {"from": start.isoformat(), "to": end.isoformat()}


@pytest.mark.parametrize("role, branch", [(Role.COORDINATOR, "GZ"), (Role.MANAGER, "SZ-BA"),
                                          (Role.SURVEYOR, "SZ-FT"), (Role.SALESPERSON, "SZ-FT")])
def test_someone_outside_the_surveyors_scope_gets_not_found(accounts, surveyor, client, role, branch):
    outsider = accounts.sign_in(role, branch)
    response = client.get(f"/api/v1/surveyors/{surveyor.user.id}/track", headers=outsider.headers)
    assert response.status_code == 404
    assert track_reads() == []


def test_a_track_is_given_in_another_datum_when_asked(surveyor, client):
    response = client.get(f"/api/v1/surveyors/{surveyor.user.id}/track?crs=gcj02", headers=surveyor.headers)
    assert response.json["datum"] == "gcj02"
    lon, lat = response.json["features"][1]["geometry"]["coordinates"]
    expected = convert(surveyor.fixes[0]["lat"], surveyor.fixes[0]["lon"], Datum.WGS84, Datum.GCJ02)
    assert (lat, lon) == pytest.approx(expected, abs=1e-9)


def test_a_period_must_run_forwards_and_be_at_most_a_month(surveyor, client, tracking):
    url = f"/api/v1/surveyors/{surveyor.user.id}/track"
    backwards = {"from": iso(tracking.at(minutes=-1)), "to": iso(tracking.at(minutes=-2))}
    assert client.get(url, query_string=backwards, headers=surveyor.headers).status_code == 422
    too_long = {"from": iso(tracking.at(days=-32))}
    assert client.get(url, query_string=too_long, headers=surveyor.headers).status_code == 422
    naive = {"from": "2026-07-01T01:00:00"}
    assert client.get(url, query_string=naive, headers=surveyor.headers).status_code == 422


def test_a_track_with_fewer_than_two_usable_fixes_has_points_only(accounts, client, tracking):
    signed = accounts.sign_in(Role.SURVEYOR, "SZ")
    tracking.duty(signed, True, tracking.at(hours=-1))
    tracking.post(signed, [tracking.fix(tracking.at(minutes=-1))])
    features = client.get(f"/api/v1/surveyors/{signed.user.id}/track", headers=signed.headers).json["features"]
    assert [f["geometry"]["type"] for f in features] == ["Point"]


def test_the_default_period_is_the_last_24_hours(surveyor, client, clock, tracking):
    clock.advance(timedelta(hours=24, minutes=-7.5))
    tracking.sign_in_again(surveyor)
    features = client.get(f"/api/v1/surveyors/{surveyor.user.id}/track", headers=surveyor.headers).json["features"]
    assert len([f for f in features if f["geometry"]["type"] == "Point"]) == 5
