"""U6: the thank-you letter is a follow-up on the client, due days after the policy delivery, scored by its date."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from tests.factories.visits import HANDBOOK_SUB_CHECKS, row_counts, visit_body

DELIVERY_ANSWERS = [{"item": "service_handbook", "result": "done", "sub_checks": HANDBOOK_SUB_CHECKS},
                    {"item": "policy_envelope", "result": "done"}]


@pytest.fixture(autouse=True)
def long_tokens(app):
    """These tests move the clock by days; tokens outlive them."""
    app.config["TOKEN_TTL_HOURS"] = 24 * 60


def deliver(visits, sales, office, **kwargs):
    kwargs.setdefault("answers", DELIVERY_ANSWERS)
    return visits.visit(sales, office["id"], purpose="policy_delivery", **kwargs)


def tasks_of(client, signed, query=""):
    response = client.get(f"/api/v1/tasks{query}", headers=signed.headers)
    assert response.status_code == 200, response.json
    return response.json


def done(client, signed, task_id, done_on, via="post"):
    return client.post(f"/api/v1/tasks/{task_id}/done", json={"done_on": str(done_on), "via": via},
                       headers=signed.headers)


def test_a_policy_delivery_leaves_a_thank_you_letter_due_a_week_later(client, visits, sales, office):
    visit = deliver(visits, sales, office)
    [task] = tasks_of(client, sales)
    assert task["visit_id"] == visit["id"] and task["client_id"] == office["id"]
    assert task["item"] == {"code": "thank_you_letter", "title_zh": "承保后中英文感谢信",
                            "title_en": "Post-underwriting Chinese/English thank-you letter"}
    assert task["due_on"] == str(date.fromisoformat(visit["visit_date"]) + timedelta(days=7))
    assert task["outcome"] == "pending"


def test_the_number_of_days_is_configurable(app, client, visits, sales, office):
    app.config["THANK_YOU_LETTER_DAYS"] = 3
    visit = deliver(visits, sales, office)
    assert tasks_of(client, sales)[0]["due_on"] == str(date.fromisoformat(visit["visit_date"]) + timedelta(days=3))


def test_only_a_submitted_policy_delivery_leaves_a_letter(client, visits, sales, office):
    visits.visit(sales, office["id"], purpose="application", answers=[])
    draft = deliver(visits, sales, office, status="draft")
    assert tasks_of(client, sales) == []
    body = visit_body(office["id"], at=visits.now - timedelta(hours=2), purpose="policy_delivery",
                      answers=DELIVERY_ANSWERS)
    visits.put(sales, body, visit_id=draft["id"], if_match='"1"')
    assert len(tasks_of(client, sales)) == 1


def test_a_letter_sent_by_the_due_date_is_met(client, visits, sales, office, clock):
    deliver(visits, sales, office)
    [task] = tasks_of(client, sales)
    clock.advance(days=3)
    response = done(client, sales, task["id"], clock.now().date())
    assert response.status_code == 200 and response.json["outcome"] == "met"
    assert response.json["done_via"] == "post"
    before = row_counts()
    assert done(client, sales, task["id"], clock.now().date()).status_code == 200
    assert row_counts() == before
    assert done(client, sales, task["id"], clock.now().date(), via="in_person").status_code == 409


def test_a_letter_sent_after_the_due_date_is_missed(client, visits, sales, office, clock):
    deliver(visits, sales, office)
    [task] = tasks_of(client, sales)
    clock.advance(days=9)
    assert done(client, sales, task["id"], clock.now().date(), via="in_person").json["outcome"] == "missed"


def test_an_unsent_letter_is_missed_once_its_due_date_has_passed(client, visits, sales, office, clock):
    deliver(visits, sales, office)
    clock.advance(days=7)
    assert tasks_of(client, sales)[0]["outcome"] == "pending"
    clock.advance(days=1)
    assert tasks_of(client, sales)[0]["outcome"] == "missed"
    assert tasks_of(client, sales, "?open=true")[0]["outcome"] == "missed"


@pytest.mark.parametrize("offset", [timedelta(days=1), timedelta(days=-30)])
def test_a_letter_is_not_dated_in_the_future_or_before_the_delivery(client, visits, sales, office, offset):
    deliver(visits, sales, office)
    [task] = tasks_of(client, sales)
    before = row_counts()
    response = done(client, sales, task["id"], visits.now.date() + offset)
    assert response.status_code == 422 and "done_on" in response.json["errors"]
    assert row_counts() == before


def test_a_letter_goes_by_post_or_in_person(client, visits, sales, office):
    deliver(visits, sales, office)
    [task] = tasks_of(client, sales)
    response = done(client, sales, task["id"], visits.now.date(), via="email")
    assert response.status_code == 422 and "via" in response.json["errors"]["json"]


def test_a_correction_saying_no_policy_was_delivered_cancels_the_letter(client, visits, sales, office):
    visit = deliver(visits, sales, office)
    correction = {**visit_body(office["id"], at=visits.now - timedelta(hours=2), purpose="service_call", answers=[]),
                  "id": str(uuid.uuid4())}
    client.post(f"/api/v1/visits/{visit['id']}/amendments", json=correction, headers=sales.headers)
    [task] = tasks_of(client, sales)
    assert task["outcome"] == "cancelled" and task["visit_id"] == correction["id"]
    assert done(client, sales, task["id"], visits.now.date()).status_code == 409


def test_a_correction_of_the_delivery_date_moves_the_due_date(client, visits, sales, office):
    visit = deliver(visits, sales, office)
    earlier = visits.now - timedelta(days=2)
    correction = {**visit_body(office["id"], at=earlier, purpose="policy_delivery", answers=DELIVERY_ANSWERS),
                  "id": str(uuid.uuid4())}
    client.post(f"/api/v1/visits/{visit['id']}/amendments", json=correction, headers=sales.headers)
    [task] = tasks_of(client, sales)
    assert task["due_on"] == str(visits.now.date() - timedelta(days=2) + timedelta(days=7))


def test_letters_are_seen_and_recorded_within_scope(accounts, client, visits, sales, office):
    deliver(visits, sales, office)
    [task] = tasks_of(client, sales)
    assert tasks_of(client, accounts.sign_in("salesperson", "SZ-FT")) == []
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=accounts.sign_in("coordinator", "GZ").headers
                      ).status_code == 404
    coordinator = accounts.sign_in("coordinator", "SZ")
    assert [t["id"] for t in tasks_of(client, coordinator, f"?client_id={office['id']}")] == [task["id"]]
    assert done(client, coordinator, task["id"], visits.now.date()).json["outcome"] == "met"
    assert tasks_of(client, coordinator, "?open=true") == []
