"""Tracking's settings and their defaults (FIELD_API_FIX_* variables override them)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from field_api.tracking.ingest import Limits

DEFAULTS: dict[str, Any] = {
    "FIX_MAX_ACCURACY_M": 100,
    "FIX_RETENTION_DAYS": 90,
}


def init_app(app: Flask) -> None:
    """Fill in the defaults the deployment did not set."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)


def limits(config: Any) -> Limits:
    """The ingestion thresholds of a configuration."""
    return Limits(max_accuracy_m=float(config["FIX_MAX_ACCURACY_M"]))
