"""The first meeting is derived from the client's history (earliest check-in), never typed, and re-derived late."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from field_api.audit.models import AuditEvent
from field_api.extensions import db
from tests.factories.visits import card_done, outcome, visit_body


def test_business_card_is_required_at_the_first_meeting(visits, sales, office):
    first = visits.visit(sales, office["id"], answers=[])
    assert first["is_first_meeting"] and outcome(first, "business_card") == "missed"
    assert first["compliance"]["missed"] == 1


def test_business_card_is_met_when_handed_over_with_the_etiquette(visits, sales, office):
    assert outcome(visits.visit(sales, office["id"]), "business_card") == "met"


def test_business_card_may_be_excused_only_when_client_refuses(visits, sales, office):
    declined = {"item": "business_card", "result": "excluded", "exclusion": "client_declined_card"}
    assert outcome(visits.visit(sales, office["id"], answers=[declined]), "business_card") == "excused"
    busy = {"item": "business_card", "result": "excluded", "exclusion": "salesperson_was_busy"}
    second_client = visits.make_client(sales, name="宝安制造厂")
    response = visits.put(sales, visit_body(second_client["id"], at=visits.now - timedelta(hours=1), answers=[busy]))
    assert response.status_code == 422
    assert response.json["errors"]["answers"]["0"]["exclusion"] == [
        "Use one of the standard's exclusions for 'business_card': client_declined_card."]


def test_the_purpose_never_decides_the_first_meeting(visits, sales, office):
    delivery = visits.visit(sales, office["id"], purpose="policy_delivery", answers=[])
    assert delivery["is_first_meeting"] and outcome(delivery, "business_card") == "missed"


def test_later_visits_are_not_first_meetings(visits, sales, office):
    at = visits.now - timedelta(days=2)
    visits.visit(sales, office["id"], at=at)
    later = visits.visit(sales, office["id"], at=at + timedelta(days=1), answers=[])
    assert not later["is_first_meeting"] and outcome(later, "business_card") == "not_applicable"


def test_a_late_synced_earlier_visit_becomes_the_first_meeting(app, visits, sales, office):
    at = visits.now - timedelta(days=2)
    synced_first = visits.visit(sales, office["id"], at=at, answers=[card_done()])
    assert synced_first["is_first_meeting"] and synced_first["compliance"]["share_met"] == 1.0
    earlier = visits.visit(sales, office["id"], at=at - timedelta(days=5), answers=[])
    assert earlier["is_first_meeting"] and outcome(earlier, "business_card") == "missed"
    rescored = visits.get(sales, synced_first["id"])
    assert not rescored["is_first_meeting"]
    assert outcome(rescored, "business_card") == "not_applicable" and rescored["compliance"]["share_met"] is None
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "visit.rederive"))
    assert event.entity_id == synced_first["id"] and event.changes["is_first_meeting"] == [True, False]


def test_a_draft_meeting_counts_too(visits, sales, office):
    at = visits.now - timedelta(days=2)
    visits.visit(sales, office["id"], at=at - timedelta(hours=1), status="draft")
    assert not visits.visit(sales, office["id"], at=at)["is_first_meeting"]


def test_an_amendment_moving_the_check_in_re_derives_the_first_meeting(client, visits, sales, office):
    at = visits.now - timedelta(days=3)
    a = visits.visit(sales, office["id"], at=at)
    b = visits.visit(sales, office["id"], at=at + timedelta(days=1), answers=[])
    correction = {**visit_body(office["id"], at=at - timedelta(days=1), answers=[]), "id": str(uuid.uuid4())}
    # The phone had b's time wrong: it was the first meeting.
    response = client.post(f"/api/v1/visits/{b['id']}/amendments", json=correction, headers=sales.headers)
    assert response.status_code == 201
    assert response.json["is_first_meeting"] and outcome(response.json, "business_card") == "missed"
    assert not visits.get(sales, a["id"])["is_first_meeting"]
    assert not visits.get(sales, b["id"])["is_first_meeting"]  # superseded: kept as it was


def test_visits_of_merged_duplicates_count_for_the_first_meeting(accounts, client, visits):
    phone_a = accounts.sign_in("salesperson", "SZ-FT")
    phone_b = accounts.sign_in("salesperson", "SZ-FT")
    copy_a = visits.make_client(phone_a, name="平安大厦物业")
    copy_b = visits.make_client(phone_b, name="平安大厦物业管理处")
    at = visits.now - timedelta(days=4)
    late = visits.visit(phone_a, copy_a["id"], at=at + timedelta(days=2))
    early = visits.visit(phone_b, copy_b["id"], at=at)
    assert late["is_first_meeting"] and early["is_first_meeting"]
    coordinator = accounts.sign_in("coordinator", "SZ")
    response = client.post(f"/api/v1/clients/{copy_b['id']}/merge", json={"duplicate_id": copy_a["id"]},
                           headers=coordinator.headers)
    assert response.status_code == 200, response.json
    assert not visits.get(phone_a, late["id"])["is_first_meeting"]
    assert visits.get(phone_b, early["id"])["is_first_meeting"]
    after = visits.visit(phone_a, copy_a["id"], at=at - timedelta(days=1), answers=[])
    assert after["is_first_meeting"] and not visits.get(phone_b, early["id"])["is_first_meeting"]
