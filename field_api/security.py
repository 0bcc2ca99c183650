"""Response headers and request limits that protect every endpoint and page."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_limiter import ApplicationLimit
from flask_limiter.util import get_remote_address

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Swagger UI's own page carries an inline bootstrap script.
INLINE_SCRIPT_PAGES = ("/api/docs",)


def caller_key() -> str:
    """Who a write counts against: the bearer token (a user's session), else the client address."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return "token:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
    return "address:" + (get_remote_address() or "unknown")


def _not_a_limited_write() -> bool:
    # Sign-in has its own, stricter limits; tracker apps are limited per device by their own retries.
    return request.method in SAFE_METHODS or request.path == "/api/v1/auth/token"


WRITE_LIMIT = ApplicationLimit(lambda: current_app.config["WRITE_LIMIT"], key_function=caller_key,
                               exempt_when=_not_a_limited_write, scope="writes")


def content_security_policy(app: Flask) -> str:
    """The page policy: our own scripts and styles only; map tiles from the configured host."""
    images = ["'self'", "data:"]
    tiles = app.config.get("MAP_TILES") or ""
    if tiles:
        parts = urlsplit(tiles.replace("{s}", "a"))
        if parts.scheme and parts.netloc:
            host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tiles else parts.netloc
            images.append(f"{parts.scheme}://{host}")
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src " + " ".join(images)
            + "; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")


def install(app: Flask) -> None:
    """Add the security headers to every response."""
    policy = content_security_policy(app)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if response.mimetype == "text/html":
            page_policy = policy
            if request.path.startswith(INLINE_SCRIPT_PAGES):
                page_policy = policy.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
                    "style-src 'self'", "style-src 'self' 'unsafe-inline'")
            response.headers.setdefault("Content-Security-Policy", page_policy)
            response.headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
