"""Service zones: stored per branch, inherited by sub-branches, classifying sites."""

from __future__ import annotations

import json

import pytest

from field_api.accounts.models import Role
from field_api.extensions import db
from field_api.zones import service as zones
from geo.datum import Datum
from geo.zones import Coverage
from tests.factories.dispatch import BAOAN_AIRPORT, FUTIAN_CIVIC_CENTER, HONG_KONG, SHENZHEN, wgs84

SQUARE = [[114.0, 22.5], [114.1, 22.5], [114.1, 22.6], [114.0, 22.6], [114.0, 22.5]]


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def feature(kind, ring):
    return {"type": "Feature", "properties": {"kind": kind}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_an_admin_uploads_shenzhens_districts_in_gcj02_and_reads_them_back_in_wgs84(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    accounts.branch("SZ")
    response = client.put("/api/v1/zones/SZ?crs=gcj02", json=json.loads(SHENZHEN.read_text()), headers=admin.headers)
    assert response.status_code == 200, response.json
    assert response.json["version"] == 1
    assert len(response.json["features"]) == 9
    back = client.get("/api/v1/zones/SZ", headers=admin.headers).json
    assert back["datum"] == "wgs84"
    # About 500-700 m between the GCJ-02 upload and the WGS-84 answer in Shenzhen.
    sent = json.loads(SHENZHEN.read_text())["features"][0]["geometry"]["coordinates"][0][0][0]
    got = back["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 0.003 < abs(sent[0] - got[0]) + abs(sent[1] - got[1]) < 0.01
    again = client.get("/api/v1/zones/SZ?crs=gcj02", headers=admin.headers).json
    assert again["features"][0]["geometry"]["coordinates"][0][0][0] == pytest.approx(sent, abs=1e-6)


def test_every_upload_bumps_the_version(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    accounts.branch("SZ")
    body = collection(feature("urban", SQUARE))
    assert client.put("/api/v1/zones/SZ", json=body, headers=admin.headers).json["version"] == 1
    assert client.put("/api/v1/zones/SZ", json=body, headers=admin.headers).json["version"] == 2


def test_an_overlap_is_repaired_with_urban_winning_and_reported(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    accounts.branch("SZ")
    shifted = [[x + 0.05, y] for x, y in SQUARE]
    response = client.put("/api/v1/zones/SZ", json=collection(feature("urban", SQUARE), feature("suburban", shifted)),
                          headers=admin.headers)
    assert response.status_code == 200
    assert any("urban" in r for r in response.json["repairs"])


@pytest.mark.parametrize("body, field", [
    (collection(feature("downtown", SQUARE)), "features.0"),
    (collection(feature("urban", SQUARE[:-1])), "features.0"),
    (collection(feature("urban", [[200, 22.5], [114.1, 22.5], [114.1, 22.6], [200, 22.5]])), "features.0"),
    ({"type": "FeatureCollection", "features": []}, "json"),
    ({"type": "Feature", "features": [feature("urban", SQUARE)]}, "json"),
])
def test_invalid_zones_are_refused_with_the_reason_and_nothing_stored(accounts, client, body, field):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    accounts.branch("SZ")
    response = client.put("/api/v1/zones/SZ", json=body, headers=admin.headers)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert client.get("/api/v1/zones/SZ", headers=admin.headers).status_code == 404


def test_a_sub_branch_without_zones_uses_its_nearest_ancestors(app, accounts, dispatching):
    dispatching.shenzhen_zones("SZ")
    ft = accounts.branch("SZ-FT")
    lat, lon = wgs84(FUTIAN_CIVIC_CENTER)
    where = zones.classify(db.session, branch_id=ft.id, lat=lat, lon=lon, canonical=Datum.WGS84)
    assert where.coverage is Coverage.URBAN
    assert where.zones_branch_id == accounts.branch("SZ").id


@pytest.mark.parametrize("point, coverage", [
    (FUTIAN_CIVIC_CENTER, "urban"), (BAOAN_AIRPORT, "suburban"), (HONG_KONG, "outside")])
def test_cases_are_classified_into_the_zones_on_creation(dispatching, point, coverage):
    dispatching.shenzhen_zones()
    assert dispatching.case(at=point).coverage == coverage


def test_a_branch_with_no_zones_anywhere_has_every_site_outside_coverage(dispatching):
    assert dispatching.case(at=FUTIAN_CIVIC_CENTER, branch="GZ").coverage == "outside"


def test_changed_zones_reach_the_in_memory_index(accounts, client, dispatching):
    dispatching.shenzhen_zones()
    assert dispatching.case(at=BAOAN_AIRPORT).coverage == "suburban"
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    lat, lon = BAOAN_AIRPORT
    square = [[lon - .01, lat - .01], [lon + .01, lat - .01], [lon + .01, lat + .01], [lon - .01, lat + .01],
              [lon - .01, lat - .01]]
    client.put("/api/v1/zones/SZ?crs=gcj02", json=collection(feature("urban", square)), headers=admin.headers)
    assert dispatching.case(at=BAOAN_AIRPORT).coverage == "urban"


def test_the_cli_imports_zones_and_reports_repairs(runner, accounts, tmp_path):
    accounts.branch("SZ")
    result = runner.invoke(args=["zones", "import", str(SHENZHEN), "--branch", "SZ", "--crs", "gcj02"])
    assert result.exit_code == 0, result.output
    assert "9 zones stored as version 1" in result.output
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(collection(feature("urban", SQUARE[:-1]))))
    result = runner.invoke(args=["zones", "import", str(bad), "--branch", "SZ"])
    assert result.exit_code != 0 and "features" in result.output


def test_a_coordinator_may_read_but_not_change_zones(accounts, client, dispatching):
    dispatching.shenzhen_zones()
    coordinator = accounts.sign_in(Role.COORDINATOR, "SZ")
    assert client.get("/api/v1/zones/SZ", headers=coordinator.headers).status_code == 200
    assert client.put("/api/v1/zones/SZ", json=collection(feature("urban", SQUARE)),
                      headers=coordinator.headers).status_code == 403
