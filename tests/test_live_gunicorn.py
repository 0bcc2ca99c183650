"""Two gunicorn workers and Redis: a fix posted to either worker reaches streams on both, and tickets stay out of logs.

Runs the real server (gthread workers, the access-log format of scripts/run) against the test's
database, SQLite file or PostgreSQL. Skipped when Redis is not reachable, unless FIELD_API_REQUIRE_REDIS is set.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import pytest

from field_api.accounts.models import Role
from field_api.live.relay import OutboxRelay
from tests.gunicorn_server import Gunicorn, SseClient
from tests.redis_server import redis_url_or_skip

pytestmark = pytest.mark.slow
PASSWORD = "correct horse"
# Bounded tries to land one stream on each worker: a worker still booting on a loaded machine takes no
# connection, so the tries are spread over up to half a minute.
MAX_CONNECTIONS = 150
BETWEEN_TRIES_S = 0.2


def sign_in(server: Gunicorn, username: str) -> str:
    status, answer = server.call("POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD})
    assert status == 201, answer
    return answer["access_token"]


def open_stream_on_each_worker(server: Gunicorn, token: str, workers: int = 2) -> dict[int, SseClient]:
    streams: dict[int, SseClient] = {}
    for _ in range(MAX_CONNECTIONS):
        status, ticket = server.call("POST", "/api/v1/live/tickets", token=token)
        assert status == 201, ticket
        client = SseClient(f"{server.url}/api/v1/live/stream?ticket={ticket['ticket']}")
        process = client.until("ready")["process"]
        if process in streams:
            client.close()
            time.sleep(BETWEEN_TRIES_S)
            continue
        streams[process] = client
        if len(streams) == workers:
            return streams
    raise AssertionError(f"{MAX_CONNECTIONS} connections all reached the same worker")


def test_a_fix_posted_to_one_worker_reaches_streams_on_both_and_so_does_the_relayed_outbox(app, accounts, session,
                                                                                           tmp_path):
    redis_url = redis_url_or_skip()
    import redis

    channel = f"field_api:test:{uuid.uuid4().hex}"
    desk = accounts.user(Role.COORDINATOR, "SZ", password=PASSWORD)
    surveyor = accounts.user(Role.SURVEYOR, "SZ-FT", password=PASSWORD)
    relay = OutboxRelay(redis.Redis.from_url(redis_url), channel)
    relay(session, datetime.now(timezone.utc))  # the worker process's relay, started before the case below
    env = {"FIELD_API_DATABASE_URL": app.config["DATABASE_URL"], "FIELD_API_REDIS_URL": redis_url,
           "FIELD_API_LIVE_CHANNEL": channel, "FIELD_API_SECRET_KEY": "g" * 40, "FIELD_API_PASSWORD_HASH_CHEAP": "true",
           "FIELD_API_LIVE_HEARTBEAT_S": "0.2", "FIELD_API_MAP_TILES": ""}

    with Gunicorn(env, tmp_path, workers=2) as server:
        desk_token, surveyor_token = sign_in(server, desk.username), sign_in(server, surveyor.username)
        streams = open_stream_on_each_worker(server, desk_token)
        now = datetime.now(timezone.utc).isoformat()
        assert server.call("PUT", "/api/v1/me/duty", {"on_duty": True, "device_time": now}, surveyor_token)[0] == 200
        status, result = server.call("POST", "/api/v1/positions", {"fixes": [
            {"device_time": now, "lat": 22.5431, "lon": 114.0579, "accuracy": 8}]}, surveyor_token)
        assert status == 200 and result["accepted"] == 1, result

        for client in streams.values():
            positions = client.until("positions", lambda data: any(p["surveyor_id"] == surveyor.id for p in data))
            assert [p["coordinates"] for p in positions if p["surveyor_id"] == surveyor.id] == [[114.0579, 22.5431]]

        status, case = server.call("POST", "/api/v1/cases", {
            "report_number": "R-GUNICORN-1", "reported_at": now, "line": "property", "on_site": True,
            "location": {"lat": 22.5431, "lon": 114.0579}, "customer_name": "Customer"}, desk_token)
        assert status == 201, case
        relay(session, datetime.now(timezone.utc))
        for client in streams.values():
            change = client.until("change", lambda data: data["topic"] == "case.created")
            assert change["case"]["properties"]["case_id"] == case["id"]
            client.close()

    log = server.access_log.read_text()
    assert "/api/v1/live/stream" in log and "/api/v1/positions" in log
    assert "ticket=" not in log and "?" not in log, "query strings (stream tickets) never reach the access log"
