"""Tests for geo.fixes: the Fix record, accuracy, implausible jumps and recent speed."""

import itertools
import random
from datetime import datetime, timedelta, timezone

import pytest
from geopy.distance import geodesic

from geo.fixes import Fix, implausible_jumps, in_time_order, is_accurate, recent_speed, usable_fixes

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
HOME = (22.54, 114.05)


def at(seconds, metres_east, accuracy=10.0, speed=None):
    """A fix `seconds` after T0, `metres_east` east of HOME."""
    p = geodesic(meters=abs(metres_east)).destination(HOME, 90 if metres_east >= 0 else 270)
    return Fix(T0 + timedelta(seconds=seconds), p.latitude, p.longitude, accuracy, speed)


def drive(n, speed_mps=11.0, every_s=5.0, start_m=0.0):
    return [at(k * every_s, start_m + k * every_s * speed_mps) for k in range(n)]


def flagged(fixes):
    return [i for i, bad in enumerate(implausible_jumps(fixes)) if bad]


def test_a_fix_needs_a_timezone_aware_time_and_sane_values():
    with pytest.raises(ValueError):
        Fix(datetime(2024, 5, 1, 8, 0), 22.5, 114.0)
    for lat, lon, acc, speed in [(91.0, 114.0, None, None), (22.5, 181.0, None, None), (22.5, 114.0, -1.0, None),
                                 (22.5, 114.0, None, -1.0), (22.5, 114.0, float("nan"), None)]:
        with pytest.raises(ValueError):
            Fix(T0, lat, lon, acc, speed)


@pytest.mark.parametrize(
    "accuracy, usable", [(5.0, True), (100.0, True), (100.1, False), (150.0, False), (None, False)]
)
def test_a_fix_is_accurate_enough_only_with_a_known_accuracy_of_at_most_100_m(accuracy, usable):
    assert is_accurate(at(0, 0, accuracy=accuracy)) is usable


def test_in_time_order_sorts_by_device_time_and_breaks_ties_deterministically():
    a, b, c = at(0, 0), at(5, 10), at(5, 20)
    assert in_time_order([c, b, a]) == in_time_order([a, c, b]) == in_time_order([b, a, c])
    assert in_time_order([c, b, a])[0] == a


def test_a_plausible_track_at_highway_speed_has_no_jumps():
    assert flagged(drive(30, speed_mps=60.0)) == []  # 216 km/h


def test_a_lone_spike_is_an_implausible_jump_and_the_good_fix_after_it_is_not():
    track = drive(10)
    track[5] = at(25, 5_000)
    assert flagged(track) == [5]


def test_a_burst_of_two_outliers_is_flagged_as_a_whole():
    track = drive(12)
    track[5], track[6] = at(25, 8_000), at(30, 8_050)
    assert flagged(track) == [5, 6]


def test_a_bad_first_fix_is_outvoted_by_the_track_after_it():
    track = drive(8)
    track[0] = at(0, -6_000)
    assert flagged(track) == [0]


def test_a_bad_last_fix_is_flagged():
    track = drive(8)
    track[-1] = at(35, 9_000)
    assert flagged(track) == [7]


def test_two_fixes_that_disagree_keep_the_earlier_one():
    assert implausible_jumps([at(5, 9_000), at(0, 0)]) == [True, False]


@pytest.mark.parametrize("fixes", [[], [at(0, 0)]])
def test_tiny_tracks_have_no_jumps(fixes):
    assert implausible_jumps(fixes) == [False] * len(fixes)


def test_jump_verdicts_do_not_depend_on_input_order():
    track = drive(9)
    track[3] = at(15, 4_000)
    expected = implausible_jumps(track)
    rng = random.Random(4)
    for _ in range(25):
        order = list(range(len(track)))
        rng.shuffle(order)
        assert implausible_jumps([track[i] for i in order]) == [expected[i] for i in order]


def test_usable_fixes_drops_inaccurate_fixes_and_jumps_in_time_order():
    track = drive(8)
    track[2] = at(10, 110, accuracy=150.0)
    track[4] = at(20, 7_000)
    track[6] = at(30, 330, accuracy=None)
    used = usable_fixes(reversed(track))
    assert used == [track[i] for i in (0, 1, 3, 5, 7)]


def test_an_inaccurate_fix_does_not_make_a_good_fix_look_like_a_jump():
    # Judged among accurate fixes only: the wild 500 m-accuracy fix must not outvote anything.
    track = [at(0, 0), at(5, 5_000, accuracy=500.0), at(10, 60), at(15, 120)]
    assert usable_fixes(track) == [track[0], track[2], track[3]]


def test_recent_speed_of_a_drive_at_40_kmh_is_about_11_m_per_s():
    assert recent_speed(drive(12, speed_mps=40 / 3.6)) == pytest.approx(40 / 3.6, rel=0.01)


def test_recent_speed_prefers_the_median_of_device_reported_speeds():
    track = [at(k * 5, k * 50, speed=s) for k, s in enumerate([9.0, 10.0, 30.0, 10.5, 11.0])]
    assert recent_speed(track) == 10.5


def test_recent_speed_while_parked_with_jitter_is_small():
    rng = random.Random(2)
    track = [at(k * 5, rng.uniform(-8, 8)) for k in range(10)]
    assert recent_speed(track) < 1.0


@pytest.mark.parametrize("fixes", [[], [at(0, 0)], [at(0, 0, accuracy=150.0), at(5, 50, accuracy=150.0)]])
def test_recent_speed_is_unknown_without_two_usable_fixes(fixes):
    assert recent_speed(fixes) is None


def test_recent_speed_ignores_fixes_older_than_the_window():
    old = [at(k * 5, k * 100) for k in range(3)]  # 20 m/s, long ago
    new = [at(600 + k * 5, 300 + k * 5) for k in range(4)]  # 1 m/s now
    assert recent_speed(old + new, window_s=120) == pytest.approx(1.0, rel=0.02)


def test_recent_speed_does_not_depend_on_input_order():
    track = drive(8, speed_mps=7.0)
    speeds = {recent_speed(list(p)) for p in itertools.islice(itertools.permutations(track), 0, 5000, 500)}
    assert len(speeds) == 1
