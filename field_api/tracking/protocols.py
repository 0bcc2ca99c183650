"""The free tracker apps' protocols, read at the edge into plain WGS-84 rows and then the canonical datum.

OsmAnd / Traccar Client (https://www.traccar.org/osmand/): `id` (here: the device token), `lat`, `lon`,
`timestamp`, `speed` in knots, `bearing`, `altitude`, `accuracy`, `batt` in percent, as query or form
parameters; or Traccar Client's JSON body, whose speed is in m/s and battery level a fraction.
OwnTracks HTTP mode (https://owntracks.org/booklet/tech/json/): `_type: location` with `lat`, `lon`,
`tst` (epoch seconds), `acc` (m), `alt` (m), `vel` (km/h), `cog` (degrees), `batt` (percent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from field_api.errors import Invalid
from schemas.positions import finite_number, rows_in_canonical

KNOT_MPS = 1852.0 / 3600.0
KMH_MPS = 1.0 / 3.6
SECONDS_LIMIT = 2**31 - 1  # as Traccar decides: a larger epoch number is in milliseconds


@dataclass(frozen=True)
class TrackerReport:
    """A tracker app's request: the device token (never to be logged) and its fixes, canonical."""

    token: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    username: str | None = None


def fix_row(device_time: datetime, lat: float, lon: float, *, accuracy: float | None = None,
            speed: float | None = None, heading: float | None = None, altitude: float | None = None,
            battery: float | None = None, provider: str | None = None) -> dict[str, Any]:
    """One fix as ingestion takes it (SI units, battery as a fraction)."""
    return {"device_time": device_time, "lat": lat, "lon": lon, "accuracy_m": accuracy, "speed_mps": speed,
            "heading_deg": heading, "altitude_m": altitude, "battery": battery, "provider": provider}


def _number(value: Any, name: str) -> float:
    """A number, sent as a JSON number or as text (query and form values are text)."""
    try:
        return finite_number(float(value) if isinstance(value, str) else value)
    except ValueError:
        raise Invalid("Not a valid number.", field=name) from None


def _optional(value: Any, name: str, scale: float = 1.0, *, low: float | None = 0.0,
              high: float | None = None) -> float | None:
    """A number in the protocol's unit, scaled; missing, or outside [low, high] (the apps' 'unknown'), None."""
    if value is None or value == "":
        return None
    number = _number(value, name)
    if (low is not None and number < low) or (high is not None and number > high):
        return None
    return number * scale


def _epoch(value: float, name: str) -> datetime:
    seconds = value if abs(value) < SECONDS_LIMIT else value / 1000.0
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise Invalid("Not a valid time.", field=name) from None


def _instant(value: Any, name: str) -> datetime:
    """A time as the apps send it: epoch seconds or milliseconds, or ISO 8601 (UTC when it has no offset)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _epoch(_number(value, name), name)
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        raise Invalid("Not a valid time.", field=name)
    text = value.strip()
    try:
        return _epoch(float(text), name)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid("Not a valid time.", field=name) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def osmand_from_params(params: Mapping[str, str], *, now: datetime) -> TrackerReport:
    """Read an OsmAnd / Traccar Client query or form request."""
    value = {key: params.get(key) for key in ("id", "deviceid", "lat", "lon", "location", "timestamp", "speed",
                                              "bearing", "heading", "altitude", "accuracy", "hdop", "batt",
                                              "valid")}
    token = (value["id"] or value["deviceid"] or "").strip() or None
    if value["lat"] and value["lon"]:
        lat, lon = _number(value["lat"], "lat"), _number(value["lon"], "lon")
    elif value["location"] and value["location"].count(",") == 1:
        lat_text, lon_text = value["location"].split(",")
        lat, lon = _number(lat_text, "location"), _number(lon_text, "location")
    else:
        raise Invalid("Give lat and lon (or location=lat,lon).", field="lat")
    at = _instant(value["timestamp"], "timestamp") if value["timestamp"] else now
    # OsmAnd's own URL template puts the fix's accuracy in metres in its hdop slot.
    accuracy = _optional(value["accuracy"], "accuracy")
    if accuracy is None:
        accuracy = _optional(value["hdop"], "hdop", low=1e-9)
    if (value["valid"] or "").strip().lower() in ("false", "0"):
        accuracy = None  # the device itself doubts the fix: keep it, never use it for arrival
    row = fix_row(at, lat, lon, accuracy=accuracy, speed=_optional(value["speed"], "speed", KNOT_MPS),
                  heading=_optional(value["bearing"] or value["heading"], "bearing", high=360.0),
                  altitude=_optional(value["altitude"], "altitude", low=None),
                  battery=_optional(value["batt"], "batt", 0.01, high=100.0))
    return TrackerReport(token=token, rows=rows_in_canonical([row], "wgs84"))


def _traccar_location(location: Any) -> dict[str, Any]:
    if not isinstance(location, dict) or not isinstance(location.get("coords"), dict):
        raise Invalid("A location needs its coords.", field="location")
    coords = location["coords"]
    battery = location.get("battery") if isinstance(location.get("battery"), dict) else {}
    for name in ("latitude", "longitude"):
        if name not in coords:
            raise Invalid("Missing data for required field.", field=f"location.coords.{name}")
    return fix_row(_instant(location.get("timestamp"), "location.timestamp"),
                   _number(coords["latitude"], "location.coords.latitude"),
                   _number(coords["longitude"], "location.coords.longitude"),
                   accuracy=_optional(coords.get("accuracy"), "location.coords.accuracy"),
                   speed=_optional(coords.get("speed"), "location.coords.speed"),
                   heading=_optional(coords.get("heading"), "location.coords.heading", high=360.0),
                   altitude=_optional(coords.get("altitude"), "location.coords.altitude", low=None),
                   battery=_optional(battery.get("level"), "location.battery.level", high=1.0))


def osmand_from_json(body: Any) -> TrackerReport:
    """Read Traccar Client's JSON body: {"device_id", "location": {...}} (or a list of locations)."""
    if not isinstance(body, dict):
        raise Invalid("The body is not a JSON object.", field="json")
    token = body.get("device_id")
    if not isinstance(token, str) or not token.strip():
        token = None
    locations = body.get("location")
    locations = locations if isinstance(locations, list) else [locations]
    if not locations or len(locations) > 500:
        raise Invalid("Give one location, or a list of at most 500.", field="location")
    rows = [_traccar_location(location) for location in locations]
    return TrackerReport(token=token and token.strip(), rows=rows_in_canonical(rows, "wgs84"))


def owntracks_from_json(body: Any, *, username: str | None, password: str | None) -> TrackerReport:
    """Read an OwnTracks HTTP-mode message; only `_type: location` carries a fix, the rest are ignored."""
    if not isinstance(body, dict):
        raise Invalid("The body is not a JSON object.", field="json")
    if body.get("_type") != "location":
        return TrackerReport(token=password, username=username)
    for name in ("lat", "lon", "tst"):
        if name not in body:
            raise Invalid("Missing data for required field.", field=name)
    row = fix_row(_epoch(_number(body["tst"], "tst"), "tst"), _number(body["lat"], "lat"), _number(body["lon"], "lon"),
                  accuracy=_optional(body.get("acc"), "acc"),
                  speed=_optional(body.get("vel"), "vel", KMH_MPS),
                  heading=_optional(body.get("cog"), "cog", high=360.0),
                  altitude=_optional(body.get("alt"), "alt", low=None),
                  battery=_optional(body.get("batt"), "batt", 0.01, high=100.0))
    return TrackerReport(token=password, rows=rows_in_canonical([row], "wgs84"), username=username)
