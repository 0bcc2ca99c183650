"""Devices: registered to a surveyor, with a token shown once and stored only as its digest."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from field_api.accounts.models import Role
from field_api.audit.models import AuditEvent
from field_api.extensions import db
from field_api.tracking.models import Device


def register(client, signed, **body):
    return client.post("/api/v1/devices", headers=signed.headers,
                       json={"name": "Li Wei's phone", "protocol": "osmand", **body})


def test_a_surveyor_registers_their_own_device_and_sees_its_token_once(accounts, client):
    surveyor = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    response = register(client, surveyor)
    assert response.status_code == 201
    body = response.json
    assert body["surveyor_id"] == surveyor.user.id and body["protocol"] == "osmand" and body["crs"] == "wgs84"
    assert len(body["token"]) >= 40
    listed = client.get("/api/v1/devices", headers=surveyor.headers).json
    assert [d["id"] for d in listed] == [body["id"]] and "token" not in listed[0]
    device = db.session.get(Device, body["id"])
    assert device.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "device.register")).one()
    assert event.actor_id == surveyor.user.id and event.entity_id == str(body["id"])
    assert body["token"] not in str(event.changes)


def test_a_coordinator_registers_a_device_for_a_surveyor_of_their_subtree(accounts, client):
    coordinator = accounts.sign_in(Role.COORDINATOR, "SZ")
    mine = accounts.user(Role.SURVEYOR, "SZ-FT")
    theirs = accounts.user(Role.SURVEYOR, "GZ")
    assert register(client, coordinator, surveyor_id=mine.id).status_code == 201
    assert register(client, coordinator, surveyor_id=theirs.id).status_code == 404
    assert register(client, coordinator).status_code == 422


def test_a_surveyor_cannot_register_a_device_for_someone_else(accounts, client):
    surveyor = accounts.sign_in(Role.SURVEYOR, "SZ")
    colleague = accounts.user(Role.SURVEYOR, "SZ")
    assert register(client, surveyor, surveyor_id=colleague.id).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Device)) == 0


def test_devices_are_registered_to_surveyors_only(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    coordinator = accounts.user(Role.COORDINATOR, "SZ")
    assert register(client, admin, surveyor_id=coordinator.id).status_code == 422


def test_tracker_devices_report_wgs84_only_and_our_app_any_datum(accounts, client):
    surveyor = accounts.sign_in(Role.SURVEYOR)
    assert register(client, surveyor, protocol="owntracks", crs="gcj02").status_code == 422
    response = register(client, surveyor, protocol="app", crs="gcj02")
    assert response.status_code == 201 and response.json["crs"] == "gcj02"


def test_two_active_devices_of_a_surveyor_cannot_share_a_name(accounts, client):
    surveyor = accounts.sign_in(Role.SURVEYOR)
    first = register(client, surveyor).json
    assert register(client, surveyor).status_code == 409
    assert client.delete(f"/api/v1/devices/{first['id']}", headers=surveyor.headers).status_code == 204
    assert register(client, surveyor).status_code == 201


def test_a_revoked_device_token_stops_working_and_the_revocation_is_audited(accounts, client, tracking):
    surveyor = accounts.sign_in(Role.SURVEYOR)
    tracking.duty(surveyor, True, tracking.at(hours=-1))
    device_id, token = tracking.device(surveyor)
    query = {"id": token, "lat": "22.5431", "lon": "114.0579"}
    assert client.get("/api/v1/ingest/osmand", query_string=query).status_code == 200
    coordinator = accounts.sign_in(Role.COORDINATOR, "SZ")
    assert client.delete(f"/api/v1/devices/{device_id}", headers=coordinator.headers).status_code == 204
    assert client.delete(f"/api/v1/devices/{device_id}", headers=coordinator.headers).status_code == 204
    assert client.get("/api/v1/ingest/osmand", query_string=query).status_code == 401
    revocations = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "device.revoke")).all()
    assert [e.actor_id for e in revocations] == [coordinator.user.id]
    listed = client.get("/api/v1/devices?active=false", headers=surveyor.headers).json
    assert [d["id"] for d in listed] == [device_id] and listed[0]["revoked_at"]


def test_another_branchs_device_cannot_be_seen_or_revoked(accounts, client, tracking):
    surveyor = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    device_id, _ = tracking.device(surveyor)
    outsider = accounts.sign_in(Role.COORDINATOR, "GZ")
    colleague = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    for signed in (outsider, colleague):
        assert client.get("/api/v1/devices", headers=signed.headers).json == []
        assert client.delete(f"/api/v1/devices/{device_id}", headers=signed.headers).status_code == 404
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    listed = client.get(f"/api/v1/devices?surveyor_id={surveyor.user.id}", headers=manager.headers).json
    assert [d["id"] for d in listed] == [device_id]
    assert db.session.get(Device, device_id).revoked_at is None


def test_a_deactivated_surveyors_devices_stop_working(accounts, client, tracking):
    surveyor = accounts.sign_in(Role.SURVEYOR, "SZ")
    tracking.duty(surveyor, True, tracking.at(hours=-1))
    _, token = tracking.device(surveyor)
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    assert client.post(f"/api/v1/users/{surveyor.user.id}/deactivate", headers=manager.headers).status_code == 200
    assert client.get("/api/v1/ingest/osmand", query_string={"id": token, "lat": 22.5, "lon": 114.0}).status_code == 401
