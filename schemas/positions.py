"""Position batches from phones: checked in bulk, without a schema object per fix, then turned canonical.

A batch is the hot path of ingestion (hundreds of fixes per request, thousands of requests), so
`FixList` checks each fix's types with plain Python and yields plain rows; `FixInSchema` only
documents one fix in the OpenAPI spec.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate

from geo.datum import Datum, convert_many
from schemas.common import BaseSchema, Timestamp, record_id, text
from schemas.geo import canonical_datum, crs_field

MAX_BATCH = 500
REJECTION_REASONS = ("coordinates_out_of_range", "null_island", "device_time_in_future", "device_time_too_old")


class FixInSchema(BaseSchema):
    """One fix as a phone reports it (documentation of a batch item)."""

    device_time = Timestamp(required=True, metadata={"description": "When the phone took the fix, with offset."})
    lat = fields.Float(required=True, metadata={"description": "Latitude in degrees, in the request's crs."})
    lon = fields.Float(required=True, metadata={"description": "Longitude in degrees, in the request's crs."})
    accuracy = fields.Float(required=True, validate=validate.Range(min=0), metadata={"description": "Metres."})
    speed = fields.Float(allow_none=True, validate=validate.Range(min=0), metadata={"description": "m/s."})
    heading = fields.Float(allow_none=True, validate=validate.Range(min=0, max=360),
                           metadata={"description": "Degrees clockwise from north."})
    altitude = fields.Float(allow_none=True, metadata={"description": "Metres above sea level."})
    battery = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1),
                           metadata={"description": "Charge as a fraction from 0 to 1."})
    provider = text(16, allow_none=True, metadata={"description": "Location provider, e.g. gps, network, fused."})


def finite_number(value: Any) -> float:
    """A JSON number that is finite (not a boolean, a string, NaN or infinity), or ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError("Not a valid number.")
    return float(value)


def _number(value: Any, low: float | None = None, high: float | None = None) -> float:
    value = finite_number(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"Must be between {low} and {high}." if high is not None else f"Must be at least {low}.")
    return value


def _instant(value: Any) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("Not a valid ISO 8601 instant.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("Not a valid ISO 8601 instant.") from None
    if parsed.tzinfo is None:
        raise ValueError("Give the instant's offset (e.g. +08:00 or Z).")
    return parsed.astimezone(timezone.utc)


def _provider(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 16:
        raise ValueError("Give 1-16 characters.")
    return value


# request key -> (row key, parser, required)
_FIELDS = {
    "device_time": ("device_time", _instant, True),
    "lat": ("lat", _number, True),
    "lon": ("lon", _number, True),
    "accuracy": ("accuracy_m", lambda v: _number(v, 0), True),
    "speed": ("speed_mps", lambda v: _number(v, 0), False),
    "heading": ("heading_deg", lambda v: _number(v, 0, 360), False),
    "altitude": ("altitude_m", _number, False),
    "battery": ("battery", lambda v: _number(v, 0, 1), False),
    "provider": ("provider", _provider, False),
}
_OPTIONAL_ROW_KEYS = [row_key for row_key, _, required in _FIELDS.values() if not required]


_KNOWN = frozenset(_FIELDS)
_REQUIRED = frozenset(key for key, (_, _, required) in _FIELDS.items() if required)
_FINITE = (float, int)
_UTC = timezone.utc


def _fast_row(item: dict[str, Any]) -> dict[str, Any] | None:
    """The row of a well-formed fix, checked inline (the common case); None sends it to the full check."""
    if not (_REQUIRED <= item.keys() <= _KNOWN):
        return None
    at, lat, lon, accuracy = item["device_time"], item["lat"], item["lon"], item["accuracy"]
    speed, heading = item.get("speed"), item.get("heading")
    altitude, battery, provider = item.get("altitude"), item.get("battery"), item.get("provider")
    if not (type(at) is str and len(at) <= 40 and type(lat) in _FINITE and type(lon) in _FINITE
            and type(accuracy) in _FINITE and math.isfinite(lat) and math.isfinite(lon) and 0 <= accuracy < math.inf
            and (speed is None or (type(speed) in _FINITE and 0 <= speed < math.inf))
            and (heading is None or (type(heading) in _FINITE and 0 <= heading <= 360))
            and (altitude is None or (type(altitude) in _FINITE and math.isfinite(altitude)))
            and (battery is None or (type(battery) in _FINITE and 0 <= battery <= 1))
            and (provider is None or (type(provider) is str and 1 <= len(provider) <= 16))):
        return None
    try:
        parsed = datetime.fromisoformat(at)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return {"device_time": parsed.astimezone(_UTC), "lat": float(lat), "lon": float(lon),
            "accuracy_m": float(accuracy), "speed_mps": None if speed is None else float(speed),
            "heading_deg": None if heading is None else float(heading),
            "altitude_m": None if altitude is None else float(altitude),
            "battery": None if battery is None else float(battery), "provider": provider}


def parse_fix(item: Any) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Check one fix's fields and types; return its row (None when wrong) and the errors by field."""
    if type(item) is dict:
        row = _fast_row(item)
        if row is not None:
            return row, {}
    if not isinstance(item, dict):
        return None, {"_schema": ["Not a valid fix object."]}
    errors: dict[str, list[str]] = {}
    row: dict[str, Any] = dict.fromkeys(_OPTIONAL_ROW_KEYS)
    for key, value in item.items():
        spec = _FIELDS.get(key)
        if spec is None:
            errors[key] = ["Unknown field."]
        elif value is None and not spec[2]:
            continue
        else:
            try:
                row[spec[0]] = spec[1](value)
            except ValueError as error:
                errors[key] = [str(error)]
    for key, (_, _, required) in _FIELDS.items():
        if required and key not in item:
            errors[key] = ["Missing data for required field."]
    return (None if errors else row), errors


class FixList(fields.List):
    """Up to 500 fixes, checked with plain Python (documented as a list of FixIn)."""

    def __init__(self, **kwargs):
        super().__init__(fields.Nested(FixInSchema), validate=validate.Length(max=MAX_BATCH), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise ValidationError("Not a valid list.")
        if len(value) > MAX_BATCH:
            raise ValidationError(f"At most {MAX_BATCH} fixes per batch.")
        rows, errors = [], {}
        for index, item in enumerate(value):
            row, problems = parse_fix(item)
            if problems:
                errors[index] = problems
            else:
                rows.append(row)
        if errors:
            raise ValidationError(errors)
        return rows


@dataclass
class FixBatch:
    """A request's fixes as plain rows, with the datum they were sent in (None: the request did not say)."""

    rows: list[dict[str, Any]]
    crs: str | None

    def in_canonical(self, default_crs: str | None = None) -> list[dict[str, Any]]:
        """Return the rows with lat/lon in the canonical datum (from the request's crs, else the default)."""
        return rows_in_canonical(self.rows, self.crs or default_crs or Datum.WGS84.value)


def rows_in_canonical(rows: list[dict[str, Any]], crs: str) -> list[dict[str, Any]]:
    """Convert the rows' lat/lon from `crs` to the canonical datum, all at once; out-of-range ones pass."""
    source, target = Datum(crs), canonical_datum.get()
    if source is target or not rows:
        return rows
    lats, lons = convert_many([r["lat"] for r in rows], [r["lon"] for r in rows], source, target)
    return [{**row, "lat": float(lat), "lon": float(lon)} for row, lat, lon in zip(rows, lats, lons)]


class PositionBatchSchema(BaseSchema):
    """Fixes from the surveyor's phone, oldest or newest first, in one datum."""

    fixes = FixList(required=True)
    crs = crs_field(load_default=None)
    device_id = record_id(load_default=None, metadata={
        "description": "The registered device sending (its default crs applies when crs is not given)."})
    surveyor_id = record_id(load_default=None, metadata={
        "description": "Optional; when given it must be the caller: a surveyor posts only their own fixes."})

    @post_load
    def _batch(self, data, **kwargs):
        data["batch"] = FixBatch(rows=data.pop("fixes"), crs=data.pop("crs"))
        return data


class RejectedFixSchema(BaseSchema):
    """A fix refused by a rule, by its position in the request."""

    index = fields.Integer(dump_only=True)
    reason = fields.String(dump_only=True, metadata={"description": "One of: " + ", ".join(REJECTION_REASONS)})


class IngestResultSchema(BaseSchema):
    """What became of a request's fixes."""

    accepted = fields.Integer(dump_only=True, metadata={"description": "Stored now."})
    duplicate = fields.Integer(dump_only=True, metadata={"description": "Already stored (same device time)."})
    off_duty = fields.Integer(dump_only=True, metadata={
        "description": "Taken off duty with no open dispatch: not stored."})
    rejected = fields.List(fields.Nested(RejectedFixSchema), dump_only=True)

