"""Article 10 C7: the half-hourly care-callback list, its calls, and answers that contradict the clocks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from field_api.accounts.models import Role
from field_api.audit.models import AuditEvent
from field_api.board.followups import extract_followups
from field_api.dispatch.models import Line
from field_api.extensions import db


@pytest.fixture
def desk(accounts, dispatching):
    """SZ's zones, a coordinator and a surveyor."""
    dispatching.shenzhen_zones()
    return accounts.sign_in(Role.COORDINATOR, "SZ"), accounts.sign_in(Role.SURVEYOR, "SZ-FT")


@pytest.fixture
def batch(app, accounts, dispatching, desk, clock):
    """At 10:00 local: a dispatch with a missed contact, one contacted in time, a report never dispatched and a
    property case; the extraction runs at 11:00 and takes the 10:00-10:30 window."""
    coordinator, surveyor = desk
    missed = dispatching.case()
    dispatching.dispatch(missed, surveyor, coordinator)
    called = dispatching.case()
    careful = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    dispatch = dispatching.dispatch(called, careful, coordinator)
    assert dispatching.event(dispatch["id"], careful, "contacted").status_code == 201
    undispatched = dispatching.case()
    dispatching.case(line=Line.PROPERTY)
    clock.advance(hours=1)
    with app.app_context():
        assert extract_followups(db.session, clock.now()) == 3
    return {"missed": missed, "called": called, "undispatched": undispatched}


def _worklist(client, who, **query):
    response = client.get("/api/v1/followups", query_string={"branch": "SZ", **query}, headers=who.headers)
    assert response.status_code == 200, response.json
    return {row["case_id"]: row for row in response.json}


def test_the_followup_list_shows_a_missed_contact_and_an_undispatched_case_to_the_chief(client, desk, batch):
    coordinator, surveyor = desk
    rows = _worklist(client, coordinator)
    missed, called, undispatched = (rows[batch[k].id] for k in ("missed", "called", "undispatched"))
    assert (missed["reason"], missed["contact"]["state"], missed["for_chief"]) == ("dispatched", "missed", True)
    assert missed["customer_phone"] == "13500000000" and missed["surveyor"]["id"] == surveyor.user.id
    assert (called["contact"]["state"], called["for_chief"]) == ("met", False)
    assert (undispatched["reason"], undispatched["surveyor"], undispatched["for_chief"]) == ("no_dispatch", None, True)
    assert set(_worklist(client, coordinator, for_chief="true")) == {batch["missed"].id, batch["undispatched"].id}
    assert {r["status"] for r in rows.values()} == {"open"}


def test_extraction_twice_creates_nothing_new(app, clock, batch, session):
    assert extract_followups(session, clock.now()) == 0
    assert extract_followups(session, clock.now() + timedelta(minutes=29)) == 0
    assert session.query(AuditEvent).filter_by(action="followup.extract").count() == 3


def test_the_third_failed_call_closes_the_record_as_unable_to_contact(client, desk, batch):
    coordinator, _ = desk
    path = f"/api/v1/cases/{batch['undispatched'].id}/callbacks"
    for attempt in range(1, 4):
        response = client.post(path, json={"reached": False, "notes": f"call {attempt}"}, headers=coordinator.headers)
        assert response.status_code == 201, response.json
    assert (response.json["status"], response.json["failed_attempts"]) == ("unable_to_contact", 3)
    assert len(response.json["attempts"]) == 3
    fourth = client.post(path, json={"reached": False}, headers=coordinator.headers)
    assert fourth.status_code == 409 and "case_id" in fourth.json["errors"]


def test_a_customer_saying_nobody_called_while_a_contact_was_recorded_is_flagged_for_review(client, desk, batch):
    coordinator, _ = desk
    response = client.post(f"/api/v1/cases/{batch['called'].id}/callbacks", headers=coordinator.headers,
                           json={"reached": True, "surveyor_called": False, "arrived_on_time": True})
    assert response.status_code == 201, response.json
    assert (response.json["status"], response.json["needs_review"]) == ("reached", True)
    assert response.json["attempts"][0]["contradicts_clocks"] is True


def test_an_answer_agreeing_with_the_clocks_needs_no_review(client, desk, batch):
    coordinator, _ = desk
    response = client.post(f"/api/v1/cases/{batch['missed'].id}/callbacks", headers=coordinator.headers,
                           json={"reached": True, "surveyor_called": False})
    assert response.json["needs_review"] is False


def test_a_callback_for_a_case_that_needs_none_is_refused(client, dispatching, desk, batch, session):
    coordinator, _ = desk
    property_case = dispatching.case(line=Line.PROPERTY)
    response = client.post(f"/api/v1/cases/{property_case.id}/callbacks", json={"reached": True},
                           headers=coordinator.headers)
    assert response.status_code == 422 and "case_id" in response.json["errors"]
    unreached_answer = client.post(f"/api/v1/cases/{batch['missed'].id}/callbacks", headers=coordinator.headers,
                                   json={"reached": False, "surveyor_called": True})
    assert unreached_answer.status_code == 422 and "surveyor_called" in unreached_answer.json["errors"]
    assert session.query(AuditEvent).filter_by(action="followup.attempt").count() == 0


def test_another_branch_sees_no_followups(accounts, client, batch):
    outsider = accounts.sign_in(Role.COORDINATOR, "GZ")
    assert client.get("/api/v1/followups", query_string={"branch": "SZ"}, headers=outsider.headers).status_code == 404
    assert client.post(f"/api/v1/cases/{batch['missed'].id}/callbacks", json={"reached": True},
                       headers=outsider.headers).status_code == 404


def test_the_worker_extracts_the_callback_list(runner, client, dispatching, desk, clock):
    coordinator, _ = desk
    case = dispatching.case()
    clock.advance(minutes=65)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert list(_worklist(client, coordinator)) == [case.id]


def test_a_batch_missed_while_the_worker_was_stopped_is_extracted_late_once(app, dispatching, desk, clock, session):
    case = dispatching.case()
    clock.advance(hours=3)
    assert extract_followups(session, clock.now()) == 1
    assert extract_followups(session, clock.now() + timedelta(minutes=30)) == 0
    [row] = _worklist(app.test_client(), desk[0]).values()
    assert (row["case_id"], row["reason"], row["overdue"]) == (case.id, "no_dispatch", False)
