"""POST /sync/visits: each visit on its own, retries change nothing, conflicts and bad items are reported per item."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.factories.visits import card_done, row_counts, visit_body


def _item(office, at, **kwargs):
    return {"id": str(uuid.uuid4()), **visit_body(office["id"], at=at, **kwargs)}


def _sync(client, signed, items, status=200):
    response = client.post("/api/v1/sync/visits", json={"visits": items}, headers=signed.headers)
    assert response.status_code == status, response.json
    return response.json["results"] if status == 200 else response.json


def test_a_batch_creates_each_visit_and_a_retried_batch_changes_nothing(client, visits, sales, office):
    at = visits.now - timedelta(days=3)
    batch = [_item(office, at + timedelta(hours=i)) for i in range(5)]
    results = _sync(client, sales, batch)
    assert [r["result"] for r in results] == ["created"] * 5
    assert [r["id"] for r in results] == [item["id"] for item in batch]
    assert results[0]["visit"]["is_first_meeting"] and not results[1]["visit"]["is_first_meeting"]
    before = row_counts()
    retry = _sync(client, sales, batch)
    assert [r["result"] for r in retry] == ["unchanged"] * 5
    assert row_counts() == before


def test_one_bad_item_never_rejects_the_others(client, visits, sales, office):
    at = visits.now - timedelta(days=1)
    good = _item(office, at)
    unknown_item = _item(office, at, answers=[{"item": "handshake", "result": "done"}])
    future = _item(office, visits.now + timedelta(hours=1))
    malformed = {"id": str(uuid.uuid4()), "purpose": "gossip"}
    not_an_object = "visit"
    results = _sync(client, sales, [good, unknown_item, future, malformed, not_an_object])
    assert [r["result"] for r in results] == ["created", "invalid", "invalid", "invalid", "invalid"]
    assert "answers" in results[1]["errors"]
    assert "check_in" in results[2]["errors"]
    assert {"purpose", "client_id", "check_in"} <= set(results[3]["errors"])
    assert results[4]["id"] is None
    assert visits.get(sales, good["id"])["status"] == "submitted"
    for bad in (unknown_item, future, malformed):
        assert client.get(f"/api/v1/visits/{bad['id']}", headers=sales.headers).status_code == 404


def test_a_changed_draft_with_the_version_the_phone_saw_is_updated(client, visits, sales, office):
    item = _item(office, visits.now - timedelta(hours=2), status="draft")
    _sync(client, sales, [item])
    item.update(status="submitted", base_version=1)
    result = _sync(client, sales, [item])[0]
    assert (result["result"], result["version"]) == ("updated", 2)
    assert result["visit"]["status"] == "submitted"


def test_a_stale_or_missing_base_version_is_a_conflict_with_the_current_visit(client, visits, sales, office):
    item = _item(office, visits.now - timedelta(hours=2), status="draft")
    _sync(client, sales, [item])
    _sync(client, sales, [{**item, "notes": "from the tablet", "base_version": 1}])
    stale = _sync(client, sales, [{**item, "notes": "from the phone", "base_version": 1}])[0]
    assert stale["result"] == "conflict" and stale["version"] == 2
    assert stale["visit"]["notes"] == "from the tablet"
    missing = _sync(client, sales, [{**item, "notes": "from the phone"}])[0]
    assert missing["result"] == "conflict"


def test_changing_a_submitted_visit_is_a_conflict(client, visits, sales, office):
    item = _item(office, visits.now - timedelta(hours=2))
    _sync(client, sales, [item])
    result = _sync(client, sales, [{**item, "notes": "edited", "base_version": 1}])[0]
    assert result["result"] == "conflict" and "amendment" in result["message"]


def test_the_same_visit_twice_in_one_batch_is_stored_once(client, visits, sales, office):
    item = _item(office, visits.now - timedelta(hours=2))
    results = _sync(client, sales, [item, dict(item)])
    assert [r["result"] for r in results] == ["created", "unchanged"]
    listed = client.get("/api/v1/visits", headers=sales.headers).json
    assert [v["id"] for v in listed] == [item["id"]]


def test_a_late_batch_re_derives_the_first_meeting_of_visits_already_synced(client, visits, sales, office):
    at = visits.now - timedelta(days=2)
    first_sync = _item(office, at)
    _sync(client, sales, [first_sync])
    older = _item(office, at - timedelta(days=3), answers=[])
    result = _sync(client, sales, [older])[0]
    assert result["visit"]["is_first_meeting"]
    assert not visits.get(sales, first_sync["id"])["is_first_meeting"]


def test_an_amendment_travels_in_a_batch(client, visits, sales, office):
    at = visits.now - timedelta(days=1)
    original = _item(office, at, answers=[])
    _sync(client, sales, [original])
    correction = _item(office, at, answers=[card_done()], amends=original["id"], amendment_reason="补录名片")
    result = _sync(client, sales, [correction])[0]
    assert result["result"] == "created" and result["visit"]["amends"] == original["id"]
    assert visits.get(sales, original["id"])["superseded_by"] == correction["id"]


def test_another_salespersons_visit_id_is_invalid_in_a_batch(accounts, client, visits, sales, office):
    other = accounts.sign_in("salesperson", "SZ-FT")
    theirs = visits.make_client(other)
    taken = _item(theirs, visits.now - timedelta(hours=1))
    _sync(client, other, [taken])
    result = _sync(client, sales, [{**taken, "client_id": office["id"]}])[0]
    assert result["result"] == "invalid" and list(result["errors"]) == ["id"]
    assert visits.get(other, taken["id"])["client_id"] == theirs["id"]


@pytest.mark.parametrize("count", [0, 101])
def test_a_batch_holds_one_to_a_hundred_visits(client, visits, sales, office, count):
    items = [_item(office, visits.now - timedelta(hours=1)) for _ in range(count)]
    body = _sync(client, sales, items, status=422)
    assert "visits" in body["errors"]["json"]


def test_a_full_batch_of_a_hundred_is_accepted(client, visits, sales, office):
    at = visits.now - timedelta(days=30)
    items = [_item(office, at + timedelta(hours=i), status="draft") for i in range(100)]
    results = _sync(client, sales, items)
    assert len(results) == 100 and {r["result"] for r in results} == {"created"}
