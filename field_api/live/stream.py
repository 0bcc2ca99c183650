"""The server-sent event stream: catch up from Last-Event-ID, then relay the hub's events as they come.

Each event's id is `<outbox id>-<position time in ms>`: how far this stream has sent the outbox and
the positions. A browser that reconnects with it gets what it missed, in order, without a gap.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from field_api.extensions import db
from field_api.live.changes import replay_changes, replay_positions
from field_api.live.hub import CHANGE, POSITION, LiveEvent
from field_api.live.outbox_reader import latest_outbox_id
from field_api.live.tickets import token_still_valid
from geo.datum import Datum, convert

RETRY_MS = 3000
# A stream writes at most this often (a change or position waits up to this long for the next ones): with
# hundreds of streams in a process, a thread woken per event per stream is what would slow down ingestion
# in the same process (they share its interpreter lock); four writes a second are plenty for a map.
FLUSH_S = 0.25
TAKE_LIMIT = 500
MPS_TO_KMH = 3.6


@dataclass(frozen=True)
class Cursor:
    """How far a stream has sent: the outbox id, and the receipt time (ms) of positions."""

    outbox_id: int
    positions_ms: int

    def __str__(self) -> str:
        return f"{self.outbox_id}-{self.positions_ms}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """Read a Last-Event-ID; None for anything else."""
        outbox, sep, positions = (text or "").strip().partition("-")
        if not sep or not outbox.isdigit() or not positions.isdigit():
            return None
        return cls(int(outbox), int(positions))

    @property
    def positions_at(self) -> datetime:
        """The position part as an instant."""
        return datetime.fromtimestamp(self.positions_ms / 1000, tz=timezone.utc)


def _ms(instant: datetime | str) -> int:
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    return int(instant.timestamp() * 1000)


def sse(event: str, data: Any, event_id: Cursor | None = None) -> str:
    """One server-sent event."""
    return _sse_text(event, _json(data), event_id)


def _sse_text(event: str, data: str, event_id: Cursor | None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n"


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


@dataclass
class StreamRequest:
    """Who listens, to which branches (None: all), in which datum, from where."""

    token_id: int
    scope: Collection[int] | None
    datum: Datum
    last_event_id: str | None


def events(app: Flask, request: StreamRequest) -> Iterator[str]:
    """The stream: catch up, then the hub's events, a heartbeat with the server's time, and resync or end.

    A stream closes after LIVE_STREAM_MAX_S (wall-clock) so that no proxy or worker holds it forever;
    the browser reconnects by itself with Last-Event-ID and misses nothing. Events that come within
    FLUSH_S of the last write are sent together with one write.

    It holds no app context across a yield (several streams may take turns on one thread): each
    database read runs in a context of its own.
    """
    live = app.extensions["live"]
    clock = app.extensions["clock"]
    canonical = Datum(app.config["DATUM"])
    heartbeat = float(app.config["LIVE_HEARTBEAT_S"])
    closes_at = time.monotonic() + float(app.config["LIVE_STREAM_MAX_S"])
    live.transport.ensure_started()
    subscription, settled = live.hub.subscribe(request.scope)
    writer = _Writer(canonical, request.datum)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        now = clock.now()
        resumed = Cursor.parse(request.last_event_id)
        with app.app_context():
            try:
                if resumed is None:
                    outbox = settled if settled is not None else latest_outbox_id(db.session)
                    cursor = Cursor(outbox, _ms(now))
                    caught_up: list[LiveEvent] | None = []
                else:
                    # Behind the hub: replay up to it. Ahead of it (a map read on a busier process): take the
                    # hub's events from where it is; a change sent twice is harmless, a change lost is not.
                    cursor = resumed if settled is None else Cursor(min(resumed.outbox_id, settled),
                                                                    resumed.positions_ms)
                    caught_up = _catch_up(db.session, request.scope, resumed, settled, now, canonical)
            finally:
                db.session.remove()
        if caught_up is None:
            yield sse("resync", {"reason": "too much was missed; reload the map"})
            return
        yield sse("ready", {"now": now.isoformat(), "process": os.getpid(), "resumed": resumed is not None},
                  cursor)
        for chunk, cursor in writer.write(caught_up, cursor):
            yield chunk
        flush_at = 0.0
        while (left := closes_at - time.monotonic()) > 0:
            if (pause := flush_at - time.monotonic()) > 0:
                time.sleep(min(pause, left))  # let the next events gather: one wake-up and one write for them all
            batch = subscription.take(min(heartbeat, left), limit=TAKE_LIMIT)
            if subscription.dropped:
                yield sse("resync", {"reason": subscription.dropped})
                return
            if batch:
                chunks = []
                for chunk, cursor in writer.write(batch, cursor):
                    chunks.append(chunk)
                yield "".join(chunks)
                # a full take means more are waiting: send them at once
                flush_at = time.monotonic() + FLUSH_S if len(batch) < TAKE_LIMIT else 0.0
                continue
            now = clock.now()
            with app.app_context():
                try:
                    valid = token_still_valid(db.session, token_id=request.token_id, now=now)
                finally:
                    db.session.remove()
            if not valid:
                yield sse("end", {"reason": "the sign-in expired or was revoked"})
                return
            yield sse("time", {"now": now.isoformat()})
    finally:
        live.hub.unsubscribe(subscription)


def _catch_up(session: Session, scope, resumed: Cursor, settled: int | None, now: datetime,
              canonical: Datum) -> list[LiveEvent] | None:
    """What a reconnecting stream missed: changes up to the hub's position, positions since its last."""
    changes = replay_changes(session, scope=scope, after=resumed.outbox_id, upto=settled, now=now,
                             canonical=canonical)
    if changes is None:
        return None
    return changes + replay_positions(session, scope=scope, since=resumed.positions_at)


class _Writer:
    """Turns hub events into server-sent events in the reader's datum, advancing the cursor.

    What an event becomes in a datum is worked out once per process (kept on the event) and shared by
    every stream that sends it, rather than encoded again for each of hundreds of streams.
    """

    def __init__(self, canonical: Datum, datum: Datum) -> None:
        self.canonical, self.datum = canonical, datum

    def write(self, batch: list[LiveEvent], cursor: Cursor) -> Iterator[tuple[str, Cursor]]:
        """Changes one by one, in order; the batch's positions together, after them."""
        positions = []
        for event in batch:
            if event.kind == CHANGE:
                if event.outbox_id is not None and event.outbox_id <= cursor.outbox_id:
                    continue
                cursor = Cursor(event.outbox_id, cursor.positions_ms)
                yield _sse_text("change", self._rendered(event, self._change), cursor), cursor
            elif event.kind == POSITION:
                positions.append(event)
        if positions:
            newest = max(_received_ms(p) for p in positions)
            cursor = Cursor(cursor.outbox_id, max(cursor.positions_ms, newest))
            data = "[" + ",".join(self._rendered(p, self._position) for p in positions) + "]"
            yield _sse_text("positions", data, cursor), cursor

    def _rendered(self, event: LiveEvent, make: Callable[[dict[str, Any]], Any]) -> str:
        """The event's data as JSON in this stream's datum (two streams may both make it once: no harm)."""
        text = event.rendered.get(self.datum)
        if text is None:
            text = event.rendered[self.datum] = _json(make(event.data))
        return text

    def _position(self, p: dict[str, Any]) -> dict[str, Any]:
        lat, lon = p["lat"], p["lon"]
        if self.datum is not self.canonical:
            lat, lon = convert(lat, lon, self.canonical, self.datum)
        return {"surveyor_id": p["surveyor_id"], "coordinates": [round(lon, 7), round(lat, 7)],
                "fix_time": p["device_time"], "accuracy_m": p.get("accuracy_m"), "battery": p.get("battery"),
                "speed_kmh": None if p.get("speed_mps") is None else round(p["speed_mps"] * MPS_TO_KMH, 1),
                "heading_deg": p.get("heading_deg")}

    def _change(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "case": self._feature(data.get("case")), "surveyor": self._feature(data.get("surveyor"))}

    def _feature(self, feature: dict[str, Any] | None) -> dict[str, Any] | None:
        if feature is None or feature.get("geometry") is None or self.datum is self.canonical:
            return feature
        lon, lat = feature["geometry"]["coordinates"]
        lat, lon = convert(lat, lon, self.canonical, self.datum)
        return {**feature, "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}}


def _received_ms(event: LiveEvent) -> int:
    """When a position was received, in ms (kept on the event like its renderings)."""
    ms = event.rendered.get("received_ms")
    if ms is None:
        ms = event.rendered["received_ms"] = _ms(event.data["received_at"])
    return ms
