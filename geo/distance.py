"""Distances on the Earth: a cheap spherical bound and the exact WGS-84 geodesic."""

from __future__ import annotations

import math

import numpy as np
from geopy.distance import geodesic

# Mean Earth radius (IUGG R1); haversine with it stays within 0.57 % of the WGS-84 geodesic.
EARTH_RADIUS_M = 6371008.8

# Haversine/geodesic lies in [0.99553, 1.00562] for any pair of points on WGS-84, so a band of
# 0.6 % plus a metre for rounding around the radius holds every case haversine cannot decide.
_BAND_RELATIVE = 0.006
_BAND_ABSOLUTE_M = 1.0


def _band(radius_m):
    """Half the width of the band around a radius where haversine cannot tell inside from outside."""
    return radius_m * _BAND_RELATIVE + _BAND_ABSOLUTE_M


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance in metres on a sphere of the mean Earth radius."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    h = math.sin((phi2 - phi1) / 2.0) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(
        math.radians(lon2 - lon1) / 2.0
    ) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def haversine_many_m(lat, lon, lats, lons) -> np.ndarray:
    """Return great-circle distances in metres, broadcasting (lat, lon) against (lats, lons)."""
    phi1 = np.radians(np.asarray(lat, dtype=float))
    phi2 = np.radians(np.asarray(lats, dtype=float))
    dlon = np.radians(np.asarray(lons, dtype=float) - np.asarray(lon, dtype=float))
    h = np.sin((phi2 - phi1) / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlon / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, h)))


# One reusable instance: building a geodesic per call costs more than half of the call.
_WGS84 = geodesic(ellipsoid="WGS-84")


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the WGS-84 ellipsoidal geodesic distance in metres (Karney's algorithm via geopy)."""
    return _WGS84.measure((lat1, lon1), (lat2, lon2)) * 1000.0


def geodesic_many_m(lat, lon, lats, lons) -> np.ndarray:
    """Return WGS-84 geodesic distances in metres, broadcasting (lat, lon) against (lats, lons)."""
    a, b, c, d = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lat, lon, lats, lons)))
    out = np.empty(a.shape, dtype=float)
    for i in np.ndindex(a.shape):
        out[i] = geodesic_m(a[i], b[i], c[i], d[i])
    return out


def within_radius(lat1: float, lon1: float, lat2: float, lon2: float, radius_m: float) -> bool:
    """Tell whether the geodesic distance is at most radius_m, calling geodesic only when haversine can't tell."""
    h = haversine_m(lat1, lon1, lat2, lon2)
    band = _band(radius_m)
    if h < radius_m - band:
        return True
    if h > radius_m + band:
        return False
    return geodesic_m(lat1, lon1, lat2, lon2) <= radius_m


def within_radii_many(lat, lon, lats, lons, *radii_m) -> tuple[np.ndarray, ...]:
    """For each radius, tell per point whether its geodesic distance is at most that radius."""
    a, b, c, d = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lat, lon, lats, lons)))
    h = haversine_many_m(a, b, c, d)
    radii = [np.broadcast_to(np.asarray(r, dtype=float), h.shape) for r in radii_m]
    unsure = np.zeros(h.shape, dtype=bool)
    for r in radii:
        unsure |= np.abs(h - r) <= _band(r)
    # Within the bands, the geodesic replaces haversine, so every answer equals an all-geodesic one.
    exact = h.copy()
    for i in zip(*np.nonzero(unsure)):
        exact[i] = geodesic_m(a[i], b[i], c[i], d[i])
    return tuple(exact <= r for r in radii)


def within_radius_many(lat, lon, lats, lons, radius_m) -> np.ndarray:
    """Tell per point whether its geodesic distance from (lat, lon) is at most radius_m."""
    return within_radii_many(lat, lon, lats, lons, radius_m)[0]


def any_within_radius(lat: float, lon: float, lats, lons, radius_m: float) -> bool:
    """Tell whether any point's geodesic distance from (lat, lon) is at most radius_m.

    Equal to `within_radius_many(...).any()`, but a point haversine places clearly inside answers at once,
    and the geodesic runs only for the points in the band, nearest first, until one is inside.
    """
    h = haversine_many_m(lat, lon, lats, lons)
    if h.size == 0:
        return False
    band, nearest = _band(radius_m), h.min()
    if nearest > radius_m + band:
        return False
    if nearest < radius_m - band:
        return True
    unsure = np.flatnonzero(np.abs(h - radius_m) <= band)
    lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    return any(geodesic_m(lat, lon, lats[i], lons[i]) <= radius_m for i in unsure[np.argsort(h[unsure])])
