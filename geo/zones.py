"""Service zones: parsing and repairing zone GeoJSON, and classifying points as urban or suburban."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from geo.datum import Datum, convert_geometry
from geo.distance import EARTH_RADIUS_M

# Overlaps smaller than this are rounding slivers between neighbours that share an edge; they are
# left alone, and classification resolves them to urban anyway. A zone must be at least this big.
MIN_AREA_M2 = 1.0


class ZoneKind(str, Enum):
    """The kind of a service zone, which sets the arrival deadline (article 10)."""

    URBAN = "urban"
    SUBURBAN = "suburban"


class Coverage(str, Enum):
    """Where a point falls: in an urban zone, a suburban zone, or outside every zone."""

    URBAN = "urban"
    SUBURBAN = "suburban"
    OUTSIDE = "outside"


# Built element by element: numpy would otherwise turn these str-enum members into plain strings.
_COVERAGE_BY_CODE = np.empty(3, dtype=object)
_COVERAGE_BY_CODE[:] = [Coverage.OUTSIDE, Coverage.SUBURBAN, Coverage.URBAN]


class ZoneError(ValueError):
    """A zone file was refused; feature_index (None for the collection) and reason say where and why."""

    def __init__(self, message: str, feature_index: int | None, reason: str):
        super().__init__(message)
        self.message = message
        self.feature_index = feature_index
        self.reason = reason


@dataclass(frozen=True)
class Repair:
    """A change made to a feature while parsing, described for a person."""

    feature_index: int
    action: str
    detail: str
    other_index: int | None = None
    area_m2: float | None = None

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class Zone:
    """One feature of a zone file after repair, with its original index and properties."""

    index: int
    kind: ZoneKind
    geometry: MultiPolygon
    # A plain dict (not a read-only proxy) so zone sets pickle, e.g. into a cache; treat it as read-only.
    properties: dict[str, Any] = field(hash=False)
    feature_id: Any = None

    @property
    def label(self) -> str:
        """Return a short human-readable name for messages."""
        name = self.properties.get("name_en") or self.properties.get("name") or self.properties.get("name_zh")
        return f"feature {self.index} ({name})" if name else f"feature {self.index}"


@dataclass(frozen=True)
class ZoneSet:
    """A validated, repaired set of service zones with one MultiPolygon per kind."""

    zones: tuple[Zone, ...]
    urban: MultiPolygon
    suburban: MultiPolygon
    datum: Datum = Datum.GCJ02
    repairs: tuple[Repair, ...] = field(default=())

    def converted(self, datum: Datum) -> ZoneSet:
        """Return the same zones with every vertex converted to another datum."""
        datum = Datum(datum)
        if datum is self.datum:
            return self
        zones = tuple(replace(z, geometry=convert_geometry(z.geometry, self.datum, datum)) for z in self.zones)
        return replace(
            self,
            zones=zones,
            urban=convert_geometry(self.urban, self.datum, datum),
            suburban=convert_geometry(self.suburban, self.datum, datum),
            datum=datum,
        )

    def to_feature_collection(self, datum: Datum | None = None) -> dict:
        """Serialise the repaired zones as a GeoJSON FeatureCollection, optionally in another datum."""
        zones = self.converted(datum).zones if datum is not None else self.zones
        features = []
        for zone in zones:
            feature: dict[str, Any] = {"type": "Feature"}
            if zone.feature_id is not None:
                feature["id"] = zone.feature_id
            feature["properties"] = copy.deepcopy(zone.properties)
            feature["geometry"] = _geojson_multipolygon(zone.geometry)
            features.append(feature)
        return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class ZoneIndex:
    """Prepared per-kind geometries for fast point classification in one datum."""

    urban: MultiPolygon
    suburban: MultiPolygon
    datum: Datum

    @classmethod
    def build(cls, zones: ZoneSet, datum: Datum | None = None) -> ZoneIndex:
        """Build an index, converting the zones once to the datum the points will come in."""
        if datum is not None:
            zones = zones.converted(datum)
        # Copies, so preparing them leaves the ZoneSet's own geometries untouched.
        urban, suburban = shapely.from_wkb(zones.urban.wkb), shapely.from_wkb(zones.suburban.wkb)
        shapely.prepare(urban)
        shapely.prepare(suburban)
        return cls(urban=urban, suburban=suburban, datum=zones.datum)

    def classify(self, lat: float, lon: float) -> Coverage:
        """Classify one point; a point on a boundary counts as inside, and urban wins where both apply."""
        # intersects (not contains) so boundary points count as inside; urban is tested first because
        # it carries the stricter 30-minute deadline.
        if shapely.intersects_xy(self.urban, lon, lat):
            return Coverage.URBAN
        if shapely.intersects_xy(self.suburban, lon, lat):
            return Coverage.SUBURBAN
        return Coverage.OUTSIDE

    def classify_many(self, lats, lons) -> np.ndarray:
        """Classify many points at once, returning an object array of Coverage members."""
        lats = np.asarray(lats, dtype=float)
        lons = np.asarray(lons, dtype=float)
        code = shapely.intersects_xy(self.suburban, lons, lats).astype(np.intp)
        code[shapely.intersects_xy(self.urban, lons, lats)] = 2
        return _COVERAGE_BY_CODE[code]


def area_m2(geom: shapely.Geometry) -> float:
    """Approximate a lon/lat geometry's area in square metres with a local equirectangular projection."""
    if geom.is_empty:
        return 0.0
    lat0 = math.radians(geom.centroid.y)
    k = math.pi * EARTH_RADIUS_M / 180.0
    scale = np.array([k * math.cos(lat0), k])
    return float(shapely.transform(geom, lambda xy: xy * scale).area)


def parse_zones(feature_collection: Any, datum: Datum = Datum.GCJ02) -> ZoneSet:
    """Validate and repair a GeoJSON FeatureCollection of urban and suburban zones."""
    if not isinstance(feature_collection, dict) or feature_collection.get("type") != "FeatureCollection":
        raise ZoneError("expected a GeoJSON object with type FeatureCollection", None, "not_a_feature_collection")
    features = feature_collection.get("features")
    if not isinstance(features, list) or not features:
        raise ZoneError("features must be a non-empty list", None, "no_features")
    repairs: list[Repair] = []
    zones = [_parse_feature(i, f, repairs) for i, f in enumerate(features)]
    zones = _resolve_overlaps(zones, repairs)
    return ZoneSet(
        zones=tuple(zones),
        urban=_union(z.geometry for z in zones if z.kind is ZoneKind.URBAN),
        suburban=_union(z.geometry for z in zones if z.kind is ZoneKind.SUBURBAN),
        datum=Datum(datum),
        repairs=tuple(repairs),
    )


def _parse_feature(index: int, feature: Any, repairs: list[Repair]) -> Zone:
    """Validate one feature and repair its geometry if it is invalid."""
    where = f"features[{index}]"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ZoneError(f"{where}: expected an object with type Feature", index, "not_a_feature")
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise ZoneError(f"{where}.properties: expected an object", index, "missing_properties")
    kinds = ", ".join(k.value for k in ZoneKind)
    try:
        kind = ZoneKind(properties.get("kind"))
    except ValueError:
        raise ZoneError(
            f"{where}.properties.kind: expected one of {kinds}, got {properties.get('kind')!r}", index, "bad_kind"
        ) from None
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        got = geometry.get("type") if isinstance(geometry, dict) else geometry
        raise ZoneError(
            f"{where}.geometry: expected a Polygon or MultiPolygon, got {got!r}", index, "bad_geometry_type"
        )
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    path = f"{where}.geometry.coordinates"
    if not isinstance(polygons, list) or not polygons:
        raise ZoneError(f"{path}: expected a non-empty list", index, "empty_geometry")
    for p, rings in enumerate(polygons):
        ring_path = path if geometry["type"] == "Polygon" else f"{path}[{p}]"
        _check_rings(index, ring_path, rings)

    geom = _as_multipolygon(shapely.force_2d(shape(geometry)))
    if not geom.is_valid:
        why = shapely.is_valid_reason(geom)
        repaired = _as_multipolygon(shapely.make_valid(geom))
        if area_m2(repaired) < MIN_AREA_M2:
            raise ZoneError(f"{where}.geometry: invalid ({why}) and nothing polygonal survives repair", index,
                            "unrepairable_geometry")
        zone = Zone(index, kind, repaired, copy.deepcopy(properties), feature.get("id"))
        repairs.append(Repair(
            index, "made_valid",
            f"{zone.label}: invalid geometry ({why}) repaired with make_valid, keeping "
            f"{len(repaired.geoms)} polygon(s) of about {area_m2(repaired):,.0f} m² in all",
            area_m2=area_m2(repaired),
        ))
        return zone
    if area_m2(geom) < MIN_AREA_M2:
        raise ZoneError(f"{where}.geometry: encloses no area", index, "zero_area")
    return Zone(index, kind, geom, copy.deepcopy(properties), feature.get("id"))


def _check_rings(index: int, path: str, rings: Any) -> None:
    """Refuse rings that GeoJSON (RFC 7946) forbids: short, unclosed, or with bad positions."""
    if not isinstance(rings, list) or not rings:
        raise ZoneError(f"{path}: expected a non-empty list of rings", index, "empty_geometry")
    for r, ring in enumerate(rings):
        where = f"{path}[{r}]"
        if not isinstance(ring, list):
            raise ZoneError(f"{where}: expected a list of positions", index, "bad_coordinates")
        for k, position in enumerate(ring):
            _check_position(index, f"{where}[{k}]", position)
        if len(ring) < 4:
            raise ZoneError(f"{where}: a ring needs at least 4 positions, got {len(ring)}", index,
                            "too_few_positions")
        if list(ring[0][:2]) != list(ring[-1][:2]):
            raise ZoneError(
                f"{where}: ring is not closed (first position {ring[0]} differs from last {ring[-1]})",
                index, "unclosed_ring",
            )


def _check_position(index: int, where: str, position: Any) -> None:
    """Refuse a position that is not [lon, lat] with finite numbers in range."""
    ok = (
        isinstance(position, list)
        and len(position) in (2, 3)
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in position)
    )
    if not ok:
        raise ZoneError(f"{where}: expected [lon, lat] with finite numbers, got {position!r}", index,
                        "bad_coordinates")
    lon, lat = position[0], position[1]
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ZoneError(f"{where}: [lon, lat] = {position!r} out of range", index, "coordinate_out_of_range")


def _resolve_overlaps(zones: list[Zone], repairs: list[Repair]) -> list[Zone]:
    """Cut suburban zones where urban ones overlap them, and report same-kind overlaps."""
    urban = [z for z in zones if z.kind is ZoneKind.URBAN]
    _report_same_kind_overlaps(urban, repairs)
    by_index = {z.index: z for z in zones}
    for sub in (z for z in zones if z.kind is ZoneKind.SUBURBAN):
        cutters = []
        for urb in _overlapping(sub, urban):
            overlap = area_m2(shapely.intersection(sub.geometry, urb.geometry))
            if overlap >= MIN_AREA_M2:
                cutters.append(urb)
                repairs.append(Repair(
                    sub.index, "cut_by_urban",
                    f"{sub.label} (suburban) overlapped {urb.label} (urban) by about {overlap:,.0f} m²; "
                    f"the overlap was cut from {sub.label}, since urban wins",
                    other_index=urb.index, area_m2=overlap,
                ))
        if not cutters:
            continue
        rest = _as_multipolygon(shapely.difference(sub.geometry, _union(u.geometry for u in cutters)))
        if area_m2(rest) < MIN_AREA_M2:
            del by_index[sub.index]
            repairs.append(Repair(sub.index, "removed",
                                  f"{sub.label} lay entirely inside urban zones and was removed"))
        else:
            by_index[sub.index] = replace(sub, geometry=rest)
    kept = [by_index[i] for i in sorted(by_index)]
    _report_same_kind_overlaps([z for z in kept if z.kind is ZoneKind.SUBURBAN], repairs)
    return kept


def _report_same_kind_overlaps(zones: list[Zone], repairs: list[Repair]) -> None:
    """Report overlaps between zones of one kind, which the kind's union merges."""
    for i, a in enumerate(zones):
        for b in _overlapping(a, zones[i + 1:]):
            overlap = area_m2(shapely.intersection(a.geometry, b.geometry))
            if overlap >= MIN_AREA_M2:
                repairs.append(Repair(
                    b.index, "merged_overlap",
                    f"{a.label} and {b.label} (both {a.kind.value}) overlap by about {overlap:,.0f} m²; "
                    f"the {a.kind.value} coverage merges them and counts the overlap once",
                    other_index=a.index, area_m2=overlap,
                ))


def _overlapping(zone: Zone, others: list[Zone]) -> list[Zone]:
    """Return the zones among others whose geometry intersects zone's."""
    if not others:
        return []
    tree = shapely.STRtree([o.geometry for o in others])
    return [others[i] for i in sorted(tree.query(zone.geometry, predicate="intersects"))]


def _as_multipolygon(geom: shapely.Geometry) -> MultiPolygon:
    """Keep only the polygonal parts of a geometry, as a MultiPolygon."""
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom]) if not geom.is_empty else MultiPolygon()
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", ()):
        parts.extend(_as_multipolygon(part).geoms)
    return MultiPolygon(parts)


def _union(geoms) -> MultiPolygon:
    """Union polygonal geometries into one MultiPolygon."""
    geoms = list(geoms)
    return _as_multipolygon(shapely.union_all(geoms)) if geoms else MultiPolygon()


def _geojson_multipolygon(geom: MultiPolygon) -> dict:
    """Return a GeoJSON MultiPolygon dict with RFC 7946 winding (exterior counter-clockwise)."""
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    polygons = []
    for polygon in geom.geoms:
        rings = [polygon.exterior, *polygon.interiors]
        polygons.append([[list(xy) for xy in ring.coords] for ring in rings])
    return {"type": "MultiPolygon", "coordinates": polygons}
