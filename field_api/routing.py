"""URL converters: record ids in paths stay within what the database columns hold."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, UnicodeConverter

from schemas.common import MAX_ID


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in our routes: a non-negative id no larger than a 32-bit column holds (else 404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class TextConverter(UnicodeConverter):
    """`<string:...>` in our routes: no NUL character, which PostgreSQL cannot compare (a 404, not a 500)."""

    def __init__(self, map, minlength: int = 1, maxlength: int | None = None, length: int | None = None) -> None:
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\x00]")


def text_schema(_converter) -> dict:
    """How the text converter appears in the OpenAPI spec (as a plain string, like werkzeug's)."""
    return {"type": "string", "minLength": 1}


def record_id_schema(_converter) -> dict:
    """How the converter appears in the OpenAPI spec."""
    return {"type": "integer", "minimum": 0, "maximum": MAX_ID}
