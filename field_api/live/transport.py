"""How live events reach this process's hub: from Redis when configured, else from its own database reads.

With Redis (several gunicorn workers, the `field-api worker` process), every process publishes the
positions it stores to one channel, the worker's relay publishes the outbox to it in id order (each
change as streams send it, read once there), and every process listens without reading the database.
Without Redis (one process) positions go straight to the hub and a poller thread reads the outbox.
Either way a request thread only ever puts a message on a bounded queue.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from flask import Flask

from field_api.extensions import db
from field_api.live.changes import change_event, position_event
from field_api.live.hub import CHANGE, Hub, LiveEvent
from field_api.live.outbox_reader import OutboxReader, latest_outbox_id
from geo.datum import Datum

log = logging.getLogger(__name__)
IDLE_S = 60.0
OUTGOING_LIMIT = 10_000
RETRY_S = 1.0


def relay_cursor_key(channel: str) -> str:
    """The Redis key where the relay keeps the last outbox id it published."""
    return f"{channel}:relayed"


class _Background:
    """A daemon thread that runs while streams listen (or someone asked for it lately) and then ends."""

    def __init__(self, app: Flask, hub: Hub, name: str) -> None:
        self.app, self.hub, self.name = app, hub, name
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wanted_at = 0.0

    def ensure_started(self) -> None:
        """Start the thread unless it runs; keep it from ending while a stream is about to subscribe."""
        with self._lock:
            self._wanted_at = time.monotonic()
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._prepare()
            self._thread = threading.Thread(target=self._guarded, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread (tests, shutdown)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _idle(self) -> bool:
        with self._lock:
            return self.hub.listeners == 0 and time.monotonic() - self._wanted_at > IDLE_S

    def _guarded(self) -> None:
        while not self._stop.is_set() and not self._idle():
            try:
                self._run()
            except Exception:  # a broken connection must not end the live feed for good
                log.exception("%s failed; retrying", self.name)
                self._stop.wait(RETRY_S)

    def _prepare(self) -> None:
        """Work done before the thread starts, in the caller's thread."""

    def _run(self) -> None:
        raise NotImplementedError

    def _change(self, row: Any):
        with self.app.app_context():
            try:
                return change_event(db.session, row, now=self.app.extensions["clock"].now(),
                                    canonical=Datum(self.app.config["DATUM"]))
            finally:
                db.session.remove()


class LocalTransport(_Background):
    """Without Redis: positions stored by this process, and the outbox read from the database."""

    def __init__(self, app: Flask, hub: Hub) -> None:
        super().__init__(app, hub, "live-outbox-poller")
        self._reader: OutboxReader | None = None

    def announce(self, message: dict[str, Any]) -> None:
        """Hand a position to this process's streams."""
        self.hub.deliver(position_event(message))

    def _prepare(self) -> None:
        with self.app.app_context():
            try:
                after = latest_outbox_id(db.session)
            finally:
                db.session.remove()
        self._reader = OutboxReader(after)
        self.hub.reset_to(after)

    def _run(self) -> None:
        while not self._stop.is_set() and not self._idle():
            with self.app.app_context():
                try:
                    rows = self._reader.read(db.session)
                finally:
                    db.session.remove()
            for row in rows:
                self.hub.deliver(self._change(row))
            self._stop.wait(float(self.app.config["LIVE_POLL_S"]))


class RedisTransport(_Background):
    """With Redis: publish this process's positions, and listen for everyone's positions and the relayed outbox."""

    def __init__(self, app: Flask, hub: Hub, url: str, channel: str) -> None:
        import redis

        super().__init__(app, hub, "live-redis-listener")
        self.channel = channel
        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30)
        self._outgoing: queue.Queue[dict[str, Any]] = queue.Queue(OUTGOING_LIMIT)
        self._publisher = _Publisher(self)
        self._ready = threading.Event()
        self._failed_before = False

    def announce(self, message: dict[str, Any]) -> None:
        """Queue a position for every process; dropped (and logged) if Redis cannot keep up."""
        try:
            self._outgoing.put_nowait(message)
        except queue.Full:
            log.warning("live: Redis is behind; a position update was dropped")
        self._publisher.ensure_started()

    def ensure_started(self) -> None:
        """Start listening, and wait (briefly) until subscribed so no message slips past a new stream."""
        super().ensure_started()
        self._ready.wait(timeout=2.0)

    def stop(self) -> None:
        super().stop()
        self._publisher.stop()

    def _run(self) -> None:
        self._ready.clear()
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(self.channel)
            relayed = self.redis.get(relay_cursor_key(self.channel))
            if relayed is not None:
                self.hub.reset_to(int(relayed))
            if self._failed_before:
                self.hub.drop_all("the live feed reconnected")
            self._ready.set()
            while not self._stop.is_set() and not self._idle():
                message = pubsub.get_message(timeout=1.0)
                if message is not None and message.get("type") == "message":
                    self._handle(json.loads(message["data"]))
        except Exception:
            self._failed_before = True
            raise
        finally:
            self._ready.clear()
            pubsub.close()

    def _handle(self, message: dict[str, Any]) -> None:
        if message.get("kind") == "outbox" and message.get("change") is not None:
            self.hub.deliver(LiveEvent(CHANGE, message["branch_id"], message["change"], outbox_id=message["id"]))
        elif message.get("kind") == "outbox":  # from a relay that sends the bare outbox row
            row = SimpleNamespace(id=message["id"], topic=message["topic"], branch_id=message["branch_id"],
                                  created_at=datetime.fromisoformat(message["created_at"]),
                                  payload=message["payload"])
            self.hub.deliver(self._change(row))
        elif message.get("kind") == "position":
            self.hub.deliver(position_event(message))

    def publish_now(self, message: dict[str, Any]) -> None:
        """Publish one message (the publisher thread's work)."""
        self.redis.publish(self.channel, json.dumps(message, separators=(",", ":")))


class _Publisher(_Background):
    """Sends queued positions to Redis, so a request never waits on the network."""

    def __init__(self, transport: RedisTransport) -> None:
        super().__init__(transport.app, transport.hub, "live-redis-publisher")
        self.transport = transport

    def _idle(self) -> bool:
        with self._lock:
            return self.transport._outgoing.empty() and time.monotonic() - self._wanted_at > IDLE_S

    def _run(self) -> None:
        outgoing = self.transport._outgoing
        while not self._stop.is_set() and not self._idle():
            try:
                message = outgoing.get(timeout=1.0)
            except queue.Empty:
                continue
            try:
                self.transport.publish_now(message)
            except Exception:
                log.warning("live: could not publish a position to Redis; dropped", exc_info=True)
                self._stop.wait(RETRY_S)


class Live:
    """The live feed of this process: the hub of its streams and the transport that fills it."""

    def __init__(self, app: Flask) -> None:
        cfg = app.config
        self.hub = Hub(int(cfg["LIVE_QUEUE_SIZE"]))
        if cfg["REDIS_URL"]:
            self.transport = RedisTransport(app, self.hub, cfg["REDIS_URL"], cfg["LIVE_CHANNEL"])
        else:
            self.transport = LocalTransport(app, self.hub)

    def stop(self) -> None:
        """Stop the transport's threads."""
        self.transport.stop()


def init_app(app: Flask) -> None:
    """Give the app its live feed (threads start with the first stream or the first announcement)."""
    live = Live(app)
    app.extensions["live"] = live
    app.extensions["live_transport"] = live.transport
