"""Two phones sending the same visit at the same instant store it once; the loser is told it is unchanged."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from field_api.extensions import db
from tests.factories.concurrency import race as _race
from tests.factories.images import image_bytes
from tests.factories.visits import visit_body


def _count(table: str, **where) -> int:
    db.session.remove()
    clause = " AND ".join(f"{k} = :{k}" for k in where) or "1=1"
    return db.session.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE {clause}"), where)


def test_the_same_visit_put_twice_at_once_is_stored_once(app, accounts, visits):
    sales = accounts.sign_in("salesperson", "SZ-FT")
    office = visits.make_client(sales)
    for _ in range(3):
        visit_id = uuid.uuid4()
        body = visit_body(office["id"], at=visits.now - timedelta(hours=1))
        send = lambda client: client.put(f"/api/v1/visits/{visit_id}", json=body, headers=sales.headers)  # noqa: E731
        statuses = sorted(r.status_code for r in _race(app, [send, send]))
        assert statuses == [200, 201]
    assert _count("visit") == 3


def test_the_same_batch_synced_twice_at_once_creates_each_visit_once(app, accounts, visits):
    sales = accounts.sign_in("salesperson", "SZ-FT")
    office = visits.make_client(sales)
    batch = [{"id": str(uuid.uuid4()), **visit_body(office["id"], at=visits.now - timedelta(hours=i + 1))}
             for i in range(5)]
    send = lambda client: client.post("/api/v1/sync/visits", json={"visits": batch},  # noqa: E731
                                      headers=sales.headers)
    responses = _race(app, [send, send])
    results = sorted(r["result"] for response in responses for r in response.json["results"])
    assert results == ["created"] * 5 + ["unchanged"] * 5
    assert _count("visit") == 5


def test_the_same_photo_uploaded_twice_at_once_is_stored_once(app, accounts, visits):
    import io

    sales = accounts.sign_in("salesperson", "SZ-FT")
    office = visits.make_client(sales)
    visit = visits.visit(sales, office["id"], status="draft")
    data = image_bytes()

    def send(client):
        return client.post(f"/api/v1/visits/{visit['id']}/photos", data={"file": (io.BytesIO(data), "a.jpg")},
                           headers=sales.headers, content_type="multipart/form-data")

    assert sorted(r.status_code for r in _race(app, [send, send])) == [200, 201]
    assert _count("visit_photo") == 1


def test_the_same_client_put_twice_at_once_is_stored_once(app, accounts):
    sales = accounts.sign_in("salesperson", "SZ-FT")
    client_id = uuid.uuid4()
    body = {"name": "福田贸易", "kind": "enterprise"}
    send = lambda client: client.put(f"/api/v1/clients/{client_id}", json=body, headers=sales.headers)  # noqa: E731
    assert sorted(r.status_code for r in _race(app, [send, send])) == [200, 201]
    assert _count("client") == 1
