"""With Redis, a stream on one process gets the positions posted to another and the outbox the worker relays.

Two apps on one database stand for two gunicorn workers (tests/test_live_gunicorn.py runs real ones).
Skipped when Redis is not reachable, unless FIELD_API_REQUIRE_REDIS is set (CI sets it).
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from field_api.accounts.models import Role
from field_api.app import create_app
from field_api.extensions import db
from field_api.live import transport as live_transport
from field_api.live.relay import OutboxRelay, live_jobs
from field_api.live.transport import relay_cursor_key
from field_api.outbox.models import OutboxMessage
from tests.factories.live import LiveFactory
from tests.factories.tracking import FUTIAN
from tests.redis_server import redis_url_or_skip
from tests.test_live_map import on_duty


@pytest.fixture
def redis_url():
    return redis_url_or_skip()


@pytest.fixture
def channel(redis_url):
    import redis

    name = f"field_api:test:{uuid.uuid4().hex}"
    yield name
    redis.Redis.from_url(redis_url).delete(relay_cursor_key(name))


@pytest.fixture
def first(app, live, redis_url, channel):
    """The test's app, now publishing through Redis: the worker that takes the posts."""
    app.config.update(REDIS_URL=redis_url, LIVE_CHANNEL=channel)
    live_transport.init_app(app)
    return app


@pytest.fixture
def other(app, first, clock, redis_url, channel):
    """A second app on the same database and Redis: the worker the coordinator's browser is connected to."""
    second = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"],
                         "SECRET_KEY": app.config["SECRET_KEY"], "PASSWORD_HASH_CHEAP": True,
                         "REDIS_URL": redis_url, "LIVE_CHANNEL": channel, "LIVE_HEARTBEAT_S": 0.01}, clock=clock)
    second.instance_path = app.instance_path
    factory = LiveFactory(second, second.test_client())
    yield factory
    factory.close()
    with second.app_context():
        db.engine.dispose()


def relay(app, redis_url, channel) -> OutboxRelay:
    import redis

    return OutboxRelay(redis.Redis.from_url(redis_url), channel)


def test_a_position_posted_to_one_worker_reaches_a_stream_on_another(accounts, tracking, other, first):
    desk = accounts.sign_in(Role.COORDINATOR, "SZ")
    surveyor = on_duty(accounts, tracking)
    stream = other.stream(desk)
    assert stream.next().name == "ready"
    response = tracking.post(surveyor, [tracking.fix(tracking.at(), FUTIAN[0] + 0.001, FUTIAN[1])])
    assert response.json["accepted"] == 1
    assert stream.position_of(surveyor.user.id)["coordinates"] == [FUTIAN[1], round(FUTIAN[0] + 0.001, 7)]


def test_the_workers_relay_carries_dispatch_events_to_every_workers_streams(app, accounts, dispatching, other, first,
                                                                           redis_url, channel, session):
    desk = accounts.sign_in(Role.COORDINATOR, "SZ")
    dispatching.shenzhen_zones()
    job = relay(app, redis_url, channel)
    job(session, dispatching.now)  # the relay starts where the outbox stands
    stream = other.stream(desk)
    stream.next()
    case = dispatching.case()
    assert job(session, dispatching.now) == 0, "relaying changes no record"
    assert stream.change("case.created").data["case"]["properties"]["case_id"] == case.id


def test_the_relay_sends_each_change_as_streams_send_it_so_listening_processes_read_no_database(
        app, accounts, dispatching, first, redis_url, channel, session):
    import redis

    job = relay(app, redis_url, channel)
    job(session, dispatching.now)
    listener = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(channel)
    case = dispatching.case()
    job(session, dispatching.now)
    deadline, message = time.monotonic() + 10, None
    while message is None and time.monotonic() < deadline:
        message = listener.get_message(timeout=1.0)
    listener.close()
    relayed = json.loads(message["data"])
    assert relayed["change"]["topic"] == "case.created"
    assert relayed["change"]["case"]["properties"]["case_id"] == case.id

    transport = first.extensions["live"].transport
    subscription, _ = transport.hub.subscribe(None)
    transport._handle({**relayed, "id": relayed["id"] + 1000, "change": {**relayed["change"], "case": "as relayed"}})
    transport._handle({**relayed, "id": relayed["id"] + 1001, "change": None})  # from a relay of the bare row
    relayed_as_is, read_here = subscription.take(1.0)
    transport.hub.unsubscribe(subscription)
    assert relayed_as_is.data["case"] == "as relayed"
    assert read_here.data["case"]["properties"]["case_id"] == case.id


def test_the_relay_remembers_in_redis_how_far_it_published(app, accounts, dispatching, first, redis_url, channel,
                                                           session):
    import redis

    job = relay(app, redis_url, channel)
    job(session, dispatching.now)
    dispatching.case()
    dispatching.case()
    job(session, dispatching.now)
    last = session.query(db.func.max(OutboxMessage.id)).scalar()
    assert int(redis.Redis.from_url(redis_url).get(relay_cursor_key(channel))) == last
    restarted = relay(app, redis_url, channel)
    restarted(session, dispatching.now)
    assert restarted.reader.after == last


def test_the_worker_runs_the_relay_only_when_redis_carries_the_live_feed(redis_url):
    assert live_jobs({"REDIS_URL": None, "LIVE_CHANNEL": "x"}) == []
    assert [type(job) for job in live_jobs({"REDIS_URL": redis_url, "LIVE_CHANNEL": "x"})] == [OutboxRelay]
