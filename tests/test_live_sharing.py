"""A process shares a built live map: once per view while fresh, one build at a time per view."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from field_api.app import create_app
from field_api.config import ConfigError
from field_api.live.sharing import MAX_VIEWS, SharedMaps

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=timezone.utc)


class Monotonic:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_a_map_is_shared_within_the_window_for_the_same_outbox_position():
    tick = Monotonic()
    maps = SharedMaps(1.0, monotonic=tick)
    built = iter([b"first", b"second", b"third", b"fourth"])
    get = lambda cursor=7, now=NOW: maps.get("SZ", cursor=cursor, now=now, build=lambda: next(built))  # noqa: E731

    assert get() == b"first"
    tick.value += 0.9
    assert get() == b"first"
    assert get(cursor=8) == b"second"  # the outbox moved on: built again
    tick.value += 1.0
    assert get(cursor=8) == b"third"  # a second old on the process's clock
    assert get(cursor=8, now=NOW + timedelta(seconds=1)) == b"fourth"  # a second old on the app's clock
    assert maps.builds == 4


def test_a_map_is_as_old_as_the_data_it_was_built_from():
    tick = Monotonic()
    maps = SharedMaps(1.0, monotonic=tick)

    def slow_build() -> bytes:
        tick.value += 0.6  # the build takes 0.6 s after reading its data
        return b"map"

    maps.get("SZ", cursor=1, now=NOW, build=slow_build)
    tick.value += 0.5  # 1.1 s after its data was read, 0.5 s after it was done
    assert maps.get("SZ", cursor=1, now=NOW, build=lambda: b"newer") == b"newer"


def test_many_requests_for_one_view_wait_for_a_single_build():
    maps = SharedMaps(1.0)
    release = threading.Event()
    started = threading.Event()
    calls = []

    def build() -> bytes:
        calls.append(1)
        started.set()
        release.wait(10)
        return b"map"

    answers = []
    first = threading.Thread(target=lambda: answers.append(maps.get("HQ", cursor=1, now=NOW, build=build)))
    first.start()
    assert started.wait(10)
    others = [threading.Thread(target=lambda: answers.append(maps.get("HQ", cursor=1, now=NOW, build=build)))
              for _ in range(8)]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert answers == [b"map"] * 9 and len(calls) == 1


def test_a_failed_build_is_not_kept_and_the_next_request_builds_again():
    maps = SharedMaps(1.0)

    def failing() -> bytes:
        raise LookupError("no such branch")

    with pytest.raises(LookupError):
        maps.get("GZ", cursor=1, now=NOW, build=failing)
    assert maps.get("GZ", cursor=1, now=NOW, build=lambda: b"map") == b"map"


def test_only_the_views_asked_for_recently_are_kept():
    tick = Monotonic()
    maps = SharedMaps(1.0, monotonic=tick)
    for n in range(MAX_VIEWS + 10):
        maps.get(n, cursor=1, now=NOW, build=lambda: b"map")
    assert len(maps._maps) == MAX_VIEWS
    tick.value += 2
    maps.get("late", cursor=1, now=NOW, build=lambda: b"map")
    assert list(maps._maps) == ["late"]


@pytest.mark.parametrize("value", ["soon", -1, 61])
def test_a_share_window_that_is_not_0_to_60_seconds_is_refused_at_start(value):
    with pytest.raises(ConfigError, match="LIVE_MAP_SHARE_S"):
        create_app({"SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite://", "LIVE_MAP_SHARE_S": value})
