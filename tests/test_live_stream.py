"""The live stream: tickets, positions and dispatch events as they happen, clocks when they turn, resuming."""

from __future__ import annotations

import time

import pytest

from field_api.accounts.models import Role
from field_api.dispatch.jobs import tick_clocks
from field_api.extensions import db
from field_api.live import stream as live_stream
from field_api.worker.service import run_once
from geo.datum import Datum, convert
from tests.factories.tracking import FUTIAN
from tests.test_live_map import on_duty


@pytest.fixture
def desk(accounts, dispatching):
    dispatching.shenzhen_zones()
    return accounts.sign_in(Role.COORDINATOR, "SZ")


def post_fix(tracking, surveyor, lat=FUTIAN[0] + 0.001, lon=FUTIAN[1], seconds=0):
    response = tracking.post(surveyor, [tracking.fix(tracking.at(seconds=seconds), lat, lon, battery=0.5)])
    assert response.status_code == 200 and response.json["accepted"] == 1, response.json
    return response


def test_a_ticket_opens_the_stream_once_and_only_once(live, desk):
    ticket = live.ticket(desk)
    stream = live.stream(ticket=ticket)
    assert stream.status_code == 200
    assert stream.response.mimetype == "text/event-stream"
    assert stream.next().name == "ready"
    again = live.stream(ticket=ticket)
    assert again.status_code == 401


def test_a_ticket_expires_within_seconds(live, desk, clock, app):
    ticket = live.ticket(desk)
    clock.advance(seconds=app.config["LIVE_TICKET_TTL_S"] + 1)
    assert live.stream(ticket=ticket).status_code == 401


def test_a_ticket_dies_with_the_sign_in_it_was_traded_for(live, desk, client):
    ticket = live.ticket(desk)
    assert client.delete("/api/v1/auth/token", headers=desk.headers).status_code == 204
    assert live.stream(ticket=ticket).status_code == 401


def test_a_forged_ticket_is_refused(live):
    assert live.stream(ticket="forged").status_code == 401


def test_field_staff_get_no_ticket(accounts, client):
    surveyor = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    assert client.post("/api/v1/live/tickets", headers=surveyor.headers).status_code == 403


def test_programs_may_open_the_stream_with_the_bearer_header_instead(live, desk):
    stream = live.stream(headers=desk.headers)
    assert stream.next().name == "ready"


def test_a_position_posted_reaches_the_streams_of_the_surveyors_branches_only(accounts, tracking, live, desk):
    surveyor = on_duty(accounts, tracking)
    other_branch = live.stream(accounts.sign_in(Role.COORDINATOR, "GZ"))
    stream = live.stream(desk)
    stream.next()
    other_branch.next()

    post_fix(tracking, surveyor, lat=FUTIAN[0] + 0.002)

    position = stream.position_of(surveyor.user.id)
    assert position["coordinates"] == [FUTIAN[1], round(FUTIAN[0] + 0.002, 7)]
    assert position["battery"] == 0.5
    seen = other_branch.heartbeats(5)
    assert not [e for e in seen if e.name == "positions"]


def test_positions_come_in_the_datum_the_stream_asked_for(accounts, tracking, live, desk):
    surveyor = on_duty(accounts, tracking)
    stream = live.stream(desk, crs="gcj02")
    stream.next()
    post_fix(tracking, surveyor, lat=FUTIAN[0], lon=FUTIAN[1])
    lat, lon = convert(*FUTIAN, Datum.WGS84, Datum.GCJ02)
    assert stream.position_of(surveyor.user.id)["coordinates"] == pytest.approx([lon, lat], abs=1e-7)


def test_a_dispatch_reaches_the_stream_with_the_site_and_the_surveyor_en_route(accounts, tracking, dispatching, live,
                                                                                desk):
    surveyor = on_duty(accounts, tracking)
    stream = live.stream(desk)
    stream.next()
    case = dispatching.case()
    created = stream.change("case.created")
    assert created.data["case"]["properties"]["case_id"] == case.id
    assert created.data["case"]["properties"]["dispatch"] is None

    dispatch = dispatching.dispatch(case, surveyor, desk)
    change = stream.change("dispatch.created")
    assert change.data["message"]["dispatch_id"] == dispatch["id"]
    assert change.data["case"]["properties"]["dispatch"]["arrival"]["state"] == "pending"
    assert change.data["surveyor"]["properties"]["state"] == "en_route"
    assert change.data["surveyor"]["geometry"]["coordinates"] == [FUTIAN[1], FUTIAN[0]]


def test_a_clock_turning_missed_reaches_the_stream_when_the_worker_moves_it_without_any_fix(
        app, accounts, tracking, dispatching, live, desk, clock):
    surveyor = on_duty(accounts, tracking)
    dispatch = dispatching.dispatch(dispatching.case(), surveyor, desk)
    stream = live.stream(desk)
    stream.next()
    clock.advance(minutes=5, seconds=1)
    with app.app_context():
        assert run_once(db.session, now=clock.now(), jobs=[tick_clocks]) == 1

    change = stream.change("clock.changed")
    assert change.data["message"]["dispatch_id"] == dispatch["id"]
    assert (change.data["message"]["clock"], change.data["message"]["to"]) == ("contact", "missed")
    assert change.data["case"]["properties"]["dispatch"]["contact"]["state"] == "missed"


def test_the_heartbeat_carries_the_servers_time(live, desk, clock):
    stream = live.stream(desk)
    assert stream.next().data["now"] == clock.now().isoformat()
    clock.advance(minutes=31)
    heartbeat = stream.until(lambda e: e.name == "time")
    assert heartbeat.data["now"] == clock.now().isoformat()


def test_a_reconnecting_stream_resumes_after_its_last_event_without_a_gap(accounts, tracking, dispatching, live,
                                                                          desk):
    surveyor = on_duty(accounts, tracking)
    first = live.stream(desk)
    first.next()
    case = dispatching.case()
    first.change("case.created")
    first.close()

    dispatch = dispatching.dispatch(case, surveyor, desk)  # while disconnected
    post_fix(tracking, surveyor, lat=FUTIAN[0] + 0.003)

    resumed = live.stream(desk, last_event_id=first.last_id)
    assert resumed.next().data["resumed"] is True
    missed = resumed.change("dispatch.created")
    assert missed.data["message"]["dispatch_id"] == dispatch["id"]
    # The catch-up and the live feed may hand these over in either order; both arrive.
    positions = [p for e in resumed.seen if e.name == "positions" for p in e.data if p["surveyor_id"] == surveyor.user.id]
    position = positions[-1] if positions else resumed.position_of(surveyor.user.id)
    assert position["coordinates"][1] == round(FUTIAN[0] + 0.003, 7)
    topics = [e.data["topic"] for e in resumed.seen if e.name == "change"]
    assert "case.created" not in topics, "what the first stream sent is not sent again"


def test_the_last_event_id_header_wins_over_the_query(accounts, dispatching, live, desk, client):
    stream = live.stream(desk)
    stream.next()
    dispatching.case()
    stream.change("case.created")
    stream.close()
    dispatching.case()
    response = client.get("/api/v1/live/stream", query_string={"ticket": live.ticket(desk), "last_event_id": "0-0"},
                          headers={"Last-Event-ID": stream.last_id}, buffered=False)
    from tests.factories.live import EventStream

    resumed = EventStream(response)
    live.streams.append(resumed)
    assert resumed.next().name == "ready"
    assert [e.data["topic"] for e in resumed.heartbeats(3) if e.name == "change"] == ["case.created"]


def test_the_maps_last_event_id_opens_the_stream_right_after_the_map(accounts, tracking, dispatching, live, desk):
    surveyor = on_duty(accounts, tracking)
    collection = live.map(desk)
    case = dispatching.case()  # between reading the map and opening the stream
    stream = live.stream(desk, last_event_id=collection["last_event_id"])
    stream.next()
    assert stream.change("case.created").data["case"]["properties"]["case_id"] == case.id
    post_fix(tracking, surveyor)
    assert stream.position_of(surveyor.user.id)


def test_a_stream_ends_when_its_sign_in_is_revoked(live, desk, client):
    stream = live.stream(desk)
    stream.next()
    assert client.delete("/api/v1/auth/token", headers=desk.headers).status_code == 204
    assert stream.until(lambda e: e.name == "end").data["reason"]
    with pytest.raises(StopIteration):
        stream.next()


def test_a_stream_writes_at_most_every_flush_interval_and_sends_what_came_meanwhile_in_one_write(
        accounts, tracking, live, desk, monkeypatch):
    monkeypatch.setattr(live_stream, "FLUSH_S", 0.3)
    surveyor = on_duty(accounts, tracking)
    colleague = on_duty(accounts, tracking, fix=(FUTIAN[0] + 0.01, FUTIAN[1]))
    stream = live.stream(desk)
    stream.next()
    post_fix(tracking, surveyor, lat=FUTIAN[0] + 0.002, seconds=-20)
    assert stream.position_of(surveyor.user.id)
    written = time.monotonic()
    post_fix(tracking, surveyor, lat=FUTIAN[0] + 0.003, seconds=-10)
    post_fix(tracking, colleague, lat=FUTIAN[0] + 0.011, seconds=-10)
    event = stream.until(lambda e: e.name == "positions")
    assert time.monotonic() - written >= 0.3 - 0.01
    assert sorted(p["surveyor_id"] for p in event.data) == sorted([surveyor.user.id, colleague.user.id])


def test_an_event_is_encoded_once_per_datum_for_all_the_streams_that_send_it(accounts, tracking, live, desk,
                                                                            monkeypatch):
    encoded = []
    monkeypatch.setattr(live_stream, "_json", lambda data, encode=live_stream._json: encoded.append(data) or
                        encode(data))
    surveyor = on_duty(accounts, tracking)
    streams = [live.stream(desk), live.stream(desk), live.stream(desk, crs="gcj02")]
    for stream in streams:
        stream.next()
    post_fix(tracking, surveyor, lat=FUTIAN[0] + 0.002)
    wgs84, _, gcj02 = [stream.position_of(surveyor.user.id)["coordinates"] for stream in streams]
    assert wgs84 == [FUTIAN[1], round(FUTIAN[0] + 0.002, 7)] and gcj02 != wgs84
    assert [e["coordinates"] for e in encoded if e.get("surveyor_id") == surveyor.user.id] == [wgs84, gcj02]


def test_a_stream_that_falls_behind_is_dropped_to_resync_and_never_holds_up_posting(app, accounts, tracking, live,
                                                                                   desk):
    surveyor = on_duty(accounts, tracking)
    app.extensions["live"].hub.queue_size = 2
    slow = live.stream(desk)
    slow.next()  # subscribed; now it reads nothing while positions pour in
    for second in range(1, 6):
        post_fix(tracking, surveyor, lat=FUTIAN[0] + second * 0.0001, seconds=-25 + second)
    assert app.extensions["live"].hub.listeners == 0
    assert slow.until(lambda e: e.name == "resync").data["reason"] == "the stream fell behind"


def test_a_reconnect_that_missed_too_much_is_told_to_reload_the_map(app, accounts, dispatching, live, desk,
                                                                     monkeypatch):
    monkeypatch.setattr("field_api.live.changes.REPLAY_LIMIT", 2)
    first = live.stream(desk)
    first.next()
    first.close()
    app.extensions["live"].stop()  # the feed restarts with the next stream, where the outbox stands then
    for _ in range(3):
        dispatching.case()
    resumed = live.stream(desk, last_event_id=first.last_id)
    assert resumed.next().name == "resync"


def test_a_stream_for_a_branch_outside_the_callers_is_not_found(accounts, live, desk):
    accounts.branch("GZ")
    assert live.stream(desk, branch="GZ").status_code == 404


def test_a_stream_closes_after_its_lifetime_and_the_browser_resumes_it(app, live, desk):
    app.config["LIVE_STREAM_MAX_S"] = 0.05
    stream = live.stream(desk)
    ready = stream.next()
    with pytest.raises(StopIteration):
        while True:
            stream.next()
    assert live.stream(desk, last_event_id=ready.id).next().data["resumed"] is True
