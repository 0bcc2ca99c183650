"""Idempotent create-or-update for records made on phones: input digests, versions as ETags, If-Match checks."""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from field_api.errors import DomainError, PreconditionFailed, PreconditionRequired

T = TypeVar("T")


class Outcome(str, enum.Enum):
    """What a create-or-update did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (date, uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"cannot digest {type(value).__name__}")


def input_digest(data: Any) -> str:
    """SHA-256 of a record's parsed input in canonical JSON: equal input, equal digest."""
    canonical = json.dumps(data, default=_plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def retrying(session: Session, work: Callable[[], T]) -> T:
    """Run work in a savepoint, once more if a concurrent insert of the same id won the race."""
    try:
        with session.begin_nested():
            return work()
    except IntegrityError:
        with session.begin_nested():
            return work()


def etag(version: int) -> str:
    """The ETag of a record's version."""
    return f'"{version}"'


def parse_version(if_match: str | None) -> int | None:
    """The version an If-Match header names (None when absent or not one of our ETags)."""
    if if_match is None:
        return None
    value = if_match.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    return int(value) if value.isdigit() else -1


def require_version(*, if_match: str | None, current: Any, what: str) -> None:
    """Refuse a change without the caller's version (428) or from a stale one (412); both carry the current record."""
    expected = parse_version(if_match)
    if expected is None:
        error: Exception = PreconditionRequired(
            f"Send If-Match with the version of the {what} you changed; the current one is attached.")
    elif expected != current.version:
        error = PreconditionFailed(f"The {what} changed since version {expected}; the current one is attached.")
    else:
        return
    error.current = current
    raise error


def plain(data: Any) -> Any:
    """Data with UUIDs, dates, instants and enums as JSON strings (for audit rows and JSON columns)."""
    return json.loads(json.dumps(data, default=_plain))


def with_current(schema: Any) -> Callable:
    """For routes: put the current record, and its ETag, into a refusal that carries one (409, 412, 428)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except DomainError as error:
                current = getattr(error, "current", None)
                if current is not None:
                    error.payload = {**error.payload, "current": schema.dump(current)}
                    error.headers = {**error.headers, "ETag": etag(current.version)}
                raise

        return wrapper

    return decorator
