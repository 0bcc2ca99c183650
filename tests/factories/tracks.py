"""Realistic GPS tracks: a phone driving in a straight line, then parking, with optional jitter."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

METRES_PER_DEGREE = 111_320.0


def offset(point: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    """A point moved by metres north and east."""
    lat, lon = point
    return (lat + north_m / METRES_PER_DEGREE,
            lon + east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat))))


def drive(start: tuple[float, float], end: tuple[float, float], *, depart: datetime, speed_kmh: float,
          every_s: float = 10.0, accuracy_m: float = 8.0, park_s: float = 120.0) -> list[dict]:
    """Fixes from start to end at a steady speed, then parked at the end for park_s seconds."""
    north = (end[0] - start[0]) * METRES_PER_DEGREE
    east = (end[1] - start[1]) * METRES_PER_DEGREE * math.cos(math.radians(start[0]))
    distance = math.hypot(north, east)
    duration = distance / (speed_kmh / 3.6)
    fixes, t = [], 0.0
    while t < duration + park_s:
        share = min(t / duration, 1.0) if duration else 1.0
        lat, lon = start[0] + (end[0] - start[0]) * share, start[1] + (end[1] - start[1]) * share
        fixes.append(fix(depart + timedelta(seconds=t), (lat, lon), accuracy_m,
                         speed=speed_kmh / 3.6 if share < 1 else 0.0))
        t += every_s
    return fixes


def fix(at: datetime, point: tuple[float, float], accuracy_m: float = 8.0, speed: float | None = None) -> dict:
    """One fix as the phone's JSON API sends it."""
    body = {"device_time": at.isoformat(), "lat": round(point[0], 7), "lon": round(point[1], 7),
            "accuracy": accuracy_m}
    if speed is not None:
        body["speed"] = speed
    return body


def jitter_at(centre: tuple[float, float], *, start: datetime, radii_m: list[float], every_s: float = 10.0,
              seed: int = 7) -> list[dict]:
    """Fixes at the given distances from a centre, in random directions: GPS jitter around a fence."""
    rng = random.Random(seed)
    out = []
    for i, radius in enumerate(radii_m):
        bearing = rng.uniform(0, 2 * math.pi)
        out.append(fix(start + timedelta(seconds=i * every_s),
                       offset(centre, radius * math.cos(bearing), radius * math.sin(bearing))))
    return out
