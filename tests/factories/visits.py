"""Clients and visits made through the API, with bodies a phone would send."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

# A client's office in Futian, Shenzhen (WGS-84), and a check-in about 50 m from it.
OFFICE = {"lat": 22.5431, "lon": 114.0579, "crs": "wgs84"}
NEAR_OFFICE = {"lat": 22.5435, "lon": 114.0580, "crs": "wgs84"}

CARD_SUB_CHECKS = {"company_standard_design": True, "clean_and_flat": True, "both_hands_text_facing_client": True,
                   "greeting": True}
PRESENTATION_SUB_CHECKS = {"benefits_tied_to_needs": True, "proof_offered": True, "objections_handled": True,
                           "price_at_right_moment": True}
APPLICATION_SUB_CHECKS = {code: True for code in (
    "line_of_insurance_clear", "insured_clear", "subject_matter_clear", "insured_items_clear",
    "territorial_scope_clear", "sum_insured_clear", "premium_rate_clear", "period_clear",
    "signature_seal_date_clear")}
HANDBOOK_SUB_CHECKS = {"handed_with_policy": True, "contents_explained": True}


def iso(at: datetime) -> str:
    """An instant as a phone sends it."""
    return at.isoformat()


def card_done() -> dict[str, Any]:
    """The business card handed over with every etiquette sub-check."""
    return {"item": "business_card", "result": "done", "sub_checks": dict(CARD_SUB_CHECKS)}


def visit_body(client_id, *, at: datetime, purpose: str = "prospecting", status: str = "submitted",
               minutes: int = 30, answers: list | None = None, where: dict | None = None, accuracy: float = 10.0,
               **extra) -> dict[str, Any]:
    """A visit body: checked in at `at`, checked out `minutes` later."""
    where = where or NEAR_OFFICE
    body = {
        "client_id": str(client_id),
        "purpose": purpose,
        "status": status,
        "check_in": {**where, "accuracy_m": accuracy, "at": iso(at)},
        "check_out": {**where, "accuracy_m": accuracy, "at": iso(at + timedelta(minutes=minutes))},
        "answers": answers if answers is not None else [card_done()],
    }
    body.update(extra)
    return body


class VisitFactory:
    """Puts clients and visits through the API as a signed-in user."""

    def __init__(self, client, clock) -> None:
        self.client = client
        self.clock = clock

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def make_client(self, signed, *, client_id=None, location=OFFICE, **fields) -> dict[str, Any]:
        """Create a client through PUT /clients/{id}."""
        client_id = client_id or uuid.uuid4()
        body = {"name": fields.pop("name", "深圳市福田贸易有限公司"), "kind": fields.pop("kind", "enterprise"),
                "contact_person": "王经理", "contact_phone": "13912345678", "address": "深圳市福田区福华路",
                "location": copy.deepcopy(location), **fields}
        response = self.client.put(f"/api/v1/clients/{client_id}", json=body, headers=signed.headers)
        assert response.status_code == 201, response.json
        return response.json

    def put(self, signed, body: dict[str, Any], *, visit_id=None, if_match: str | None = None):
        """PUT a visit; returns the response."""
        visit_id = visit_id or uuid.uuid4()
        headers = dict(signed.headers)
        if if_match is not None:
            headers["If-Match"] = if_match
        return self.client.put(f"/api/v1/visits/{visit_id}", json=body, headers=headers)

    def visit(self, signed, client_id, *, visit_id=None, **kwargs) -> dict[str, Any]:
        """Create a visit and return it."""
        kwargs.setdefault("at", self.now - timedelta(hours=2))
        response = self.put(signed, visit_body(client_id, **kwargs), visit_id=visit_id)
        assert response.status_code == 201, response.json
        return response.json

    def get(self, signed, visit_id) -> dict[str, Any]:
        """GET a visit."""
        response = self.client.get(f"/api/v1/visits/{visit_id}", headers=signed.headers)
        assert response.status_code == 200, response.json
        return response.json


def outcome(visit: dict[str, Any], item: str) -> str:
    """The outcome of one item in a visit as returned."""
    return next(i["outcome"] for i in visit["compliance"]["items"] if i["item"] == item)


def now_utc() -> datetime:
    """For tests that need a wall-clock value."""
    return datetime.now(timezone.utc)


def row_counts() -> dict[str, int]:
    """How many rows each visits-related table holds (to show that a refused request saved nothing)."""
    import sqlalchemy as sa

    from field_api.extensions import db

    tables = ("client", "visit", "visit_item_outcome", "visit_photo", "client_task", "checklist_version",
              "audit_event")
    db.session.remove()
    return {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in tables}


def standard_items() -> list[dict[str, Any]]:
    """The standard's items, as a publication body lists them."""
    from field_api.visits.standard_checklist import STANDARD_CHECKLIST

    return copy.deepcopy(STANDARD_CHECKLIST["items"])


def publish(client, admin, *, items: list[dict[str, Any]], version: int = 2, code: str = "sales-visit"):
    """Publish a version of a checklist as an admin; returns the response."""
    body = {"version": version, "title_zh": "销售拜访检查表(修订)", "title_en": "Sales visit checklist (revised)",
            "source": "test", "items": items}
    return client.post(f"/api/v1/checklists/{code}/versions", json=body, headers=admin.headers)


def publish_with_extra_item(client, accounts, *, code: str = "courtesy_call", **overrides) -> dict[str, Any]:
    """Publish version 2 of the sales-visit checklist with one more every-visit item."""
    extra = {"code": code, "title_zh": "礼貌回访", "title_en": "Courtesy call", "applies_at": "every_visit",
             "purposes": ["service_call", "prospecting"], "answer_type": "done", **overrides}
    response = publish(client, accounts.sign_in("admin", "HQ"), items=standard_items() + [extra])
    assert response.status_code == 201, response.json
    return response.json
