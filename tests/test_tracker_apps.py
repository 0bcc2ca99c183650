"""OsmAnd / Traccar Client and OwnTracks, with requests in the exact forms those apps send."""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from field_api.accounts.models import Role
from field_api.extensions import db
from field_api.tracking.models import Fix
from field_api.tracking.protocols import osmand_from_params
from geo.datum import Datum, convert
from schemas.geo import canonical_datum

OSMAND = "/api/v1/ingest/osmand"
OWNTRACKS = "/api/v1/ingest/owntracks"


@pytest.fixture
def surveyor(accounts, tracking):
    """An on-duty surveyor with an OsmAnd device and an OwnTracks device."""
    signed = accounts.sign_in(Role.SURVEYOR, "SZ", username="li.wei")
    tracking.duty(signed, True, tracking.at(hours=-1))
    signed.osmand_id, signed.osmand = tracking.device(signed, "osmand", "Traccar Client")
    signed.owntracks_id, signed.owntracks = tracking.device(signed, "owntracks", "OwnTracks")
    return signed


def stored(surveyor_id: int) -> list[Fix]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Fix).where(Fix.surveyor_id == surveyor_id).order_by(Fix.device_time)))


def epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def test_osmand_query_parameters_are_read_in_the_protocols_units(surveyor, client, tracking):
    at = tracking.at(minutes=-1)
    # Traccar Client (Android, before version 9): speed in knots, battery in percent.
    response = client.get(f"{OSMAND}?id={surveyor.osmand}&timestamp={epoch(at)}&lat=22.5431&lon=114.0579"
                          f"&speed=10.0&bearing=271.5&altitude=35.7&accuracy=6.0&batt=87")
    assert response.status_code == 200
    assert response.json == {"accepted": 1, "duplicate": 0, "off_duty": 0, "rejected": []}
    fix = stored(surveyor.user.id)[0]
    assert fix.device_time == at and (fix.lat, fix.lon) == (22.5431, 114.0579)
    assert fix.speed_mps == pytest.approx(5.144444, abs=1e-6)  # 10 knots
    assert (fix.heading_deg, fix.altitude_m, fix.accuracy_m, fix.battery) == (271.5, 35.7, 6.0, 0.87)
    assert fix.source.value == "osmand" and fix.device_id == surveyor.osmand_id


@pytest.mark.parametrize("timestamp", ["{seconds}", "{millis}", "{iso_z}", "{iso_space}"])
def test_osmand_timestamps_come_in_seconds_milliseconds_or_iso(surveyor, client, tracking, timestamp):
    at = tracking.at(minutes=-2)
    forms = {"seconds": epoch(at), "millis": epoch(at) * 1000, "iso_z": at.strftime("%Y-%m-%dT%H%%3A%M%%3A%SZ"),
             "iso_space": at.strftime("%Y-%m-%d+%H%%3A%M%%3A%S")}
    url = (f"{OSMAND}?id={surveyor.osmand}&lat=22.54&lon=114.05&timestamp={timestamp.format(**forms)}"
           "&hdop=6.0&altitude=224.0&speed=0.0")
    assert client.get(url).json["accepted"] == 1
    fix = stored(surveyor.user.id)[0]
    assert fix.device_time == at
    assert fix.accuracy_m == 6.0  # OsmAnd's template puts the accuracy in metres in its hdop slot


def test_osmand_location_parameter_and_deviceid_are_understood(surveyor, client, tracking):
    url = f"{OSMAND}?deviceid={surveyor.osmand}&timestamp={epoch(tracking.at(minutes=-1))}&location=22.55,114.06"
    assert client.get(url).json["accepted"] == 1
    assert (stored(surveyor.user.id)[0].lat, stored(surveyor.user.id)[0].lon) == (22.55, 114.06)


def test_osmand_posts_form_parameters_or_a_query_with_an_empty_body(surveyor, client, tracking):
    form = {"id": surveyor.osmand, "timestamp": str(epoch(tracking.at(minutes=-2))), "lat": "22.5431",
            "lon": "114.0579", "speed": "0.0", "bearing": "0.0", "altitude": "0", "accuracy": "12.0", "batt": "55"}
    assert client.post(OSMAND, data=form).json["accepted"] == 1
    assert client.post(f"{OSMAND}?id={surveyor.osmand}&timestamp={epoch(tracking.at(minutes=-1))}"
                       "&lat=22.5432&lon=114.0579").json["accepted"] == 1
    assert [f.battery for f in stored(surveyor.user.id)] == [0.55, None]


def test_traccar_clients_json_is_read_in_its_own_units(surveyor, client, tracking):
    at = tracking.at(minutes=-1)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.444Z")
    body = ('{"location":{"event":"motionchange","is_moving":false,"uuid":"0e9a2473-a9a7-4c00-997b-fb97d2154e75",'
            f'"timestamp":"{stamp}","odometer":0,"coords":{{"latitude":22.5431,"longitude":114.0579,'
            '"accuracy":3.8,"speed":18.67,"speed_accuracy":0.26,"heading":63,"heading_accuracy":0.28,'
            '"altitude":35.7,"altitude_accuracy":3.8},"activity":{"type":"still","confidence":100},'
            '"battery":{"is_charging":false,"level":0.79},"extras":{}},'
            f'"device_id":"{surveyor.osmand}"}}')
    response = client.post(OSMAND, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json["accepted"] == 1
    fix = stored(surveyor.user.id)[0]
    assert fix.device_time == at.replace(microsecond=444000)
    assert (fix.speed_mps, fix.heading_deg, fix.accuracy_m, fix.altitude_m, fix.battery) == (18.67, 63, 3.8, 35.7,
                                                                                               0.79)


def test_traccar_clients_unknown_values_are_stored_as_unknown(surveyor, client, tracking):
    stamp = tracking.at(minutes=-1).strftime("%Y-%m-%dT%H:%M:%S.579Z")
    body = {"location": {"extras": {}, "mock": True, "coords": {
        "speed_accuracy": -1, "speed": -1, "longitude": 114.0579, "ellipsoidal_altitude": 0, "floor": None,
        "heading_accuracy": -1, "latitude": 22.5431, "accuracy": 5, "altitude_accuracy": -1, "altitude": 0,
        "heading": -1}, "is_moving": False, "age": 188, "odometer": 0, "uuid": "2FB04C65-99CF-42AB-8DD3-EBCB4B108BF8",
        "event": "motionchange", "battery": {"level": -1, "is_charging": False},
        "activity": {"type": "unknown", "confidence": 100}, "timestamp": stamp}, "device_id": surveyor.osmand}
    assert client.post(OSMAND, json=body).json["accepted"] == 1
    fix = stored(surveyor.user.id)[0]
    assert (fix.speed_mps, fix.heading_deg, fix.battery, fix.accuracy_m) == (None, None, None, 5)


def test_filtered_duplicate_and_off_duty_fixes_are_answered_200(accounts, surveyor, client, tracking):
    url = f"{OSMAND}?id={surveyor.osmand}&timestamp={epoch(tracking.at(minutes=-1))}&lat=22.54&lon=114.05"
    assert client.get(url).json["accepted"] == 1
    assert client.get(url).json["duplicate"] == 1
    too_old = f"{OSMAND}?id={surveyor.osmand}&timestamp={epoch(tracking.at(days=-8))}&lat=22.54&lon=114.05"
    assert client.get(too_old).json["rejected"] == [{"index": 0, "reason": "device_time_too_old"}]
    null_island = f"{OSMAND}?id={surveyor.osmand}&lat=0.0&lon=0.0"
    assert client.get(null_island).json["rejected"] == [{"index": 0, "reason": "null_island"}]
    off = accounts.sign_in(Role.SURVEYOR)
    _, token = tracking.device(off, "osmand")
    response = client.get(f"{OSMAND}?id={token}&lat=22.54&lon=114.05")
    assert response.status_code == 200 and response.json["off_duty"] == 1
    assert len(stored(surveyor.user.id)) == 1 and stored(off.user.id) == []


def test_a_fix_without_a_timestamp_counts_at_the_receipt_time(surveyor, client, clock):
    assert client.get(f"{OSMAND}?id={surveyor.osmand}&lat=22.5&lon=114.0&speed=0.0").json["accepted"] == 1
    assert stored(surveyor.user.id)[0].device_time == clock.now()


def test_a_fix_the_device_marks_invalid_is_kept_but_never_usable(surveyor, client, tracking):
    url = f"{OSMAND}?id={surveyor.osmand}&lat=22.5&lon=114.0&accuracy=5&valid=false"
    assert client.get(url).json["accepted"] == 1
    assert stored(surveyor.user.id)[0].poor_accuracy is True


@pytest.mark.parametrize("query", ["lat=22.5&lon=114.0", "id=&lat=22.5&lon=114.0",
                                   "id=not-a-registered-token&lat=22.5&lon=114.0"])
def test_an_unknown_device_token_is_refused(surveyor, client, query):
    response = client.get(f"{OSMAND}?{query}")
    assert response.status_code == 401
    assert stored(surveyor.user.id) == []


def test_a_device_is_accepted_only_on_its_own_protocol(surveyor, client):
    assert client.get(f"{OSMAND}?id={surveyor.owntracks}&lat=22.5&lon=114.0").status_code == 401


def test_the_ingest_endpoints_take_device_tokens_not_bearer_tokens(surveyor, client):
    response = client.get(f"{OSMAND}?lat=22.5&lon=114.0", headers=surveyor.headers)
    assert response.status_code == 401
    response = client.post(OWNTRACKS, headers=surveyor.headers, json={"_type": "location", "lat": 1, "lon": 1,
                                                                      "tst": 1})
    assert response.status_code == 401


@pytest.mark.parametrize("query", ["lat=north&lon=114.0", "lon=114.0", "lat=22.5&lon=114.0&speed=fast",
                                   "lat=22.5&lon=114.0&timestamp=yesterday", "location=22.5"])
def test_a_malformed_osmand_request_is_refused_and_nothing_is_saved(surveyor, client, query):
    response = client.get(f"{OSMAND}?id={surveyor.osmand}&{query}")
    assert response.status_code == 422, response.json
    assert stored(surveyor.user.id) == []


@pytest.mark.parametrize("body", ['{"device_id": "x"', '{"device_id": "%s"}', '{"device_id": "%s", "location": {}}',
                                  '{"device_id": "%s", "location": {"timestamp": "2026-07-01T01:59:00Z", '
                                  '"coords": {"latitude": "north", "longitude": 114}}}'])
def test_a_malformed_traccar_json_body_is_refused(surveyor, client, body):
    body = body.replace("%s", surveyor.osmand)
    response = client.post(OSMAND, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert stored(surveyor.user.id) == []


def test_the_device_token_never_reaches_the_logs(surveyor, client, tracking, caplog):
    caplog.set_level(logging.DEBUG)
    client.get(f"{OSMAND}?id={surveyor.osmand}&timestamp={epoch(tracking.at(minutes=-1))}&lat=22.54&lon=114.05")
    client.get(f"{OSMAND}?id={surveyor.osmand}x&lat=22.54&lon=114.05")
    client.post(OWNTRACKS, headers=basic("li.wei", surveyor.owntracks),
                json={"_type": "location", "lat": 22.54, "lon": 114.05, "tst": epoch(tracking.at(minutes=-2))})
    assert "osmand report from device" in caplog.text and "owntracks report from device" in caplog.text
    assert surveyor.osmand not in caplog.text and surveyor.owntracks not in caplog.text


def owntracks_location(at: datetime, **overrides) -> dict:
    """A location message as OwnTracks for Android posts it in HTTP mode."""
    message = {"_type": "location", "acc": 13, "alt": -42, "batt": 40, "bs": 1, "conn": "w",
               "created_at": int(at.timestamp()) + 3, "lat": 22.5431, "lon": 114.0579, "m": 1, "t": "u", "tid": "lw",
               "topic": "owntracks/li.wei/phone", "tst": int(at.timestamp()), "vac": 1, "vel": 36, "cog": 271}
    return {**message, **overrides}


def test_owntracks_locations_are_read_in_its_units_and_answered_with_an_empty_list(surveyor, client, tracking):
    at = tracking.at(minutes=-1)
    response = client.post(OWNTRACKS, data=json.dumps(owntracks_location(at)),
                           headers={**basic("li.wei", surveyor.owntracks), "Content-Type": "application/json",
                                    "X-Limit-U": "li.wei", "X-Limit-D": "phone"})
    assert response.status_code == 200 and response.json == []
    assert response.headers["X-Fixes"] == "accepted=1 duplicate=0 off_duty=0 rejected=0"
    fix = stored(surveyor.user.id)[0]
    assert fix.device_time == at and fix.source.value == "owntracks" and fix.device_id == surveyor.owntracks_id
    assert (fix.accuracy_m, fix.altitude_m, fix.heading_deg, fix.battery) == (13, -42, 271, 0.4)
    assert fix.speed_mps == pytest.approx(10.0)  # 36 km/h


def test_owntracks_retries_and_other_message_types_are_answered_and_ignored(surveyor, client, tracking):
    auth = basic("li.wei", surveyor.owntracks)
    message = owntracks_location(tracking.at(minutes=-1))
    assert client.post(OWNTRACKS, json=message, headers=auth).headers["X-Fixes"].startswith("accepted=1")
    assert client.post(OWNTRACKS, json=message, headers=auth).headers["X-Fixes"].startswith("accepted=0 duplicate=1")
    for other in ({"_type": "lwt", "tst": 1700000000},
                  {"_type": "transition", "acc": 77.6, "desc": "Office", "event": "enter", "lat": 22.5, "lon": 114.0,
                   "t": "l", "tid": "lw", "tst": 1700000000, "wtst": 1690000000},
                  {"_type": "encrypted", "data": "c2VjcmV0"}):
        response = client.post(OWNTRACKS, json=other, headers=auth)
        assert response.status_code == 200 and response.json == []
    assert len(stored(surveyor.user.id)) == 1


@pytest.mark.parametrize("credentials", ["none", "wrong password", "someone else's name", "the osmand token"])
def test_owntracks_needs_the_surveyors_name_and_the_device_token(surveyor, client, tracking, credentials):
    headers = {"none": {}, "wrong password": basic("li.wei", "guess"),
               "someone else's name": basic("zhang.min", surveyor.owntracks),
               "the osmand token": basic("li.wei", surveyor.osmand)}[credentials]
    response = client.post(OWNTRACKS, json=owntracks_location(tracking.at(minutes=-1)), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert stored(surveyor.user.id) == []


@pytest.mark.parametrize("body", ["not json", '["_type", "location"]', '{"_type": "location", "lon": 114.0, "tst": 1}',
                                  '{"_type": "location", "lat": "north", "lon": 114.0, "tst": 1782871100}'])
def test_a_malformed_owntracks_message_is_refused(surveyor, client, body):
    response = client.post(OWNTRACKS, data=body, headers={**basic("li.wei", surveyor.owntracks),
                                                           "Content-Type": "application/json"})
    assert response.status_code == 422
    assert stored(surveyor.user.id) == []


def test_tracker_fixes_are_converted_from_wgs84_to_a_gcj02_deployment():
    token = canonical_datum.set(Datum.GCJ02)
    try:
        now = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)
        report = osmand_from_params({"id": "t", "lat": "22.5431", "lon": "114.0579"}, now=now)
    finally:
        canonical_datum.reset(token)
    expected = convert(22.5431, 114.0579, Datum.WGS84, Datum.GCJ02)
    assert (report.rows[0]["lat"], report.rows[0]["lon"]) == pytest.approx(expected, abs=1e-9)
    assert report.rows[0]["device_time"] == now


def test_an_osmand_get_stores_fixes_so_it_queues_as_a_writer_like_a_post(app):
    # On SQLite a reader that starts writing may find another writer went first, and fail.
    from field_api.app import _write_intent

    with app.test_request_context("/api/v1/ingest/osmand?id=token", method="GET"):
        assert _write_intent()
    with app.test_request_context("/api/v1/live/map", method="GET"):
        assert not _write_intent()
