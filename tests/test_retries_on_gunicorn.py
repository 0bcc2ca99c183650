"""Phones that retry and race, against gunicorn with several workers on PostgreSQL: one record per request.

Two threads send the same visit, photo or fix batch at the same instant; a batch is retried after it
was stored; surveyors' events on one dispatch arrive together. Each must leave exactly one record and
clocks that match the events. Skipped unless FIELD_API_TEST_DATABASE_URL is PostgreSQL.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from field_api.accounts.models import Role
from field_api.extensions import db
from tests.factories.images import image_bytes
from tests.factories.visits import OFFICE, visit_body
from tests.gunicorn_server import Gunicorn, at_once

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("FIELD_API_TEST_DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (FIELD_API_TEST_DATABASE_URL)"),
]
PASSWORD = "correct horse"
WORKERS = 3
ROUNDS = 5


def server_env(app, media: Path) -> dict[str, str]:
    """gunicorn's configuration: the test's database and media folder."""
    return {"FIELD_API_DATABASE_URL": app.config["DATABASE_URL"], "FIELD_API_MEDIA_ROOT": str(media),
            "FIELD_API_SECRET_KEY": "g" * 40, "FIELD_API_PASSWORD_HASH_CHEAP": "true", "FIELD_API_MAP_TILES": ""}


@pytest.fixture
def server(app, tmp_path):
    with Gunicorn(server_env(app, tmp_path / "media"), tmp_path, workers=WORKERS) as running:
        yield running


def sign_in(server: Gunicorn, accounts, role: Role, branch: str = "SZ") -> tuple[int, str]:
    user = accounts.user(role, branch, password=PASSWORD)
    status, answer = server.call("POST", "/api/v1/auth/token", {"username": user.username, "password": PASSWORD})
    assert status == 201, answer
    return user.id, answer["access_token"]


def count(sql: str, **params) -> int:
    db.session.remove()
    return db.session.scalar(sa.text(sql), params)


def tail(log: Path) -> str:
    """The end of gunicorn's error log (the traceback of a 500), for a failure's message."""
    return log.read_text()[-4000:] if log.exists() else ""


def now() -> datetime:
    return datetime.now(timezone.utc)


def make_client(server: Gunicorn, token: str) -> str:
    client_id = str(uuid.uuid4())
    status, answer = server.call("PUT", f"/api/v1/clients/{client_id}",
                                 {"name": "福田贸易", "kind": "enterprise", "location": OFFICE}, token)
    assert status == 201, answer
    return client_id


def test_the_same_visit_sent_by_two_phones_at_once_is_stored_once(server, accounts):
    _, sales = sign_in(server, accounts, Role.SALESPERSON)
    client_id = make_client(server, sales)
    for _ in range(ROUNDS):
        visit_id, body = uuid.uuid4(), visit_body(client_id, at=now() - timedelta(hours=1))
        answers = at_once(*[lambda: server.call("PUT", f"/api/v1/visits/{visit_id}", body, sales)] * 2)
        assert sorted(status for status, _ in answers) == [200, 201], (answers, tail(server.error_log))
    assert count("SELECT count(*) FROM visit") == ROUNDS
    assert count("SELECT count(*) FROM audit_event WHERE action = 'visit.create'") == ROUNDS


def test_the_same_photo_uploaded_by_two_phones_at_once_is_stored_once(server, accounts, tmp_path):
    _, sales = sign_in(server, accounts, Role.SALESPERSON)
    client_id = make_client(server, sales)
    for round_ in range(ROUNDS):
        visit_id = uuid.uuid4()
        body = visit_body(client_id, at=now() - timedelta(hours=1), status="draft")
        assert server.call("PUT", f"/api/v1/visits/{visit_id}", body, sales)[0] == 201
        data = image_bytes("JPEG", (640, 480), color=f"#{round_ * 40:02x}8040")
        answers = at_once(*[lambda: server.upload(f"/api/v1/visits/{visit_id}/photos", data, sales)] * 2)
        assert sorted(status for status, _ in answers) == [200, 201], (answers, tail(server.error_log))
        assert answers[0][1] == answers[1][1]
    assert count("SELECT count(*) FROM visit_photo") == ROUNDS
    assert len([p for p in (tmp_path / "media" / "sha256").rglob("*") if p.is_file()]) == ROUNDS
    assert [p for p in (tmp_path / "media" / "tmp").iterdir()] == []


def test_a_fix_batch_sent_twice_at_once_and_retried_later_is_stored_once(server, accounts):
    surveyor_id, surveyor = sign_in(server, accounts, Role.SURVEYOR)
    start = now() - timedelta(minutes=10)
    assert server.call("PUT", "/api/v1/me/duty", {"on_duty": True, "device_time": start.isoformat()},
                       surveyor)[0] == 200
    fixes = [{"device_time": (start + timedelta(seconds=10 * i)).isoformat(), "lat": 22.5431 + i * 1e-4,
              "lon": 114.0579, "accuracy": 8} for i in range(20)]
    answers = at_once(*[lambda: server.call("POST", "/api/v1/positions", {"fixes": fixes}, surveyor)] * 2)
    assert [status for status, _ in answers] == [200, 200], (answers, tail(server.error_log))
    assert sum(a["accepted"] for _, a in answers) == 20 and sum(a["duplicate"] for _, a in answers) == 20, answers
    status, retry = server.call("POST", "/api/v1/positions", {"fixes": fixes}, surveyor)
    assert status == 200 and (retry["accepted"], retry["duplicate"]) == (0, 20), retry
    assert count("SELECT count(*) FROM fix WHERE surveyor_id = :s", s=surveyor_id) == 20


def test_events_arriving_together_on_one_dispatch_are_applied_one_at_a_time_and_once(server, accounts, dispatching):
    dispatching.shenzhen_zones("SZ")  # Futian is urban: the contact and arrival clocks run
    db.session.commit()
    surveyor_id, surveyor = sign_in(server, accounts, Role.SURVEYOR)
    _, desk = sign_in(server, accounts, Role.COORDINATOR)
    reported = now() - timedelta(minutes=3)
    status, case = server.call("POST", "/api/v1/cases", {
        "report_number": f"R-RACE-{uuid.uuid4().hex[:8]}", "reported_at": reported.isoformat(), "line": "motor",
        "on_site": True, "location": {"lat": 22.5431, "lon": 114.0579, "crs": "wgs84"}, "customer_name": "Customer",
        "plate_number": "粤B12345"}, desk)
    assert status == 201, case
    status, dispatch = server.call("POST", "/api/v1/dispatches", {"case_id": case["id"], "surveyor_id": surveyor_id},
                                   desk)
    assert status == 201, dispatch
    dispatched_at = datetime.fromisoformat(dispatch["dispatched_at"])
    contacted_at, arrived_at = dispatched_at + timedelta(seconds=0.5), dispatched_at + timedelta(seconds=1)
    time.sleep(max(0.0, (arrived_at - now()).total_seconds()) + 0.1)  # device times between dispatch and receipt
    contacted = {"kind": "contacted", "device_time": contacted_at.isoformat(), "event_id": str(uuid.uuid4())}
    arrived = {"kind": "arrived", "device_time": arrived_at.isoformat(), "event_id": str(uuid.uuid4()),
               "fix": {"lat": 22.5431, "lon": 114.0579, "crs": "wgs84", "accuracy": 5}}
    url = f"/api/v1/dispatches/{dispatch['id']}/events"
    answers = at_once(*[lambda body=body: server.call("POST", url, body, surveyor)
                        for body in (contacted, contacted, arrived, arrived, contacted, arrived)])
    assert {status for status, _ in answers} <= {200, 201}, (answers, tail(server.error_log))
    assert count("SELECT count(*) FROM dispatch_event WHERE dispatch_id = :d AND client_event_id IS NOT NULL",
                 d=dispatch["id"]) == 2
    assert count("SELECT count(*) FROM audit_event WHERE entity_type = 'dispatch' AND entity_id = :d "
                 "AND action IN ('dispatch.contacted', 'dispatch.arrived')", d=str(dispatch["id"])) == 2
    status, final = server.call("GET", f"/api/v1/dispatches/{dispatch['id']}", token=desk)
    assert status == 200
    assert datetime.fromisoformat(final["contacted_at"]) == contacted_at
    assert datetime.fromisoformat(final["arrived_at"]) == arrived_at, final
    assert final["contact"]["state"] == "met" and final["arrival"]["state"] == "met", final
    assert final["version"] == 3, "each event applied once, on top of the other (no lost update)"
