"""URL converters: record ids in paths stay within what the database columns hold."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

from schemas.common import MAX_ID


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in our routes: a non-negative id no larger than a 32-bit column holds (else 404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def record_id_schema(_converter) -> dict:
    """How the converter appears in the OpenAPI spec."""
    return {"type": "integer", "minimum": 0, "maximum": MAX_ID}
