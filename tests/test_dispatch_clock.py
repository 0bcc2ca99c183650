"""Article 10 C1: contact within 5 minutes, arrival within 30 (urban) / 90 (suburban) minutes or at the agreed time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from field_api.accounts.models import Role
from field_api.dispatch.models import Line
from tests.factories.dispatch import BAOAN_AIRPORT, FUTIAN_CIVIC_CENTER, HONG_KONG

SITE_FIX = {"lat": FUTIAN_CIVIC_CENTER[0], "lon": FUTIAN_CIVIC_CENTER[1], "crs": "gcj02", "accuracy": 10}


@pytest.fixture
def desk(accounts, dispatching):
    dispatching.shenzhen_zones()
    return accounts.sign_in(Role.COORDINATOR, "SZ")


@pytest.fixture
def surveyor(accounts):
    return accounts.sign_in(Role.SURVEYOR, "SZ-FT")


def test_a_motor_on_site_dispatch_owes_contact_in_5_and_urban_arrival_in_30_minutes(dispatching, desk, surveyor):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    start = dispatching.now
    assert d["contact"]["state"] == "pending" and d["contact"]["minutes_left"] == 5.0
    assert d["contact"]["due_at"] == (start + timedelta(minutes=5)).isoformat()
    assert d["arrival"]["due_at"] == (start + timedelta(minutes=30)).isoformat()
    assert d["case"]["coverage"] == "urban"


def test_suburban_sites_get_90_minutes(dispatching, desk, surveyor):
    d = dispatching.dispatch(dispatching.case(at=BAOAN_AIRPORT), surveyor, desk)
    assert d["arrival"]["minutes_left"] == 90.0


def test_contact_is_met_when_the_call_comes_within_five_minutes(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    clock.advance(minutes=4)
    response = dispatching.event(d["id"], surveyor, "contacted")
    assert response.status_code == 201
    assert response.json["contact"]["state"] == "met"


def test_contact_is_missed_after_five_minutes_without_a_call(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    clock.advance(minutes=5)
    assert dispatching.get(d["id"], desk)["contact"]["state"] == "pending", "the fifth minute still counts"
    clock.advance(seconds=30)
    assert dispatching.get(d["id"], desk)["contact"]["state"] == "missed"
    late = dispatching.event(d["id"], surveyor, "contacted").json
    assert late["contact"]["state"] == "missed"
    assert late["contact"]["minutes_left"] == -0.5


def test_a_check_in_at_the_site_before_the_due_time_meets_the_arrival_clock(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    clock.advance(minutes=25)
    response = dispatching.event(d["id"], surveyor, "arrived", fix=SITE_FIX)
    assert response.status_code == 201, response.json
    assert response.json["arrival"]["state"] == "met"
    assert response.json["arrival_source"] == "check_in"


def test_a_check_in_far_from_the_site_is_refused(dispatching, desk, surveyor):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    far = {**SITE_FIX, "lat": FUTIAN_CIVIC_CENTER[0] + 0.01}
    response = dispatching.event(d["id"], surveyor, "arrived", fix=far)
    assert response.status_code == 422
    assert "fix" in response.json["errors"]
    assert dispatching.get(d["id"], desk)["arrived_at"] is None


def test_site_entered_in_gcj02_and_a_check_in_wrongly_declared_wgs84_misses_by_600_metres(dispatching, desk, surveyor):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    response = dispatching.event(d["id"], surveyor, "arrived", fix={**SITE_FIX, "crs": "wgs84"})
    assert response.status_code == 422


def test_arriving_after_30_minutes_is_missed(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    clock.advance(minutes=30)
    assert dispatching.get(d["id"], desk)["arrival"]["state"] == "pending"
    clock.advance(seconds=1)
    assert dispatching.get(d["id"], desk)["arrival"]["state"] == "missed"
    late = dispatching.event(d["id"], surveyor, "arrived", fix=SITE_FIX).json
    assert late["arrival"]["state"] == "missed"
    assert late["arrival"]["with_notice"] is False


def test_a_late_notice_given_in_advance_is_reported_as_late_with_notice(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    clock.advance(minutes=20)
    notice = dispatching.event(d["id"], surveyor, "late_notice", reason="traffic on Shennan Road",
                               new_eta=(clock.now() + timedelta(minutes=20)).isoformat())
    assert notice.status_code == 201, notice.json
    assert notice.json["arrival"]["due_at"] == d["arrival"]["due_at"], "a notice never moves the due time"
    clock.advance(minutes=15)
    arrived = dispatching.event(d["id"], surveyor, "arrived", fix=SITE_FIX).json
    assert arrived["arrival"]["state"] == "missed"
    assert arrived["arrival"]["with_notice"] is True


def test_a_late_notice_after_the_due_time_is_not_in_advance_and_is_refused(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    clock.advance(minutes=31)
    response = dispatching.event(d["id"], surveyor, "late_notice", reason="traffic",
                                 new_eta=(clock.now() + timedelta(minutes=5)).isoformat())
    assert response.status_code == 422
    assert "device_time" in response.json["errors"]


def test_inside_coverage_an_agreed_time_never_moves_the_30_minute_due_time(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    clock.advance(minutes=2)
    later = (clock.now() + timedelta(hours=2)).isoformat()
    response = dispatching.event(d["id"], surveyor, "agreed_time", agreed_time=later)
    assert response.status_code == 201
    assert response.json["arrival"]["due_at"] == d["arrival"]["due_at"]
    assert response.json["agreed_arrival_at"] == later


def test_outside_coverage_the_agreed_time_becomes_the_due_time(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(at=HONG_KONG), surveyor, desk)
    assert d["case"]["coverage"] == "outside"
    assert d["arrival"]["state"] == "pending" and d["arrival"]["no_time_agreed"] is True
    clock.advance(minutes=3)
    agreed = clock.now() + timedelta(minutes=120)
    response = dispatching.event(d["id"], surveyor, "agreed_time", agreed_time=agreed.isoformat())
    assert response.json["arrival"]["due_at"] == agreed.isoformat()
    clock.advance(minutes=100)
    assert dispatching.get(d["id"], desk)["arrival"]["state"] == "pending"
    clock.advance(minutes=21)
    assert dispatching.get(d["id"], desk)["arrival"]["state"] == "missed"


def test_outside_coverage_without_an_agreed_time_in_the_contact_window_the_arrival_is_missed(
        dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(at=HONG_KONG), surveyor, desk)
    clock.advance(minutes=5, seconds=1)
    arrival = dispatching.get(d["id"], desk)["arrival"]
    assert arrival["state"] == "missed" and arrival["no_time_agreed"] is True


def test_property_waits_for_the_agreed_time_and_has_no_five_minute_rule(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(line=Line.PROPERTY), surveyor, desk)
    assert d["contact"] is None
    assert d["arrival"]["no_time_agreed"] is True
    clock.advance(hours=3)
    assert dispatching.get(d["id"], desk)["arrival"]["state"] == "pending"
    agreed = clock.now() + timedelta(hours=1)
    dispatching.event(d["id"], surveyor, "contacted")
    response = dispatching.event(d["id"], surveyor, "agreed_time", agreed_time=agreed.isoformat())
    assert response.json["contacted_at"] is not None
    assert response.json["arrival"]["due_at"] == agreed.isoformat()
    second = dispatching.event(d["id"], surveyor, "agreed_time", agreed_time=(agreed + timedelta(hours=1)).isoformat())
    assert second.status_code == 409, "a delay after agreeing is a late notice"


def test_a_case_that_needs_no_on_site_survey_has_no_clocks(dispatching, desk, surveyor):
    d = dispatching.dispatch(dispatching.case(on_site=False), surveyor, desk)
    assert d["contact"] is None and d["arrival"] is None


def test_a_re_dispatch_keeps_the_clocks_of_the_first_dispatch(accounts, dispatching, desk, surveyor, clock):
    case = dispatching.case()
    first = dispatching.dispatch(case, surveyor, desk)
    clock.advance(minutes=10)
    other = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    second = dispatching.dispatch(case, other, desk)
    assert second["is_first"] is False
    assert second["arrival"]["due_at"] == first["arrival"]["due_at"]
    assert second["contact"]["state"] == "missed", "the customer has waited since the first dispatch"
    assert dispatching.get(first["id"], desk)["status"] == "reassigned"


def test_cancelling_before_the_due_time_ends_the_clocks_as_cancelled(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    clock.advance(minutes=2)
    cancelled = dispatching.client.post(f"/api/v1/dispatches/{d['id']}/cancel", json={"reason": "duplicate report"},
                                        headers=desk.headers).json
    assert cancelled["contact"]["state"] == "cancelled" and cancelled["arrival"]["state"] == "cancelled"
    clock.advance(hours=1)
    assert dispatching.get(d["id"], desk)["arrival"]["state"] == "cancelled"


def test_cancelling_never_turns_a_missed_clock_into_anything_else(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    clock.advance(minutes=6)
    cancelled = dispatching.client.post(f"/api/v1/dispatches/{d['id']}/cancel", json={"reason": "customer left"},
                                        headers=desk.headers).json
    assert cancelled["contact"]["state"] == "missed"
    assert cancelled["arrival"]["state"] == "cancelled"


def test_only_a_coordinator_cancels(dispatching, desk, surveyor):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    response = dispatching.client.post(f"/api/v1/dispatches/{d['id']}/cancel", json={"reason": "x"},
                                       headers=surveyor.headers)
    assert response.status_code == 403


def test_a_missed_deadline_is_excused_only_with_an_objective_cause(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    url = f"/api/v1/dispatches/{d['id']}/excusals"
    early = dispatching.client.post(url, json={"clock": "contact", "cause": "traffic", "note": "n"},
                                    headers=desk.headers)
    assert early.status_code == 409, "nothing is missed yet"
    clock.advance(minutes=6)
    bad = dispatching.client.post(url, json={"clock": "contact", "cause": "overslept", "note": "n"},
                                  headers=desk.headers)
    assert bad.status_code == 422
    ok = dispatching.client.post(url, json={"clock": "contact", "cause": "communication_outage",
                                            "note": "base station down in Futian"}, headers=desk.headers)
    assert ok.status_code == 201
    assert ok.json["contact"]["state"] == "excused"


def test_device_times_are_capped_at_receipt_and_far_future_ones_refused(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    clock.advance(minutes=6)
    ahead = dispatching.event(d["id"], surveyor, "contacted", device_time=clock.now() + timedelta(minutes=6))
    assert ahead.status_code == 422 and "device_time" in ahead.json["errors"]
    slightly = dispatching.event(d["id"], surveyor, "contacted", device_time=clock.now() + timedelta(minutes=3))
    assert slightly.json["contacted_at"] == clock.now().isoformat()


def test_an_event_dated_before_the_dispatch_is_refused(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    response = dispatching.event(d["id"], surveyor, "arrived", device_time=clock.now() - timedelta(minutes=30),
                                 fix=SITE_FIX)
    assert response.status_code == 422


def test_a_retried_event_changes_nothing(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    event_id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    first = dispatching.event(d["id"], surveyor, "contacted", event_id=event_id)
    clock.advance(minutes=1)
    again = dispatching.event(d["id"], surveyor, "contacted", event_id=event_id)
    assert again.status_code == 201
    assert again.json["contacted_at"] == first.json["contacted_at"]
    timeline = dispatching.client.get(f"/api/v1/dispatches/{d['id']}/timeline", headers=desk.headers).json
    assert [e["kind"] for e in timeline].count("contacted") == 1


def test_another_surveyor_cannot_record_events_on_my_dispatch(accounts, dispatching, desk, surveyor):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    intruder = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    assert dispatching.event(d["id"], intruder, "contacted").status_code == 404


def test_completing_needs_an_arrival_and_closes_the_dispatch(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    assert dispatching.event(d["id"], surveyor, "completed").status_code == 409
    dispatching.event(d["id"], surveyor, "arrived", fix=SITE_FIX)
    done = dispatching.event(d["id"], surveyor, "completed")
    assert done.json["status"] == "completed"
    assert dispatching.event(d["id"], surveyor, "contacted").status_code == 409


def test_the_timeline_lists_every_event_in_order(dispatching, desk, surveyor, clock):
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    clock.advance(minutes=3)
    dispatching.event(d["id"], surveyor, "contacted")
    clock.advance(minutes=10)
    dispatching.event(d["id"], surveyor, "arrived", fix=SITE_FIX)
    kinds = [e["kind"] for e in dispatching.client.get(f"/api/v1/dispatches/{d['id']}/timeline",
                                                       headers=desk.headers).json]
    assert kinds[0] == "dispatched"
    assert kinds.index("contacted") < kinds.index("arrived")
    assert "clock" in kinds


def test_coordinators_list_open_dispatches_of_their_branch(accounts, dispatching, desk, surveyor):
    mine = dispatching.dispatch(dispatching.case(), surveyor, desk)
    response = dispatching.client.get("/api/v1/dispatches?state=open&branch=SZ", headers=desk.headers)
    assert [d["id"] for d in response.json] == [mine["id"]]
    outsider = accounts.sign_in(Role.COORDINATOR, "GZ")
    assert dispatching.client.get(f"/api/v1/dispatches/{mine['id']}", headers=outsider.headers).status_code == 404
    assert dispatching.client.get("/api/v1/dispatches", headers=outsider.headers).json == []


def test_a_surveyor_sees_only_their_own_dispatches_and_cases(accounts, dispatching, desk, surveyor):
    mine = dispatching.dispatch(dispatching.case(), surveyor, desk)
    other = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    dispatching.dispatch(dispatching.case(), other, desk)
    assert [d["id"] for d in dispatching.client.get("/api/v1/dispatches", headers=surveyor.headers).json] == [mine["id"]]
    assert [c["id"] for c in dispatching.client.get("/api/v1/cases", headers=surveyor.headers).json] == [
        mine["case"]["id"]]


def test_dispatching_needs_an_active_surveyor_of_the_coordinators_branches(accounts, dispatching, desk):
    case = dispatching.case()
    salesperson = accounts.sign_in(Role.SALESPERSON, "SZ")
    outsider = accounts.sign_in(Role.SURVEYOR, "GZ")
    for who in (salesperson, outsider):
        response = dispatching.client.post("/api/v1/dispatches", json={"case_id": case.id,
                                                                       "surveyor_id": who.user.id},
                                           headers=desk.headers)
        assert response.status_code == 422 and "surveyor_id" in response.json["errors"]
