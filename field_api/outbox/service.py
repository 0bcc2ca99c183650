"""Publishing to the outbox, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from field_api.audit.service import jsonable
from field_api.outbox.models import OutboxMessage


def publish(session: Session, *, now: datetime, topic: str, branch_id: int | None,
            payload: dict[str, Any]) -> OutboxMessage:
    """Queue an event; it becomes visible to the stream when the caller commits."""
    message = OutboxMessage(created_at=now, topic=topic, branch_id=branch_id, payload=jsonable(payload))
    session.add(message)
    return message
