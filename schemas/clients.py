"""Clients (客户): the phone's create-or-update body, edits, merges, filters and the client as returned."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from schemas.common import BaseSchema, Timestamp, text, record_id
from schemas.geo import PointSchema, canonical_datum

KINDS = ("enterprise", "institution", "other")


def point_out(lat: float | None, lon: float | None) -> dict[str, Any] | None:
    """A stored coordinate as returned: canonical datum, named."""
    if lat is None or lon is None:
        return None
    return {"lat": lat, "lon": lon, "crs": canonical_datum.get().value}


class PointOutSchema(BaseSchema):
    """A position in the deployment's canonical datum."""

    lat = fields.Float()
    lon = fields.Float()
    crs = fields.String()


class ClientPutSchema(BaseSchema):
    """A client as the phone sends it; `location` carries its datum."""

    name = text(200, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS),
                         metadata={"description": "enterprise 企业, institution 事业 or other 其它"})
    contact_person = text(120, load_default=None, allow_none=True)
    contact_phone = text(32, load_default=None, allow_none=True)
    address = text(400, load_default=None, allow_none=True)
    location = fields.Nested(PointSchema, load_default=None, allow_none=True)
    owner_id = record_id(load_default=None, allow_none=True, strict=True,
                         metadata={"description": "The owning salesperson (coordinators and managers name one)."})


class ClientPatchSchema(BaseSchema):
    """The fields of a client to change."""

    name = text(200)
    kind = fields.String(validate=validate.OneOf(KINDS))
    contact_person = text(120, allow_none=True)
    contact_phone = text(32, allow_none=True)
    address = text(400, allow_none=True)
    location = fields.Nested(PointSchema, allow_none=True)
    owner_id = record_id(strict=True)


class ClientSchema(BaseSchema):
    """A client as returned."""

    id = fields.UUID(dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.Function(lambda c: c.kind.value, dump_only=True)
    contact_person = fields.String(dump_only=True, allow_none=True)
    contact_phone = fields.String(dump_only=True, allow_none=True)
    address = fields.String(dump_only=True, allow_none=True)
    location = fields.Function(lambda c: point_out(c.lat, c.lon), dump_only=True, allow_none=True,
                               metadata={"type": "object", "nullable": True})
    owner_id = fields.Integer(dump_only=True)
    branch_code = fields.Function(lambda c: c.branch.code, dump_only=True)
    merged_into = fields.UUID(attribute="merged_into_id", dump_only=True, allow_none=True)
    merged_at = Timestamp(dump_only=True, allow_none=True)
    version = fields.Integer(dump_only=True)
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)


class ClientQueryArgsSchema(BaseSchema):
    """Filters of the client list."""

    q = text(100, metadata={"description": "Part of the name, contact person or phone."})
    kind = fields.String(validate=validate.OneOf(KINDS))
    owner_id = record_id()
    include_merged = fields.Boolean(metadata={"description": "Also list duplicates merged into another client."})


class ClientMergeSchema(BaseSchema):
    """The duplicate to merge into the client of the URL."""

    duplicate_id = fields.UUID(required=True)
