"""The one audit writer every domain calls inside its own transaction."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from field_api.access import Actor
from field_api.audit.models import AuditEvent


def jsonable(value: Any) -> Any:
    """Turn a changed value into something JSON can hold."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value


def record(session: Session, *, actor: Actor, at: datetime, action: str, entity_type: str,
           entity_id: Any, branch_id: int | None = None, changes: dict[str, Any] | None = None) -> AuditEvent:
    """Add an audit row to the caller's transaction (it commits or rolls back with the change)."""
    event = AuditEvent(
        at=at,
        actor_id=actor.user_id,
        actor_address=actor.address,
        actor_device=actor.device,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        branch_id=branch_id,
        changes=jsonable(changes or {}),
    )
    session.add(event)
    return event
