"""OpenAPI descriptions of the tracker apps' requests, which are read by hand rather than by a schema."""

from __future__ import annotations

_NUMBER = {"type": "number"}

_OSMAND_FIELDS = {
    "id": ({"type": "string"}, "The device token (OsmAnd: tracker id; Traccar Client: device identifier)."),
    "deviceid": ({"type": "string"}, "Same as id."),
    "lat": (_NUMBER, "Latitude, WGS-84 degrees."),
    "lon": (_NUMBER, "Longitude, WGS-84 degrees."),
    "location": ({"type": "string"}, "Instead of lat and lon: 'lat,lon'."),
    "timestamp": ({"type": "string"}, "Epoch seconds or milliseconds, or ISO 8601 (UTC without offset); "
                                      "default: the receipt time."),
    "speed": (_NUMBER, "Knots."),
    "bearing": (_NUMBER, "Degrees clockwise from north."),
    "heading": (_NUMBER, "Same as bearing."),
    "altitude": (_NUMBER, "Metres."),
    "accuracy": (_NUMBER, "Metres."),
    "hdop": (_NUMBER, "OsmAnd's accuracy in metres (used when accuracy is absent)."),
    "batt": (_NUMBER, "Battery, percent."),
    "valid": ({"type": "string"}, "'false' or '0': the device doubts the fix (kept, never used for arrival)."),
}

OSMAND_QUERY = [{"in": "query", "name": name, "required": False, "schema": schema, "description": description}
                for name, (schema, description) in _OSMAND_FIELDS.items()]

OSMAND_FORM = {"type": "object", "properties": {
    name: {**schema, "description": description} for name, (schema, description) in _OSMAND_FIELDS.items()}}

OSMAND_JSON = {
    "type": "object",
    "description": "Traccar Client's JSON (version 9 on): speed in m/s, battery level 0-1, -1 for unknown.",
    "required": ["device_id", "location"],
    "properties": {
        "device_id": {"type": "string", "description": "The device token."},
        "location": {"type": "object", "required": ["timestamp", "coords"], "properties": {
            "timestamp": {"type": "string", "format": "date-time"},
            "coords": {"type": "object", "required": ["latitude", "longitude"], "properties": {
                "latitude": _NUMBER, "longitude": _NUMBER, "accuracy": _NUMBER, "speed": _NUMBER,
                "heading": _NUMBER, "altitude": _NUMBER}},
            "battery": {"type": "object", "properties": {"level": _NUMBER, "is_charging": {"type": "boolean"}}},
        }},
    },
}

OWNTRACKS_JSON = {
    "type": "object",
    "description": "An OwnTracks message; only _type 'location' carries a fix, other types are answered and ignored.",
    "required": ["_type"],
    "properties": {
        "_type": {"type": "string"},
        "lat": _NUMBER, "lon": _NUMBER,
        "tst": {"type": "integer", "description": "Epoch seconds of the fix."},
        "acc": {**_NUMBER, "description": "Metres."},
        "alt": {**_NUMBER, "description": "Metres."},
        "vel": {**_NUMBER, "description": "km/h."},
        "cog": {**_NUMBER, "description": "Degrees."},
        "batt": {**_NUMBER, "description": "Percent."},
        "tid": {"type": "string"},
    },
}
