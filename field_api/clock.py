"""The one clock: everything that asks what time it is asks this object."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from flask import current_app


class Clock:
    """The wall clock, always timezone-aware UTC."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(timezone.utc)


class SettableClock(Clock):
    """A clock that stands still until a test sets or advances it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock needs a timezone-aware start")
        self._now = start.astimezone(timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        """Move the clock to an instant."""
        with self._lock:
            self._now = instant.astimezone(timezone.utc)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move the clock forward by a delta (or timedelta keyword arguments)."""
        with self._lock:
            self._now += delta if delta is not None else timedelta(**kwargs)
            return self._now


def current_clock() -> Clock:
    """The clock of the running app."""
    return current_app.extensions["clock"]
