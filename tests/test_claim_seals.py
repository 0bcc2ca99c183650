"""Sealing (article 10 C1 forms made tamper-evident): HMAC over content and files, chained per branch, verified."""

from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa

from field_api.audit.models import AuditEvent
from field_api.claims.models import ClaimAttachment, ClaimForm, ClaimSeal
from field_api.extensions import db
from tests.factories.claims import sha
from tests.factories.images import image_bytes, signature_png


def seal(claims, form_id, who=None):
    return claims.client.post(f"/api/v1/claim-forms/{form_id}/seal", headers=(who or claims.surveyor).headers)


def verify(claims, form_id) -> dict:
    response = claims.client.get(f"/api/v1/claim-forms/{form_id}/verify", headers=claims.coordinator.headers)
    assert response.status_code == 200, response.json
    return response.json


def problems(verdict: dict) -> set[str]:
    return {p["code"] for p in verdict["problems"]}


def test_a_signed_complete_form_seals_and_verifies(claims):
    form_id, _, _ = claims.complete_form(insured="organization", payment="transfer")
    sealed = seal(claims, form_id)
    assert sealed.status_code == 201 and sealed.json["sequence"] == 1 and sealed.json["previous_digest"] is None
    assert seal(claims, form_id).json == sealed.json
    verdict = verify(claims, form_id)
    assert verdict["valid"] is True and verdict["problems"] == [] and verdict["seal"]["digest"] == sealed.json["digest"]


def test_a_form_the_party_has_not_signed_does_not_seal(claims):
    dispatch = claims.dispatch()
    form_id = uuid.uuid4()
    claims.put(form_id, claims.body(dispatch["id"]))
    refused = seal(claims, form_id)
    assert refused.status_code == 409 and "party_signature" in refused.json["errors"]


def test_sealing_waits_for_the_uploads_the_manifest_lists_and_names_them(claims):
    dispatch = claims.dispatch()
    signature, scene = signature_png(), image_bytes(color="gray")
    manifest = [{"kind": "party_signature", "sha256": sha(signature)}, {"kind": "scene", "sha256": sha(scene)}]
    form_id = uuid.uuid4()
    claims.put(form_id, claims.body(dispatch["id"], manifest=manifest))
    claims.upload(form_id, "party_signature", signature, name="s.png")
    refused = seal(claims, form_id)
    assert refused.status_code == 409 and refused.json["errors"]["awaiting_uploads"] == [manifest[1]]
    claims.upload(form_id, "scene", scene)
    assert seal(claims, form_id).status_code == 201


def test_a_sealed_form_refuses_changes_and_new_attachments(claims):
    form_id, form, _ = claims.complete_form()
    seal(claims, form_id)
    body = claims.body(form["dispatch_id"], notes="改一下")
    changed = claims.put(form_id, body, if_match='"1"')
    assert changed.status_code == 409 and changed.json["current"]["sealed_at"] is not None
    assert claims.upload(form_id, "scene", image_bytes(color="pink")).status_code == 409


def test_a_correction_is_a_new_version_linked_to_the_sealed_form(claims):
    form_id, form, _ = claims.complete_form()
    seal(claims, form_id)
    correction_id = str(uuid.uuid4())
    created = claims.put(correction_id, claims.body(form["dispatch_id"], notes="金额更正", amount="9000",
                                                    corrects=form_id))
    assert created.status_code == 201 and created.json["corrects"] == form_id
    assert claims.get(form_id)["corrected_by"] == correction_id
    again = claims.put(str(uuid.uuid4()), claims.body(form["dispatch_id"], corrects=form_id))
    assert again.status_code == 409


def test_an_unsealed_form_is_changed_directly_not_corrected(claims):
    dispatch = claims.dispatch()
    form_id = str(uuid.uuid4())
    claims.put(form_id, claims.body(dispatch["id"]))
    assert claims.put(str(uuid.uuid4()), claims.body(dispatch["id"], corrects=form_id)).status_code == 409


def test_seals_of_a_branch_form_a_chain(claims):
    first, _, _ = claims.complete_form()
    second, _, _ = claims.complete_form(payment="transfer")
    one, two = seal(claims, first).json, seal(claims, second).json
    assert two["sequence"] == 2 and two["previous_digest"] == one["digest"]
    assert verify(claims, second)["valid"] is True


def test_verify_detects_a_changed_file_on_disk(app, claims):
    form_id, _, files = claims.complete_form()
    seal(claims, form_id)
    digest = sha(files["scene"])
    path = Path(app.config["MEDIA_ROOT"]) / "sha256" / digest[:2] / digest[2:4] / digest
    path.write_bytes(image_bytes(color="black"))
    verdict = verify(claims, form_id)
    assert verdict["valid"] is False and {"file_altered", "digest_mismatch"} <= problems(verdict)


def test_verify_detects_a_deleted_file(app, claims):
    form_id, _, files = claims.complete_form()
    seal(claims, form_id)
    digest = sha(files["party_signature"])
    (Path(app.config["MEDIA_ROOT"]) / "sha256" / digest[:2] / digest[2:4] / digest).unlink()
    assert "file_missing" in problems(verify(claims, form_id))


def test_verify_detects_an_edited_row(app, claims):
    form_id, _, _ = claims.complete_form()
    seal(claims, form_id)
    with app.app_context():
        db.session.execute(sa.update(ClaimForm).where(ClaimForm.id == uuid.UUID(form_id))
                           .values(amount=80000, account="改写的经过"))
        db.session.commit()
    verdict = verify(claims, form_id)
    assert verdict["valid"] is False and "digest_mismatch" in problems(verdict)


def test_verify_detects_a_row_rewritten_with_a_recomputed_plain_hash(app, claims):
    form_id, _, _ = claims.complete_form()
    seal(claims, form_id)
    with app.app_context():
        db.session.execute(sa.update(ClaimSeal).values(digest="0" * 64))
        db.session.commit()
    assert "digest_mismatch" in problems(verify(claims, form_id))


def test_verify_detects_a_sealed_form_deleted_from_the_chain(app, claims):
    forms = [claims.complete_form()[0] for _ in range(3)]
    for form_id in forms:
        seal(claims, form_id)
    with app.app_context():
        middle = uuid.UUID(forms[1])
        db.session.execute(sa.delete(ClaimSeal).where(ClaimSeal.form_id == middle))
        db.session.execute(sa.delete(ClaimForm).where(ClaimForm.id == middle))
        db.session.commit()
    verdict = verify(claims, forms[2])
    assert verdict["valid"] is False and "chain_gap" in problems(verdict)


def test_only_the_surveyor_seals_and_an_unsealed_form_verifies_as_not_sealed(claims, accounts):
    form_id, _, _ = claims.complete_form()
    other = accounts.sign_in("surveyor", "SZ-FT")
    assert seal(claims, form_id, who=other).status_code == 404
    assert problems(verify(claims, form_id)) == {"not_sealed"}


def test_the_seal_is_audited(claims, session):
    form_id, _, _ = claims.complete_form()
    seal(claims, form_id)
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "claim_form.seal"))
    assert event.entity_id == form_id and event.changes["sequence"] == 1


def test_verify_detects_an_attachment_row_pointed_at_another_file(app, claims):
    form_id, _, files = claims.complete_form()
    seal(claims, form_id)
    with app.app_context():
        db.session.execute(sa.update(ClaimAttachment).where(ClaimAttachment.sha256 == sha(files["scene"]))
                           .values(sha256="not-a-hash"))
        db.session.commit()
    verdict = verify(claims, form_id)
    assert verdict["valid"] is False and {"file_missing", "digest_mismatch"} <= problems(verdict)


def test_a_correction_keeps_the_sealed_forms_documents_and_asks_only_for_the_new_ones(claims):
    form_id, form, files = claims.complete_form()
    seal(claims, form_id)
    correction_id = str(uuid.uuid4())
    correction = claims.put(correction_id, claims.body(form["dispatch_id"], payment="transfer", corrects=form_id)).json
    assert sorted(a["kind"] for a in correction["attachments"]) == sorted(files)
    assert [m["code"] for m in correction["missing"]] == ["id_copy", "passbook_copy", "payment_receipt"]
    for kind, data in claims.documents(payment="transfer").items():
        claims.upload(correction_id, kind, data)
    assert claims.get(correction_id)["complete"] is True
    assert seal(claims, correction_id).json["sequence"] == 2
    assert verify(claims, correction_id)["valid"] is True and verify(claims, form_id)["valid"] is True


def test_a_seal_only_verifies_under_the_key_that_made_it(app, claims):
    form_id, _, _ = claims.complete_form()
    seal(claims, form_id)
    app.config["SEAL_KEY"] = "someone-who-can-edit-the-database-" + "y" * 16
    assert "digest_mismatch" in problems(verify(claims, form_id))
