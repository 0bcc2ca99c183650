"""Visit photos through the API: real images only, stored once by content hash, within the limits."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path

import pytest

from tests.factories.images import decompression_bomb, image_bytes
from tests.factories.visits import outcome, publish, row_counts, standard_items


@pytest.fixture
def draft(visits, sales):
    office = visits.make_client(sales)
    return visits.visit(sales, office["id"], status="draft")


def upload(client, signed, visit_id, data: bytes, name="photo.jpg", content_type="image/jpeg", **form):
    payload = {"file": (io.BytesIO(data), name, content_type), **form}
    return client.post(f"/api/v1/visits/{visit_id}/photos", data=payload, headers=signed.headers,
                       content_type="multipart/form-data")


def stored_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"])
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_real_jpeg_is_stored_once_by_its_content_hash(app, client, sales, draft):
    data = image_bytes("JPEG")
    digest = hashlib.sha256(data).hexdigest()
    first = upload(client, sales, draft["id"], data)
    assert first.status_code == 201, first.json
    assert first.json["sha256"] == digest and first.json["content_type"] == "image/jpeg"
    assert (first.json["width"], first.json["height"]) == (64, 48)
    assert stored_files(app) == [Path(app.config["MEDIA_ROOT"]) / "sha256" / digest[:2] / digest[2:4] / digest]
    before = row_counts()
    retry = upload(client, sales, draft["id"], data, name="IMG_0001 (1).jpg")
    assert retry.status_code == 200 and retry.json == first.json
    assert row_counts() == before and len(stored_files(app)) == 1


@pytest.mark.parametrize("fmt, content_type", [("PNG", "image/png"), ("HEIF", "image/heic")])
def test_png_and_iphone_heic_photos_are_accepted(client, sales, draft, fmt, content_type):
    response = upload(client, sales, draft["id"], image_bytes(fmt), name="IMG_0002.HEIC",
                      content_type="application/octet-stream")
    assert response.status_code == 201 and response.json["content_type"] == content_type


def _refused(app, client, sales, draft, data, status, **kwargs):
    before = row_counts()
    response = upload(client, sales, draft["id"], data, **kwargs)
    assert response.status_code == status, response.json
    assert row_counts() == before and stored_files(app) == []
    return response.json


def test_a_text_file_named_jpg_is_refused(app, client, sales, draft):
    body = _refused(app, client, sales, draft, b"definitely a photo, trust me", 415, name="photo.jpg")
    assert "file" in body["errors"]


def test_html_with_script_passed_as_an_image_is_refused(app, client, sales, draft):
    _refused(app, client, sales, draft, b"<html><script>alert(1)</script></html>", 415, content_type="image/png")


def test_a_truncated_jpeg_is_refused(app, client, sales, draft):
    data = image_bytes("JPEG", (300, 200))
    assert "file" in _refused(app, client, sales, draft, data[:400], 422)["errors"]


def test_a_decompression_bomb_is_refused(app, client, sales, draft):
    body = _refused(app, client, sales, draft, decompression_bomb(), 422, name="bomb.png", content_type="image/png")
    assert "pixels" in body["errors"]["file"][0]


def test_an_image_over_the_pixel_limit_is_refused(app, client, sales, draft):
    app.config["IMAGE_MAX_PIXELS"] = 1000
    _refused(app, client, sales, draft, image_bytes("PNG", (100, 100)), 422)


def test_a_photo_over_the_byte_limit_is_413(app, client, sales, draft):
    app.config["PHOTO_MAX_BYTES"] = 1000
    data = image_bytes("PNG", (200, 200), color="blue") + b"\0" * 2000
    assert "file" in _refused(app, client, sales, draft, data, 413)["errors"]


def test_an_oversize_body_is_413_before_it_is_read(app, client, sales, draft):
    app.config["PHOTO_MAX_BYTES"] = 1000
    _refused(app, client, sales, draft, b"\xff\xd8" + b"x" * 200_000, 413)


def test_a_missing_file_is_422(client, sales, draft):
    response = client.post(f"/api/v1/visits/{draft['id']}/photos", data={"item": "business_card"},
                           headers=sales.headers, content_type="multipart/form-data")
    assert response.status_code == 422 and "file" in response.json["errors"]["files"]


def test_an_unknown_item_on_a_photo_is_refused(app, client, sales, draft):
    body = _refused(app, client, sales, draft, image_bytes(), 422, item="selfie")
    assert "item" in body["errors"]


def test_a_submitted_visit_takes_only_the_photos_it_listed(app, client, visits, sales):
    office = visits.make_client(sales)
    listed, unlisted = image_bytes(color="green"), image_bytes(color="yellow")
    manifest = [{"sha256": hashlib.sha256(listed).hexdigest(), "item": "business_card"}]
    visit = visits.visit(sales, office["id"], photos=manifest)
    assert visit["awaiting_photos"] == [manifest[0]["sha256"]]
    _refused(app, client, sales, visit, unlisted, 409)
    response = upload(client, sales, visit["id"], listed)
    assert response.status_code == 201 and response.json["item"] == "business_card"
    assert visits.get(sales, visit["id"])["awaiting_photos"] == []


def test_a_version_that_asks_for_photo_evidence_scores_the_item_missed_until_the_photo_arrives(
        accounts, client, visits, sales):
    items = standard_items()
    envelope = next(i for i in items if i["code"] == "policy_envelope")
    envelope["photo_required"] = True
    assert publish(client, accounts.sign_in("admin", "HQ"), items=items).status_code == 201
    office = visits.make_client(sales)
    photo = image_bytes(color="purple")
    visit = visits.visit(sales, office["id"], purpose="policy_delivery",
                         answers=[{"item": "policy_envelope", "result": "done"}],
                         photos=[{"sha256": hashlib.sha256(photo).hexdigest(), "item": "policy_envelope"}])
    envelope_score = next(i for i in visit["compliance"]["items"] if i["item"] == "policy_envelope")
    assert (envelope_score["outcome"], envelope_score["reason"]) == ("missed", "photo evidence missing")
    upload(client, sales, visit["id"], photo)
    assert outcome(visits.get(sales, visit["id"]), "policy_envelope") == "met"


def test_photos_are_read_back_by_whoever_sees_the_visit(accounts, client, sales, draft):
    data = image_bytes("PNG")
    digest = upload(client, sales, draft["id"], data, content_type="image/png").json["sha256"]
    url = f"/api/v1/visits/{draft['id']}/photos/{digest}"
    for reader in (sales, accounts.sign_in("coordinator", "SZ")):
        response = client.get(url, headers=reader.headers)
        assert response.status_code == 200 and response.data == data and response.mimetype == "image/png"
    assert client.get(url, headers=accounts.sign_in("manager", "GZ").headers).status_code == 404
    assert client.get(f"/api/v1/visits/{draft['id']}/photos/..%2F..%2Fsecret",
                      headers=sales.headers).status_code == 404


def test_another_salespersons_visit_takes_no_photo(app, accounts, client, visits, draft):
    other = accounts.sign_in("salesperson", "SZ-FT")
    response = upload(client, other, draft["id"], image_bytes())
    assert response.status_code == 404 and stored_files(app) == []


def test_photo_times_are_the_devices(client, visits, sales, draft):
    taken = (visits.now - timedelta(minutes=5)).isoformat()
    response = upload(client, sales, draft["id"], image_bytes(), taken_at=taken)
    assert response.json["taken_at"] == taken
