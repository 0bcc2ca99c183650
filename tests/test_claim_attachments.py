"""Claim-form attachments: real images only, stored once, before or after the form; EXIF checks; sensitive copies."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from field_api.audit.models import AuditEvent
from field_api.media.names import check_file_name
from field_api.claims.models import ClaimAttachment
from field_api.errors import Invalid
from tests.factories.claims import SITE_WGS84, row_counts, sha
from tests.factories.images import decompression_bomb, image_bytes, photo_with_exif, signature_png


@pytest.fixture
def form_id(claims):
    dispatch = claims.dispatch()
    form_id = str(uuid.uuid4())
    assert claims.put(form_id, claims.body(dispatch["id"])).status_code == 201
    return form_id


def stored_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["MEDIA_ROOT"]).rglob("*") if p.is_file() and "tmp" not in p.parts)


def _refused(app, claims, form_id, kind, data, status, **kwargs):
    before, files = row_counts(), stored_files(app)
    response = claims.upload(form_id, kind, data, **kwargs)
    assert response.status_code == status, response.json
    assert row_counts() == before and stored_files(app) == files
    return response.json


def test_a_retried_upload_stores_nothing_twice(app, claims, form_id):
    data = photo_with_exif(gps=SITE_WGS84)
    first = claims.upload(form_id, "scene", data)
    assert first.status_code == 201 and first.json["sha256"] == sha(data)
    before, files = row_counts(), stored_files(app)
    retry = claims.upload(form_id, "scene", data, name="IMG_0001 (1).jpg")
    assert retry.status_code == 200 and retry.json == first.json
    assert row_counts() == before and stored_files(app) == files


def test_attachments_sent_before_the_form_are_kept_and_counted_when_it_arrives(claims):
    dispatch = claims.dispatch()
    form_id = str(uuid.uuid4())
    files = claims.documents()
    for kind, data in files.items():
        assert claims.upload(form_id, kind, data).status_code == 201
    assert claims.client.get(f"/api/v1/claim-forms/{form_id}", headers=claims.surveyor.headers).status_code == 404
    form = claims.put(form_id, claims.body(dispatch["id"])).json
    assert form["complete"] is True and len(form["attachments"]) == len(files)
    scene = next(a for a in form["attachments"] if a["kind"] == "scene")
    assert scene["site_distance_m"] < 50 and scene["flags"] == []


def test_another_surveyor_cannot_claim_a_form_id_that_holds_someone_elses_uploads(claims, accounts):
    form_id = str(uuid.uuid4())
    claims.upload(form_id, "scene", image_bytes())
    other = accounts.sign_in("surveyor", "SZ-FT")
    dispatch = claims.dispatch(surveyor=other)
    assert claims.put(form_id, claims.body(dispatch["id"]), who=other).status_code == 409
    assert claims.upload(form_id, "scene", image_bytes(color="blue"), who=other).status_code == 404


def test_a_signature_for_a_form_of_another_surveyors_dispatch_is_refused(app, claims, accounts, form_id):
    other = accounts.sign_in("surveyor", "SZ-FT")
    assert _refused(app, claims, form_id, "party_signature", signature_png(), 404, who=other)["code"] == 404


def test_photos_taken_far_from_the_site_or_long_before_the_dispatch_are_flagged(claims, form_id):
    far = photo_with_exif(gps=(SITE_WGS84[0] + 0.01, SITE_WGS84[1]), color="olive")
    old = photo_with_exif(taken_at="2026:06:20 09:00:00", gps=SITE_WGS84, color="teal")
    far_reply = claims.upload(form_id, "scene", far).json
    assert far_reply["flags"] == ["far_from_site"] and 1000 < far_reply["site_distance_m"] < 1200
    old_reply = claims.upload(form_id, "vehicle_damage", old).json
    assert old_reply["flags"] == ["taken_before_dispatch"]
    assert old_reply["exif_taken_at"] == "2026-06-20T01:00:00+00:00"


def test_the_exif_capture_time_without_an_offset_is_read_in_the_branchs_time_zone(claims, form_id):
    reply = claims.upload(form_id, "scene", photo_with_exif(taken_at="2026:07:01 10:05:00", offset=None)).json
    assert reply["exif_taken_at"] == "2026-07-01T02:05:00+00:00" and reply["exif_position"] is None


def test_the_phones_fix_places_a_photo_without_gps(claims, form_id):
    fix = {"lat": 22.60, "lon": 114.06, "crs": "gcj02", "accuracy_m": 10, "at": "2026-07-01T10:20:00+08:00"}
    reply = claims.upload(form_id, "scene", image_bytes(color="purple"), fix=fix).json
    assert reply["flags"] == ["far_from_site"] and reply["fix"]["crs"] == "wgs84"


def test_exif_stays_in_the_original_for_its_surveyor_and_is_stripped_for_everyone_else(claims, form_id):
    data = photo_with_exif(gps=SITE_WGS84)
    claims.upload(form_id, "scene", data)
    url = f"/api/v1/claim-forms/{form_id}/attachments/{sha(data)}"
    own = claims.client.get(url, headers=claims.surveyor.headers)
    assert own.status_code == 200 and own.data == data and own.mimetype == "image/jpeg"
    desk = claims.client.get(url, headers=claims.coordinator.headers)
    assert desk.status_code == 200 and desk.mimetype == "image/jpeg" and desk.data != data
    assert len(Image.open(io.BytesIO(desk.data)).getexif()) == 0
    thumb = claims.client.get(url + "?variant=thumbnail", headers=claims.coordinator.headers)
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"


def test_id_and_bankbook_copies_have_no_thumbnail_and_open_only_to_their_surveyor_and_the_branch_desk(
        claims, accounts, session, form_id):
    data = image_bytes(color="white")
    reply = claims.upload(form_id, "id_copy", data).json
    assert reply["has_thumbnail"] is False
    url = f"/api/v1/claim-forms/{form_id}/attachments/{sha(data)}"
    assert claims.client.get(url + "?variant=thumbnail", headers=claims.surveyor.headers).status_code == 404
    for reader in (claims.surveyor, claims.coordinator, accounts.sign_in("manager", "SZ")):
        assert claims.client.get(url, headers=reader.headers).status_code == 200
    assert claims.client.get(url, headers=accounts.sign_in("admin", "HQ").headers).status_code == 403
    assert claims.client.get(url, headers=accounts.sign_in("coordinator", "GZ").headers).status_code == 404
    opened = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "claim_form.sensitive_read")).all()
    assert len(opened) == 4 and {e.changes["kind"] for e in opened} == {"id_copy"}


def test_a_signature_keeps_its_signer_time_fix_and_strokes(claims, form_id):
    strokes = [[[10, 40, 0], [30, 42, 16]], [[50, 38, 300]]]
    fix = {"lat": SITE_WGS84[0], "lon": SITE_WGS84[1], "accuracy_m": 6, "at": "2026-07-01T10:40:00+08:00"}
    data = signature_png()
    reply = claims.upload(form_id, "party_signature", data, name="signature.png", fix=fix,
                          signer={"name": "陈莉", "role": "party", "signed_at": "2026-07-01T10:40:00+08:00"},
                          strokes=json.dumps(strokes)).json
    assert reply["signer"] == {"name": "陈莉", "role": "party"} and reply["has_strokes"] is True
    assert reply["device_time"] == "2026-07-01T02:40:00+00:00" and reply["fix"] is not None
    url = f"/api/v1/claim-forms/{form_id}/attachments/{sha(data)}?variant=strokes"
    assert json.loads(claims.client.get(url, headers=claims.coordinator.headers).data) == strokes


def test_a_signature_must_be_a_png_and_name_its_signer(app, claims, form_id):
    _refused(app, claims, form_id, "party_signature", image_bytes("JPEG"), 415)
    response = claims.client.post(f"/api/v1/claim-forms/{form_id}/attachments", headers=claims.surveyor.headers,
                                  data={"kind": "party_signature",
                                        "file": (io.BytesIO(signature_png()), "s.png")},
                                  content_type="multipart/form-data")
    assert response.status_code == 422 and "signer" in response.json["errors"]["form"]


def test_a_text_file_named_jpg_is_refused(app, claims, form_id):
    assert "file" in _refused(app, claims, form_id, "scene", b"definitely a photo", 415)["errors"]


def test_a_truncated_image_is_refused(app, claims, form_id):
    _refused(app, claims, form_id, "scene", image_bytes("JPEG", (300, 200))[:400], 422)


def test_a_decompression_bomb_is_refused(app, claims, form_id):
    assert "pixels" in _refused(app, claims, form_id, "scene", decompression_bomb(), 422)["errors"]["file"][0]


def test_an_image_over_the_byte_limit_is_413(app, claims, form_id):
    app.config["PHOTO_MAX_BYTES"] = 1000
    _refused(app, claims, form_id, "scene", image_bytes("PNG", (200, 200), color="blue") + b"\0" * 2000, 413)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "a/b.jpg", ".."])
def test_path_like_file_names_are_refused(app, claims, form_id, name):
    assert "file" in _refused(app, claims, form_id, "scene", image_bytes(), 422, name=name)["errors"]


@pytest.mark.parametrize("name", ["..\\..\\boot.ini", "C:\\Users\\x.jpg", "a\0.jpg"])
def test_windows_paths_and_nul_bytes_in_names_are_refused(name):
    with pytest.raises(Invalid):
        check_file_name(name)


def test_an_unknown_kind_is_refused(app, claims, form_id):
    assert "kind" in _refused(app, claims, form_id, "selfie", image_bytes(), 422)["errors"]["form"]


def test_attachments_are_counted_by_their_content_hash_in_the_database(claims, session, form_id):
    data = image_bytes("PNG", color="orange")
    claims.upload(form_id, "other", data)
    row = session.scalar(sa.select(ClaimAttachment).where(ClaimAttachment.sha256 == hashlib.sha256(data).hexdigest()))
    assert str(row.form_id) == form_id and row.content_type == "image/png"


@pytest.mark.parametrize("strokes", ["not json", "[" * 100_000])
def test_stroke_data_that_is_not_json_is_refused(app, claims, form_id, strokes):
    body = _refused(app, claims, form_id, "party_signature", signature_png(), 422, name="s.png", strokes=strokes)
    assert "strokes" in body["errors"]["form"]


def test_stroke_data_goes_only_with_a_signature(app, claims, form_id):
    assert "strokes" in _refused(app, claims, form_id, "scene", image_bytes(), 422, strokes="[]")["errors"]["form"]


def test_an_iphone_heic_photo_is_accepted_with_a_thumbnail(claims, form_id):
    reply = claims.upload(form_id, "vehicle_damage", image_bytes("HEIF", color="silver"), name="IMG_0003.HEIC")
    assert reply.status_code == 201 and reply.json["content_type"] == "image/heic"
    assert reply.json["has_thumbnail"] is True
    thumb = claims.client.get(f"/api/v1/claim-forms/{form_id}/attachments/{reply.json['sha256']}?variant=thumbnail",
                              headers=claims.coordinator.headers)
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
