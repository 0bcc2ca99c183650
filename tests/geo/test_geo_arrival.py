"""Tests for geo.arrival: fences, dwell-confirmed arrivals, hysteresis, batching and ETA."""

import random
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from geopy.distance import geodesic

from geo.arrival import (
    ArrivalFence,
    ArrivalResult,
    EventKind,
    check_in_within,
    evaluate_arrival,
    evaluate_fleet,
    fixes_inside,
    fleet_fixes_inside,
    projected_arrival,
)
from geo.distance import geodesic_m
from geo.fixes import Fix
from geo.zones import Coverage
from geo_reference import generate_fleet, reference_evaluate

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
SITE = (22.5431, 114.0579)
FENCE = ArrivalFence(*SITE)  # 200 m arrive, 300 m leave


def at(seconds, metres, bearing=90.0, accuracy=10.0, speed=None):
    """A fix `seconds` after T0, `metres` from SITE on `bearing`."""
    p = geodesic(meters=metres).destination(SITE, bearing)
    return Fix(T0 + timedelta(seconds=seconds), p.latitude, p.longitude, accuracy, speed)


def kinds(result: ArrivalResult):
    return [e.kind.value for e in result.events]


def test_fence_leave_radius_defaults_to_the_wider_of_150_percent_and_plus_100_m():
    assert ArrivalFence(*SITE).leave_radius_m == 300.0
    assert ArrivalFence(*SITE, arrive_radius_m=50.0).leave_radius_m == 150.0
    assert ArrivalFence(*SITE, arrive_radius_m=1000.0).leave_radius_m == 1500.0
    assert ArrivalFence(*SITE, 200.0, 250.0).leave_radius_m == 250.0


@pytest.mark.parametrize("arrive, leave", [(0.0, None), (-5.0, None), (200.0, 150.0)])
def test_fence_radii_must_make_sense(arrive, leave):
    with pytest.raises(ValueError):
        ArrivalFence(*SITE, arrive, leave)


def test_a_single_fix_inside_without_dwell_is_not_an_arrival():
    result = evaluate_arrival(FENCE, [at(0, 50)])
    assert result.arrived_at is None and result.events == () and not result.present


@pytest.mark.parametrize("gap_s, arrives", [(5, False), (19.999, False), (20, True), (60, True)])
def test_arrival_needs_a_second_inside_fix_at_least_the_dwell_later(gap_s, arrives):
    result = evaluate_arrival(FENCE, [at(0, 50), at(gap_s, 60)])
    assert (result.arrived_at is not None) is arrives


def test_the_arrival_time_is_the_first_inside_fix_of_the_confirmed_stay():
    fixes = [at(0, 500), at(10, 190), at(15, 120), at(40, 80)]
    result = evaluate_arrival(FENCE, fixes)
    assert result.arrived_at == fixes[1]
    assert result.events[0].device_time == fixes[1].device_time
    assert result.present


@pytest.mark.parametrize("accuracy", [150.0, 100.5, None])
def test_a_fix_with_poor_or_unknown_accuracy_inside_does_not_count(accuracy):
    fixes = [at(0, 50), at(30, 50, accuracy=accuracy)]
    assert evaluate_arrival(FENCE, fixes).arrived_at is None
    assert evaluate_arrival(FENCE, fixes + [at(40, 60)]).arrived_at == fixes[0]


def test_a_fix_beyond_the_leave_radius_resets_the_dwell():
    fixes = [at(0, 50), at(10, 400), at(25, 50), at(45, 60)]
    assert evaluate_arrival(FENCE, fixes).arrived_at == fixes[2]


def test_a_fix_between_the_radii_does_not_reset_the_dwell():
    fixes = [at(0, 50), at(10, 250), at(25, 60)]
    assert evaluate_arrival(FENCE, fixes).arrived_at == fixes[0]


@pytest.mark.parametrize(
    "pattern",
    [
        pytest.param([190, 210], id="190-210"),
        pytest.param([199, 201], id="199-201"),
        pytest.param([150, 290], id="150-290"),
        pytest.param([210, 190, 260, 180], id="mixed"),
    ],
)
def test_jitter_around_the_arrive_radius_never_produces_leave_events(pattern):
    fixes = [at(k * 10, pattern[k % len(pattern)], bearing=k * 37.0) for k in range(40)]
    result = evaluate_arrival(FENCE, fixes)
    assert kinds(result) == ["arrived"]
    assert result.present


@pytest.mark.parametrize("outside_m", [301, 350, 1000])
def test_crossing_the_leave_radius_after_arriving_is_a_departure(outside_m):
    fixes = [at(0, 50), at(30, 60), at(60, 190), at(70, 210), at(90, outside_m), at(100, outside_m + 50)]
    result = evaluate_arrival(FENCE, fixes)
    assert kinds(result) == ["arrived", "left"]
    assert result.events[1].device_time == fixes[4].device_time
    assert not result.present


def test_returning_after_leaving_is_a_second_arrival_but_arrived_at_stays_the_first():
    fixes = [at(0, 50), at(30, 60), at(60, 800), at(120, 100), at(150, 90)]
    result = evaluate_arrival(FENCE, fixes)
    assert kinds(result) == ["arrived", "left", "arrived"]
    assert result.arrived_at == fixes[0]
    assert result.events[2].fix == fixes[3]


def test_out_of_order_input_gives_identical_results():
    fixes = [at(k * 7, d, bearing=k * 11.0) for k, d in enumerate(
        [1500, 1100, 700, 400, 195, 180, 170, 160, 210, 250, 320, 500, 260, 150, 120, 90, 200, 201, 199])]
    expected = evaluate_arrival(FENCE, fixes)
    assert kinds(expected) == ["arrived", "left", "arrived"]
    rng = random.Random(8)
    for _ in range(30):
        shuffled = fixes[:]
        rng.shuffle(shuffled)
        assert evaluate_arrival(FENCE, shuffled) == expected
    assert evaluate_arrival(FENCE, reversed(fixes)) == expected


def test_an_implausible_jump_into_the_fence_does_not_trigger_arrival():
    approach = [at(k * 5, 3000 - k * 50) for k in range(12)]  # 36 km/h, still 2.4 km out
    jumps = [at(60, 30), at(85, 40)]  # a glitch: two fixes at the site, 25 s apart
    after = [at(90 + k * 5, 2350 - k * 50) for k in range(6)]
    assert evaluate_arrival(FENCE, approach + jumps + after).arrived_at is None


def test_a_drive_in_from_5_km_at_40_kmh_arrives_at_the_first_inside_fix():
    speed = 40 / 3.6
    fixes = [at(k * 5, max(0.0, 5000 - speed * k * 5), bearing=200.0) for k in range(100)]
    first_inside = next(f for f in fixes if geodesic_m(*SITE, f.lat, f.lon) <= 200.0)
    result = evaluate_arrival(FENCE, fixes)
    assert result.arrived_at == first_inside
    assert kinds(result) == ["arrived"]


def test_fixes_inside_reports_both_radii_as_the_geodesic_would():
    rng = np.random.default_rng(6)
    points = [at(0, d, b) for d, b in zip(rng.uniform(190, 310, 300), rng.uniform(0, 360, 300))]
    lats, lons = np.array([p.lat for p in points]), np.array([p.lon for p in points])
    arrive, leave = fixes_inside(FENCE, lats, lons)
    exact = np.array([geodesic_m(*SITE, p.lat, p.lon) for p in points])
    assert np.array_equal(arrive, exact <= 200.0) and np.array_equal(leave, exact <= 300.0)


def test_fleet_fixes_inside_matches_per_fence_checks():
    fences = [FENCE, ArrivalFence(22.6, 114.1, 100.0)]
    points = [at(0, 195), at(0, 205), at(0, 295)]
    lats = [p.lat for p in points] + [22.6005]
    lons = [p.lon for p in points] + [114.1]
    arrive, leave = fleet_fixes_inside(fences, [0, 0, 0, 1], lats, lons)
    assert arrive.tolist() == [True, False, False, True]
    assert leave.tolist() == [True, True, True, True]


def test_the_fast_path_is_identical_to_all_geodesic_on_a_generated_fleet_of_2000_fences_and_50000_fixes():
    fences, tracks = generate_fleet(2000, 25, seed=7, near_radius_share=0.4)
    fast = evaluate_fleet(fences, tracks)
    reference = [reference_evaluate(fence, track) for fence, track in zip(fences, tracks)]
    assert fast == reference
    assert sum(r.arrived_at is not None for r in fast) > 500
    assert sum(EventKind.LEFT in [e.kind for e in r.events] for r in fast) > 50


def test_evaluating_a_fleet_equals_evaluating_each_fence_alone():
    fences, tracks = generate_fleet(60, 25, seed=3, near_radius_share=0.3)
    assert evaluate_fleet(fences, tracks) == [evaluate_arrival(f, t) for f, t in zip(fences, tracks)]
    with pytest.raises(ValueError):
        evaluate_fleet(fences, tracks[:-1])


def test_an_empty_track_has_no_arrival():
    assert evaluate_fleet([FENCE, FENCE], [[], [at(0, 10)]]) == [ArrivalResult(None, ())] * 2


@pytest.mark.parametrize(
    "fix, max_accuracy, expected",
    [
        (at(0, 150), 100.0, True),
        (at(0, 200.5), 100.0, False),
        (at(0, 150, accuracy=150.0), 100.0, False),
        (at(0, 150, accuracy=None), 100.0, False),
        (at(0, 150, accuracy=None), None, True),
    ],
)
def test_a_manual_check_in_must_be_within_the_arrive_radius_and_accurate(fix, max_accuracy, expected):
    assert check_in_within(FENCE, fix, max_accuracy) is expected


def test_projected_arrival_uses_the_recent_speed():
    fix = at(0, 3000)
    assert projected_arrival(T0, fix, SITE, 10.0, Coverage.URBAN) == T0 + timedelta(seconds=300.0)


@pytest.mark.parametrize(
    "speed, coverage, kmh",
    [
        (None, Coverage.URBAN, 30.0),
        (None, Coverage.SUBURBAN, 50.0),
        (None, Coverage.OUTSIDE, 50.0),
        (0.5, Coverage.URBAN, 30.0),
        (0.0, "suburban", 50.0),
    ],
)
def test_projected_arrival_falls_back_to_zone_speeds_when_speed_is_unknown_or_tiny(speed, coverage, kmh):
    fix = at(0, 5000)
    eta = projected_arrival(T0, fix, SITE, speed, coverage)
    assert (eta - T0).total_seconds() == pytest.approx(5000 / (kmh / 3.6), rel=1e-9)


def test_projected_arrival_is_never_earlier_than_now():
    fix = at(0, 1000)
    now = T0 + timedelta(minutes=30)
    assert projected_arrival(now, fix, SITE, 10.0, Coverage.URBAN) == now
