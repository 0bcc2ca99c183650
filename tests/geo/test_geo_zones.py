"""Tests for geo.zones: parsing, validation, repair, overlap resolution and classification."""

import copy
import json
import pickle

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo.datum import Datum, convert, convert_many
from geo.zones import Coverage, ZoneError, ZoneIndex, ZoneKind, ZoneSet, area_m2, parse_zones
from geo_testdata import shenzhen_districts

CBD = (22.543, 114.059)  # Futian CBD / Civic Center, GCJ-02
AIRPORT = (22.639, 113.811)  # Bao'an airport, GCJ-02
HONG_KONG = (22.30, 114.17)


def square(lon, lat, size=0.01):
    """Return a closed GeoJSON ring for a square with its south-west corner at (lon, lat)."""
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def feature(kind, rings, **properties):
    return raw_feature({"kind": kind, **properties}, {"type": "Polygon", "coordinates": rings})


def raw_feature(properties, geometry):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def ring_through(position):
    """Return a closed triangle ring that starts and ends at `position`."""
    return [position, [114.01, 22.5], [114.01, 22.51], position]


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def vertices(raw_feature):
    coords = raw_feature["geometry"]["coordinates"]
    polygons = [coords] if raw_feature["geometry"]["type"] == "Polygon" else coords
    return {tuple(xy) for polygon in polygons for ring in polygon for xy in ring}


@pytest.fixture(scope="module")
def shenzhen() -> ZoneSet:
    return parse_zones(shenzhen_districts())


def test_shenzhen_districts_parse_cleanly_into_four_urban_and_five_suburban_zones(shenzhen):
    assert shenzhen.repairs == ()
    assert [z.properties["name_en"] for z in shenzhen.zones if z.kind is ZoneKind.URBAN] == [
        "Luohu", "Futian", "Nanshan", "Yantian"]
    assert sum(z.kind is ZoneKind.SUBURBAN for z in shenzhen.zones) == 5
    assert shenzhen.datum is Datum.GCJ02
    assert shenzhen.urban.is_valid and shenzhen.suburban.is_valid
    assert 1.9e9 < area_m2(shenzhen.urban) + area_m2(shenzhen.suburban) < 2.3e9  # Shenzhen is ~2,000 km² of land


@pytest.mark.parametrize(
    "point, expected",
    [
        pytest.param(CBD, Coverage.URBAN, id="futian-cbd"),
        pytest.param(AIRPORT, Coverage.SUBURBAN, id="baoan-airport"),
        pytest.param(HONG_KONG, Coverage.OUTSIDE, id="hong-kong"),
        pytest.param((22.54, 113.93), Coverage.URBAN, id="nanshan-science-park"),
        pytest.param((22.72, 114.25), Coverage.SUBURBAN, id="longgang-centre"),
        pytest.param((23.5, 114.0), Coverage.OUTSIDE, id="far-north"),
    ],
)
def test_known_places_in_shenzhen_are_classified_by_their_district(shenzhen, point, expected):
    index = ZoneIndex.build(shenzhen)
    assert index.classify(*point) is expected
    assert index.classify_many([point[0]], [point[1]])[0] is expected


def test_a_vertex_on_the_shared_edge_of_urban_and_suburban_districts_counts_as_urban(shenzhen):
    raw = shenzhen_districts()["features"]
    by_name = {f["properties"]["name_en"]: f for f in raw}
    shared = sorted(vertices(by_name["Futian"]) & vertices(by_name["Longhua"]))
    assert shared, "Futian and Longhua share an edge"
    lon, lat = shared[len(shared) // 2]
    index = ZoneIndex.build(shenzhen)
    assert index.classify(lat, lon) is Coverage.URBAN
    assert index.classify_many([lat], [lon])[0] is Coverage.URBAN


def test_the_shared_edge_still_counts_as_urban_in_an_index_converted_to_wgs84(shenzhen):
    raw = {f["properties"]["name_en"]: f for f in shenzhen_districts()["features"]}
    shared = sorted(vertices(raw["Nanshan"]) & vertices(raw["Bao'an"]))
    lon, lat = shared[len(shared) // 2]
    index = ZoneIndex.build(shenzhen, Datum.WGS84)
    assert index.datum is Datum.WGS84
    assert index.classify(*convert(lat, lon, Datum.GCJ02, Datum.WGS84)) is Coverage.URBAN


def test_a_vertex_on_the_city_limit_counts_as_inside_its_district(shenzhen):
    raw = shenzhen_districts()["features"]
    others = set().union(*(vertices(f) for f in raw if f["properties"]["name_en"] != "Pingshan"))
    own = sorted(vertices(next(f for f in raw if f["properties"]["name_en"] == "Pingshan")) - others)
    lon, lat = own[0]
    assert ZoneIndex.build(shenzhen).classify(lat, lon) is Coverage.SUBURBAN


def test_a_wgs84_index_classifies_gps_points_and_the_datum_matters_near_a_boundary(shenzhen):
    gcj_index, wgs_index = ZoneIndex.build(shenzhen), ZoneIndex.build(shenzhen, Datum.WGS84)
    rng = np.random.default_rng(1)
    lats, lons = rng.uniform(22.45, 22.85, 4000), rng.uniform(113.75, 114.6, 4000)
    wgs_lats, wgs_lons = convert_many(lats, lons, Datum.GCJ02, Datum.WGS84)
    same_place = wgs_index.classify_many(wgs_lats, wgs_lons) == gcj_index.classify_many(lats, lons)
    assert same_place.mean() > 0.995  # only vertices' tiny straight-edge deviations differ
    unconverted = wgs_index.classify_many(lats, lons) == gcj_index.classify_many(lats, lons)
    assert unconverted.mean() < same_place.mean()  # skipping the conversion misplaces points


def test_classify_many_agrees_with_classify_on_a_grid(shenzhen):
    index = ZoneIndex.build(shenzhen)
    lats, lons = (a.ravel() for a in np.meshgrid(np.linspace(22.4, 22.9, 25), np.linspace(113.7, 114.7, 25)))
    many = index.classify_many(lats, lons)
    assert [index.classify(a, b) for a, b in zip(lats, lons)] == many.tolist()
    assert set(many) == {Coverage.URBAN, Coverage.SUBURBAN, Coverage.OUTSIDE}


def test_a_self_intersecting_bow_tie_is_repaired_and_reported():
    bow_tie = [[114.0, 22.5], [114.01, 22.51], [114.01, 22.5], [114.0, 22.51], [114.0, 22.5]]
    zones = parse_zones(collection(feature("urban", [bow_tie], name_en="Bow")))
    assert [r.action for r in zones.repairs] == ["made_valid"]
    assert zones.repairs[0].feature_index == 0 and "Bow" in str(zones.repairs[0])
    assert "2 polygon(s)" in str(zones.repairs[0]) and zones.repairs[0].area_m2 > 0
    assert zones.zones[0].geometry.is_valid and len(zones.zones[0].geometry.geoms) == 2
    index = ZoneIndex.build(zones)
    assert index.classify(22.505, 114.002) is Coverage.URBAN  # inside the west triangle
    assert index.classify(22.509, 114.005) is Coverage.OUTSIDE  # between the triangles


def test_an_unclosed_ring_is_refused_with_the_feature_index():
    ring = square(114.0, 22.5)[:-1] + [[114.0, 22.50001]]
    with pytest.raises(ZoneError) as caught:
        parse_zones(collection(feature("urban", [square(113.9, 22.5)]), feature("suburban", [ring])))
    assert caught.value.feature_index == 1
    assert caught.value.reason == "unclosed_ring"
    assert "features[1].geometry.coordinates[0]" in str(caught.value)


@pytest.mark.parametrize(
    "bad_feature, reason",
    [
        (feature("rural", [square(114.0, 22.5)]), "bad_kind"),
        (feature(["urban"], [square(114.0, 22.5)]), "bad_kind"),
        (raw_feature({}, {"type": "Polygon", "coordinates": [square(114, 22.5)]}), "bad_kind"),
        (raw_feature(None, {"type": "Polygon", "coordinates": [square(114, 22.5)]}), "missing_properties"),
        (raw_feature({"kind": "urban"}, {"type": "Point", "coordinates": [114, 22.5]}), "bad_geometry_type"),
        (raw_feature({"kind": "urban"}, None), "bad_geometry_type"),
        ({"type": "Polygon", "coordinates": [square(114, 22.5)]}, "not_a_feature"),
        (feature("urban", [[[114.0, 22.5], [114.01, 22.5], [114.0, 22.5]]]), "too_few_positions"),
        (feature("urban", [ring_through([214.0, 22.5])]), "coordinate_out_of_range"),
        (feature("urban", [ring_through([114.0, 95.0])]), "coordinate_out_of_range"),
        (feature("urban", [ring_through([114.0, "22.5"])]), "bad_coordinates"),
        (feature("urban", [ring_through([114.0, float("nan")])]), "bad_coordinates"),
        (feature("urban", [ring_through([114.0, 22.5, 1.0, 2.0])]), "bad_coordinates"),
        (feature("urban", [ring_through(True)]), "bad_coordinates"),
        (feature("urban", []), "empty_geometry"),
        (feature("urban", [[[114.0, 22.5], [114.01, 22.5], [114.02, 22.5], [114.0, 22.5]]]), "unrepairable_geometry"),
        (feature("urban", [[[114.0, 22.5], [114.01, 22.51], [114.02, 22.52], [114.0, 22.5]]]), "zero_area"),
    ],
)
def test_invalid_features_are_refused_with_a_reason(bad_feature, reason):
    with pytest.raises(ZoneError) as caught:
        parse_zones(collection(feature("urban", [square(113.9, 22.5)]), bad_feature))
    assert (caught.value.feature_index, caught.value.reason) == (1, reason)


@pytest.mark.parametrize(
    "document, reason",
    [
        ({"type": "Feature"}, "not_a_feature_collection"),
        ([], "not_a_feature_collection"),
        ({"type": "FeatureCollection", "features": []}, "no_features"),
        ({"type": "FeatureCollection"}, "no_features"),
    ],
)
def test_a_document_that_is_not_a_feature_collection_is_refused(document, reason):
    with pytest.raises(ZoneError) as caught:
        parse_zones(document)
    assert (caught.value.feature_index, caught.value.reason) == (None, reason)


def test_where_urban_and_suburban_overlap_urban_wins_and_the_cut_is_reported():
    urban = feature("urban", [square(114.0, 22.5)], name_en="Core")
    suburban = feature("suburban", [square(114.005, 22.5)], name_en="Ring")  # half of it under Core
    zones = parse_zones(collection(suburban, urban))
    (cut,) = zones.repairs
    assert (cut.action, cut.feature_index, cut.other_index) == ("cut_by_urban", 0, 1)
    expected = 0.005 / 0.01 * area_m2(shape({"type": "Polygon", "coordinates": [square(114.005, 22.5)]}))
    assert cut.area_m2 == pytest.approx(expected, rel=0.01)
    assert "Ring" in str(cut) and "Core" in str(cut) and "urban wins" in str(cut)
    assert area_m2(shapely.intersection(zones.urban, zones.suburban)) < 1.0
    index = ZoneIndex.build(zones)
    assert index.classify(22.505, 114.007) is Coverage.URBAN
    assert index.classify(22.505, 114.012) is Coverage.SUBURBAN


def test_a_suburban_zone_entirely_under_an_urban_one_is_removed_and_reported():
    zones = parse_zones(collection(
        feature("urban", [square(114.0, 22.5, 0.02)]), feature("suburban", [square(114.005, 22.505)])))
    assert [r.action for r in zones.repairs] == ["cut_by_urban", "removed"]
    assert [z.index for z in zones.zones] == [0]
    assert zones.suburban.is_empty
    assert ZoneIndex.build(zones).classify(22.51, 114.01) is Coverage.URBAN


@pytest.mark.parametrize("kind", ["urban", "suburban"])
def test_overlapping_zones_of_the_same_kind_are_merged_and_reported(kind):
    zones = parse_zones(collection(feature(kind, [square(114.0, 22.5)]), feature(kind, [square(114.005, 22.5)])))
    (merged,) = zones.repairs
    assert (merged.action, merged.feature_index, merged.other_index) == ("merged_overlap", 1, 0)
    one = area_m2(shape({"type": "Polygon", "coordinates": [square(114.0, 22.5)]}))
    assert area_m2(getattr(zones, kind)) == pytest.approx(1.5 * one, rel=0.01)
    assert len(zones.zones) == 2


def test_neighbours_that_only_share_an_edge_need_no_repair():
    west, east = feature("urban", [square(114.0, 22.5)]), feature("suburban", [square(114.01, 22.5)])
    zones = parse_zones(collection(west, east))
    assert zones.repairs == ()


def test_a_point_in_a_hole_is_outside():
    outer = square(114.0, 22.5, 0.03)
    hole = list(reversed(square(114.01, 22.51)))
    index = ZoneIndex.build(parse_zones(collection(feature("urban", [outer, hole]))))
    assert index.classify(22.515, 114.015) is Coverage.OUTSIDE
    assert index.classify(22.505, 114.005) is Coverage.URBAN


def test_multipolygon_features_are_accepted():
    raw = {"type": "Feature", "id": "x-1", "properties": {"kind": "suburban"},
           "geometry": {"type": "MultiPolygon", "coordinates": [[square(114.0, 22.5)], [square(114.1, 22.5)]]}}
    zones = parse_zones(collection(raw))
    assert len(zones.suburban.geoms) == 2
    assert zones.to_feature_collection()["features"][0]["id"] == "x-1"


def test_positions_with_an_altitude_are_accepted_and_serialised_in_two_dimensions():
    ring = [[x, y, 12.5] for x, y in square(114.0, 22.5)]
    document = parse_zones(collection(feature("urban", [ring]))).to_feature_collection()
    assert {len(xy) for xy in document["features"][0]["geometry"]["coordinates"][0][0]} == {2}


def test_serialising_back_to_geojson_round_trips_geometry_and_properties(shenzhen):
    document = shenzhen.to_feature_collection()
    json.dumps(document, ensure_ascii=False)  # plain JSON types only
    again = parse_zones(document)
    assert again.repairs == ()
    for before, after in zip(shenzhen.zones, again.zones):
        assert dict(before.properties) == dict(after.properties)
        assert shapely.equals(before.geometry, after.geometry)
    for polygon in document["features"][0]["geometry"]["coordinates"]:
        assert shapely.LinearRing(polygon[0]).is_ccw  # RFC 7946: exteriors counter-clockwise


def test_serialising_to_wgs84_moves_the_zones_by_the_datum_offset(shenzhen):
    document = shenzhen.to_feature_collection(Datum.WGS84)
    gcj = shenzhen.to_feature_collection()
    lon_w, lat_w = document["features"][1]["geometry"]["coordinates"][0][0][0]
    lon_g, lat_g = gcj["features"][1]["geometry"]["coordinates"][0][0][0]
    assert (lat_w, lon_w) == pytest.approx(convert(lat_g, lon_g, Datum.GCJ02, Datum.WGS84), abs=1e-12)
    back = parse_zones(document, Datum.WGS84).converted(Datum.GCJ02)
    assert shapely.hausdorff_distance(back.urban, shenzhen.urban) < 1e-8


def test_parsing_copies_properties_so_later_edits_change_nothing():
    document = collection(feature("urban", [square(114.0, 22.5)], tags=["a"]))
    zones = parse_zones(document)
    document["features"][0]["properties"]["tags"].append("b")
    out = zones.to_feature_collection()
    out["features"][0]["properties"]["tags"].append("c")
    assert zones.zones[0].properties["tags"] == ["a"]


def test_a_zone_set_and_an_index_survive_pickling_for_caches(shenzhen):
    again = pickle.loads(pickle.dumps(shenzhen))
    assert again == shenzhen
    index = pickle.loads(pickle.dumps(ZoneIndex.build(shenzhen)))
    assert index.classify(*CBD) is Coverage.URBAN


def test_zone_error_carries_message_index_and_reason():
    error = ZoneError("features[2].properties.kind: bad", 2, "bad_kind")
    assert isinstance(error, ValueError)
    assert (error.message, error.feature_index, error.reason) == ("features[2].properties.kind: bad", 2, "bad_kind")


def test_building_an_index_leaves_the_zone_set_unprepared(shenzhen):
    ZoneIndex.build(shenzhen)
    assert not shapely.is_prepared(shenzhen.urban)
    assert copy.deepcopy(shenzhen.to_feature_collection()) == shenzhen.to_feature_collection()
