"""Position fixes from surveyors' phones: ordering, accuracy, implausible jumps and recent speed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Iterable, Sequence

import numpy as np

from geo.distance import haversine_m, haversine_many_m

DEFAULT_MAX_ACCURACY_M = 100.0
DEFAULT_MAX_SPEED_KMH = 250.0

# How many earlier fixes a step may reach back over, i.e. at most LOOKBACK - 1 jumps in a row
# can be skipped; it bounds the work per fix.
LOOKBACK = 16


@dataclass(frozen=True)
class Fix:
    """One position report: device time (timezone-aware), WGS-84 lat/lon, accuracy and speed if known."""

    device_time: datetime
    lat: float
    lon: float
    accuracy_m: float | None = None
    speed_mps: float | None = None

    def __post_init__(self) -> None:
        if self.device_time.utcoffset() is None:
            raise ValueError("device_time must be timezone-aware")
        if not (-90.0 <= self.lat <= 90.0 and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"lat/lon out of range: {self.lat}, {self.lon}")
        for name in ("accuracy_m", "speed_mps"):
            value = getattr(self, name)
            if value is not None and not (value >= 0.0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite non-negative number or None, got {value!r}")


def time_order_key(fix: Fix) -> tuple:
    """Return a total ordering key: device time first, then every other field to break ties."""
    return (
        fix.device_time,
        fix.lat,
        fix.lon,
        fix.accuracy_m is None,
        fix.accuracy_m or 0.0,
        fix.speed_mps is None,
        fix.speed_mps or 0.0,
    )


def in_time_order(fixes: Iterable[Fix]) -> list[Fix]:
    """Sort fixes by device time, deterministically whatever order they arrived in."""
    return sorted(fixes, key=time_order_key)


def is_accurate(fix: Fix, max_accuracy_m: float = DEFAULT_MAX_ACCURACY_M) -> bool:
    """Tell whether a fix's reported accuracy is good enough; an unknown accuracy is not."""
    return fix.accuracy_m is not None and fix.accuracy_m <= max_accuracy_m


def implausible_jumps(fixes: Sequence[Fix], max_speed_kmh: float = DEFAULT_MAX_SPEED_KMH) -> list[bool]:
    """Flag, per input fix, whether it lies off the longest chain of fixes drivable at max_speed_kmh."""
    order = sorted(range(len(fixes)), key=lambda i: time_order_key(fixes[i]))
    ordered = [fixes[i] for i in order]
    plausible = _plausible_in_order(
        np.array([f.device_time.timestamp() for f in ordered]),
        np.array([f.lat for f in ordered]),
        np.array([f.lon for f in ordered]),
        max_speed_kmh / 3.6,
    )
    flags = [False] * len(fixes)
    for position, i in enumerate(order):
        flags[i] = not plausible[position]
    return flags


def plausible_in_time_order(times_s: Sequence[float], lats: Sequence[float], lons: Sequence[float],
                            max_speed_kmh: float = DEFAULT_MAX_SPEED_KMH) -> list[bool]:
    """Like implausible_jumps (negated) for fixes given as arrays already in strict time order, without Fix objects."""
    return _plausible_in_order(np.asarray(times_s, dtype=float), np.asarray(lats, dtype=float),
                               np.asarray(lons, dtype=float), max_speed_kmh / 3.6)


def usable_fixes(
    fixes: Iterable[Fix],
    max_accuracy_m: float = DEFAULT_MAX_ACCURACY_M,
    max_speed_kmh: float = DEFAULT_MAX_SPEED_KMH,
) -> list[Fix]:
    """Return, in time order, the accurate fixes that are not implausible jumps among the accurate ones."""
    return usable_tracks([fixes], max_accuracy_m, max_speed_kmh)[0]


def usable_tracks(
    tracks: Sequence[Iterable[Fix]],
    max_accuracy_m: float = DEFAULT_MAX_ACCURACY_M,
    max_speed_kmh: float = DEFAULT_MAX_SPEED_KMH,
) -> list[list[Fix]]:
    """Apply usable_fixes to many tracks at once, checking every track's steps in one numpy pass."""
    accurate = [in_time_order(f for f in track if is_accurate(f, max_accuracy_m)) for track in tracks]
    flat = [f for track in accurate for f in track]
    times = np.array([f.device_time.timestamp() for f in flat])
    lats = np.array([f.lat for f in flat])
    lons = np.array([f.lon for f in flat])
    max_speed_mps = max_speed_kmh / 3.6
    # A track whose consecutive steps are all possible keeps every fix; only the rest need the full rule.
    failed_at = np.nonzero(~_steps_possible(times, lats, lons, max_speed_mps, lag=1))[0]
    track_of = np.repeat(np.arange(len(accurate)), [len(t) for t in accurate])
    starts = np.concatenate(([0], np.cumsum([len(t) for t in accurate])))
    for t in sorted({int(track_of[j]) for j in failed_at if track_of[j] == track_of[j + 1]}):
        a, b = starts[t], starts[t + 1]
        keep = _plausible_in_order(times[a:b], lats[a:b], lons[a:b], max_speed_mps)
        accurate[t] = [f for f, ok in zip(accurate[t], keep) if ok]
    return accurate


# The rule for implausible jumps: a step from fix a to a later fix b is possible when
# haversine(a, b) <= max speed x (t_b - t_a) (the 0.6 % of haversine does not matter to a speed
# limit). The kept fixes are the longest chain of possible steps, skipping at most LOOKBACK - 1
# fixes in a row; all others are implausible jumps. Judging by the longest chain rather than by
# each fix's neighbours means a lone outlier, a burst of outliers and a bad first fix are all
# outvoted by the track around them, and a good fix after a bad one is never blamed. Ties go to
# the earlier-established track, so a new cluster of fixes must outnumber the old one to be believed.
def _plausible_in_order(times: np.ndarray, lats: np.ndarray, lons: np.ndarray, max_speed_mps: float) -> list[bool]:
    """Mark the fixes (sorted by time) on the longest chain of steps possible at max_speed_mps."""
    n = len(times)
    if n <= 1:
        return [True] * n
    steps_ok = _steps_possible(times, lats, lons, max_speed_mps, lag=1)
    if steps_ok.all():
        return [True] * n  # every consecutive step is possible, so the whole track is the chain
    possible = _steps_possible_by_lag(times, lats, lons, max_speed_mps, min(LOOKBACK, n - 1))
    best = [1] * n
    previous = [-1] * n
    for i in range(n):
        for lag in range(min(i, LOOKBACK), 0, -1):  # earliest candidate first, so ties keep it
            j = i - lag
            if possible[j][lag - 1] and best[j] + 1 > best[i]:
                best[i] = best[j] + 1
                previous[i] = j
    keep = [False] * n
    i = best.index(max(best))
    while i >= 0:
        keep[i] = True
        i = previous[i]
    return keep


def _steps_possible(times, lats, lons, max_speed_mps: float, lag: int) -> np.ndarray:
    """Tell, for each fix j, whether the step to fix j + lag is possible at max_speed_mps."""
    if lag >= len(times):
        return np.zeros(0, dtype=bool)
    distance = haversine_many_m(lats[:-lag], lons[:-lag], lats[lag:], lons[lag:])
    return distance <= max_speed_mps * (times[lag:] - times[:-lag])


def _steps_possible_by_lag(times, lats, lons, max_speed_mps: float, lookback: int) -> list[list[bool]]:
    """Tell, as rows [j][lag - 1], whether the step from fix j to fix j + lag is possible."""
    n = len(times)
    j = np.arange(n)[:, None]
    i = np.minimum(j + np.arange(1, lookback + 1)[None, :], n - 1)
    distance = haversine_many_m(lats[j], lons[j], lats[i], lons[i])
    return (distance <= max_speed_mps * (times[i] - times[j])).tolist()


def recent_speed(
    fixes: Iterable[Fix],
    window_s: float = 120.0,
    count: int = 5,
    max_accuracy_m: float = DEFAULT_MAX_ACCURACY_M,
    max_speed_kmh: float = DEFAULT_MAX_SPEED_KMH,
) -> float | None:
    """Estimate current speed in m/s from the last few usable fixes, or None when there is too little data."""
    usable = usable_fixes(fixes, max_accuracy_m, max_speed_kmh)
    if not usable:
        return None
    latest = usable[-1].device_time
    recent = [f for f in usable[-count:] if (latest - f.device_time).total_seconds() <= window_s]
    if all(f.speed_mps is not None for f in recent):
        # Device speeds come from Doppler and do not pick up position jitter, so prefer them.
        return float(median(f.speed_mps for f in recent))
    if len(recent) < 2:
        return None
    first, last = recent[0], recent[-1]
    elapsed = (last.device_time - first.device_time).total_seconds()
    if elapsed <= 0:
        return None
    # Net displacement rather than path length, so jitter while parked does not read as motion.
    return haversine_m(first.lat, first.lon, last.lat, last.lon) / elapsed
