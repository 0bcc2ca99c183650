"""Coordinates at the edge: each request says its datum, and the schema turns it into the canonical one.

The app sets the deployment's canonical datum per request (`canonical_datum`); services and `geo/`
then see one datum only.
"""

from __future__ import annotations

from contextvars import ContextVar

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from geo.datum import Datum, convert
from schemas.common import BaseSchema

canonical_datum: ContextVar[Datum] = ContextVar("canonical_datum", default=Datum.WGS84)
DATUMS = [d.value for d in Datum]


def crs_field(**kwargs) -> fields.String:
    """The datum a request's coordinates are in: wgs84, gcj02 or bd09."""
    return fields.String(validate=validate.OneOf(DATUMS), metadata={
        "description": "Datum of the coordinates: wgs84 (GPS), gcj02 (AMap, Tencent) or bd09 (Baidu)."}, **kwargs)


def latitude(**kwargs) -> fields.Float:
    """A latitude in degrees."""
    return fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False, **kwargs)


def longitude(**kwargs) -> fields.Float:
    """A longitude in degrees."""
    return fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False, **kwargs)


def to_canonical(lat: float, lon: float, crs: str | Datum | None) -> tuple[float, float]:
    """Convert a coordinate from the datum it was sent in to the deployment's canonical datum."""
    return convert(lat, lon, Datum(crs or Datum.WGS84), canonical_datum.get())


def from_canonical(lat: float, lon: float, crs: str | Datum | None) -> tuple[float, float]:
    """Convert a stored coordinate to the datum a reader asked for (the canonical one by default)."""
    target = Datum(crs) if crs else canonical_datum.get()
    return convert(lat, lon, canonical_datum.get(), target)


class PointSchema(BaseSchema):
    """A point with its datum; loads as canonical-datum lat/lon."""

    lat = latitude(required=True)
    lon = longitude(required=True)
    crs = crs_field(load_default=Datum.WGS84.value)

    @validates_schema
    def _not_null_island(self, data, **kwargs):
        if data.get("lat") == 0 and data.get("lon") == 0:
            raise ValidationError("(0, 0) is not a real position.", field_name="lat")

    @post_load
    def _canonical(self, data, **kwargs):
        data["lat"], data["lon"] = to_canonical(data["lat"], data["lon"], data.pop("crs"))
        return data


class CrsQueryArgsSchema(BaseSchema):
    """The datum a reader wants coordinates in (default: the deployment's)."""

    crs = crs_field()


output_datum: ContextVar[Datum | None] = ContextVar("output_datum", default=None)


class Location(fields.Field):
    """Dumps an object's stored lat/lon as {lat, lon, crs} in the datum the reader asked for."""

    def __init__(self, lat_attr: str = "lat", lon_attr: str = "lon", **kwargs):
        super().__init__(dump_only=True, **kwargs)
        self.lat_attr, self.lon_attr = lat_attr, lon_attr

    def _serialize(self, value, attr, obj, **kwargs):
        lat, lon = getattr(obj, self.lat_attr), getattr(obj, self.lon_attr)
        if lat is None or lon is None:
            return None
        target = output_datum.get() or canonical_datum.get()
        lat, lon = convert(lat, lon, canonical_datum.get(), target)
        return {"lat": round(lat, 7), "lon": round(lon, 7), "crs": target.value}

    def get_value(self, obj, attr, accessor=None, default=None):
        return obj
