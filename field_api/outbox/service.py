"""Publishing to the outbox, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from field_api.audit.service import jsonable
from field_api.outbox.models import OutboxMessage


AlsoTo = Callable[[Session, dict[str, Any]], Iterable[int]]
_also_to: list[AlsoTo] = []


def also_announce_to(rule: AlsoTo) -> AlsoTo:
    """Register who else hears of a branch's message (e.g. the branch its case was entrusted to)."""
    _also_to.append(rule)
    return rule


def publish(session: Session, *, now: datetime, topic: str, branch_id: int | None,
            payload: dict[str, Any]) -> OutboxMessage:
    """Queue an event for the branch (and any other that must hear of it); visible when the caller commits."""
    body = jsonable(payload)
    message = OutboxMessage(created_at=now, topic=topic, branch_id=branch_id, payload=body)
    session.add(message)
    if branch_id is not None:
        with session.no_autoflush:  # the caller may be half-way through building its records
            others = {other for rule in _also_to for other in rule(session, body)} - {branch_id}
        session.add_all(OutboxMessage(created_at=now, topic=topic, branch_id=other, payload=body)
                        for other in sorted(others))
    return message
