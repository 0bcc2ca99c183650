"""Every change to clients, visits, photos, checklists and follow-ups is audited in its own transaction."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import sqlalchemy as sa

from field_api.audit.models import AuditEvent
from field_api.extensions import db
from tests.factories.images import image_bytes
from tests.factories.visits import HANDBOOK_SUB_CHECKS, publish, standard_items, visit_body


def _actions(entity_type: str | None = None) -> list[str]:
    db.session.remove()
    query = sa.select(AuditEvent.action).order_by(AuditEvent.id)
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    return list(db.session.scalars(query))


def test_every_write_leaves_an_audit_row(accounts, client, visits):
    sales = accounts.sign_in("salesperson", "SZ-FT")
    coordinator = accounts.sign_in("coordinator", "SZ")
    a, b = visits.make_client(sales), visits.make_client(sales, name="重复客户")
    client.patch(f"/api/v1/clients/{a['id']}", json={"address": "新地址"}, headers=sales.headers)
    client.post(f"/api/v1/clients/{a['id']}/merge", json={"duplicate_id": b["id"]}, headers=coordinator.headers)
    assert _actions("client") == ["client.create", "client.create", "client.update", "client.merge"]

    at = visits.now - timedelta(hours=3)
    draft_id = uuid.uuid4()
    body = visit_body(a["id"], at=at, status="draft", purpose="policy_delivery",
                      answers=[{"item": "service_handbook", "result": "done", "sub_checks": HANDBOOK_SUB_CHECKS},
                               {"item": "policy_envelope", "result": "done"}])
    visits.put(sales, body, visit_id=draft_id)
    body["notes"] = "送达"
    visits.put(sales, body, visit_id=draft_id, if_match='"1"')
    client.post(f"/api/v1/visits/{draft_id}/photos", data={"file": (io.BytesIO(image_bytes()), "a.jpg")},
                headers=sales.headers, content_type="multipart/form-data")
    body["status"] = "submitted"
    visits.put(sales, body, visit_id=draft_id, if_match='"2"')
    amendment = {**body, "id": str(uuid.uuid4()), "notes": "送达(更正)"}
    client.post(f"/api/v1/visits/{draft_id}/amendments", json=amendment, headers=sales.headers)
    synced = {"id": str(uuid.uuid4()), **visit_body(a["id"], at=at - timedelta(days=1))}
    client.post("/api/v1/sync/visits", json={"visits": [synced]}, headers=sales.headers)
    # The synced earlier visit becomes the first meeting: the amendment is rescored (and audited) first.
    assert _actions("visit") == ["visit.create", "visit.update", "visit.photo", "visit.submit", "visit.amend",
                                 "visit.rederive", "visit.create"]

    [task] = client.get("/api/v1/tasks", headers=sales.headers).json
    client.post(f"/api/v1/tasks/{task['id']}/done", json={"done_on": str(visits.now.date()), "via": "post"},
                headers=sales.headers)
    assert _actions("client_task") == ["task.create", "task.update", "task.done"]

    publish(client, accounts.sign_in("admin", "HQ"), items=standard_items())
    assert _actions("checklist_version") == ["checklist.publish"]


def test_a_refused_change_leaves_no_audit_row(accounts, visits):
    sales = accounts.sign_in("salesperson", "SZ-FT")
    office = visits.make_client(sales)
    before = _actions()
    body = visit_body(office["id"], at=visits.now - timedelta(hours=1),
                      answers=[{"item": "business_card", "result": "excluded", "exclusion": "no_time"}])
    assert visits.put(sales, body).status_code == 422
    assert _actions() == before
