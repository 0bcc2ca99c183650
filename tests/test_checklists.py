"""Checklist templates: seeded from the standard in its own words, versioned, and visits scored by their version."""

from __future__ import annotations

from datetime import timedelta

import pytest

from field_api.accounts.models import Role
from tests.factories.visits import outcome, publish, publish_with_extra_item, row_counts, standard_items, visit_body


def _version(client, signed, number=1):
    response = client.get(f"/api/v1/checklists/sales-visit/versions/{number}", headers=signed.headers)
    assert response.status_code == 200, response.json
    return {item["code"]: item for item in response.json["items"]}


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_checklists(accounts, client, role):
    signed = accounts.sign_in(role, "HQ" if role is Role.ADMIN else "SZ")
    listed = client.get("/api/v1/checklists", headers=signed.headers).json
    assert [(c["code"], c["version"]) for c in listed] == [("sales-visit", 1)]


def test_the_standards_items_are_seeded_in_its_own_words(accounts, client):
    items = _version(client, accounts.sign_in("salesperson"))
    assert list(items) == ["business_card", "product_presentation", "application_form", "service_handbook",
                           "policy_envelope", "thank_you_letter"]
    assert [items[c]["standard_item"] for c in items] == ["S1", "S2", "S3", "U1", "U2", "U6"]
    card = items["business_card"]
    assert (card["title_zh"], card["applies_at"], card["answer_type"]) == ("递交标准名片", "first_meeting",
                                                                          "done_with_sub_checks")
    assert [e["zh"] for e in card["exclusions"]] == ["客户明显无接受名片的意愿"]
    assert [s["code"] for s in card["sub_checks"]] == ["company_standard_design", "clean_and_flat",
                                                       "both_hands_text_facing_client", "greeting"]
    assert "初次见面,请多关照" in card["sub_checks"][3]["zh"]


def test_product_presentation_has_the_four_sub_checks_and_no_exclusion_yet(accounts, client):
    item = _version(client, accounts.sign_in("salesperson"))["product_presentation"]
    assert [s["code"] for s in item["sub_checks"]] == ["benefits_tied_to_needs", "proof_offered",
                                                       "objections_handled", "price_at_right_moment"]
    assert item["exclusions"] == [] and item["exclusions_note_zh"] == "另行规定"


def test_application_form_lists_the_nine_fields_that_must_be_clear(accounts, client):
    item = _version(client, accounts.sign_in("salesperson"))["application_form"]
    assert [s["zh"] for s in item["sub_checks"]] == [
        "投保险种清晰", "被保险人清晰", "保险标的清晰", "保险项目清晰", "地域范围清晰", "保险金额清晰", "承保费率清晰",
        "保险期限清晰", "投保人签名、盖章、投保日期清晰"]
    assert [e["en"] for e in item["exclusions"]] == ["The customer supplies wrong information"]


def test_handbook_and_envelope_apply_at_policy_delivery_and_only_the_handbook_may_be_excused(accounts, client):
    items = _version(client, accounts.sign_in("salesperson"))
    handbook, envelope = items["service_handbook"], items["policy_envelope"]
    assert handbook["purposes"] == envelope["purposes"] == ["policy_delivery"]
    assert [e["zh"] for e in handbook["exclusions"]] == ["客户不需要"]
    assert envelope["exclusions"] == [] and envelope["exclusions_note_zh"] == "无"


def test_the_thank_you_letter_is_a_follow_up_after_policy_delivery(accounts, client):
    letter = _version(client, accounts.sign_in("salesperson"))["thank_you_letter"]
    assert (letter["applies_at"], letter["answer_type"], letter["purposes"]) == (
        "after_policy_delivery", "sent_date", ["policy_delivery"])


def test_an_admin_publishes_the_next_version_and_a_retry_publishes_nothing(accounts, client):
    published = publish_with_extra_item(client, accounts)
    assert published["version"] == 2 and published["items"][-1]["code"] == "courtesy_call"
    admin = accounts.sign_in("admin", "HQ")
    before = row_counts()
    items = standard_items() + [published["items"][-1]]
    retry = publish(client, admin, items=items)
    assert retry.status_code == 200 and retry.json == published
    assert row_counts() == before


def test_a_published_version_never_changes(accounts, client):
    publish_with_extra_item(client, accounts)
    response = publish(client, accounts.sign_in("admin", "HQ"), items=standard_items())
    assert response.status_code == 409


def test_versions_are_numbered_in_order(accounts, client):
    response = publish(client, accounts.sign_in("admin", "HQ"), items=standard_items(), version=5)
    assert response.status_code == 422 and response.json["errors"] == {"version": ["The next version of "
                                                                                   "'sales-visit' is 2."]}


def test_inconsistent_items_are_refused_by_field(accounts, client):
    items = standard_items()
    items[0]["answer_type"] = "done"  # it has sub-checks
    items[1]["code"] = items[0]["code"]
    response = publish(client, accounts.sign_in("admin", "HQ"), items=items)
    assert response.status_code == 422
    assert "answer_type" in response.json["errors"]["items"]["0"]
    assert "code" in response.json["errors"]["items"]["1"]


def test_only_admins_publish(accounts, client):
    assert publish(client, accounts.sign_in("manager", "SZ"), items=standard_items()).status_code == 403


def test_a_visit_is_scored_against_the_version_it_was_recorded_with(accounts, client, visits):
    sales = accounts.sign_in("salesperson", "SZ-FT")
    office = visits.make_client(sales)
    at = visits.now - timedelta(days=3)
    old = visits.visit(sales, office["id"], at=at, purpose="service_call", answers=[])
    items = standard_items()
    items[0]["exclusions"].append({"code": "client_already_has_card", "zh": "客户已有名片", "en": "Client has a card"})
    items[1]["purposes"].append("service_call")
    assert publish(client, accounts.sign_in("admin", "HQ"), items=items).status_code == 201
    new = visits.visit(sales, office["id"], at=at + timedelta(days=1), purpose="service_call", answers=[])
    assert new["checklist"]["version"] == 2 and outcome(new, "product_presentation") == "missed"
    # A late-synced visit re-derives first meetings; the old visit is rescored, still against version 1.
    visits.visit(sales, office["id"], at=at - timedelta(days=1), purpose="service_call", answers=[],
                 checklist={"code": "sales-visit", "version": 1})
    rescored = visits.get(sales, old["id"])
    assert rescored["checklist"]["version"] == 1 and outcome(rescored, "product_presentation") == "not_applicable"
    assert outcome(rescored, "business_card") == "not_applicable"


def test_an_exclusion_of_a_later_version_is_refused_on_an_earlier_one(accounts, client, visits):
    sales = accounts.sign_in("salesperson", "SZ-FT")
    office = visits.make_client(sales)
    items = standard_items()
    items[0]["exclusions"].append({"code": "client_already_has_card", "zh": "客户已有名片", "en": "Client has a card"})
    publish(client, accounts.sign_in("admin", "HQ"), items=items)
    answer = {"item": "business_card", "result": "excluded", "exclusion": "client_already_has_card"}
    at = visits.now - timedelta(hours=2)
    v2 = visits.visit(sales, office["id"], at=at, answers=[answer])
    assert outcome(v2, "business_card") == "excused"
    old = visit_body(office["id"], at=at, answers=[answer], checklist={"code": "sales-visit", "version": 1})
    response = visits.put(sales, old)
    assert response.status_code == 422 and "exclusion" in response.json["errors"]["answers"]["0"]


def test_an_unknown_version_answers_404(accounts, client):
    signed = accounts.sign_in("salesperson")
    assert client.get("/api/v1/checklists/sales-visit/versions/9", headers=signed.headers).status_code == 404
    assert client.get("/api/v1/checklists/nope/versions/1", headers=signed.headers).status_code == 404
