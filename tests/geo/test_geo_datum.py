"""Tests for geo.datum: WGS-84, GCJ-02 and BD-09 conversions."""

import itertools
import math
import warnings

import numpy as np
import prcoords
import pytest
import shapely
from shapely.geometry import Polygon

from geo.datum import CHINA_LAT, CHINA_LON, Datum, convert, convert_geometry, convert_many
from geo.distance import haversine_m, haversine_many_m

DATUMS = list(Datum)
PAIRS = [(a, b) for a, b in itertools.permutations(DATUMS, 2)]

# A grid over China, kept a few hundred metres clear of the rectangle's edges.
GRID_LAT, GRID_LON = (
    a.ravel() for a in np.meshgrid(np.linspace(18.0, 53.5, 40), np.linspace(73.5, 135.0, 60), indexing="ij")
)

# Published WGS-84 -> GCJ-02 pairs from googollee/eviltransform, python/test.py (TESTS); the same
# three pairs appear in its go/transform_test.go and php/EvilTransformTest.php.
EVILTRANSFORM_WGS_GCJ = [
    pytest.param(31.1774276, 121.5272106, 31.17530398364597, 121.531541859215, id="shanghai"),
    pytest.param(22.543847, 113.912316, 22.540796131694766, 113.9171764808363, id="shenzhen"),
    pytest.param(39.911954, 116.377817, 39.91334545536069, 116.38404722455657, id="beijing"),
]


def metres(lat1, lon1, lat2, lon2):
    return haversine_m(lat1, lon1, lat2, lon2)


@pytest.mark.parametrize("wgs_lat, wgs_lon, gcj_lat, gcj_lon", EVILTRANSFORM_WGS_GCJ)
def test_wgs84_to_gcj02_matches_eviltransform_published_pairs(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lat, lon = convert(wgs_lat, wgs_lon, Datum.WGS84, Datum.GCJ02)
    assert lat == pytest.approx(gcj_lat, abs=1e-9)
    assert lon == pytest.approx(gcj_lon, abs=1e-9)


@pytest.mark.parametrize("wgs_lat, wgs_lon, gcj_lat, gcj_lon", EVILTRANSFORM_WGS_GCJ)
def test_gcj02_to_wgs84_recovers_eviltransform_published_pairs_within_a_millimetre(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lat, lon = convert(gcj_lat, gcj_lon, Datum.GCJ02, Datum.WGS84)
    assert metres(lat, lon, wgs_lat, wgs_lon) < 0.001


# Published pairs from madlogos/asesgeo, tests/testthat/test_tranform_coord.R (Tiananmen area),
# given there to 8 decimals; its BD-09 -> GCJ-02 value comes from the one-step approximate inverse,
# which is why that one is only held to about 10 cm.
@pytest.mark.parametrize(
    "src, dst, point, expected, tolerance_deg",
    [
        (Datum.WGS84, Datum.GCJ02, (39.90734, 116.39089), (39.90874107, 116.39713094), 1e-8),
        (Datum.GCJ02, Datum.WGS84, (39.908746, 116.397131), (39.90734493, 116.39089006), 1e-8),
        (Datum.GCJ02, Datum.BD09, (39.908746, 116.397131), (39.91508839, 116.40350426), 1e-8),
        (Datum.BD09, Datum.GCJ02, (39.91509, 116.40350), (39.90874808, 116.39712692), 1e-6),
        # hujiulong/gcoord, test/unit/crs/GCJ02.spec.js, checked there with toBeCloseTo(..., 5).
        (Datum.GCJ02, Datum.WGS84, (45.0, 123.0), (44.99804071, 122.99395597), 1e-6),
        (Datum.GCJ02, Datum.BD09, (45.0, 123.0), (45.00636899, 123.00636499), 1e-8),
    ],
)
def test_conversions_match_other_published_reference_pairs(src, dst, point, expected, tolerance_deg):
    lat, lon = convert(*point, src, dst)
    assert lat == pytest.approx(expected[0], abs=tolerance_deg)
    assert lon == pytest.approx(expected[1], abs=tolerance_deg)


@pytest.mark.parametrize("src, dst", PAIRS, ids=lambda d: d.value)
def test_round_trip_over_a_grid_of_china_is_within_a_centimetre(src, dst):
    lat, lon = convert_many(GRID_LAT, GRID_LON, src, dst)
    back_lat, back_lon = convert_many(lat, lon, dst, src)
    assert haversine_many_m(GRID_LAT, GRID_LON, back_lat, back_lon).max() < 0.01


@pytest.mark.parametrize("src, dst", PAIRS, ids=lambda d: d.value)
def test_scalar_round_trip_is_within_a_centimetre(src, dst):
    for lat0, lon0 in zip(GRID_LAT[::37], GRID_LON[::37]):
        lat, lon = convert(lat0, lon0, src, dst)
        assert metres(*convert(lat, lon, dst, src), lat0, lon0) < 0.01


@pytest.mark.parametrize("src, dst", PAIRS, ids=lambda d: d.value)
def test_scalar_and_vectorised_conversions_agree(src, dst):
    lats, lons = convert_many(GRID_LAT[::11], GRID_LON[::11], src, dst)
    for lat0, lon0, lat, lon in zip(GRID_LAT[::11], GRID_LON[::11], lats, lons):
        s_lat, s_lon = convert(lat0, lon0, src, dst)
        assert abs(s_lat - lat) < 1e-10 and abs(s_lon - lon) < 1e-10


def _prcoords_reference(src, dst):
    """Map a datum pair to prcoords' function, using its iterative ('bored') inverses."""
    # prcoords' own bd_wgs_bored stops at a 1e-5 degree step and leaves up to ~2 cm of residual,
    # so BD-09 -> WGS-84 chains its two single-step bored inverses instead.
    return {
        (Datum.WGS84, Datum.GCJ02): prcoords.wgs_gcj,
        (Datum.GCJ02, Datum.WGS84): prcoords.gcj_wgs_bored,
        (Datum.GCJ02, Datum.BD09): prcoords.gcj_bd,
        (Datum.BD09, Datum.GCJ02): prcoords.bd_gcj_bored,
        (Datum.WGS84, Datum.BD09): prcoords.wgs_bd,
        (Datum.BD09, Datum.WGS84): lambda c: prcoords.gcj_wgs_bored(prcoords.bd_gcj_bored(c)),
    }[(src, dst)]


@pytest.mark.parametrize("src, dst", PAIRS, ids=lambda d: d.value)
def test_conversions_agree_with_prcoords_within_a_centimetre(src, dst):
    reference = _prcoords_reference(src, dst)
    rng = np.random.default_rng(42)
    lats, lons = rng.uniform(18.0, 53.0, 500), rng.uniform(74.0, 134.0, 500)
    ours_lat, ours_lon = convert_many(lats, lons, src, dst)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = [reference((a, b)) for a, b in zip(lats, lons)]
    theirs_lat = np.array([c.lat for c in theirs])
    theirs_lon = np.array([c.lon for c in theirs])
    assert haversine_many_m(ours_lat, ours_lon, theirs_lat, theirs_lon).max() < 0.01


@pytest.mark.parametrize(
    "src, dst, low_m, high_m",
    [
        (Datum.WGS84, Datum.GCJ02, 500.0, 700.0),
        (Datum.GCJ02, Datum.WGS84, 500.0, 700.0),
        (Datum.WGS84, Datum.BD09, 1000.0, 1500.0),
        (Datum.BD09, Datum.WGS84, 1000.0, 1500.0),
    ],
)
def test_in_shenzhen_the_datum_offset_has_the_known_size(src, dst, low_m, high_m):
    for lat, lon in [(22.543, 114.059), (22.639, 113.811), (22.72, 114.25), (22.53, 113.93)]:
        assert low_m < metres(lat, lon, *convert(lat, lon, src, dst)) < high_m


@pytest.mark.parametrize(
    "lat, lon",
    [
        pytest.param(51.5074, -0.1278, id="london"),
        pytest.param(40.7128, -74.0060, id="new-york"),
        pytest.param(35.6762, 139.6503, id="tokyo"),
        pytest.param(-33.8688, 151.2093, id="sydney"),
        pytest.param(0.0, 0.0, id="null-island"),
        pytest.param(0.8292, 110.0, id="just-south-of-the-rectangle"),
        pytest.param(30.0, 137.8348, id="just-east-of-the-rectangle"),
    ],
)
@pytest.mark.parametrize("src, dst", PAIRS, ids=lambda d: d.value)
def test_points_outside_china_pass_through_unchanged(lat, lon, src, dst):
    assert convert(lat, lon, src, dst) == (lat, lon)
    out_lat, out_lon = convert_many([lat], [lon], src, dst)
    assert (out_lat[0], out_lon[0]) == (lat, lon)


@pytest.mark.parametrize(
    "lat, lon", [(CHINA_LAT[0], 110.0), (CHINA_LAT[1], 110.0), (30.0, CHINA_LON[0]), (30.0, CHINA_LON[1])]
)
def test_the_rectangle_edges_count_as_inside_china(lat, lon):
    assert convert(lat, lon, Datum.WGS84, Datum.GCJ02) != (lat, lon)


def test_converting_to_the_same_datum_changes_nothing_and_strings_name_datums():
    assert convert(22.5, 114.0, "gcj02", "gcj02") == (22.5, 114.0)
    assert convert(22.5, 114.0, "wgs84", "gcj02") == convert(22.5, 114.0, Datum.WGS84, Datum.GCJ02)


def test_convert_many_keeps_shape_and_passes_nan_through():
    lats = np.array([[22.5, np.nan], [30.0, 51.5]])
    lons = np.array([[114.0, 114.0], [120.0, -0.1]])
    out_lat, out_lon = convert_many(lats, lons, Datum.GCJ02, Datum.WGS84)
    assert out_lat.shape == (2, 2)
    assert math.isnan(out_lat[0, 1]) and out_lon[0, 1] == 114.0
    assert (out_lat[1, 1], out_lon[1, 1]) == (51.5, -0.1)
    with pytest.raises(ValueError):
        convert_many([1.0, 2.0], [1.0], Datum.GCJ02, Datum.WGS84)


def test_convert_geometry_moves_every_vertex_and_keeps_rings_closed():
    square = Polygon([(114.05, 22.54), (114.06, 22.54), (114.06, 22.55), (114.05, 22.55)])
    moved = convert_geometry(square, Datum.GCJ02, Datum.WGS84)
    assert moved.geom_type == "Polygon" and moved.is_valid
    coords = np.asarray(moved.exterior.coords)
    assert tuple(coords[0]) == tuple(coords[-1])
    for (x0, y0), (x1, y1) in zip(square.exterior.coords, coords):
        assert (y1, x1) == pytest.approx(convert(y0, x0, Datum.GCJ02, Datum.WGS84), abs=1e-10)
    assert shapely.equals(convert_geometry(square, Datum.WGS84, Datum.WGS84), square)


def test_a_vertex_shared_by_two_geometries_stays_shared_after_conversion():
    shared = (114.0512345, 22.5467891)
    left = Polygon([(114.04, 22.54), shared, (114.05, 22.56)])
    right = Polygon([shared, (114.07, 22.54), (114.06, 22.56), (114.055, 22.55), (114.052, 22.548)])
    a = convert_geometry(left, Datum.GCJ02, Datum.WGS84)
    b = convert_geometry(right, Datum.GCJ02, Datum.WGS84)
    assert a.exterior.coords[1] == b.exterior.coords[0]
