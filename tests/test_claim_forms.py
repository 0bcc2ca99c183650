"""Claim forms (article 10 C1): the phone's form, the missing list computed from the standard, versions and roles."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from field_api.audit.models import AuditEvent
from field_api.dispatch.models import Line
from tests.factories.claims import sha
from tests.factories.images import image_bytes, signature_png


def codes(form: dict) -> list[str]:
    return [m["code"] for m in form["missing"]]


@pytest.mark.parametrize("insured, payment, expected", [
    ("person", "other", []),
    ("organization", "other", ["company_seal"]),
    ("person", "transfer", ["id_copy", "passbook_copy", "payment_receipt"]),
    ("organization", "transfer", ["company_seal", "id_copy", "passbook_copy", "payment_receipt"]),
])
def test_a_form_needs_the_seal_of_an_organization_and_the_transfer_documents_of_a_bank_transfer(
        claims, insured, payment, expected):
    dispatch = claims.dispatch()
    form_id = uuid.uuid4()
    response = claims.put(form_id, claims.body(dispatch["id"], insured=insured, payment=payment))
    assert response.status_code == 201, response.json
    assert codes(response.json) == ["party_signature", *expected, "scene_photos", "vehicle_photos"]
    assert response.json["complete"] is False


@pytest.mark.parametrize("insured, payment", [("person", "other"), ("organization", "transfer"),
                                              ("person", "transfer"), ("organization", "other")])
def test_a_form_with_everything_the_standard_asks_for_is_complete(claims, insured, payment):
    _, form, files = claims.complete_form(insured=insured, payment=payment)
    assert form["missing"] == [] and form["awaiting_uploads"] == [] and form["complete"] is True
    assert sorted(a["kind"] for a in form["attachments"]) == sorted(files)
    assert form["documents_complete_at"] is not None


def test_the_missing_list_names_the_account_phone_and_date_in_chinese_and_english(claims):
    dispatch = claims.dispatch()
    form = claims.put(uuid.uuid4(), claims.body(dispatch["id"], complete=False)).json
    assert codes(form)[:4] == ["account", "party_signature", "party_phone", "form_date"]
    account = form["missing"][0]
    assert account == {"code": "account", "zh": "全面出险经过", "en": "full account of the accident"}


def test_property_claims_need_scene_photos_but_no_vehicle_photos(claims):
    dispatch = claims.dispatch(line=Line.PROPERTY)
    form = claims.put(uuid.uuid4(), claims.body(dispatch["id"])).json
    assert codes(form) == ["party_signature", "scene_photos"]


def test_listed_uploads_are_awaited_not_missing(claims):
    dispatch = claims.dispatch()
    signature = signature_png()
    form_id = uuid.uuid4()
    form = claims.put(form_id, claims.body(dispatch["id"], manifest=[
        {"kind": "party_signature", "sha256": sha(signature)}])).json
    assert "party_signature" not in codes(form)
    assert form["awaiting_uploads"] == [{"kind": "party_signature", "sha256": sha(signature)}]
    assert claims.upload(form_id, "party_signature", signature, name="sig.png").status_code == 201
    assert claims.get(form_id)["awaiting_uploads"] == []


def test_an_identical_put_is_unchanged_whatever_if_match_says(claims):
    dispatch = claims.dispatch()
    form_id = uuid.uuid4()
    body = claims.body(dispatch["id"])
    assert claims.put(form_id, body).status_code == 201
    again = claims.put(form_id, body, if_match='"99"')
    assert again.status_code == 200 and again.json["version"] == 1 and again.headers["ETag"] == '"1"'


def test_a_change_needs_the_current_version(claims):
    dispatch = claims.dispatch()
    form_id = uuid.uuid4()
    claims.put(form_id, claims.body(dispatch["id"]))
    changed = claims.body(dispatch["id"], notes="客户补充说明")
    assert claims.put(form_id, changed).status_code == 428
    stale = claims.put(form_id, changed, if_match='"7"')
    assert stale.status_code == 412 and stale.json["current"]["version"] == 1
    updated = claims.put(form_id, changed, if_match='"1"')
    assert updated.status_code == 200 and updated.json["version"] == 2 and updated.json["notes"] == "客户补充说明"


def test_only_the_surveyor_of_the_dispatch_writes_its_form(claims, accounts):
    dispatch = claims.dispatch()
    other = accounts.sign_in("surveyor", "SZ-FT")
    response = claims.put(uuid.uuid4(), claims.body(dispatch["id"]), who=other)
    assert response.status_code == 422 and "dispatch_id" in response.json["errors"]


def test_desk_roles_of_the_branch_read_the_form_and_other_branches_do_not_see_it(claims, accounts, client):
    dispatch = claims.dispatch()
    form_id = uuid.uuid4()
    claims.put(form_id, claims.body(dispatch["id"]))
    for reader in (claims.coordinator, accounts.sign_in("manager", "SZ"), accounts.sign_in("admin", "HQ")):
        assert claims.get(form_id, reader)["id"] == str(form_id)
    for outsider in (accounts.sign_in("manager", "GZ"), accounts.sign_in("surveyor", "SZ-FT")):
        assert client.get(f"/api/v1/claim-forms/{form_id}", headers=outsider.headers).status_code == 404


def test_the_list_shows_each_reader_the_forms_they_may_see_filtered(claims, accounts, client):
    dispatch = claims.dispatch()
    incomplete = claims.put(uuid.uuid4(), claims.body(dispatch["id"])).json
    _, complete, _ = claims.complete_form()

    def listed(who, **query):
        response = client.get("/api/v1/claim-forms", headers=who.headers, query_string=query)
        assert response.status_code == 200, response.json
        return [form["id"] for form in response.json]

    assert sorted(listed(claims.coordinator)) == sorted([complete["id"], incomplete["id"]])
    assert listed(claims.surveyor, complete="true") == [complete["id"]]
    assert listed(claims.coordinator, dispatch_id=dispatch["id"]) == [incomplete["id"]]
    assert listed(claims.coordinator, case_id=incomplete["case_id"], sealed="false") == [incomplete["id"]]
    assert listed(accounts.sign_in("surveyor", "SZ-FT")) == []
    assert listed(accounts.sign_in("manager", "GZ")) == []


def test_every_write_is_audited(claims, session):
    dispatch = claims.dispatch()
    form_id = uuid.uuid4()
    claims.put(form_id, claims.body(dispatch["id"]))
    claims.put(form_id, claims.body(dispatch["id"], notes="x"), if_match='"1"')
    claims.upload(form_id, "scene", image_bytes())
    actions = list(session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity_id == str(form_id))
                                   .order_by(AuditEvent.id)))
    assert actions == ["claim_form.create", "claim_form.update", "claim_form.attachment"]


def test_bad_bodies_name_the_field(claims):
    dispatch = claims.dispatch()
    for field, value in (("payment_method", "cash"), ("amount", "-3"), ("insured", {"kind": "robot"})):
        response = claims.put(uuid.uuid4(), claims.body(dispatch["id"], **{field: value}))
        assert response.status_code == 422 and field in response.json["errors"]["json"], response.json
