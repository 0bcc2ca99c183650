"""Opening live streams through the API and reading their server-sent events."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_EVENTS = 400  # a bound on how long a test reads (heartbeats every few milliseconds), not a timing rule


@dataclass(frozen=True)
class Event:
    """One server-sent event."""

    name: str
    data: Any
    id: str | None


def parse_events(text: str) -> list[Event]:
    """Split server-sent event text into events (comments and retry lines are skipped)."""
    events = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, _, value = line.partition(": ")
            if key in ("event", "data", "id"):
                fields[key] = value
        if "event" in fields:
            events.append(Event(fields["event"], json.loads(fields.get("data", "null")), fields.get("id")))
    return events


class EventStream:
    """An open stream read event by event; `until` reads until an event matches, skipping heartbeats."""

    def __init__(self, response) -> None:
        self.response = response
        self.status_code = response.status_code
        self._chunks = iter(response.response)
        self._pending: list[Event] = []
        self.seen: list[Event] = []
        self.last_id: str | None = None

    def next(self) -> Event:
        """The next event (raises StopIteration when the server ended the stream)."""
        while not self._pending:
            chunk = next(self._chunks)
            self._pending = parse_events(chunk.decode() if isinstance(chunk, bytes) else chunk)
        event = self._pending.pop(0)
        self.seen.append(event)
        if event.id:
            self.last_id = event.id
        return event

    def until(self, match: Callable[[Event], bool], what: str = "the expected event") -> Event:
        """Read until an event matches (at most MAX_EVENTS)."""
        for _ in range(MAX_EVENTS):
            event = self.next()
            if match(event):
                return event
        raise AssertionError(f"no {what} in {MAX_EVENTS} events: {[e.name for e in self.seen[-20:]]}")

    def change(self, topic: str) -> Event:
        """Read until a change of the given topic."""
        return self.until(lambda e: e.name == "change" and e.data["topic"] == topic, f"change {topic}")

    def position_of(self, surveyor_id: int) -> dict:
        """Read until a position of the surveyor arrives."""
        event = self.until(lambda e: e.name == "positions" and any(p["surveyor_id"] == surveyor_id for p in e.data),
                           f"position of surveyor {surveyor_id}")
        return next(p for p in event.data if p["surveyor_id"] == surveyor_id)

    def heartbeats(self, count: int) -> list[Event]:
        """Read this many heartbeats, returning everything seen meanwhile."""
        start = len(self.seen)
        for _ in range(count):
            self.until(lambda e: e.name == "time", "heartbeat")
        return self.seen[start:]

    def close(self) -> None:
        """Hang up, as a browser does."""
        self.response.close()


class LiveFactory:
    """Tickets and streams through the API."""

    def __init__(self, app, client) -> None:
        self.app, self.client = app, client
        self.streams: list[EventStream] = []

    def ticket(self, who) -> str:
        response = self.client.post("/api/v1/live/tickets", headers=who.headers)
        assert response.status_code == 201, response.json
        return response.json["ticket"]

    def stream(self, who=None, *, ticket: str | None = None, headers: dict | None = None, **query) -> EventStream:
        """Open a stream with a fresh ticket for `who` (or the given ticket or headers)."""
        if ticket is None and headers is None:
            ticket = self.ticket(who)
        if ticket is not None:
            query["ticket"] = ticket
        response = self.client.get("/api/v1/live/stream", query_string=query, headers=headers or {},
                                   buffered=False)
        stream = EventStream(response)
        self.streams.append(stream)
        return stream

    def map(self, who, **query) -> dict:
        response = self.client.get("/api/v1/live/map", query_string=query, headers=who.headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "application/geo+json"
        return response.json if response.is_json else json.loads(response.get_data(as_text=True))

    def close(self) -> None:
        for stream in self.streams:
            stream.close()
        self.app.extensions["live"].stop()


def features(collection: dict, kind: str) -> list[dict]:
    """The features of one kind (surveyor, case, zone)."""
    return [f for f in collection["features"] if f["properties"]["kind"] == kind]


def by_id(collection: dict, kind: str) -> dict[int, dict]:
    """Features of one kind by their surveyor or case id."""
    key = {"surveyor": "surveyor_id", "case": "case_id"}[kind]
    return {f["properties"][key]: f for f in features(collection, kind)}
