"""Visits through the API: idempotent create-or-update, ETags, immutability, amendments, derived values, bad input."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from field_api.audit.models import AuditEvent
from field_api.extensions import db
from tests.factories.visits import (NEAR_OFFICE, card_done, iso, outcome, publish_with_extra_item, row_counts,
                                   visit_body)


def test_a_visit_is_created_with_the_phones_uuid_and_returned_with_what_the_server_derived(visits, sales, office):
    visit_id = uuid.uuid4()
    at = visits.now - timedelta(hours=3)
    response = visits.put(sales, visit_body(office["id"], at=at, minutes=45), visit_id=visit_id)
    assert response.status_code == 201
    assert response.headers["ETag"] == '"1"'
    visit = response.json
    assert visit["id"] == str(visit_id)
    assert visit["checklist"] == {"code": "sales-visit", "version": 1}
    assert visit["is_first_meeting"] is True
    assert visit["duration_s"] == 45 * 60
    assert 40 < visit["distance_m"] < 60 and visit["location_check"] == "near" and not visit["distance_flagged"]
    assert outcome(visit, "business_card") == "met"
    assert visit["compliance"]["share_met"] == 1.0
    assert visits.get(sales, visit_id) == visit


def test_an_identical_body_answers_200_and_changes_nothing_whatever_if_match_says(app, visits, sales, office):
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1), status="draft")
    visit_id = uuid.uuid4()
    first = visits.put(sales, body, visit_id=visit_id)
    before = row_counts()
    for if_match in (None, '"1"', '"7"', "garbage"):
        again = visits.put(sales, body, visit_id=visit_id, if_match=if_match)
        assert again.status_code == 200 and again.json == first.json and again.headers["ETag"] == '"1"'
    assert row_counts() == before


def test_the_same_instant_with_another_offset_is_the_same_body(visits, sales, office):
    at = visits.now - timedelta(hours=1)
    body = visit_body(office["id"], at=at, status="draft")
    visit_id = uuid.uuid4()
    visits.put(sales, body, visit_id=visit_id)
    body["check_in"]["at"] = at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).isoformat()
    assert visits.put(sales, body, visit_id=visit_id).status_code == 200
    assert visits.get(sales, visit_id)["version"] == 1


def test_changing_a_draft_needs_if_match(visits, sales, office):
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1), status="draft")
    visit_id = uuid.uuid4()
    visits.put(sales, body, visit_id=visit_id)
    body["notes"] = "客户考虑中"
    response = visits.put(sales, body, visit_id=visit_id)
    assert response.status_code == 428
    assert response.json["current"]["version"] == 1 and response.json["current"]["notes"] is None


def test_a_stale_if_match_gets_412_with_the_current_version(visits, sales, office):
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1), status="draft")
    visit_id = uuid.uuid4()
    visits.put(sales, body, visit_id=visit_id)
    body["notes"] = "first edit"
    assert visits.put(sales, body, visit_id=visit_id, if_match='"1"').status_code == 200
    body["notes"] = "edit from an older copy"
    response = visits.put(sales, body, visit_id=visit_id, if_match='"1"')
    assert response.status_code == 412
    assert response.headers["ETag"] == '"2"'
    assert response.json["current"]["notes"] == "first edit" and response.json["current"]["version"] == 2


def test_a_draft_is_updated_and_submitted_with_the_current_etag(app, visits, sales, office):
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1), status="draft")
    visit_id = uuid.uuid4()
    visits.put(sales, body, visit_id=visit_id)
    body["status"] = "submitted"
    response = visits.put(sales, body, visit_id=visit_id, if_match='"1"')
    assert response.status_code == 200 and response.headers["ETag"] == '"2"'
    assert response.json["status"] == "submitted" and response.json["submitted_at"] is not None
    actions = [e.action for e in db.session.query(AuditEvent).filter_by(entity_type="visit")]
    assert actions == ["visit.create", "visit.submit"]


def test_a_submitted_visit_is_immutable(visits, sales, office):
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1))
    visit_id = uuid.uuid4()
    visits.put(sales, body, visit_id=visit_id)
    body["notes"] = "changed my mind"
    before = row_counts()
    response = visits.put(sales, body, visit_id=visit_id, if_match='"1"')
    assert response.status_code == 409
    assert response.json["current"]["notes"] is None
    assert row_counts() == before


def test_an_amendment_corrects_a_submitted_visit_and_keeps_the_original(client, visits, sales, office):
    at = visits.now - timedelta(hours=2)
    original = visits.visit(sales, office["id"], at=at, answers=[])
    assert outcome(original, "business_card") == "missed"
    correction = {**visit_body(office["id"], at=at), "id": str(uuid.uuid4()),
                  "amendment_reason": "忘记记录递交名片"}
    response = client.post(f"/api/v1/visits/{original['id']}/amendments", json=correction, headers=sales.headers)
    assert response.status_code == 201, response.json
    amended = response.json
    assert amended["amends"] == original["id"] and outcome(amended, "business_card") == "met"
    kept = visits.get(sales, original["id"])
    assert kept["superseded_by"] == amended["id"] and kept["answers"] == []
    assert client.post(f"/api/v1/visits/{original['id']}/amendments", json=correction,
                       headers=sales.headers).status_code == 200
    listed = client.get("/api/v1/visits", headers=sales.headers).json
    assert [v["id"] for v in listed] == [amended["id"]]
    everything = client.get("/api/v1/visits?include_superseded=true", headers=sales.headers).json
    assert {v["id"] for v in everything} == {original["id"], amended["id"]}


def test_an_amendment_is_refused_for_a_draft_and_for_an_already_corrected_visit(client, visits, sales, office):
    at = visits.now - timedelta(hours=2)
    draft = visits.visit(sales, office["id"], at=at, status="draft")
    body = {**visit_body(office["id"], at=at), "id": str(uuid.uuid4())}
    response = client.post(f"/api/v1/visits/{draft['id']}/amendments", json=body, headers=sales.headers)
    assert response.status_code == 422 and "amends" in response.json["errors"]
    original = visits.visit(sales, office["id"], at=at - timedelta(days=1))
    assert client.post(f"/api/v1/visits/{original['id']}/amendments", json=body,
                       headers=sales.headers).status_code == 201
    second = {**body, "id": str(uuid.uuid4())}
    assert client.post(f"/api/v1/visits/{original['id']}/amendments", json=second,
                       headers=sales.headers).status_code == 409


def test_a_far_check_in_is_flagged(visits, sales, office):
    far = {"lat": 22.5531, "lon": 114.0579, "crs": "wgs84"}  # about 1.1 km north
    visit = visits.visit(sales, office["id"], where=far, accuracy=20)
    assert visit["distance_flagged"] and visit["location_check"] == "far" and 1000 < visit["distance_m"] < 1200


def test_a_check_in_just_over_the_threshold_is_not_flagged_when_the_fix_may_be_inside_it(visits, sales, office):
    just_over = {"lat": 22.5461, "lon": 114.0579, "crs": "wgs84"}  # about 330 m
    precise = visits.visit(sales, office["id"], where=just_over, accuracy=10)
    coarse = visits.visit(sales, office["id"], where=just_over, accuracy=50)
    assert precise["distance_flagged"] and not coarse["distance_flagged"]
    assert coarse["location_check"] == "near"


def test_a_fix_too_coarse_to_tell_is_uncertain(visits, sales, office):
    visit = visits.visit(sales, office["id"], accuracy=800)
    assert visit["location_check"] == "uncertain" and not visit["distance_flagged"]


def test_the_distance_threshold_is_configurable(app, visits, sales, office):
    app.config["VISIT_DISTANCE_FLAG_M"] = 20
    assert visits.visit(sales, office["id"], accuracy=5)["distance_flagged"]


def test_without_a_client_location_the_distance_is_unknown(visits, sales):
    nowhere = visits.make_client(sales, location=None)
    visit = visits.visit(sales, nowhere["id"])
    assert visit["distance_m"] is None and visit["location_check"] == "unknown"


def test_check_ins_from_a_chinese_map_sdk_are_converted_before_measuring(visits, sales, office):
    from geo.datum import Datum, convert

    lat, lon = convert(NEAR_OFFICE["lat"], NEAR_OFFICE["lon"], Datum.WGS84, Datum.GCJ02)
    visit = visits.visit(sales, office["id"], where={"lat": lat, "lon": lon, "crs": "gcj02"})
    assert visit["check_in"]["crs"] == "wgs84"
    assert visit["check_in"]["lat"] == pytest.approx(NEAR_OFFICE["lat"], abs=1e-7)
    assert visit["location_check"] == "near" and visit["distance_m"] < 60
    unconverted = visits.visit(sales, office["id"], where={"lat": lat, "lon": lon, "crs": "wgs84"})
    assert unconverted["distance_m"] > 300


def test_device_times_are_kept_and_the_server_receive_time_beside_them(visits, sales, office, clock):
    at = visits.now - timedelta(days=2)
    visit = visits.visit(sales, office["id"], at=at)
    assert visit["check_in"]["at"] == iso(at)
    assert visit["check_in"]["received_at"] == iso(clock.now())


@pytest.mark.parametrize("fix", ["check_in", "check_out"])
def test_device_times_more_than_five_minutes_ahead_are_refused(visits, sales, office, fix):
    body = visit_body(office["id"], at=visits.now - timedelta(minutes=20), minutes=10)
    body[fix]["at"] = iso(visits.now + timedelta(minutes=5, seconds=1))
    if fix == "check_in":
        body["check_out"]["at"] = iso(visits.now + timedelta(minutes=6))
    before = row_counts()
    response = visits.put(sales, body)
    assert response.status_code == 422 and "at" in response.json["errors"][fix]
    assert row_counts() == before


def test_a_device_clock_a_little_ahead_is_accepted(visits, sales, office):
    body = visit_body(office["id"], at=visits.now + timedelta(minutes=4), minutes=0)
    assert visits.put(sales, body).status_code == 201


def test_the_visit_date_is_local_to_the_branch(visits, sales, office):
    from datetime import datetime, timezone

    late = datetime(2026, 6, 30, 17, 30, tzinfo=timezone.utc)  # 01:30 on 1 July in Shenzhen
    assert visits.visit(sales, office["id"], at=late)["visit_date"] == "2026-07-01"


def _refused(visits, sales, body, status=422):
    before = row_counts()
    response = visits.put(sales, body)
    assert response.status_code == status, response.json
    assert row_counts() == before
    return response.json["errors"]


def test_unknown_item_codes_are_refused_and_nothing_is_saved(visits, sales, office):
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1),
                      answers=[card_done(), {"item": "handshake", "result": "done"}])
    errors = _refused(visits, sales, body)
    assert errors["answers"]["1"]["item"] == ["'handshake' is not an item of checklist 'sales-visit' version 1."]


def test_answers_for_another_version_are_refused_naming_that_version(client, accounts, visits, sales, office):
    publish_with_extra_item(client, accounts, code="courtesy_call")
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1), checklist={"code": "sales-visit", "version": 1},
                      answers=[{"item": "courtesy_call", "result": "done"}])
    errors = _refused(visits, sales, body)
    assert "(it is in version 2)" in errors["answers"]["0"]["item"][0]


def test_a_disallowed_exclusion_reason_is_refused(visits, sales, office):
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1),
                      answers=[{"item": "business_card", "result": "excluded", "exclusion": "forgot_cards"}])
    assert "exclusion" in _refused(visits, sales, body)["answers"]["0"]


@pytest.mark.parametrize("lat, lon, field", [(91, 114.0, "lat"), (-91, 114.0, "lat"), (22.5, 181, "lon"),
                                             (0, 0, "lat")])
def test_coordinates_out_of_range_are_refused(visits, sales, office, lat, lon, field):
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1), where={"lat": lat, "lon": lon})
    assert field in _refused(visits, sales, body)["json"]["check_in"]


def test_an_unknown_datum_is_refused(visits, sales, office):
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1), where={**NEAR_OFFICE, "crs": "utm50n"})
    assert "crs" in _refused(visits, sales, body)["json"]["check_in"]


def test_check_out_before_check_in_is_refused(visits, sales, office):
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1), minutes=-5)
    assert _refused(visits, sales, body)["check_out"]["at"] == ["Check-out is before check-in."]


def test_a_visit_is_submitted_only_after_check_out(visits, sales, office):
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1))
    body["check_out"] = None
    assert _refused(visits, sales, body)["check_out"] == ["Check out before submitting the visit."]
    body["status"] = "draft"
    assert visits.put(sales, body).status_code == 201


def test_a_client_the_salesperson_cannot_see_is_refused(accounts, visits, sales):
    other = accounts.sign_in("salesperson", "SZ-FT")
    theirs = visits.make_client(other)
    body = visit_body(theirs["id"], at=visits.now - timedelta(hours=1))
    assert "client_id" in _refused(visits, sales, body)


def test_unknown_fields_and_an_unknown_checklist_are_refused(visits, sales, office):
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1), mood="great")
    assert "mood" in _refused(visits, sales, body)["json"]
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1), checklist={"code": "sales-visit", "version": 9})
    assert "checklist" in _refused(visits, sales, body)


def test_objections_keep_the_standards_categories(visits, sales, office):
    objections = [{"category": "tactical", "text": "保费太贵", "resolution": "说明价格与服务的平衡"},
                  {"category": "emotional", "text": "对公司有偏见", "resolution": None}]
    visit = visits.visit(sales, office["id"], objections=objections)
    assert visit["objections"] == objections
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1),
                      objections=[{"category": "angry", "text": "x"}])
    assert "objections" in _refused(visits, sales, body)["json"]


def test_another_salespersons_visit_id_answers_404(accounts, visits, sales, office):
    other = accounts.sign_in("salesperson", "SZ-FT")
    theirs = visits.make_client(other)
    visit_id = uuid.uuid4()
    visits.visit(other, theirs["id"], visit_id=visit_id)
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1))
    response = visits.put(sales, body, visit_id=visit_id)
    assert response.status_code == 404
