"""Locate shared test data without depending on where the app keeps its copy."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHENZHEN_CANDIDATES = (
    REPO / "field_api" / "data" / "shenzhen-districts-gcj02.geojson",
    REPO.parent / "shared" / "data" / "shenzhen-districts-gcj02.geojson",
)


def shenzhen_districts_path() -> Path:
    """Return the first Shenzhen districts file that exists: the app's copy, else shared/."""
    for path in SHENZHEN_CANDIDATES:
        if path.is_file():
            return path
    raise FileNotFoundError(f"Shenzhen districts not found at any of {[str(p) for p in SHENZHEN_CANDIDATES]}")


@lru_cache(maxsize=1)
def _shenzhen_text() -> str:
    return shenzhen_districts_path().read_text(encoding="utf-8")


def shenzhen_districts() -> dict:
    """Return a fresh copy of the Shenzhen districts FeatureCollection (GCJ-02)."""
    return json.loads(_shenzhen_text())
