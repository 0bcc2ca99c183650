"""This process's fan-out of live events to its open streams, one bounded queue per stream.

Whoever delivers (a request thread announcing a position, the outbox poller, the Redis listener)
only ever offers an event to each queue without waiting. A stream whose queue is full is dropped
from the hub and told to resync, so a slow or vanished browser costs memory for one queue at most
and never holds up anyone posting positions.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

POSITION = "position"
CHANGE = "change"


@dataclass(frozen=True)
class LiveEvent:
    """A position update or an outbox change (with the case and surveyor it concerns), coordinates canonical."""

    kind: str
    branch_id: int | None
    data: dict[str, Any]
    outbox_id: int | None = None
    # what the streams send of it, by datum, made by the first stream that sends it (field_api.live.stream)
    rendered: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


WAKE = LiveEvent("wake", None, {})


class Subscription:
    """One stream's queue of events within its branch scope (None: every branch)."""

    def __init__(self, scope: Collection[int] | None, maxsize: int) -> None:
        self.scope = None if scope is None else frozenset(scope)
        self._queue: queue.Queue[LiveEvent] = queue.Queue(maxsize)
        self.dropped: str | None = None

    def wants(self, event: LiveEvent) -> bool:
        """Whether the event lies within the stream's scope."""
        return self.scope is None or event.branch_id in self.scope

    def offer(self, event: LiveEvent) -> bool:
        """Queue an event without waiting; False when the queue is full."""
        try:
            self._queue.put_nowait(event)
            return True
        except queue.Full:
            return False

    def take(self, timeout: float, limit: int = 500) -> list[LiveEvent]:
        """Wait up to `timeout` seconds for events; return those waiting (at most `limit`), maybe none."""
        try:
            events = [self._queue.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(events) < limit:
            try:
                events.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return events


class Hub:
    """The open streams of this process, and the last outbox id handed to them (their common position)."""

    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self.last_outbox_id: int | None = None

    def subscribe(self, scope: Collection[int] | None) -> tuple[Subscription, int | None]:
        """Open a queue; also return the last outbox id delivered before it, so a stream replays up to there."""
        subscription = Subscription(scope, self.queue_size)
        with self._lock:
            self._subscriptions.add(subscription)
            return subscription, self.last_outbox_id

    def unsubscribe(self, subscription: Subscription) -> None:
        """Close a stream's queue."""
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def listeners(self) -> int:
        """How many streams are open."""
        with self._lock:
            return len(self._subscriptions)

    def reset_to(self, outbox_id: int) -> None:
        """Set where the outbox stands when the source (re)starts: what follows is what it will deliver."""
        with self._lock:
            self.last_outbox_id = outbox_id

    def deliver(self, event: LiveEvent) -> None:
        """Offer an event to every stream in its scope; streams whose queue is full are dropped to resync."""
        with self._lock:
            if event.outbox_id is not None:
                if self.last_outbox_id is not None and event.outbox_id <= self.last_outbox_id:
                    return
                self.last_outbox_id = event.outbox_id
            full = [s for s in self._subscriptions if s.wants(event) and not s.offer(event)]
            for subscription in full:
                subscription.dropped = "the stream fell behind"
                self._subscriptions.discard(subscription)

    def drop_all(self, reason: str) -> None:
        """Tell every stream to resync (events may have been lost, e.g. Redis reconnected)."""
        with self._lock:
            for subscription in self._subscriptions:
                subscription.dropped = reason
                subscription.offer(WAKE)  # a waiting stream learns it at once, not at its next heartbeat
            self._subscriptions.clear()
