"""Service zones as GeoJSON FeatureCollections."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from schemas.common import BaseSchema
from schemas.geo import crs_field


class ZonesPutSchema(ma.Schema):
    """A GeoJSON FeatureCollection whose features carry `properties.kind`: urban or suburban."""

    class Meta:
        # GeoJSON files carry foreign members (name, crs, bbox); they are ignored, not refused.
        unknown = ma.EXCLUDE

    type = fields.String(required=True, validate=validate.Equal("FeatureCollection"))
    features = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=5000))


class ZonesSchema(BaseSchema):
    """A branch's zones: a GeoJSON FeatureCollection with the branch, version, datum and repairs."""

    type = fields.Constant("FeatureCollection", dump_only=True)
    features = fields.List(fields.Dict(), dump_only=True)
    branch_code = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    datum = fields.String(dump_only=True, metadata={"description": "Datum of the coordinates."})
    repairs = fields.List(fields.String(), dump_only=True)


class ZonesQueryArgsSchema(BaseSchema):
    """The datum of the zones: sent (PUT) or wanted (GET; GeoJSON's WGS-84 by default)."""

    crs = crs_field(load_default="wgs84")
