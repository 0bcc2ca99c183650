"""The standard's rules for one visit, as pure functions (articles 8 and 9: S1-S3, U1, U2)."""

from __future__ import annotations

import pytest

from field_api.visits import scoring
from field_api.visits.scoring import EXCUSED, MET, MISSED, NOT_APPLICABLE, ItemRule, answer_errors, score_item
from field_api.visits.standard_checklist import PURPOSES, STANDARD_CHECKLIST


class _Item:
    def __init__(self, raw):
        self.__dict__.update(raw)


RULES = {raw["code"]: ItemRule.of(_Item(raw)) for raw in STANDARD_CHECKLIST["items"]}
CARD = RULES["business_card"]
ALL_CARD_CHECKS = {code: True for code in CARD.sub_checks}


def card(result="done", **kwargs):
    answer = {"item": "business_card", "result": result, "exclusion": None, "sub_checks": None}
    if result == "done":
        answer["sub_checks"] = dict(ALL_CARD_CHECKS)
    answer.update(kwargs)
    return answer


@pytest.mark.parametrize("purpose", PURPOSES)
def test_business_card_is_required_at_the_first_meeting_whatever_the_purpose(purpose):
    assert score_item(CARD, None, purpose=purpose, is_first_meeting=True).outcome == MISSED
    assert score_item(CARD, card(), purpose=purpose, is_first_meeting=True).outcome == MET


def test_business_card_does_not_apply_after_the_first_meeting():
    score = score_item(CARD, card(), purpose="prospecting", is_first_meeting=False)
    assert (score.outcome, score.reason) == (NOT_APPLICABLE, "applies only at the first meeting")


def test_business_card_handed_without_the_etiquette_is_missed():
    answer = card(sub_checks={**ALL_CARD_CHECKS, "both_hands_text_facing_client": False})
    score = score_item(CARD, answer, purpose="prospecting", is_first_meeting=True)
    assert score.outcome == MISSED and "both_hands_text_facing_client" in score.reason


def test_business_card_may_be_excused_only_when_client_refuses():
    excused = card("excluded", exclusion="client_declined_card")
    assert score_item(CARD, excused, purpose="prospecting", is_first_meeting=True).outcome == EXCUSED
    assert answer_errors([CARD], [excused], version_label="v1") == {}
    wrong = card("excluded", exclusion="client_does_not_need_it")
    assert answer_errors([CARD], [wrong], version_label="v1") == {
        "0": {"exclusion": ["Use one of the standard's exclusions for 'business_card': client_declined_card."]}}


def test_policy_envelope_allows_no_exclusion():
    answer = {"item": "policy_envelope", "result": "excluded", "exclusion": "client_does_not_need_it"}
    errors = answer_errors([RULES["policy_envelope"]], [answer], version_label="v1")
    assert errors["0"]["exclusion"] == ["The standard allows no exclusion for 'policy_envelope'."]


def test_product_presentation_allows_no_exclusion_until_one_is_stipulated():
    answer = {"item": "product_presentation", "result": "excluded", "exclusion": "anything"}
    assert "exclusion" in answer_errors([RULES["product_presentation"]], [answer], version_label="v1")["0"]


def test_service_handbook_may_be_excused_when_the_customer_does_not_need_it():
    rule = RULES["service_handbook"]
    answer = {"item": "service_handbook", "result": "excluded", "exclusion": "client_does_not_need_it"}
    assert answer_errors([rule], [answer], version_label="v1") == {}
    assert score_item(rule, answer, purpose="policy_delivery", is_first_meeting=False).outcome == EXCUSED


def test_application_form_guidance_needs_all_nine_fields_clear():
    rule = RULES["application_form"]
    assert len(rule.sub_checks) == 9
    clear = {code: True for code in rule.sub_checks}
    answer = {"item": "application_form", "result": "done", "sub_checks": clear}
    assert score_item(rule, answer, purpose="application", is_first_meeting=False).outcome == MET
    answer["sub_checks"] = {**clear, "premium_rate_clear": False}
    assert score_item(rule, answer, purpose="application", is_first_meeting=False).outcome == MISSED


def test_application_form_may_be_excused_when_the_client_supplied_wrong_information():
    answer = {"item": "application_form", "result": "excluded", "exclusion": "client_supplied_wrong_information"}
    assert answer_errors([RULES["application_form"]], [answer], version_label="v1") == {}


@pytest.mark.parametrize("item", ["service_handbook", "policy_envelope"])
@pytest.mark.parametrize("purpose", [p for p in PURPOSES if p != "policy_delivery"])
def test_handbook_and_envelope_apply_only_at_policy_delivery(item, purpose):
    assert score_item(RULES[item], None, purpose=purpose, is_first_meeting=True).outcome == NOT_APPLICABLE
    assert score_item(RULES[item], None, purpose="policy_delivery", is_first_meeting=False).outcome == MISSED


def test_product_presentation_applies_to_presentation_visits():
    rule = RULES["product_presentation"]
    assert score_item(rule, None, purpose="product_presentation", is_first_meeting=False).outcome == MISSED
    assert score_item(rule, None, purpose="service_call", is_first_meeting=False).outcome == NOT_APPLICABLE


def test_the_thank_you_letter_is_a_task_and_never_scored_in_a_visit():
    rule = RULES["thank_you_letter"]
    assert rule.is_task
    compliance = scoring.score_visit(list(RULES.values()), [], purpose="policy_delivery", is_first_meeting=False)
    assert "thank_you_letter" not in [s.item for s in compliance.items]
    errors = answer_errors([rule], [{"item": "thank_you_letter", "result": "done"}], version_label="v1")
    assert "follow-up task" in errors["0"]["item"][0]


def test_share_met_counts_met_of_met_and_missed_and_leaves_out_excused_items():
    answers = [card("excluded", exclusion="client_declined_card"),
               {"item": "service_handbook", "result": "done", "sub_checks": {"handed_with_policy": True,
                                                                            "contents_explained": True}},
               {"item": "policy_envelope", "result": "not_done"}]
    compliance = scoring.score_visit(list(RULES.values()), answers, purpose="policy_delivery", is_first_meeting=True)
    assert compliance.counts == {MET: 1, MISSED: 1, EXCUSED: 1, NOT_APPLICABLE: 2}
    assert compliance.share_met == 0.5


def test_share_met_is_none_when_nothing_applied():
    compliance = scoring.score_visit(list(RULES.values()), [], purpose="service_call", is_first_meeting=False)
    assert compliance.share_met is None


def test_an_item_that_asks_for_a_photo_is_missed_without_one():
    rule = ItemRule(code="policy_envelope", applies_at="policy_delivery", purposes=frozenset({"policy_delivery"}),
                    photo_required=True)
    answer = {"item": "policy_envelope", "result": "done"}
    assert score_item(rule, answer, purpose="policy_delivery", is_first_meeting=False).reason == \
        "photo evidence missing"
    assert score_item(rule, answer, purpose="policy_delivery", is_first_meeting=False,
                      photo_items={"policy_envelope"}).outcome == MET


@pytest.mark.parametrize("answer, field, message", [
    ({"item": "business_card", "result": "done", "sub_checks": {"greeting": True}}, "sub_checks", "missing"),
    ({"item": "business_card", "result": "done", "sub_checks": {**ALL_CARD_CHECKS, "bow": True}}, "sub_checks",
     "Not sub-checks"),
    ({"item": "business_card", "result": "not_done", "sub_checks": ALL_CARD_CHECKS}, "sub_checks", "only with"),
    ({"item": "business_card", "result": "done", "sub_checks": ALL_CARD_CHECKS, "exclusion": "client_declined_card"},
     "exclusion", "only with"),
    ({"item": "handshake", "result": "done"}, "item", "is not an item"),
])
def test_answers_that_break_the_version_are_named(answer, field, message):
    errors = answer_errors([CARD], [answer], version_label="v1")
    assert message in errors["0"][field][0]


def test_an_item_answered_twice_is_refused():
    errors = answer_errors([CARD], [card(), card()], version_label="v1")
    assert errors == {"1": {"item": ["'business_card' is answered twice."]}}
