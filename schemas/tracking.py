"""Devices, duty, tracks and the tracker apps' answers."""

from __future__ import annotations

from datetime import timezone
from typing import Any

from marshmallow import fields, validate

from geo.datum import Datum, convert_many
from schemas.common import BaseSchema, Timestamp, record_id, text
from schemas.geo import canonical_datum, crs_field

PROTOCOLS = ("osmand", "owntracks", "app")


class DutySchema(BaseSchema):
    """Going on or off duty, at the phone's time."""

    on_duty = fields.Boolean(required=True)
    device_time = Timestamp(required=True, metadata={"description": "When the change happened on the phone."})


class DutyStateSchema(BaseSchema):
    """Whether the caller is on duty, and since when."""

    on_duty = fields.Boolean(dump_only=True)
    since = Timestamp(dump_only=True, allow_none=True)


class DeviceCreateSchema(BaseSchema):
    """A phone to register: the tracker app it runs, and the default datum of its fixes (tracker protocols:
    wgs84 only)."""

    name = text(64, required=True, metadata={"description": "e.g. 'Li Wei's Huawei'."})
    protocol = fields.String(required=True, validate=validate.OneOf(PROTOCOLS))
    crs = crs_field(load_default=None)
    surveyor_id = record_id(load_default=None, metadata={
        "description": "The surveyor who carries it (default: the caller, when a surveyor)."})


class DeviceSchema(BaseSchema):
    """A registered device; its token is never shown again."""

    id = fields.Integer(dump_only=True)
    surveyor_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    protocol = fields.Function(lambda d: d.protocol.value, dump_only=True)
    crs = fields.String(attribute="default_crs", dump_only=True)
    created_at = Timestamp(dump_only=True)
    revoked_at = Timestamp(dump_only=True, allow_none=True)


class DeviceIssuedSchema(DeviceSchema):
    """A newly registered device with its secret token, shown only in this answer."""

    token = fields.String(dump_only=True, metadata={
        "description": "OsmAnd/Traccar Client: the device identifier; OwnTracks: the password."})


class DeviceQueryArgsSchema(BaseSchema):
    """Filters of the device list."""

    surveyor_id = record_id()
    active = fields.Boolean()


class TrackQueryArgsSchema(BaseSchema):
    """The period of a track (default: the 24 hours before `to`, which defaults to now) and the datum of the
    answer (default wgs84, as RFC 7946 requires)."""

    start = Timestamp(data_key="from", load_default=None)
    end = Timestamp(data_key="to", load_default=None)
    crs = crs_field(load_default=None)


class FeatureCollectionSchema(BaseSchema):
    """A GeoJSON FeatureCollection (RFC 7946), with the datum of its coordinates."""

    type = fields.Constant("FeatureCollection", dump_only=True)
    datum = fields.String(dump_only=True, metadata={"description": "wgs84 unless another crs was asked for."})
    features = fields.List(fields.Raw(), dump_only=True)


class OwnTracksReplySchema(BaseSchema):
    """A message back to an OwnTracks app (we send none: the answer is always [])."""

    type_ = fields.String(dump_only=True, data_key="_type")


def _iso(instant) -> str:
    return instant.astimezone(timezone.utc).isoformat()


def track_geojson(rows: list[Any], *, surveyor_id: int, crs: str | None) -> dict[str, Any]:
    """A track as GeoJSON: a LineString of the usable fixes, then every fix as a Point with its flags."""
    target = Datum(crs or Datum.WGS84.value)
    lats, lons = convert_many([r.lat for r in rows], [r.lon for r in rows], canonical_datum.get(), target)
    features, line, times = [], [], []
    for row, lat, lon in zip(rows, lats.tolist(), lons.tolist()):
        at = _iso(row.device_time)
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": {"device_time": at, "accuracy_m": row.accuracy_m, "speed_mps": row.speed_mps,
                                        "heading_deg": row.heading_deg, "altitude_m": row.altitude_m,
                                        "battery": row.battery, "source": row.source.value,
                                        "poor_accuracy": row.poor_accuracy, "implausible": row.implausible}})
        if not (row.poor_accuracy or row.implausible):
            line.append([lon, lat])
            times.append(at)
    if len(line) >= 2:
        features.insert(0, {"type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
                            "properties": {"surveyor_id": surveyor_id, "times": times}})
    return {"type": "FeatureCollection", "datum": target.value, "features": features}
