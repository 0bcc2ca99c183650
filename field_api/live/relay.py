"""The worker's relay (with Redis): the outbox, in id order, to every process's streams.

Each message goes out as the streams send it, with the current case and surveyor it concerns: read here
once, not by every listening process (where the reads would hold up positions and compete with ingestion).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from field_api.live.changes import change_event
from field_api.live.outbox_reader import OutboxReader, latest_outbox_id
from field_api.live.transport import relay_cursor_key
from geo.datum import Datum

log = logging.getLogger(__name__)
BATCH = 500


class OutboxRelay:
    """A worker job: publish new outbox messages to the live channel, remembering in Redis how far it got."""

    def __init__(self, redis_client, channel: str) -> None:
        self.redis = redis_client
        self.channel = channel
        self.reader: OutboxReader | None = None

    def __call__(self, session: Session, now: datetime) -> int:
        """Relay what was committed since the last run; changes no record, so it counts none."""
        import redis

        try:
            if self.reader is None:
                relayed = self.redis.get(relay_cursor_key(self.channel))
                self.reader = OutboxReader(int(relayed) if relayed is not None else latest_outbox_id(session))
            while True:
                before = self.reader.after
                rows = self.reader.read(session, limit=BATCH)
                session.commit()  # end the read; the relay holds no transaction open between runs
                if not rows:
                    break
                try:
                    self._publish(rows, self._changes(session, rows, now))
                except redis.RedisError:
                    self.reader.after = before
                    raise
                if len(rows) < BATCH:
                    break
        except redis.RedisError:
            log.warning("relay: Redis unreachable; the outbox will be relayed when it is back", exc_info=True)
        return 0

    @staticmethod
    def _changes(session: Session, rows, now: datetime) -> list[dict]:
        """Each row as the change streams send (the case's and the surveyor's current state), read once here
        rather than by every process that listens."""
        canonical = Datum(current_app.config["DATUM"])
        changes = [change_event(session, row, now=now, canonical=canonical).data for row in rows]
        session.commit()
        return changes

    def _publish(self, rows, changes: list[dict]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        for row, change in zip(rows, changes):
            pipe.publish(self.channel, json.dumps({
                "kind": "outbox", "id": row.id, "topic": row.topic, "branch_id": row.branch_id,
                "created_at": row.created_at.isoformat(), "payload": row.payload, "change": change},
                separators=(",", ":")))
        pipe.set(relay_cursor_key(self.channel), rows[-1].id)
        pipe.execute()


def live_jobs(config) -> list:
    """The worker's live-feed jobs: the relay when Redis carries the live feed, else none."""
    if not config.get("REDIS_URL"):
        return []
    import redis

    client = redis.Redis.from_url(config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2)
    return [OutboxRelay(client, config["LIVE_CHANNEL"])]
