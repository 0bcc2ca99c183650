"""Tests for geo.distance: haversine, geodesic, and the exact-by-construction radius checks."""

import math

import numpy as np
import pytest
from geopy.distance import geodesic

import geo.distance as distance
from geo.distance import (
    EARTH_RADIUS_M,
    any_within_radius,
    geodesic_m,
    geodesic_many_m,
    haversine_m,
    haversine_many_m,
    within_radii_many,
    within_radius,
    within_radius_many,
)


def test_haversine_of_one_degree_of_latitude_is_the_sphere_arc():
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(EARTH_RADIUS_M * math.pi / 180.0, rel=1e-12)


def test_geodesic_of_one_degree_of_longitude_on_the_equator_is_the_wgs84_arc():
    assert geodesic_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(6378137.0 * math.pi / 180.0, abs=1e-6)


def test_geodesic_m_equals_geopy_geodesic():
    assert geodesic_m(22.5, 114.0, 22.51, 114.01) == geodesic((22.5, 114.0), (22.51, 114.01)).meters


def test_distances_are_zero_between_a_point_and_itself():
    assert haversine_m(22.5, 114.0, 22.5, 114.0) == 0.0
    assert geodesic_m(22.5, 114.0, 22.5, 114.0) == 0.0


def test_vectorised_distances_agree_with_scalar_ones_and_broadcast():
    rng = np.random.default_rng(3)
    lats, lons = rng.uniform(22.4, 22.8, 50), rng.uniform(113.8, 114.4, 50)
    many = haversine_many_m(22.54, 114.05, lats, lons)
    assert many.shape == (50,)
    for lat, lon, d in zip(lats, lons, many):
        assert d == pytest.approx(haversine_m(22.54, 114.05, lat, lon), rel=1e-12)
    exact = geodesic_many_m(22.54, 114.05, lats[:5], lons[:5])
    assert exact.tolist() == [geodesic_m(22.54, 114.05, a, b) for a, b in zip(lats[:5], lons[:5])]


def test_haversine_stays_within_the_band_bound_of_the_geodesic_anywhere_on_earth():
    rng = np.random.default_rng(11)
    lat1, lon1 = rng.uniform(-89.9, 89.9, 3000), rng.uniform(-180, 180, 3000)
    scale = 10 ** rng.uniform(0, 7, 3000)  # 1 m .. 10,000 km
    bearing = rng.uniform(0, 360, 3000)
    ratios = []
    for a, b, s, z in zip(lat1, lon1, scale, bearing):
        p = geodesic(meters=s).destination((a, b), z)
        ratios.append(haversine_m(a, b, p.latitude, p.longitude) / geodesic_m(a, b, p.latitude, p.longitude))
    assert 1 - 0.006 < min(ratios) and max(ratios) < 1 + 0.006


def _points_near_radius(lat, lon, radius_m, n, seed):
    """Points at geodesic distances within ±1.5 % of the radius, some exactly on it."""
    rng = np.random.default_rng(seed)
    factors = np.concatenate([rng.uniform(0.985, 1.015, n - 50), np.ones(50)])
    bearings = rng.uniform(0, 360, n)
    points = [geodesic(meters=radius_m * f).destination((lat, lon), b) for f, b in zip(factors, bearings)]
    return np.array([p.latitude for p in points]), np.array([p.longitude for p in points])


@pytest.mark.parametrize(
    "lat, lon, radius_m",
    [(22.54, 114.05, 200.0), (22.54, 114.05, 300.0), (0.0, 114.0, 100.0), (53.0, 123.0, 50.0), (-45.0, 170.0, 5000.0)],
)
def test_within_radius_is_identical_to_all_geodesic_near_the_radius(lat, lon, radius_m):
    lats, lons = _points_near_radius(lat, lon, radius_m, 1500, seed=int(radius_m))
    truth = np.array([geodesic_m(lat, lon, a, b) <= radius_m for a, b in zip(lats, lons)])
    assert 0 < truth.sum() < truth.size  # both answers occur
    assert np.array_equal(within_radius_many(lat, lon, lats, lons, radius_m), truth)
    assert [within_radius(lat, lon, a, b, radius_m) for a, b in zip(lats, lons)] == truth.tolist()


def test_any_within_radius_answers_as_the_all_geodesic_reference_for_every_group_of_points():
    lat, lon, radius_m = 22.54, 114.05, 300.0
    lats, lons = _points_near_radius(lat, lon, radius_m, 1500, seed=5)
    inside = np.array([geodesic_m(lat, lon, a, b) <= radius_m for a, b in zip(lats, lons)])
    rng = np.random.default_rng(5)
    groups = [rng.choice(lats.size, size=rng.integers(1, 6), replace=False) for _ in range(400)]
    groups += [np.flatnonzero(~inside)[:200], np.flatnonzero(inside)[:1], np.array([], dtype=int)]
    answers = [any_within_radius(lat, lon, lats[g], lons[g], radius_m) for g in groups]
    assert answers == [bool(inside[g].any()) for g in groups]
    assert True in answers and False in answers
    assert any_within_radius(lat, lon, [lat + 0.1], [lon], radius_m) is False
    assert any_within_radius(lat, lon, [lat], [lon], radius_m) is True


def test_a_point_exactly_at_the_radius_counts_as_within():
    d = geodesic_m(22.54, 114.05, 22.5412, 114.0513)
    assert within_radius(22.54, 114.05, 22.5412, 114.0513, d)
    assert not within_radius(22.54, 114.05, 22.5412, 114.0513, d - 1e-6)
    assert within_radius_many(22.54, 114.05, [22.5412], [114.0513], d).tolist() == [True]


def test_the_geodesic_is_only_computed_in_the_narrow_band(monkeypatch):
    calls = []
    real = distance.geodesic_m
    monkeypatch.setattr(distance, "geodesic_m", lambda *a: calls.append(a) or real(*a))
    rng = np.random.default_rng(5)
    lats, lons = 22.54 + rng.uniform(-0.03, 0.03, 10_000), 114.05 + rng.uniform(-0.03, 0.03, 10_000)
    within_radius_many(22.54, 114.05, lats, lons, 200.0)
    assert len(calls) < 30  # the band is ~2 m wide in a 6 km square


def test_within_radii_many_checks_two_radii_per_point_with_per_point_centres():
    rng = np.random.default_rng(9)
    centres_lat, centres_lon = rng.uniform(22.5, 22.7, 400), rng.uniform(113.9, 114.3, 400)
    lats = centres_lat + rng.uniform(-0.004, 0.004, 400)
    lons = centres_lon + rng.uniform(-0.004, 0.004, 400)
    arrive = rng.choice([100.0, 200.0], 400)
    inner, outer = within_radii_many(centres_lat, centres_lon, lats, lons, arrive, arrive * 1.5)
    exact = geodesic_many_m(centres_lat, centres_lon, lats, lons)
    assert np.array_equal(inner, exact <= arrive)
    assert np.array_equal(outer, exact <= arrive * 1.5)
    assert not np.any(inner & ~outer)
