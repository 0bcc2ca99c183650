"""Every write endpoint leaves an audit row: the walk makes one valid request to each and looks for the row.

The endpoints come from the Flask url_map (POST, PUT, PATCH, DELETE). Each has a recipe in RECIPES that
makes a valid request with the factories; a new write endpoint without a recipe fails
`test_every_write_endpoint_has_a_recipe`. NOT_AUDITED lists the writes that are left out, and why.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from field_api.accounts.models import Role
from field_api.board.followups import extract_followups
from field_api.extensions import db
from tests import tally
from tests.factories.images import image_bytes
from tests.factories.records import RecordFactory, zones_body
from tests.factories.visits import publish, standard_items, visit_body
from tests.test_authorization import api_endpoints

WRITES = {"POST", "PUT", "PATCH", "DELETE"}

# Writes that leave no audit row by design.
NOT_AUDITED = {
    ("POST", "/api/v1/auth/token"): "signing in creates a session token, not a record (login throttling logs it)",
    ("DELETE", "/api/v1/auth/token"): "signing out revokes the caller's own token, not a record",
    ("GET", "/api/v1/ingest/osmand"): "tracker apps' fixes: telemetry, authenticated by device token",
    ("POST", "/api/v1/ingest/osmand"): "tracker apps' fixes: telemetry, authenticated by device token",
    ("POST", "/api/v1/ingest/owntracks"): "tracker apps' fixes: telemetry, authenticated by device token",
    ("POST", "/api/v1/positions"): "our app's fix batches: the same telemetry ingestion as the tracker apps (a batch "
                                   "every few seconds per surveyor); each fix row keeps its surveyor, device and "
                                   "receipt time, and reading someone's track is what the audit records",
}


@dataclass
class Walk:
    """The people and records the recipes use, made fresh for each endpoint."""

    client: Any
    clock: Any
    accounts: Any
    dispatching: Any
    visits: Any
    records: RecordFactory

    def __post_init__(self) -> None:
        self.admin = self.accounts.sign_in(Role.ADMIN, "HQ")
        self.manager = self.accounts.sign_in(Role.MANAGER, "SZ")
        self.desk = self.records.coordinator("SZ")
        self.surveyor = self.accounts.sign_in(Role.SURVEYOR, "SZ")
        self.sales = self.accounts.sign_in(Role.SALESPERSON, "SZ")


Request = tuple[Any, str, dict[str, Any]]  # (who, url, client.open keywords)


def _excusal(w: Walk) -> Request:
    dispatch = w.records.dispatch(w.surveyor)
    w.clock.advance(minutes=6)  # the contact deadline (five minutes) is missed
    return w.desk, f"/api/v1/dispatches/{dispatch['id']}/excusals", {
        "json": {"clock": "contact", "cause": "communication_outage", "note": "Base station down in Futian"}}


def _lift_hold(w: Walk) -> Request:
    case_id = w.records.case(w.surveyor)
    url = f"/api/v1/cases/{case_id}/legal-hold"
    assert w.client.put(url, json={"reason": "Disputed"}, headers=w.manager.headers).status_code == 200
    return w.manager, url, {}


def _new_case(w: Walk) -> Request:
    return w.desk, "/api/v1/cases", {"json": {
        "report_number": f"R-WALK-{uuid.uuid4().hex[:8]}", "reported_at": w.clock.now().isoformat(), "line": "motor",
        "on_site": True, "location": {"lat": 22.5431, "lon": 114.0579, "crs": "wgs84"},
        "customer_name": "Customer", "plate_number": "粤B12345"}}


def _new_dispatch(w: Walk) -> Request:
    case = w.dispatching.case(branch="SZ")
    return w.desk, "/api/v1/dispatches", {"json": {"case_id": case.id, "surveyor_id": w.surveyor.user.id}}


def _put_visit(w: Walk) -> Request:
    body = visit_body(w.records.client_of(w.sales), at=w.clock.now() - timedelta(hours=2))
    return w.sales, f"/api/v1/visits/{uuid.uuid4()}", {"json": body}


def _amend(w: Walk) -> Request:
    visit_id, body, _ = w.records.visit(w.sales, status="submitted")
    return w.sales, f"/api/v1/visits/{visit_id}/amendments", {"json": {**body, "id": str(uuid.uuid4())}}


def _photo(w: Walk) -> Request:
    visit_id = w.records.visit(w.sales)[0]
    return w.sales, f"/api/v1/visits/{visit_id}/photos", {
        "data": {"file": (io.BytesIO(image_bytes()), "IMG_0001.jpg")}, "content_type": "multipart/form-data"}


def _sync(w: Walk) -> Request:
    body = visit_body(w.records.client_of(w.sales), at=w.clock.now() - timedelta(hours=2))
    return w.sales, "/api/v1/sync/visits", {"json": {"visits": [{"id": str(uuid.uuid4()), **body}]}}


def _publish(w: Walk) -> Request:
    items = standard_items()
    return w.admin, "/api/v1/checklists/sales-visit/versions", {"json": {
        "version": 2, "title_zh": "销售拜访检查表(修订)", "title_en": "Sales visit checklist (revised)",
        "source": "test", "items": items}}


def _entrust(w: Walk) -> Request:
    w.accounts.branch("GZ")
    return w.desk, f"/api/v1/cases/{w.records.case(w.surveyor)}/entrustment", {
        "json": {"to_branch": "GZ", "items": "车损查勘、定损", "authorised_amount": "8000.00"}}


def _hand_back(w: Walk) -> Request:
    case_id = w.records.entrusted_case("SZ", from_branch="GZ")
    return w.desk, f"/api/v1/cases/{case_id}/entrustment/hand-back", {"json": {"reason": "No surveyor free"}}


def _callback(w: Walk) -> Request:
    case_id = w.records.case(w.surveyor)  # its contact is missed, so the customer is called back
    w.clock.advance(hours=1)
    assert extract_followups(db.session, w.clock.now()) >= 1
    return w.desk, f"/api/v1/cases/{case_id}/callbacks", {"json": {"reached": False}}


def _roster(w: Walk) -> Request:
    shift = {"starts": "2026-07-01T08:00", "ends": "2026-07-01T20:00", "coordinator_id": w.desk.user.id,
             "surveyor_ids": [w.surveyor.user.id]}
    return w.desk, "/api/v1/branches/SZ/roster?from=2026-07-01T00:00&to=2026-07-02T00:00", {
        "json": {"shifts": [shift]}}


def _claim_form(w: Walk) -> Request:
    body = w.records.claims(w.surveyor).body(w.records.dispatch(w.surveyor)["id"])
    return w.surveyor, f"/api/v1/claim-forms/{uuid.uuid4()}", {"json": body}


def _claim_attachment(w: Walk) -> Request:
    form_id, _ = w.records.claim_form(w.surveyor)
    return w.surveyor, f"/api/v1/claim-forms/{form_id}/attachments", {
        "data": {"file": (io.BytesIO(image_bytes(color="khaki")), "scene.jpg"), "kind": "scene"},
        "content_type": "multipart/form-data"}


def _seal(w: Walk) -> Request:
    form_id, _, _ = w.records.claims(w.surveyor).complete_form()
    return w.surveyor, f"/api/v1/claim-forms/{form_id}/seal", {}


RECIPES: dict[tuple[str, str], Callable[[Walk], Request]] = {
    ("POST", "/api/v1/users"): lambda w: (w.admin, "/api/v1/users", {"json": {
        "username": "walker", "password": "correct horse", "role": "surveyor", "branch_code": "SZ"}}),
    ("POST", "/api/v1/users/<int:user_id>/deactivate"): lambda w: (
        w.manager, f"/api/v1/users/{w.surveyor.user.id}/deactivate", {}),
    ("POST", "/api/v1/branches"): lambda w: (w.admin, "/api/v1/branches", {"json": {
        "code": "SZ-LG", "name": "Longgang", "parent_code": "SZ"}}),
    ("PATCH", "/api/v1/branches/<string:code>"): lambda w: (
        w.manager, "/api/v1/branches/SZ", {"json": {"arrival_radius_m": 300}}),
    ("PUT", "/api/v1/zones/<string:branch_code>"): lambda w: (
        w.manager, "/api/v1/zones/SZ?crs=gcj02", {"json": zones_body()}),
    ("POST", "/api/v1/cases"): _new_case,
    ("PUT", "/api/v1/cases/<int:case_id>/legal-hold"): lambda w: (
        w.manager, f"/api/v1/cases/{w.records.case(w.surveyor)}/legal-hold", {"json": {"reason": "Disputed"}}),
    ("DELETE", "/api/v1/cases/<int:case_id>/legal-hold"): _lift_hold,
    ("POST", "/api/v1/dispatches"): _new_dispatch,
    ("POST", "/api/v1/dispatches/<int:dispatch_id>/events"): lambda w: (
        w.surveyor, f"/api/v1/dispatches/{w.records.dispatch(w.surveyor)['id']}/events",
        {"json": {"kind": "contacted", "device_time": w.clock.now().isoformat()}}),
    ("POST", "/api/v1/dispatches/<int:dispatch_id>/cancel"): lambda w: (
        w.desk, f"/api/v1/dispatches/{w.records.dispatch(w.surveyor)['id']}/cancel",
        {"json": {"reason": "Reported twice"}}),
    ("POST", "/api/v1/dispatches/<int:dispatch_id>/excusals"): _excusal,
    ("PUT", "/api/v1/me/duty"): lambda w: (
        w.surveyor, "/api/v1/me/duty", {"json": {"on_duty": True, "device_time": w.clock.now().isoformat()}}),
    ("POST", "/api/v1/devices"): lambda w: (
        w.surveyor, "/api/v1/devices", {"json": {"name": "Li Wei's Huawei", "protocol": "osmand"}}),
    ("DELETE", "/api/v1/devices/<int:device_id>"): lambda w: (
        w.surveyor, f"/api/v1/devices/{w.records.device(w.surveyor)}", {}),
    ("PUT", "/api/v1/clients/<uuid:client_id>"): lambda w: (
        w.sales, f"/api/v1/clients/{uuid.uuid4()}", {"json": {"name": "福田贸易", "kind": "enterprise"}}),
    ("PATCH", "/api/v1/clients/<uuid:client_id>"): lambda w: (
        w.sales, f"/api/v1/clients/{w.records.client_of(w.sales)}", {"json": {"address": "深圳市福田区深南大道"}}),
    ("POST", "/api/v1/clients/<uuid:client_id>/merge"): lambda w: (
        w.desk, f"/api/v1/clients/{w.records.client_of(w.sales)}/merge",
        {"json": {"duplicate_id": w.records.client_of(w.sales)}}),
    ("POST", "/api/v1/checklists/<string:code>/versions"): _publish,
    ("PUT", "/api/v1/visits/<uuid:visit_id>"): _put_visit,
    ("POST", "/api/v1/visits/<uuid:visit_id>/amendments"): _amend,
    ("POST", "/api/v1/visits/<uuid:visit_id>/photos"): _photo,
    ("POST", "/api/v1/sync/visits"): _sync,
    ("POST", "/api/v1/tasks/<int:task_id>/done"): lambda w: (
        w.sales, f"/api/v1/tasks/{w.records.task(w.sales)}/done",
        {"json": {"done_on": w.clock.now().date().isoformat(), "via": "post"}}),
    ("POST", "/api/v1/live/tickets"): lambda w: (w.desk, "/api/v1/live/tickets", {}),
    ("POST", "/api/v1/cases/<int:case_id>/entrustment"): _entrust,
    ("POST", "/api/v1/cases/<int:case_id>/entrustment/hand-back"): _hand_back,
    ("POST", "/api/v1/cases/<int:case_id>/callbacks"): _callback,
    ("PUT", "/api/v1/branches/<string:code>/roster"): _roster,
    ("PUT", "/api/v1/claim-forms/<uuid:form_id>"): _claim_form,
    ("POST", "/api/v1/claim-forms/<uuid:form_id>/attachments"): _claim_attachment,
    ("POST", "/api/v1/claim-forms/<uuid:form_id>/seal"): _seal,
}


def write_endpoints(app) -> set[tuple[str, str]]:
    """(method, rule) of every endpoint that can change something."""
    return {(m, r.rule) for m, r in api_endpoints(app) if m in WRITES} | {
        key for key in NOT_AUDITED if key[1] in {r.rule for r in app.url_map.iter_rules()}}


def test_every_write_endpoint_has_a_recipe(app):
    missing = write_endpoints(app) - set(RECIPES) - set(NOT_AUDITED)
    assert not missing, f"add a recipe to RECIPES (or a reason to NOT_AUDITED) for: {sorted(missing)}"
    assert not set(RECIPES) - write_endpoints(app), "recipes for endpoints that are gone"


@pytest.fixture
def walk(app, client, clock, accounts, dispatching, visits):
    app.config["TOKEN_TTL_HOURS"] = 24 * 30
    dispatching.shenzhen_zones("SZ")
    return Walk(client, clock, accounts, dispatching, visits, RecordFactory(client, accounts, dispatching, visits))


def _audit_rows_after(last_id: int) -> list[tuple]:
    db.session.remove()
    return list(db.session.execute(sa.text(
        "SELECT actor_id, action, entity_type, entity_id FROM audit_event WHERE id > :last ORDER BY id"),
        {"last": last_id}))


@pytest.mark.parametrize("method, rule", sorted(RECIPES), ids=[f"{m} {r}" for m, r in sorted(RECIPES)])
def test_each_write_endpoint_leaves_an_audit_row_naming_who_did_it(walk, client, method, rule):
    who, url, kwargs = RECIPES[(method, rule)](walk)
    db.session.remove()
    last = db.session.scalar(sa.text("SELECT coalesce(max(id), 0) FROM audit_event"))
    response = client.open(url, method=method, headers={**who.headers, "X-Device-Id": "walk-phone"}, **kwargs)
    assert 200 <= response.status_code < 300, response.json
    rows = _audit_rows_after(last)
    assert rows, f"{method} {rule} answered {response.status_code} and left no audit row"
    assert who.user.id in {row.actor_id for row in rows}, rows
    tally.count("write endpoints that left an audit row")
