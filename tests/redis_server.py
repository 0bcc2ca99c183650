"""The Redis that tests use (FIELD_API_TEST_REDIS_URL, default the local one): skip without it, unless required."""

from __future__ import annotations

import os

import pytest

REDIS_URL = os.environ.get("FIELD_API_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_url_or_skip() -> str:
    """The test Redis URL; skips the test when Redis does not answer (fails instead with FIELD_API_REQUIRE_REDIS)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as error:
        reason = f"Redis is not reachable at {REDIS_URL} ({error}); start redis-server to run this test"
        if os.environ.get("FIELD_API_REQUIRE_REDIS"):
            pytest.fail(reason + " (FIELD_API_REQUIRE_REDIS is set)")
        pytest.skip(reason)
    return REDIS_URL
