"""A plain all-geodesic arrival evaluator and a generated fleet, the yardsticks for the fast path."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np

from geo.arrival import ArrivalFence, ArrivalResult, EventKind, VisitEvent
from geo.distance import geodesic_m
from geo.fixes import Fix, usable_fixes

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
METRES_PER_DEGREE_LAT = 110_760.0  # near 22.5 N; the generator only needs it roughly


def reference_evaluate(fence, fixes, dwell_s=20.0, max_accuracy_m=100.0, max_speed_kmh=250.0) -> ArrivalResult:
    """Evaluate arrival with a geodesic distance for every fix, step by step."""
    events = []
    candidate = None
    present = False
    for fix in usable_fixes(fixes, max_accuracy_m, max_speed_kmh):
        d = geodesic_m(fence.lat, fence.lon, fix.lat, fix.lon)
        if present and d > fence.leave_radius_m:
            events.append(VisitEvent(EventKind.LEFT, fix.device_time, fix))
            present = False
        elif not present and d > fence.leave_radius_m:
            candidate = None
        elif not present and d <= fence.arrive_radius_m:
            if candidate is None:
                candidate = fix
            elif (fix.device_time - candidate.device_time).total_seconds() >= dwell_s:
                events.append(VisitEvent(EventKind.ARRIVED, candidate.device_time, candidate))
                present = True
                candidate = None
    arrived = [e.fix for e in events if e.kind is EventKind.ARRIVED]
    return ArrivalResult(arrived[0] if arrived else None, tuple(events))


def offset(lat: float, lon: float, east_m: float, north_m: float) -> tuple[float, float]:
    """Move roughly east_m and north_m from (lat, lon) with a flat-earth step (good enough for tests)."""
    dlat = north_m / METRES_PER_DEGREE_LAT
    dlon = east_m / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def generate_fleet(n_fences: int = 2000, fixes_per_fence: int = 25, seed: int = 7, near_radius_share: float = 0.4):
    """Generate fences across Shenzhen with one shuffled track each; near_radius_share of tracks hover at a radius."""
    rng = np.random.default_rng(seed)
    fences, tracks = [], []
    for _ in range(n_fences):
        lat, lon = rng.uniform(22.45, 22.80), rng.uniform(113.75, 114.45)
        fence = ArrivalFence(lat, lon, float(rng.choice([100.0, 150.0, 200.0, 300.0])))
        scenario = rng.random()
        noise = 5.0
        if scenario < near_radius_share:  # parked right at a radius, where haversine cannot decide
            edge = fence.arrive_radius_m if rng.random() < 0.7 else fence.leave_radius_m
            target = edge * (1 + rng.uniform(-0.004, 0.004))
            noise = 0.5
        elif scenario < near_radius_share + (1 - near_radius_share) * 0.2:  # passes by
            target = fence.arrive_radius_m * rng.uniform(1.2, 3.0)
        else:  # comes to the site
            target = fence.arrive_radius_m * rng.uniform(0.0, 0.8)
        leaves = rng.random() < 0.3
        speed = rng.uniform(5.0, 14.0)
        heading = rng.uniform(0, 2 * math.pi)
        goal = np.array([math.cos(heading), math.sin(heading)]) * target
        start_heading = rng.uniform(0, 2 * math.pi)
        position = goal + np.array([math.cos(start_heading), math.sin(start_heading)]) * speed * rng.uniform(
            0, 10.0 * fixes_per_fence
        )
        t = T0 + timedelta(seconds=float(rng.uniform(0, 3600)))
        track = []
        for k in range(fixes_per_fence):
            dt = float(rng.uniform(3, 13))
            t += timedelta(seconds=dt)
            if leaves and k > fixes_per_fence * 0.7:
                goal = goal * 1.0 + np.array([math.cos(heading), math.sin(heading)]) * speed * dt
            to_goal = goal - position
            step = min(float(np.hypot(*to_goal)), speed * dt)
            if step > 0:
                position = position + to_goal / np.hypot(*to_goal) * step
            seen = position + rng.normal(0, noise, 2)
            accuracy = float(rng.choice([5.0, 10.0, 20.0, 65.0, 150.0])) if rng.random() < 0.95 else None
            track.append(Fix(t, *offset(lat, lon, seen[0], seen[1]), accuracy))
        if rng.random() < 0.1:  # an implausible jump somewhere in the track
            k = int(rng.integers(0, fixes_per_fence))
            far = rng.uniform(0, 30_000)
            track[k] = Fix(track[k].device_time, *offset(lat, lon, far, 0.0), 5.0)
        rng.shuffle(track)
        fences.append(fence)
        tracks.append(track)
    return fences, tracks
