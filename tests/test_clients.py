"""Clients: made on the phone with their own UUID, read and edited within scope, and merged by coordinators."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from geo.datum import Datum, convert
from tests.factories.visits import OFFICE, row_counts


def _body(**fields):
    return {"name": "福田贸易", "kind": "enterprise", "contact_person": "王经理", "contact_phone": "13912345678",
            "address": "福华路1号", "location": dict(OFFICE), **fields}


def test_a_client_is_created_with_the_phones_uuid_and_a_retry_changes_nothing(client, sales):
    client_id = uuid.uuid4()
    first = client.put(f"/api/v1/clients/{client_id}", json=_body(), headers=sales.headers)
    assert first.status_code == 201 and first.headers["ETag"] == '"1"'
    assert first.json["owner_id"] == sales.user.id and first.json["branch_code"] == "SZ-FT"
    before = row_counts()
    again = client.put(f"/api/v1/clients/{client_id}", json=_body(), headers={**sales.headers, "If-Match": '"9"'})
    assert again.status_code == 200 and again.json == first.json
    assert row_counts() == before


def test_a_client_change_needs_the_current_version(client, sales):
    client_id = uuid.uuid4()
    url = f"/api/v1/clients/{client_id}"
    client.put(url, json=_body(), headers=sales.headers)
    assert client.put(url, json=_body(name="福田贸易有限公司"), headers=sales.headers).status_code == 428
    changed = client.put(url, json=_body(name="福田贸易有限公司"), headers={**sales.headers, "If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json["version"] == 2
    stale = client.put(url, json=_body(name="又改了"), headers={**sales.headers, "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json["current"]["name"] == "福田贸易有限公司"


def test_a_location_geocoded_in_bd09_is_stored_in_the_canonical_datum(client, sales):
    lat, lon = convert(OFFICE["lat"], OFFICE["lon"], Datum.WGS84, Datum.BD09)
    response = client.put(f"/api/v1/clients/{uuid.uuid4()}", json=_body(location={"lat": lat, "lon": lon,
                                                                                   "crs": "bd09"}),
                          headers=sales.headers)
    location = response.json["location"]
    assert location["crs"] == "wgs84"
    assert location["lat"] == pytest.approx(OFFICE["lat"], abs=1e-7)
    assert location["lon"] == pytest.approx(OFFICE["lon"], abs=1e-7)


@pytest.mark.parametrize("fields, field", [({"kind": "company"}, "kind"), ({"name": ""}, "name"),
                                           ({"location": {"lat": 95, "lon": 114}}, "location"),
                                           ({"extra": 1}, "extra")])
def test_bad_client_bodies_are_refused_by_field(client, sales, fields, field):
    before = row_counts()
    response = client.put(f"/api/v1/clients/{uuid.uuid4()}", json=_body(**fields), headers=sales.headers)
    assert response.status_code == 422 and field in response.json["errors"]["json"]
    assert row_counts() == before


def test_salespeople_own_the_clients_they_create(accounts, client, sales):
    other = accounts.user("salesperson", "SZ-FT")
    response = client.put(f"/api/v1/clients/{uuid.uuid4()}", json=_body(owner_id=other.id), headers=sales.headers)
    assert response.status_code == 422 and "owner_id" in response.json["errors"]


def test_coordinators_create_clients_for_a_salesperson_of_their_branches(accounts, client):
    coordinator = accounts.sign_in("coordinator", "SZ")
    url = f"/api/v1/clients/{uuid.uuid4()}"
    assert client.put(url, json=_body(), headers=coordinator.headers).status_code == 422
    elsewhere = accounts.user("salesperson", "GZ")
    assert client.put(url, json=_body(owner_id=elsewhere.id), headers=coordinator.headers).status_code == 422
    bao_an = accounts.user("salesperson", "SZ-BA")
    created = client.put(url, json=_body(owner_id=bao_an.id), headers=coordinator.headers)
    assert created.status_code == 201 and created.json["branch_code"] == "SZ-BA"


def test_the_client_list_is_scoped_and_filtered(accounts, client, visits, sales):
    mine = visits.make_client(sales, name="福田贸易", kind="enterprise")
    visits.make_client(sales, name="福田第一中学", kind="institution")
    colleague = accounts.sign_in("salesperson", "SZ-BA")
    theirs = visits.make_client(colleague, name="宝安电子厂")
    canton = accounts.sign_in("salesperson", "GZ")
    visits.make_client(canton, name="广州贸易")

    def names(signed, query=""):
        response = client.get(f"/api/v1/clients{query}", headers=signed.headers)
        assert response.status_code == 200, response.json
        return sorted(c["name"] for c in response.json)

    assert names(sales) == ["福田第一中学", "福田贸易"]
    assert names(accounts.sign_in("coordinator", "SZ")) == ["宝安电子厂", "福田第一中学", "福田贸易"]
    assert names(accounts.sign_in("manager", "GZ")) == ["广州贸易"]
    assert len(names(accounts.sign_in("admin", "HQ"))) == 4
    assert names(sales, "?kind=institution") == ["福田第一中学"]
    assert names(sales, "?q=贸易") == ["福田贸易"]
    assert names(accounts.sign_in("coordinator", "SZ"), f"?owner_id={colleague.user.id}") == ["宝安电子厂"]
    assert client.get(f"/api/v1/clients/{theirs['id']}", headers=sales.headers).status_code == 404
    assert client.get(f"/api/v1/clients/{mine['id']}", headers=canton.headers).status_code == 404


def test_a_client_is_edited_field_by_field(accounts, client, visits, sales):
    office = visits.make_client(sales)
    url = f"/api/v1/clients/{office['id']}"
    response = client.patch(url, json={"contact_phone": "075588888888"}, headers=sales.headers)
    assert response.status_code == 200 and response.json["contact_phone"] == "075588888888"
    assert response.json["version"] == 2 and response.json["name"] == office["name"]
    stale = client.patch(url, json={"address": "x"}, headers={**sales.headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert client.patch(url, json={"owner_id": sales.user.id}, headers=sales.headers).status_code == 422


def test_moving_a_client_recomputes_its_visits_distances(client, visits, sales):
    office = visits.make_client(sales)
    visit = visits.visit(sales, office["id"])
    assert visit["location_check"] == "near"
    moved = {"lat": OFFICE["lat"] + 0.02, "lon": OFFICE["lon"], "crs": "wgs84"}
    client.patch(f"/api/v1/clients/{office['id']}", json={"location": moved}, headers=sales.headers)
    assert visits.get(sales, visit["id"])["location_check"] == "far"


def test_a_coordinator_hands_a_client_to_another_salesperson(accounts, client, visits, sales):
    office = visits.make_client(sales)
    bao_an = accounts.user("salesperson", "SZ-BA")
    coordinator = accounts.sign_in("coordinator", "SZ")
    response = client.patch(f"/api/v1/clients/{office['id']}", json={"owner_id": bao_an.id},
                            headers=coordinator.headers)
    assert response.status_code == 200 and response.json["branch_code"] == "SZ-BA"
    assert client.get(f"/api/v1/clients/{office['id']}", headers=sales.headers).status_code == 404


@pytest.fixture
def two_copies(accounts, visits):
    phone_a = accounts.sign_in("salesperson", "SZ-FT")
    phone_b = accounts.sign_in("salesperson", "SZ-FT")
    a = visits.make_client(phone_a, name="平安大厦物业")
    b = visits.make_client(phone_b, name="平安大厦物业管理处")
    return phone_a, a, phone_b, b


def test_a_coordinator_merges_two_phones_copies_keeping_both_histories(accounts, client, visits, two_copies):
    phone_a, a, phone_b, b = two_copies
    at = visits.now - timedelta(days=1)
    visit_a = visits.visit(phone_a, a["id"], at=at)
    visit_b = visits.visit(phone_b, b["id"], at=at + timedelta(hours=3))
    coordinator = accounts.sign_in("coordinator", "SZ")
    response = client.post(f"/api/v1/clients/{a['id']}/merge", json={"duplicate_id": b["id"]},
                           headers=coordinator.headers)
    assert response.status_code == 200 and response.json["id"] == a["id"]
    duplicate = client.get(f"/api/v1/clients/{b['id']}", headers=coordinator.headers).json
    assert duplicate["merged_into"] == a["id"]
    listed = client.get("/api/v1/clients", headers=coordinator.headers).json
    assert [c["id"] for c in listed] == [a["id"]]
    assert len(client.get("/api/v1/clients?include_merged=true", headers=coordinator.headers).json) == 2
    history = client.get(f"/api/v1/visits?client_id={a['id']}", headers=coordinator.headers).json
    assert {v["id"] for v in history} == {visit_a["id"], visit_b["id"]}
    assert visits.get(phone_b, visit_b["id"])["client_id"] == b["id"]
    before = row_counts()
    retry = client.post(f"/api/v1/clients/{a['id']}/merge", json={"duplicate_id": b["id"]},
                        headers=coordinator.headers)
    assert retry.status_code == 200 and row_counts() == before


def test_a_merged_duplicate_is_no_longer_edited(accounts, client, two_copies):
    phone_a, a, phone_b, b = two_copies
    coordinator = accounts.sign_in("coordinator", "SZ")
    client.post(f"/api/v1/clients/{a['id']}/merge", json={"duplicate_id": b["id"]}, headers=coordinator.headers)
    response = client.patch(f"/api/v1/clients/{b['id']}", json={"name": "x"}, headers=phone_b.headers)
    assert response.status_code == 409 and response.json["current"]["merged_into"] == a["id"]


def test_merging_a_chain_points_every_copy_at_the_survivor(accounts, client, visits, two_copies):
    phone_a, a, phone_b, b = two_copies
    c = visits.make_client(phone_a, name="平安大厦")
    coordinator = accounts.sign_in("coordinator", "SZ")
    client.post(f"/api/v1/clients/{b['id']}/merge", json={"duplicate_id": c["id"]}, headers=coordinator.headers)
    client.post(f"/api/v1/clients/{a['id']}/merge", json={"duplicate_id": b["id"]}, headers=coordinator.headers)
    merged = client.get(f"/api/v1/clients/{c['id']}", headers=coordinator.headers).json
    assert merged["merged_into"] == a["id"]
    refused = client.post(f"/api/v1/clients/{b['id']}/merge", json={"duplicate_id": a["id"]},
                          headers=coordinator.headers)
    assert refused.status_code == 409


def test_merge_refusals(accounts, client, visits, two_copies):
    phone_a, a, phone_b, b = two_copies
    coordinator = accounts.sign_in("coordinator", "SZ")
    itself = client.post(f"/api/v1/clients/{a['id']}/merge", json={"duplicate_id": a["id"]},
                         headers=coordinator.headers)
    assert itself.status_code == 422
    assert client.post(f"/api/v1/clients/{a['id']}/merge", json={"duplicate_id": b["id"]},
                       headers=phone_a.headers).status_code == 403
    canton = accounts.sign_in("coordinator", "GZ")
    assert client.post(f"/api/v1/clients/{a['id']}/merge", json={"duplicate_id": b["id"]},
                       headers=canton.headers).status_code == 404
