"""Claim forms and their attachments, put through the API as a surveyor's phone sends them."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from typing import Any

from field_api.dispatch.models import Line
from tests.factories.dispatch import FUTIAN_CIVIC_CENTER, wgs84
from tests.factories.images import image_bytes, photo_with_exif, signature_png

SITE_WGS84 = wgs84(FUTIAN_CIVIC_CENTER)
TRANSFER_DOCUMENTS = ("id_copy", "passbook_copy", "payment_receipt")


def sha(data: bytes) -> str:
    """The SHA-256 a phone lists in its manifest."""
    return hashlib.sha256(data).hexdigest()


class ClaimFactory:
    """Makes a dispatched case for a surveyor, then forms and uploads for it."""

    def __init__(self, client, dispatching, accounts, surveyor, coordinator) -> None:
        self.client, self.dispatching, self.accounts = client, dispatching, accounts
        self.surveyor, self.coordinator = surveyor, coordinator

    def dispatch(self, *, line: Line = Line.MOTOR, is_vip: bool = False, surveyor=None) -> dict:
        case = self.dispatching.case(line=line, is_vip=is_vip)
        return self.dispatching.dispatch(case, surveyor or self.surveyor, self.coordinator)

    def body(self, dispatch_id: int, *, insured: str = "person", payment: str = "other", amount: str | None = "8000",
             complete: bool = True, manifest: list[dict] | None = None, **overrides: Any) -> dict:
        body = {"dispatch_id": dispatch_id, "account": "在福田区市民中心路口追尾,前车后保险杠受损。" if complete else None,
                "party": {"name": "陈莉", "phone": "13500000000" if complete else None,
                          "id_number": "440304199001011234"},
                "insured": {"kind": insured, "name": "陈莉" if insured == "person" else "深圳市福田贸易有限公司"},
                "amount": amount, "payment_method": payment, "date": "2026-07-01" if complete else None,
                "notice_handed_at": "2026-07-01T10:30:00+08:00", "notes": None, "attachments": manifest or []}
        body.update(overrides)
        return body

    def put(self, form_id, body: dict, who=None, if_match: str | None = None):
        headers = dict((who or self.surveyor).headers)
        if if_match is not None:
            headers["If-Match"] = if_match
        return self.client.put(f"/api/v1/claim-forms/{form_id}", json=body, headers=headers)

    def upload(self, form_id, kind: str, data: bytes, who=None, name: str = "photo.jpg", **form: Any):
        fields = {"kind": kind, **{k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in form.items()}}
        if kind == "party_signature" and "signer" not in form:
            fields["signer"] = json.dumps({"name": "陈莉", "role": "party", "signed_at": "2026-07-01T10:40:00+08:00"})
        payload = {"file": (io.BytesIO(data), name, "application/octet-stream"), **fields}
        return self.client.post(f"/api/v1/claim-forms/{form_id}/attachments", data=payload,
                                headers=(who or self.surveyor).headers, content_type="multipart/form-data")

    def get(self, form_id, who=None) -> dict:
        response = self.client.get(f"/api/v1/claim-forms/{form_id}", headers=(who or self.surveyor).headers)
        assert response.status_code == 200, response.json
        return response.json

    def documents(self, *, insured: str = "person", payment: str = "other",
                  line: Line = Line.MOTOR) -> dict[str, bytes]:
        """One file of each kind a complete form of this shape needs, each with distinct bytes."""
        files = {"party_signature": signature_png(),
                 "scene": photo_with_exif(gps=SITE_WGS84, color="gray")}
        if line is Line.MOTOR:
            files["vehicle_damage"] = photo_with_exif(gps=SITE_WGS84, color="maroon")
        if insured == "organization":
            files["company_seal"] = image_bytes("PNG", color="red")
        if payment == "transfer":
            files.update(id_copy=image_bytes("JPEG", color="white"), passbook_copy=image_bytes("JPEG", color="green"),
                         payment_receipt=image_bytes("PNG", color="yellow"))
        return files

    def complete_form(self, *, insured: str = "person", payment: str = "other", line: Line = Line.MOTOR,
                      amount: str | None = "8000", is_vip: bool = False) -> tuple[str, dict, dict[str, bytes]]:
        """A form with everything it needs uploaded; returns its id, the stored form and the files."""
        dispatch = self.dispatch(line=line, is_vip=is_vip)
        files = self.documents(insured=insured, payment=payment, line=line)
        form_id = str(uuid.uuid4())
        manifest = [{"kind": kind, "sha256": sha(data)} for kind, data in files.items()]
        response = self.put(form_id, self.body(dispatch["id"], insured=insured, payment=payment, amount=amount,
                                               manifest=manifest))
        assert response.status_code == 201, response.json
        for kind, data in files.items():
            uploaded = self.upload(form_id, kind, data)
            assert uploaded.status_code == 201, uploaded.json
        return form_id, self.get(form_id), files


def row_counts() -> dict[str, int]:
    """How many rows the claim tables and the audit trail hold (to show that a refused request saved nothing)."""
    import sqlalchemy as sa

    from field_api.extensions import db

    db.session.remove()
    return {table: db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in ("claim_form", "claim_attachment", "claim_seal", "audit_event")}
