"""Fixes from the surveyor's app: the rules a batch goes through, checked in the database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from field_api.access import actor_for
from field_api.accounts.models import Role
from field_api.dispatch import arrival
from field_api.extensions import db
from field_api.tracking import fast_insert, ingest
from field_api.tracking.models import Fix, LatestPosition
from field_api.tracking.service import latest_positions
from geo.datum import Datum, convert
from schemas.positions import REJECTION_REASONS
from tests.conftest import POSTGRES_URL
from tests.factories.tracking import FUTIAN, iso


@pytest.fixture
def surveyor(accounts, tracking):
    """A signed-in surveyor who went on duty an hour ago."""
    signed = accounts.sign_in(Role.SURVEYOR, "SZ")
    tracking.duty(signed, True, tracking.at(hours=-1))
    return signed


def stored(surveyor_id: int) -> list[Fix]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Fix).where(Fix.surveyor_id == surveyor_id).order_by(Fix.device_time)))


def test_a_batch_is_stored_and_counted(app, surveyor, tracking, clock):
    fixes = tracking.drive(tracking.at(minutes=-5), 3, speed=4.5, heading=90, altitude=12.5, battery=0.8,
                           provider="gps")
    response = tracking.post(surveyor, fixes)
    assert response.status_code == 200, response.json
    assert response.json == {"accepted": 3, "duplicate": 0, "off_duty": 0, "rejected": []}
    rows = stored(surveyor.user.id)
    assert [iso(r.device_time) for r in rows] == [f["device_time"] for f in fixes]
    first = rows[0]
    assert (first.lat, first.lon, first.accuracy_m) == (fixes[0]["lat"], fixes[0]["lon"], 8.0)
    assert (first.speed_mps, first.heading_deg, first.altitude_m, first.battery) == (4.5, 90, 12.5, 0.8)
    assert first.provider == "gps" and first.source.value == "api" and first.received_at == clock.now()
    assert not first.poor_accuracy and not first.implausible


def test_a_full_batch_of_500_fixes_is_stored_in_one_request(surveyor, tracking):
    response = tracking.post(surveyor, tracking.drive(tracking.at(minutes=-50), 500, every_s=5))
    assert response.json["accepted"] == 500
    assert len(stored(surveyor.user.id)) == 500


def test_the_insert_reports_only_the_fixes_it_stored_when_another_writer_got_some_first(app, surveyor, clock):
    # What a concurrent retry of the same batch looks like from the insert: some rows are already there.
    now = clock.now()
    rows = [{"device_time": now - timedelta(seconds=s), "lat": 22.54, "lon": 114.05, "accuracy_m": 8.0,
             "speed_mps": None, "heading_deg": None, "altitude_m": None, "battery": None, "provider": None,
             "poor_accuracy": False, "implausible": False} for s in (30, 20, 10)]
    insert = lambda batch, at: fast_insert.insert(db.session, fast_insert.encode(  # noqa: E731
        db.session, surveyor.user.id, batch, received_at=at, source="api", device_id=None))
    assert insert(rows[:2], now - timedelta(seconds=5)) == {r["device_time"] for r in rows[:2]}
    assert insert(rows, now) == {rows[2]["device_time"]}
    db.session.commit()
    assert [r.received_at for r in stored(surveyor.user.id)] == [now - timedelta(seconds=5)] * 2 + [now]


def test_a_retried_batch_stores_nothing_new(surveyor, tracking):
    fixes = tracking.drive(tracking.at(minutes=-5), 4)
    assert tracking.post(surveyor, fixes).json["accepted"] == 4
    again = tracking.post(surveyor, list(reversed(fixes)))
    assert again.json == {"accepted": 0, "duplicate": 4, "off_duty": 0, "rejected": []}
    assert len(stored(surveyor.user.id)) == 4


def test_a_batch_overlapping_a_stored_one_stores_only_the_new_fixes(surveyor, tracking):
    fixes = tracking.drive(tracking.at(minutes=-5), 6)
    tracking.post(surveyor, fixes[:4])
    assert tracking.post(surveyor, fixes[2:]).json == {
        "accepted": 2, "duplicate": 2, "off_duty": 0, "rejected": []}
    assert len(stored(surveyor.user.id)) == 6


def test_a_fix_repeated_within_a_batch_is_stored_once(surveyor, tracking):
    fix = tracking.fix(tracking.at(minutes=-1))
    response = tracking.post(surveyor, [fix, dict(fix, lat=fix["lat"] + 0.0001)])
    assert response.json["accepted"] == 1 and response.json["duplicate"] == 1
    assert stored(surveyor.user.id)[0].lat == fix["lat"]


def test_impossible_fixes_are_rejected_with_a_reason_and_the_rest_stored(surveyor, tracking):
    at = tracking.at(minutes=-2)
    fixes = [tracking.fix(at), tracking.fix(at + timedelta(seconds=1), lat=91.0),
             tracking.fix(at + timedelta(seconds=2), lon=-180.5), tracking.fix(at + timedelta(seconds=3), 0, 0),
             tracking.fix(tracking.at(minutes=6)), tracking.fix(tracking.at(days=-7, seconds=-1))]
    response = tracking.post(surveyor, fixes)
    assert response.json["accepted"] == 1
    assert response.json["rejected"] == [
        {"index": 1, "reason": "coordinates_out_of_range"}, {"index": 2, "reason": "coordinates_out_of_range"},
        {"index": 3, "reason": "null_island"}, {"index": 4, "reason": "device_time_in_future"},
        {"index": 5, "reason": "device_time_too_old"}]
    assert len(stored(surveyor.user.id)) == 1


def test_a_fix_from_a_clock_set_ahead_is_stored_at_the_receipt_time(surveyor, tracking, clock):
    response = tracking.post(surveyor, [tracking.fix(tracking.at(minutes=4, seconds=59))])
    assert response.json["accepted"] == 1
    assert stored(surveyor.user.id)[0].device_time == clock.now()


def test_poor_accuracy_is_stored_but_marked_by_the_configured_limit(app, surveyor, tracking):
    tracking.post(surveyor, [tracking.fix(tracking.at(minutes=-3), accuracy=100),
                             tracking.fix(tracking.at(minutes=-2), accuracy=150)])
    assert [r.poor_accuracy for r in stored(surveyor.user.id)] == [False, True]
    app.config["FIX_MAX_ACCURACY_M"] = 200
    tracking.post(surveyor, [tracking.fix(tracking.at(minutes=-1), accuracy=150)])
    assert stored(surveyor.user.id)[-1].poor_accuracy is False


def test_an_implausible_jump_is_stored_but_marked(surveyor, tracking):
    fixes = tracking.drive(tracking.at(minutes=-5), 6)
    fixes[3]["lat"] += 0.05  # 5.5 km in ten seconds
    assert tracking.post(surveyor, fixes).json["accepted"] == 6
    assert [r.implausible for r in stored(surveyor.user.id)] == [False, False, False, True, False, False]


def test_a_jump_is_judged_against_the_fixes_already_stored(surveyor, tracking):
    fixes = tracking.drive(tracking.at(minutes=-5), 8)
    tracking.post(surveyor, fixes[:5])
    late = dict(fixes[5], lat=fixes[5]["lat"] + 0.5)
    tracking.post(surveyor, [late])
    tracking.post(surveyor, fixes[6:])
    assert [r.implausible for r in stored(surveyor.user.id)] == [False] * 5 + [True, False, False]


def test_the_marks_do_not_depend_on_the_order_in_which_batches_arrive(accounts, tracking):
    fixes = tracking.drive(tracking.at(minutes=-10), 12)
    fixes[4]["lat"] += 0.1
    fixes[9]["lon"] += 0.1
    marks = []
    for order in ([fixes[:6], fixes[6:]], [fixes[6:], fixes[:6]], [fixes[::2], fixes[1::2]]):
        signed = accounts.sign_in(Role.SURVEYOR, "SZ")
        tracking.duty(signed, True, tracking.at(hours=-1))
        for batch in order:
            tracking.post(signed, batch)
        marks.append([r.implausible for r in stored(signed.user.id)])
    assert marks[0] == marks[1] == marks[2]
    assert [i for i, mark in enumerate(marks[0]) if mark] == [4, 9]


def test_off_duty_fixes_are_counted_and_not_stored(accounts, tracking):
    signed = accounts.sign_in(Role.SURVEYOR, "SZ")
    response = tracking.post(signed, tracking.drive(tracking.at(minutes=-5), 3))
    assert response.status_code == 200
    assert response.json == {"accepted": 0, "duplicate": 0, "off_duty": 3, "rejected": []}
    assert stored(signed.user.id) == []


def test_fixes_buffered_on_duty_are_kept_after_the_shift(accounts, tracking, clock):
    signed = accounts.sign_in(Role.SURVEYOR, "SZ")
    start = tracking.at(hours=-3)
    tracking.duty(signed, True, start)
    tracking.duty(signed, False, start + timedelta(hours=1))
    on_shift = tracking.drive(start + timedelta(minutes=30), 3)
    after_shift = tracking.drive(start + timedelta(hours=1), 2)
    response = tracking.post(signed, on_shift + after_shift)
    assert response.json["accepted"] == 3 and response.json["off_duty"] == 2
    assert [iso(r.device_time) for r in stored(signed.user.id)] == [f["device_time"] for f in on_shift]


def test_a_fix_off_duty_during_an_open_dispatch_is_kept(accounts, tracking, monkeypatch):
    signed = accounts.sign_in(Role.SURVEYOR, "SZ")
    opened = tracking.at(minutes=-10)
    windows = {signed.user.id: [(opened, opened + timedelta(minutes=5))]}
    monkeypatch.setattr(arrival, "active_dispatch_windows", lambda session, ids, since: windows)
    fixes = tracking.drive(tracking.at(minutes=-12), 5, every_s=120)
    response = tracking.post(signed, fixes)
    assert response.json["accepted"] == 3 and response.json["off_duty"] == 2
    assert [iso(r.device_time) for r in stored(signed.user.id)] == [f["device_time"] for f in fixes[1:4]]


def test_arrival_is_re_evaluated_once_per_batch_from_its_earliest_new_fix(surveyor, tracking, monkeypatch, clock):
    calls = []
    monkeypatch.setattr(arrival, "evaluate_fixes", lambda session, **kwargs: calls.append(kwargs))
    fixes = tracking.drive(tracking.at(minutes=-5), 6)
    tracking.post(surveyor, fixes[3:])
    tracking.post(surveyor, fixes)
    tracking.post(surveyor, fixes)
    earliest = [iso(call["earliest"]) for call in calls]
    assert earliest == [fixes[3]["device_time"], fixes[0]["device_time"]]
    assert calls[0]["surveyor_id"] == surveyor.user.id and calls[0]["now"] == clock.now()


def test_the_latest_position_follows_the_newest_plausible_fix(surveyor, tracking):
    fixes = tracking.drive(tracking.at(minutes=-5), 6)
    tracking.post(surveyor, fixes[3:5])
    tracking.post(surveyor, fixes[:3])
    latest = db.session.get(LatestPosition, surveyor.user.id)
    assert iso(latest.device_time) == fixes[4]["device_time"] and latest.lat == fixes[4]["lat"]
    tracking.post(surveyor, [dict(fixes[5], lat=fixes[5]["lat"] + 1)])
    db.session.expire_all()
    assert iso(db.session.get(LatestPosition, surveyor.user.id).device_time) == fixes[4]["device_time"]


def test_coordinates_are_stored_in_the_canonical_datum(surveyor, tracking):
    gcj = convert(*FUTIAN, Datum.WGS84, Datum.GCJ02)
    tracking.post(surveyor, [tracking.fix(tracking.at(minutes=-1), *gcj)], crs="gcj02")
    row = stored(surveyor.user.id)[0]
    assert row.lat == pytest.approx(FUTIAN[0], abs=1e-7) and row.lon == pytest.approx(FUTIAN[1], abs=1e-7)


def test_a_devices_default_datum_applies_when_the_request_names_none(surveyor, tracking):
    device_id, _ = tracking.device(surveyor, "app", crs="bd09")
    bd = convert(*FUTIAN, Datum.WGS84, Datum.BD09)
    tracking.post(surveyor, [tracking.fix(tracking.at(minutes=-2), *bd)], device_id=device_id)
    tracking.post(surveyor, [tracking.fix(tracking.at(minutes=-1), *FUTIAN)], device_id=device_id, crs="wgs84")
    rows = stored(surveyor.user.id)
    for row in rows:
        assert row.lat == pytest.approx(FUTIAN[0], abs=1e-7) and row.lon == pytest.approx(FUTIAN[1], abs=1e-7)
    assert {row.device_id for row in rows} == {device_id}


def test_only_the_callers_active_devices_may_be_named(accounts, surveyor, tracking):
    other = accounts.sign_in(Role.SURVEYOR, "SZ")
    theirs, _ = tracking.device(other, "app")
    response = tracking.post(surveyor, [tracking.fix(tracking.at(minutes=-1))], device_id=theirs)
    assert response.status_code == 422 and "device_id" in response.json["errors"]
    assert stored(surveyor.user.id) == []


def test_a_surveyor_cannot_post_for_another_surveyor(accounts, surveyor, tracking):
    other = accounts.sign_in(Role.SURVEYOR, "SZ")
    tracking.duty(other, True, tracking.at(hours=-1))
    response = tracking.post(surveyor, [tracking.fix(tracking.at(minutes=-1))], surveyor_id=other.user.id)
    assert response.status_code == 403
    assert stored(other.user.id) == [] and stored(surveyor.user.id) == []
    own = tracking.post(surveyor, [tracking.fix(tracking.at(minutes=-1))], surveyor_id=surveyor.user.id)
    assert own.json["accepted"] == 1


GOOD = {"device_time": "2026-07-01T01:59:00+00:00", "lat": 22.54, "lon": 114.05, "accuracy": 5}
MALFORMED = {
    "fixes is not a list": {"fixes": {"0": GOOD}},
    "more than 500 fixes": {"fixes": [GOOD] * 501},
    "a fix is not an object": {"fixes": [GOOD, [22.5, 114.0]]},
    "lat is a string": {"fixes": [GOOD, dict(GOOD, lat="22.5")]},
    "lon is a boolean": {"fixes": [GOOD, dict(GOOD, lon=True)]},
    "accuracy is missing": {"fixes": [GOOD, {k: v for k, v in GOOD.items() if k != "accuracy"}]},
    "accuracy is negative": {"fixes": [GOOD, dict(GOOD, accuracy=-1)]},
    "battery is a percentage": {"fixes": [GOOD, dict(GOOD, battery=80)]},
    "the time has no offset": {"fixes": [GOOD, dict(GOOD, device_time="2026-07-01T01:59:00")]},
    "the time is a number": {"fixes": [GOOD, dict(GOOD, device_time=1782871140)]},
    "an unknown field": {"fixes": [GOOD, dict(GOOD, altitud=3)]},
    "an unknown datum": {"fixes": [GOOD], "crs": "utm"},
    "fixes are missing": {"crs": "wgs84"},
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_batch_is_refused_and_nothing_is_saved(surveyor, client, body):
    response = client.post("/api/v1/positions", headers=surveyor.headers, json=body)
    assert response.status_code == 422, response.json
    assert response.json["errors"]["json"]
    assert stored(surveyor.user.id) == []


def test_the_errors_name_the_fix_and_field_at_fault(surveyor, client):
    body = {"fixes": [GOOD, dict(GOOD, lat="north"), dict(GOOD, heading=400)]}
    errors = client.post("/api/v1/positions", headers=surveyor.headers, json=body).json["errors"]["json"]
    assert errors == {"fixes": {"1": {"lat": ["Not a valid number."]},
                                "2": {"heading": ["Must be between 0 and 360."]}}}


def test_a_body_that_is_not_json_is_refused(surveyor, client):
    response = client.post("/api/v1/positions", headers={**surveyor.headers, "Content-Type": "application/json"},
                           data="[{not json")
    assert response.status_code in (400, 422)
    assert stored(surveyor.user.id) == []


def test_a_batch_that_fails_midway_leaves_nothing_behind(surveyor, client, tracking, monkeypatch):
    def broken(session, **kwargs):
        raise RuntimeError("arrival evaluation failed")

    monkeypatch.setattr(arrival, "evaluate_fixes", broken)
    response = tracking.post(surveyor, tracking.drive(tracking.at(minutes=-5), 5))
    assert response.status_code == 500
    db.session.rollback()
    assert stored(surveyor.user.id) == [] and db.session.get(LatestPosition, surveyor.user.id) is None
    monkeypatch.undo()
    assert tracking.post(surveyor, tracking.drive(tracking.at(minutes=-5), 5)).json["accepted"] == 5


@pytest.mark.skipif(bool(POSTGRES_URL), reason="only SQLite reads a batch's plan before its transaction writes")
def test_a_batch_planned_before_another_request_stored_its_fixes_is_planned_again_while_writing(
        app, surveyor, tracking, monkeypatch):
    fixes = tracking.drive(tracking.at(minutes=-20), 10)
    plan = ingest._plan
    other: list[dict] = []

    def another_request_stores_them_after_this_plan(*args, **kwargs):
        planned = plan(*args, **kwargs)
        monkeypatch.setattr(ingest, "_plan", plan)  # the other request, and this one's second plan, as they are
        other.append(app.test_client().post("/api/v1/positions", headers=surveyor.headers,
                                            json={"fixes": fixes}).json)
        return planned

    monkeypatch.setattr(ingest, "_plan", another_request_stores_them_after_this_plan)
    answer = tracking.post(surveyor, fixes).json
    assert other[0]["accepted"] == 10
    assert (answer["accepted"], answer["duplicate"]) == (0, 10)
    assert len(stored(surveyor.user.id)) == 10


def test_every_rejection_reason_is_documented():
    assert {ingest.OUT_OF_RANGE, ingest.NULL_ISLAND, ingest.IN_FUTURE, ingest.TOO_OLD} == set(REJECTION_REASONS)


def test_the_latest_positions_are_scoped_like_their_surveyors(app, accounts, tracking):
    mine = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    theirs = accounts.sign_in(Role.SURVEYOR, "GZ")
    for signed in (mine, theirs):
        tracking.duty(signed, True, tracking.at(hours=-1))
        tracking.post(signed, [tracking.fix(tracking.at(minutes=-1))])
    coordinator = accounts.user(Role.COORDINATOR, "SZ")
    actor = actor_for(db.session, coordinator)
    assert [p.surveyor_id for p in db.session.scalars(latest_positions(db.session, actor=actor))] == [mine.user.id]


def test_the_same_batch_posted_twice_at_once_is_stored_once(app, surveyor, tracking):
    fixes = tracking.drive(tracking.at(minutes=-20), 100)
    clients = [app.test_client() for _ in range(2)]
    db.session.rollback()  # the test's own session must not hold SQLite's write lock while the threads post
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda c: c.post("/api/v1/positions", headers=surveyor.headers,
                                                 json={"fixes": fixes}).json, clients))
    assert sorted(a["accepted"] for a in answers) == [0, 100]
    assert sum(a["duplicate"] for a in answers) == 100
    assert len(stored(surveyor.user.id)) == 100
