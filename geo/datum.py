"""Conversions between China's three map datums: WGS-84, GCJ-02 and BD-09."""

from __future__ import annotations

import math
from enum import Enum
from types import ModuleType

import numpy as np
import shapely

# Krasovsky 1940 ellipsoid, which the GCJ-02 obfuscation uses for its metre-to-degree step.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
_BD_DLAT = 0.006
_BD_DLON = 0.0065

# The usual rough rectangle around China (the one in prcoords' sanity_in_china_p, eviltransform and
# most ports): lon 72.004..137.8347, lat 0.8293..55.8271, inclusive. It is tested on the input, in
# the source datum, so a round trip may not close within a few hundred metres of its edges, which
# lie in open sea, desert or neighbouring countries.
CHINA_LAT = (0.8293, 55.8271)
CHINA_LON = (72.004, 137.8347)

# 1e-11 degrees is about a micrometre: far below anything a map can show, still well above
# the rounding noise of doubles at China's longitudes (~1e-14 degrees).
_TOLERANCE_DEG = 1e-11
_MAX_ITERATIONS = 20


class Datum(str, Enum):
    """A geodetic datum used by maps and devices in China."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def in_china(lat: float, lon: float) -> bool:
    """Tell whether a coordinate lies inside the rectangle where the obfuscations apply."""
    return CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LON[0] <= lon <= CHINA_LON[1]


def in_china_many(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Tell, per coordinate, whether it lies inside the rectangle where the obfuscations apply."""
    return (
        (lats >= CHINA_LAT[0]) & (lats <= CHINA_LAT[1]) & (lons >= CHINA_LON[0]) & (lons <= CHINA_LON[1])
    )


def _gcj_offset(lat, lon, m: ModuleType):
    """Return the GCJ-02 offset (dlat, dlon) in degrees at a WGS-84 coordinate; m is math or numpy."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = m.sqrt(abs(x))
    ripple = (20.0 * m.sin(6.0 * x * math.pi) + 20.0 * m.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat_m = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + ripple
    dlat_m = dlat_m + (20.0 * m.sin(y * math.pi) + 40.0 * m.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat_m = dlat_m + (160.0 * m.sin(y / 12.0 * math.pi) + 320.0 * m.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon_m = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + ripple
    dlon_m = dlon_m + (20.0 * m.sin(x * math.pi) + 40.0 * m.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon_m = dlon_m + (150.0 * m.sin(x / 12.0 * math.pi) + 300.0 * m.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _KRASOVSKY_EE * m.sin(rad_lat) ** 2
    sqrt_magic = m.sqrt(magic)
    dlat = (dlat_m * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon_m * 180.0) / (_KRASOVSKY_A / sqrt_magic * m.cos(rad_lat) * math.pi)
    return dlat, dlon


def _gcj_to_bd(lat, lon, m: ModuleType):
    """Apply Baidu's forward GCJ-02 to BD-09 formula; m is math or numpy."""
    z = m.sqrt(lon * lon + lat * lat) + 0.00002 * m.sin(lat * _X_PI)
    theta = m.arctan2(lat, lon) if m is np else m.atan2(lat, lon)
    theta = theta + 0.000003 * m.cos(lon * _X_PI)
    return z * m.sin(theta) + _BD_DLAT, z * m.cos(theta) + _BD_DLON


def _wgs_to_gcj(lat, lon, m: ModuleType):
    """Apply the forward WGS-84 to GCJ-02 obfuscation without the rectangle test; m is math or numpy."""
    dlat, dlon = _gcj_offset(lat, lon, m)
    return lat + dlat, lon + dlon


def _wgs_to_bd(lat, lon, m: ModuleType):
    """Apply WGS-84 to GCJ-02 then GCJ-02 to BD-09; m is math or numpy."""
    lat, lon = _wgs_to_gcj(lat, lon, m)
    return _gcj_to_bd(lat, lon, m)


_FORWARD = {
    (Datum.WGS84, Datum.GCJ02): _wgs_to_gcj,
    (Datum.GCJ02, Datum.BD09): _gcj_to_bd,
    (Datum.WGS84, Datum.BD09): _wgs_to_bd,
}


def _invert_scalar(forward, lat: float, lon: float) -> tuple[float, float]:
    """Solve forward(w) == (lat, lon) for w by fixed-point refinement."""
    # Each forward map is the identity plus a small, slowly varying offset (its derivative
    # is ~1e-3), so w <- w - (forward(w) - target) contracts by ~1e-3 per step.
    w_lat, w_lon = lat, lon
    for _ in range(_MAX_ITERATIONS):
        f_lat, f_lon = forward(w_lat, w_lon, math)
        d_lat, d_lon = f_lat - lat, f_lon - lon
        w_lat, w_lon = w_lat - d_lat, w_lon - d_lon
        if abs(d_lat) < _TOLERANCE_DEG and abs(d_lon) < _TOLERANCE_DEG:
            break
    return w_lat, w_lon


def _invert_many(forward, lats: np.ndarray, lons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(w) == (lats, lons) element-wise by fixed-point refinement."""
    w_lat, w_lon = lats.copy(), lons.copy()
    # Each element stops on its own test, so its result never depends on its batch; shared
    # polygon vertices therefore stay shared after conversion.
    active = np.arange(lats.size)
    for _ in range(_MAX_ITERATIONS):
        if active.size == 0:
            break
        f_lat, f_lon = forward(w_lat[active], w_lon[active], np)
        d_lat, d_lon = f_lat - lats[active], f_lon - lons[active]
        w_lat[active] -= d_lat
        w_lon[active] -= d_lon
        converged = (np.abs(d_lat) < _TOLERANCE_DEG) & (np.abs(d_lon) < _TOLERANCE_DEG)
        active = active[~converged]
    return w_lat, w_lon


def convert(lat: float, lon: float, src: Datum, dst: Datum) -> tuple[float, float]:
    """Convert one coordinate between datums; outside China's rectangle (tested in src) it passes through."""
    src, dst = Datum(src), Datum(dst)
    if src is dst or not in_china(lat, lon):
        return lat, lon
    forward = _FORWARD.get((src, dst))
    if forward is not None:
        return forward(lat, lon, math)
    return _invert_scalar(_FORWARD[(dst, src)], lat, lon)


def convert_many(lats, lons, src: Datum, dst: Datum) -> tuple[np.ndarray, np.ndarray]:
    """Convert arrays of coordinates between datums; those outside China's rectangle pass through."""
    src, dst = Datum(src), Datum(dst)
    lats = np.array(lats, dtype=float)
    lons = np.array(lons, dtype=float)
    if lats.shape != lons.shape:
        raise ValueError(f"lats and lons differ in shape: {lats.shape} vs {lons.shape}")
    if src is dst:
        return lats, lons
    inside = in_china_many(lats, lons)
    out_lat, out_lon = lats.copy(), lons.copy()
    forward = _FORWARD.get((src, dst))
    if forward is not None:
        out_lat[inside], out_lon[inside] = forward(lats[inside], lons[inside], np)
    else:
        out_lat[inside], out_lon[inside] = _invert_many(_FORWARD[(dst, src)], lats[inside], lons[inside])
    return out_lat, out_lon


def convert_geometry(geom: shapely.Geometry, src: Datum, dst: Datum) -> shapely.Geometry:
    """Convert every vertex of a shapely geometry (x = lon, y = lat) between datums."""
    if Datum(src) is Datum(dst):
        return geom

    def transform_xy(xy: np.ndarray) -> np.ndarray:
        lat, lon = convert_many(xy[:, 1], xy[:, 0], src, dst)
        return np.column_stack((lon, lat))

    return shapely.transform(geom, transform_xy)
