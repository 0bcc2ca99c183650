"""Arrival detection: fences around incident sites, dwell-confirmed arrivals, departures and ETAs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Iterable, Sequence

import numpy as np

from geo.distance import geodesic_m, within_radii_many, within_radius
from geo.fixes import DEFAULT_MAX_ACCURACY_M, DEFAULT_MAX_SPEED_KMH, Fix, is_accurate, usable_tracks
from geo.zones import Coverage

DEFAULT_DWELL_S = 20.0
URBAN_FALLBACK_SPEED_MPS = 30.0 / 3.6
OTHER_FALLBACK_SPEED_MPS = 50.0 / 3.6
MIN_TRUSTED_SPEED_MPS = 1.0


@dataclass(frozen=True)
class ArrivalFence:
    """A circle around an incident site, in the fixes' datum (WGS-84 for phone GPS)."""

    lat: float
    lon: float
    arrive_radius_m: float = 200.0
    # None means the larger of 1.5 x arrive_radius_m and arrive_radius_m + 100 m: wide enough that
    # ordinary GPS jitter at the arrive radius never reads as leaving.
    leave_radius_m: float | None = None

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat <= 90.0 and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"fence centre out of range: {self.lat}, {self.lon}")
        if not self.arrive_radius_m > 0.0:
            raise ValueError("arrive_radius_m must be positive")
        if self.leave_radius_m is None:
            default = max(1.5 * self.arrive_radius_m, self.arrive_radius_m + 100.0)
            object.__setattr__(self, "leave_radius_m", default)
        elif self.leave_radius_m < self.arrive_radius_m:
            raise ValueError("leave_radius_m must be at least arrive_radius_m")


class EventKind(str, Enum):
    """What happened at a fence."""

    ARRIVED = "arrived"
    LEFT = "left"


@dataclass(frozen=True)
class VisitEvent:
    """An arrival or departure, stamped with the device time of the fix that establishes it."""

    kind: EventKind
    device_time: datetime
    fix: Fix


@dataclass(frozen=True)
class ArrivalResult:
    """The first confirmed arrival (if any) and every arrival and departure, in time order."""

    arrived_at: Fix | None
    events: tuple[VisitEvent, ...]

    @property
    def present(self) -> bool:
        """Tell whether the surveyor is at the site as of the last usable fix."""
        return bool(self.events) and self.events[-1].kind is EventKind.ARRIVED


def fixes_inside(fence: ArrivalFence, lats, lons) -> tuple[np.ndarray, np.ndarray]:
    """Tell per point whether it lies within the arrive radius and within the leave radius (geodesic)."""
    return within_radii_many(fence.lat, fence.lon, lats, lons, fence.arrive_radius_m, fence.leave_radius_m)


def fleet_fixes_inside(
    fences: Sequence[ArrivalFence], fence_of_fix, lats, lons
) -> tuple[np.ndarray, np.ndarray]:
    """Like fixes_inside for many fences at once; fence_of_fix gives each point's fence index."""
    fence_of_fix = np.asarray(fence_of_fix, dtype=np.intp)
    table = np.array([(f.lat, f.lon, f.arrive_radius_m, f.leave_radius_m) for f in fences], dtype=float)
    table = table.reshape(-1, 4)[fence_of_fix]
    return within_radii_many(table[:, 0], table[:, 1], lats, lons, table[:, 2], table[:, 3])


def check_in_within(
    fence: ArrivalFence, fix: Fix, max_accuracy_m: float | None = DEFAULT_MAX_ACCURACY_M
) -> bool:
    """Tell whether a manual check-in fix lies within the arrive radius (and is accurate enough, unless None)."""
    if max_accuracy_m is not None and not is_accurate(fix, max_accuracy_m):
        return False
    return within_radius(fence.lat, fence.lon, fix.lat, fix.lon, fence.arrive_radius_m)


def evaluate_arrival(
    fence: ArrivalFence,
    fixes: Iterable[Fix],
    dwell_s: float = DEFAULT_DWELL_S,
    max_accuracy_m: float = DEFAULT_MAX_ACCURACY_M,
    max_speed_kmh: float = DEFAULT_MAX_SPEED_KMH,
) -> ArrivalResult:
    """Detect arrivals at and departures from one fence; the input order of fixes does not matter."""
    return evaluate_fleet([fence], [fixes], dwell_s, max_accuracy_m, max_speed_kmh)[0]


def evaluate_fleet(
    fences: Sequence[ArrivalFence],
    tracks: Sequence[Iterable[Fix]],
    dwell_s: float = DEFAULT_DWELL_S,
    max_accuracy_m: float = DEFAULT_MAX_ACCURACY_M,
    max_speed_kmh: float = DEFAULT_MAX_SPEED_KMH,
) -> list[ArrivalResult]:
    """Run evaluate_arrival for many (fence, track) pairs with one batched distance pass."""
    if len(fences) != len(tracks):
        raise ValueError(f"{len(fences)} fences but {len(tracks)} tracks")
    usable = usable_tracks(tracks, max_accuracy_m, max_speed_kmh)
    fence_of_fix = np.repeat(np.arange(len(fences)), [len(t) for t in usable])
    flat = [f for track in usable for f in track]
    within_arrive, within_leave = fleet_fixes_inside(
        fences, fence_of_fix, [f.lat for f in flat], [f.lon for f in flat]
    )
    within_arrive, within_leave = within_arrive.tolist(), within_leave.tolist()
    dwell = timedelta(seconds=dwell_s)
    results = []
    start = 0
    for track in usable:
        end = start + len(track)
        results.append(_follow_visits(track, within_arrive[start:end], within_leave[start:end], dwell))
        start = end
    return results


def _follow_visits(
    fixes: list[Fix], within_arrive: list[bool], within_leave: list[bool], dwell: timedelta
) -> ArrivalResult:
    """Walk usable fixes in time order, confirming arrivals by dwell and departures by the leave radius."""
    events: list[VisitEvent] = []
    first_inside: Fix | None = None  # start of the current unconfirmed stay
    present = False
    for fix, arrive, leave in zip(fixes, within_arrive, within_leave):
        if present:
            if not leave:
                events.append(VisitEvent(EventKind.LEFT, fix.device_time, fix))
                present = False
        elif not leave:
            first_inside = None
        elif arrive:
            if first_inside is None:
                first_inside = fix
            elif fix.device_time - first_inside.device_time >= dwell:
                # The stay counts from its first fix: that is when the surveyor got there.
                events.append(VisitEvent(EventKind.ARRIVED, first_inside.device_time, first_inside))
                present = True
                first_inside = None
    arrivals = [e.fix for e in events if e.kind is EventKind.ARRIVED]
    return ArrivalResult(arrived_at=arrivals[0] if arrivals else None, events=tuple(events))


def projected_arrival(
    now: datetime,
    fix: Fix,
    fence_center: tuple[float, float],
    recent_speed_mps: float | None,
    coverage: Coverage,
) -> datetime:
    """Project when the surveyor reaches the fence centre, never earlier than now."""
    speed = assumed_speed_mps(recent_speed_mps, coverage)
    remaining_m = geodesic_m(fix.lat, fix.lon, fence_center[0], fence_center[1])
    return max(now, fix.device_time + timedelta(seconds=remaining_m / speed))


def assumed_speed_mps(recent_speed_mps: float | None, coverage: Coverage) -> float:
    """The speed a projection assumes: the recent one when trusted, else typical traffic for the zone."""
    if recent_speed_mps is None or recent_speed_mps < MIN_TRUSTED_SPEED_MPS:
        # Standing still or unknown: assume typical city traffic rather than "never".
        return URBAN_FALLBACK_SPEED_MPS if Coverage(coverage) is Coverage.URBAN else OTHER_FALLBACK_SPEED_MPS
    return recent_speed_mps

