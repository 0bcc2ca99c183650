"""Configuration: defaults, then FIELD_API_* environment variables, then a test's overrides."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "ENV": "development",
    "DATABASE_URL": None,
    "MEDIA_ROOT": None,
    "SECRET_KEY": None,
    "REDIS_URL": None,
    "TIMEZONE": "Asia/Shanghai",
    "DATUM": "wgs84",
    "TOKEN_TTL_HOURS": 12,
    "LOGIN_LIMIT_PER_USERNAME": "10 per 15 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "60 per 15 minutes",
    "WRITE_LIMIT": "1200 per minute",
    "MAP_TILES": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    "PASSWORD_HASH_CHEAP": False,
    "ARRIVAL_RADIUS_M": 200.0,
    "FIX_MAX_ACCURACY_M": 100.0,
    "FIX_RETENTION_DAYS": 90,
    "WORKER_INTERVAL_S": 1.0,
    "REPORT_SETTLE_INTERVAL_S": 600.0,
    "VISIT_DISTANCE_FLAG_M": 300,
    "THANK_YOU_LETTER_DAYS": 7,
    "DISPATCH_WAIT_MINUTES": 3,
    "PHOTO_MAX_BYTES": 15 * 1024 * 1024,
    "IMAGE_MAX_PIXELS": 64_000_000,
    "SEAL_KEY": None,
    "PHOTO_SITE_RADIUS_M": 500.0,
    "PHOTO_BEFORE_DISPATCH_H": 24.0,
    "CLAIMS_ENQUIRY_PHONE": "95512",
    "PROPERTY_CENTRE_AUTHORITY_CNY": 1_000_000,
}

DEV_SECRET_FILE = "secret_key"
DEV_SEAL_KEY_FILE = "seal_key"
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration cannot run the service."""


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill app.config from defaults, FIELD_API_* variables and overrides, then derive the rest."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("FIELD_API")
    if overrides:
        app.config.update(overrides)
    cfg = app.config
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    try:
        ZoneInfo(cfg["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"FIELD_API_TIMEZONE={cfg['TIMEZONE']!r} is not an IANA time zone") from exc

    interval = cfg["REPORT_SETTLE_INTERVAL_S"]
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval <= 0:
        raise ConfigError(f"FIELD_API_REPORT_SETTLE_INTERVAL_S={interval!r}: seconds, more than 0")

    if cfg["DATUM"] not in ("wgs84", "gcj02"):
        raise ConfigError(f"FIELD_API_DATUM={cfg['DATUM']!r}: the canonical datum is wgs84 or gcj02")

    cfg["SQLALCHEMY_DATABASE_URI"] = database_url(cfg["DATABASE_URL"] or f"sqlite:///{instance / 'field_api.sqlite3'}")
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A server can drop a pooled connection (a restart, an idle timeout): a checkout pings it first, which
        # a SQLite file's connection never needs. Sessions in UTC: timestamps then arrive in the zone they are
        # kept in, with no conversion per value. No JIT: compiling a report's aggregates took longer than
        # running them (0.6 s of 2.7 s per query).
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True,
                                            "connect_args": {"options": "-c TimeZone=UTC -c jit=off"}}
    cfg["MEDIA_ROOT"] = str(Path(cfg["MEDIA_ROOT"] or instance / "media"))
    cfg["SECRET_KEY"] = secret_key(cfg, instance)
    cfg["SEAL_KEY"] = seal_key(cfg, instance)

    cfg["RATELIMIT_STORAGE_URI"] = cfg["REDIS_URL"] or "memory://"
    cfg["RATELIMIT_HEADERS_ENABLED"] = True
    cfg.setdefault("RATELIMIT_ENABLED", True)

    cfg["API_TITLE"] = "field_api"
    cfg["API_VERSION"] = "v1"
    cfg["OPENAPI_VERSION"] = "3.1.0"
    cfg["OPENAPI_URL_PREFIX"] = "/api"
    cfg["OPENAPI_JSON_PATH"] = "openapi.json"
    cfg["OPENAPI_SWAGGER_UI_PATH"] = "/docs"
    cfg["OPENAPI_SWAGGER_UI_URL"] = "/api/docs/static/"
    cfg["JSON_SORT_KEYS"] = False


def database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at psycopg 3, the driver this project ships."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_production(cfg: Any) -> bool:
    """Whether the service runs for real (FIELD_API_ENV=production)."""
    return cfg.get("ENV") == "production"


def secret_key(cfg: Any, instance: Path) -> str:
    """Return the secret key: required in production, generated once and kept in development."""
    return _key(cfg, instance, "SECRET_KEY", DEV_SECRET_FILE)


def seal_key(cfg: Any, instance: Path) -> str:
    """Return the key of claim-form seals (never stored in the database): like the secret key, required in production."""
    return _key(cfg, instance, "SEAL_KEY", DEV_SEAL_KEY_FILE)


def _key(cfg: Any, instance: Path, name: str, dev_file: str) -> str:
    key_file = instance / dev_file
    key = cfg.get(name)
    if is_production(cfg):
        if not key or len(str(key)) < MIN_SECRET_LENGTH:
            raise ConfigError(f"production needs FIELD_API_{name} of at least {MIN_SECRET_LENGTH} characters")
        if key_file.exists() and key_file.read_text().strip() == str(key):
            raise ConfigError(f"production refuses the development {name.lower().replace('_', ' ')}; "
                              "generate a new one")
        return str(key)
    if key:
        return str(key)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
    return key_file.read_text().strip()
