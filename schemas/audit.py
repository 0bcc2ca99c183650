"""The audit trail as read by admins and managers."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import BaseSchema, Timestamp, text


class AuditEventSchema(BaseSchema):
    """One change or sensitive reading."""

    id = fields.Integer(dump_only=True)
    at = Timestamp(dump_only=True)
    actor_id = fields.Integer(dump_only=True, allow_none=True)
    actor_address = fields.String(dump_only=True, allow_none=True)
    actor_device = fields.String(dump_only=True, allow_none=True)
    action = fields.String(dump_only=True)
    entity_type = fields.String(dump_only=True)
    entity_id = fields.String(dump_only=True)
    branch_id = fields.Integer(dump_only=True, allow_none=True)
    changes = fields.Dict(dump_only=True)


class AuditQueryArgsSchema(BaseSchema):
    """Filters of the audit trail."""

    entity_type = text(32)
    entity_id = text(64)
    actor_id = fields.Integer(validate=validate.Range(min=1))
    action = text(64)
    since = Timestamp(data_key="from")
    until = Timestamp(data_key="to")
