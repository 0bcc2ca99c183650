"""Base schema, field types and shapes shared by every resource."""

from __future__ import annotations

from datetime import datetime, timezone

import marshmallow as ma
from marshmallow import fields, validate


class BaseSchema(ma.Schema):
    """Refuses unknown fields, so a typo is an error and not silently dropped."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class Timestamp(fields.AwareDateTime):
    """An ISO 8601 instant with an offset; returned in UTC."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value: datetime | None, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(timezone.utc).isoformat()

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not value.isprintable():
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)  # Python's parser skips NULs
        return super()._deserialize(value, attr, data, **kwargs)


def no_nul(value: str) -> None:
    """Refuse NUL characters: PostgreSQL cannot store or compare them (it would be a 500, not a 422)."""
    if "\x00" in value:
        raise ma.ValidationError("NUL characters are not allowed.")


def text(max_length: int, **kwargs) -> fields.String:
    """A string with a length limit (and at least one character unless allow_empty), without NUL characters."""
    minimum = 0 if kwargs.pop("allow_empty", False) else 1
    return fields.String(validate=[validate.Length(min=minimum, max=max_length), no_nul], **kwargs)


MAX_ID = 2**31 - 1


def record_id(**kwargs) -> fields.Integer:
    """The id of a stored record: a positive 32-bit integer, as every database column holds it."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)
