"""Who sees which visits (salespeople their own, coordinators and managers their subtree) and the filters."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.factories.visits import visit_body


@pytest.fixture
def world(accounts, visits):
    """Two Futian salespeople, one in Bao'an and one in Guangzhou, each with a client and a visit."""
    people = {name: accounts.sign_in("salesperson", branch) for name, branch in
              (("ft1", "SZ-FT"), ("ft2", "SZ-FT"), ("ba", "SZ-BA"), ("gz", "GZ"))}
    made = {}
    for name, signed in people.items():
        office = visits.make_client(signed, name=f"{name} client")
        made[name] = visits.visit(signed, office["id"])
    return people, made


def _ids(client, signed, query=""):
    response = client.get(f"/api/v1/visits{query}", headers=signed.headers)
    assert response.status_code == 200, response.json
    return {v["id"] for v in response.json}


@pytest.mark.parametrize("role, branch, sees", [
    ("coordinator", "SZ", {"ft1", "ft2", "ba"}),
    ("manager", "SZ", {"ft1", "ft2", "ba"}),
    ("coordinator", "SZ-FT", {"ft1", "ft2"}),
    ("manager", "GZ", {"gz"}),
    ("admin", "HQ", {"ft1", "ft2", "ba", "gz"}),
])
def test_coordinators_and_managers_see_their_subtree_and_admins_everything(accounts, client, world, role, branch,
                                                                           sees):
    people, made = world
    reader = accounts.sign_in(role, branch)
    assert _ids(client, reader) == {made[name]["id"] for name in sees}
    for name, visit in made.items():
        status = client.get(f"/api/v1/visits/{visit['id']}", headers=reader.headers).status_code
        assert status == (200 if name in sees else 404)


def test_salespeople_see_only_their_own_visits(client, world):
    people, made = world
    assert _ids(client, people["ft1"]) == {made["ft1"]["id"]}
    assert client.get(f"/api/v1/visits/{made['ft2']['id']}", headers=people["ft1"].headers).status_code == 404


def test_surveyors_see_no_visits(accounts, client, world):
    assert client.get("/api/v1/visits", headers=accounts.sign_in("surveyor", "SZ").headers).status_code == 403


def test_only_salespeople_record_visits(accounts, visits, world):
    people, made = world
    coordinator = accounts.sign_in("coordinator", "SZ")
    body = visit_body(made["ft1"]["client_id"], at=visits.now - timedelta(hours=1))
    assert visits.put(coordinator, body).status_code == 403


def test_the_list_is_filtered(accounts, client, visits):
    sales = accounts.sign_in("salesperson", "SZ-FT")
    a, b = visits.make_client(sales, name="A"), visits.make_client(sales, name="B")
    day = datetime(2026, 6, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shenzhen
    first = visits.visit(sales, a["id"], at=day)
    missed = visits.visit(sales, a["id"], at=day + timedelta(days=1), purpose="product_presentation", answers=[])
    draft = visits.visit(sales, b["id"], at=day + timedelta(days=2), status="draft")
    late = visits.visit(sales, b["id"], at=datetime(2026, 6, 22, 16, 30, tzinfo=timezone.utc))  # 00:30 on the 23rd
    coordinator = accounts.sign_in("coordinator", "SZ")
    assert _ids(client, coordinator, f"?client_id={a['id']}") == {first["id"], missed["id"]}
    assert _ids(client, coordinator, f"?salesperson_id={sales.user.id}") == {first["id"], missed["id"], draft["id"],
                                                                           late["id"]}
    assert _ids(client, coordinator, "?date_from=2026-06-21&date_to=2026-06-22") == {missed["id"], draft["id"]}
    assert _ids(client, coordinator, "?date_from=2026-06-23") == {late["id"]}
    assert _ids(client, coordinator, "?status=draft") == {draft["id"]}
    assert _ids(client, coordinator, "?has_missed_items=true") == {missed["id"]}
    assert _ids(client, coordinator, "?purpose=product_presentation") == {missed["id"]}
    assert _ids(client, coordinator, "?first_meeting=true") == {first["id"], draft["id"]}


def test_the_list_is_paginated_newest_first(accounts, client, visits):
    sales = accounts.sign_in("salesperson", "SZ-FT")
    office = visits.make_client(sales)
    made = [visits.visit(sales, office["id"], at=visits.now - timedelta(hours=10 - i))["id"] for i in range(5)]
    response = client.get("/api/v1/visits?page=1&page_size=2", headers=sales.headers)
    assert [v["id"] for v in response.json] == made[::-1][:2]
    assert json.loads(response.headers["X-Pagination"])["total"] == 5
