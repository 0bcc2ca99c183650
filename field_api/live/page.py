"""GET /map: the coordinators' live map page, with Leaflet served from the installed xstatic-leaflet package."""

from __future__ import annotations

from urllib.parse import urlsplit

import xstatic.pkg.leaflet as leaflet
from flask import Blueprint, current_app, render_template, send_from_directory

page = Blueprint("map_page", __name__)


@page.get("/map")
def live_map():
    """The map page: a sign-in form, then the live map; every script and style is a file of this server."""
    cfg = current_app.config
    html = render_template("live/map.html", tiles=cfg["MAP_TILES"], tiles_datum=cfg["MAP_TILES_DATUM"],
                           attribution=cfg["MAP_TILES_ATTRIBUTION"], leaflet_version=leaflet.VERSION)
    return html, 200, {"Content-Security-Policy": content_security_policy(cfg["MAP_TILES"]),
                       "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@page.get("/map/leaflet/<path:filename>")
def leaflet_files(filename: str):
    """Leaflet's script, style and images from the installed package (no CDN)."""
    return send_from_directory(leaflet.BASE_DIR, filename, max_age=86400)


def content_security_policy(tiles: str) -> str:
    """Only this server's scripts, styles and connections; images also from the tile server."""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            f"img-src 'self' data:{' ' + tile_origin(tiles) if tiles else ''}; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def tile_origin(tiles: str) -> str:
    """The CSP source of a tile URL template: its origin, with a {s} subdomain as a wildcard."""
    parts = urlsplit(tiles)
    host = parts.netloc
    if host.startswith("{s}."):
        host = "*." + host[4:]
    if not parts.scheme or not host or "{" in host:
        return f"{parts.scheme}:" if parts.scheme else "'self'"
    return f"{parts.scheme}://{host}"
