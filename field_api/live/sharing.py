"""One live map built per view and shared, for a moment, by every coordinator who asks for the same view.

A branch's coordinators open the same map at the start of a shift, and each answer for ten thousand
surveyors takes a few hundred milliseconds to build. A built map is kept by its process and handed to
whoever asks for the same view while all of these hold:

- nothing was written to the outbox since (every change of a case or a dispatch, its clocks included,
  goes through it), so cases and dispatches are as of the last committed change;
- it is younger than the share window (`FIELD_API_LIVE_MAP_SHARE_S`, one second by default) on the
  process's monotonic clock and on the app's clock, so positions, duty, names, zones and clock readings
  are at most that old; its `generated_at` says when it was built, and its `last_event_id` makes the
  stream resend the positions received since then.

While one request builds a view, the others asking for it wait for that build instead of starting their own.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_VIEWS = 64  # a safety bound: maps expire after the share window, so only views asked for within it stay


@dataclass(frozen=True)
class SharedMap:
    """A built map: the outbox position and the moments its build started at, and its encoded body."""

    cursor: int
    now: datetime
    built_at: float
    body: bytes


class SharedMaps:
    """The maps a process has built recently, by view; `get` builds a view once and shares it."""

    def __init__(self, share_s: float, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.share_s = share_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._maps: OrderedDict[Hashable, SharedMap] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self.builds = 0

    def get(self, view: Hashable, *, cursor: int, now: datetime, build: Callable[[], bytes]) -> bytes:
        """The view's map as of outbox position `cursor`: a shared one still fresh, or one built now."""
        if self.share_s <= 0:
            return build()
        with self._lock:
            if (shared := self._fresh(view, cursor, now)) is not None:
                return shared.body
            building = self._building.setdefault(view, threading.Lock())
        with building:  # one build per view at a time; whoever waited takes its result
            with self._lock:
                if (shared := self._fresh(view, cursor, now)) is not None:
                    return shared.body
            started = self._monotonic()  # the map is as old as its data: read from here on
            try:
                body = build()
            except BaseException:
                with self._lock:
                    self._building.pop(view, None)
                raise
            with self._lock:
                self.builds += 1
                self._keep(view, SharedMap(cursor, now, started, body))
                self._building.pop(view, None)
            return body

    def _fresh(self, view: Hashable, cursor: int, now: datetime) -> SharedMap | None:
        shared = self._maps.get(view)
        if shared is None or shared.cursor != cursor or not self._young(shared, now):
            return None
        self._maps.move_to_end(view)
        return shared

    def _young(self, shared: SharedMap, now: datetime) -> bool:
        return (self._monotonic() - shared.built_at < self.share_s
                and shared.now <= now < shared.now + timedelta(seconds=self.share_s))

    def _keep(self, view: Hashable, shared: SharedMap) -> None:
        self._maps[view] = shared
        self._maps.move_to_end(view)
        for old in [v for v, m in self._maps.items() if not self._young(m, shared.now)]:
            del self._maps[old]
        while len(self._maps) > MAX_VIEWS:
            self._maps.popitem(last=False)
