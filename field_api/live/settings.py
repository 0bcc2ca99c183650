"""The live map's settings (FIELD_API_LIVE_*, FIELD_API_MAP_*), defaulted and checked when the app starts."""

from __future__ import annotations

from typing import Any

from flask import Flask

from field_api.config import ConfigError
from field_api.live.sharing import SharedMaps

OPENSTREETMAP = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OPENSTREETMAP_ATTRIBUTION = "© OpenStreetMap contributors"

DEFAULTS: dict[str, Any] = {
    "LIVE_TICKET_TTL_S": 30,
    "LIVE_HEARTBEAT_S": 15.0,
    "LIVE_STREAM_MAX_S": 600.0,
    "LIVE_QUEUE_SIZE": 1000,
    "LIVE_POLL_S": 0.5,
    "LIVE_MAP_SHARE_S": 1.0,
    "LIVE_CHANNEL": "field_api:live",
    "MAP_TILES": OPENSTREETMAP,
    "MAP_TILES_DATUM": "wgs84",
    "MAP_TILES_ATTRIBUTION": None,
}
POSITIVE = ("LIVE_TICKET_TTL_S", "LIVE_HEARTBEAT_S", "LIVE_STREAM_MAX_S", "LIVE_QUEUE_SIZE", "LIVE_POLL_S")


def init_app(app: Flask) -> None:
    """Fill in the live map's defaults and refuse settings it cannot run with."""
    cfg = app.config
    for key, value in DEFAULTS.items():
        cfg.setdefault(key, value)
    for key in POSITIVE:
        try:
            ok = float(cfg[key]) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ConfigError(f"FIELD_API_{key}={cfg[key]!r} must be a positive number")
    share_s = cfg["LIVE_MAP_SHARE_S"]
    try:
        cfg["LIVE_MAP_SHARE_S"] = float(share_s)
    except (TypeError, ValueError):
        cfg["LIVE_MAP_SHARE_S"] = -1.0
    if not 0 <= cfg["LIVE_MAP_SHARE_S"] <= 60:
        raise ConfigError(f"FIELD_API_LIVE_MAP_SHARE_S={share_s!r}: seconds from 0 (off) to 60")
    app.extensions["live_maps"] = SharedMaps(cfg["LIVE_MAP_SHARE_S"])
    if cfg["MAP_TILES_DATUM"] not in ("wgs84", "gcj02"):
        raise ConfigError(f"FIELD_API_MAP_TILES_DATUM={cfg['MAP_TILES_DATUM']!r}: the tiles' datum is wgs84 or gcj02")
    cfg["MAP_TILES"] = str(cfg["MAP_TILES"] or "")
    if cfg["MAP_TILES_ATTRIBUTION"] is None:
        cfg["MAP_TILES_ATTRIBUTION"] = OPENSTREETMAP_ATTRIBUTION if cfg["MAP_TILES"] == OPENSTREETMAP else ""
