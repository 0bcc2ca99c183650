"""The document receipt (article 10 C9): received and missing documents, who answers, and the expected payout date."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from field_api.clock import SettableClock
from field_api.dispatch.models import Line

EVE_OF_NATIONAL_DAY = datetime(2026, 9, 30, 2, 0, tzinfo=timezone.utc)  # Wednesday 10:00 in Shenzhen


@pytest.fixture
def clock():
    """The receipts here are issued on the eve of the National Day holiday."""
    return SettableClock(EVE_OF_NATIONAL_DAY)


def receipt(claims, form_id, fmt: str = "json", who=None):
    return claims.client.get(f"/api/v1/claim-forms/{form_id}/receipt?format={fmt}",
                             headers=(who or claims.coordinator).headers)


def test_an_incomplete_form_gets_the_written_list_of_missing_items_instead_of_a_date(claims):
    dispatch = claims.dispatch()
    form_id = uuid.uuid4()
    claims.put(form_id, claims.body(dispatch["id"], insured="organization", payment="transfer"))
    body = receipt(claims, form_id).json
    assert body["status"] == "incomplete" and body["expected_payout"] is None
    assert [m["code"] for m in body["missing"]] == ["party_signature", "company_seal", "id_copy", "passbook_copy",
                                                    "payment_receipt", "scene_photos", "vehicle_photos"]
    assert body["responsible_person"] == {"name": "Li Wei 李伟", "phone": "13900000001"}
    assert body["enquiry_phone"] == "95512" and "资料不全" in body["message_zh"]


def test_the_payout_date_counts_chinese_working_days_with_the_make_up_saturday(claims):
    form_id, _, files = claims.complete_form(amount="8000")
    body = receipt(claims, form_id).json
    assert body["status"] == "complete"
    assert sorted(r["kind"] for r in body["received"]) == sorted(files)
    # Ordinary motor customer, 5,000-30,000: 3 working days; 1-7 October are holidays, Saturday 10 October works.
    assert body["expected_payout"]["date"] == "2026-10-10"
    assert body["expected_payout"]["working_days"] == 3 and body["expected_payout"]["calendar"] == "chinese_calendar"


def test_a_vip_customer_is_promised_a_day_sooner(claims):
    form_id, _, _ = claims.complete_form(amount="8000", is_vip=True)
    assert receipt(claims, form_id).json["expected_payout"]["date"] == "2026-10-09"


def test_a_small_motor_claim_is_paid_while_the_customer_waits(claims):
    form_id, _, _ = claims.complete_form(amount="4999.99")
    payout = receipt(claims, form_id).json["expected_payout"]
    assert payout["date"] == "2026-09-30" and payout["working_days"] == 0


def test_a_property_claim_adds_up_adjustment_and_review(claims):
    form_id, _, _ = claims.complete_form(line=Line.PROPERTY, amount="150000")
    payout = receipt(claims, form_id).json["expected_payout"]
    assert payout["working_days"] == 3 and payout["date"] == "2026-10-10"


def test_the_receipt_prints_as_a_page_without_outside_resources(claims):
    dispatch = claims.dispatch()
    form_id = uuid.uuid4()
    claims.put(form_id, claims.body(dispatch["id"], payment="transfer"))
    page = receipt(claims, form_id, "html")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "资料接收回执" in text and "存折复印件" in text and "95512" in text
    assert "http://" not in text and "https://" not in text and "<script" not in text and "<style" not in text
    assert claims.client.get("/static/claims/receipt.css").status_code == 200


def test_the_surveyor_reads_the_receipt_and_other_branches_do_not(claims, accounts):
    form_id, _, _ = claims.complete_form()
    assert receipt(claims, form_id, who=claims.surveyor).status_code == 200
    assert receipt(claims, form_id, who=accounts.sign_in("manager", "GZ")).status_code == 404


def test_the_receipt_is_also_a_pdf_with_its_chinese_text(claims):
    form_id, _, _ = claims.complete_form()
    response = receipt(claims, form_id, "pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and b"STSong-Light" in response.data
