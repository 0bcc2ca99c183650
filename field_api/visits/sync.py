"""Sync of a phone's visits: each item on its own (savepoint), so one bad item never rejects the others."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from field_api.access import Actor
from field_api.errors import Conflict, DomainError, Invalid, NotFound, PreconditionFailed, PreconditionRequired
from field_api.revisions import etag, retrying
from field_api.visits import checklists
from field_api.visits.derivation import VisitRules
from field_api.visits.models import Visit
from field_api.visits.service import save_visit

CONFLICT, INVALID = "conflict", "invalid"


@dataclass(frozen=True)
class SyncItem:
    """One visit of a batch: its id and parsed body, or the schema's errors."""

    id: uuid.UUID | str | None
    data: dict[str, Any] | None = None
    base_version: int | None = None
    errors: Any = None


@dataclass(frozen=True)
class SyncResult:
    """What happened to one item of a batch."""

    id: str | None
    result: str
    version: int | None = None
    message: str | None = None
    errors: Any = None
    visit: Visit | None = None


def sync_visits(session: Session, *, actor: Actor, now: datetime, rules: VisitRules,
                items: list[SyncItem]) -> list[SyncResult]:
    """Save each visit of a batch in its own savepoint; a retried batch answers unchanged and changes nothing."""
    checklists.ensure_standard(session, now=now)
    results = [_one(session, actor=actor, now=now, rules=rules, item=item) for item in items]
    session.commit()
    return results


def _one(session: Session, *, actor: Actor, now: datetime, rules: VisitRules, item: SyncItem) -> SyncResult:
    ident = None if item.id is None else str(item.id)
    if item.errors is not None:
        return SyncResult(ident, INVALID, message="The visit does not match the schema.", errors=item.errors)
    if_match = None if item.base_version is None else etag(item.base_version)
    try:
        visit, outcome = retrying(session, lambda: save_visit(session, actor=actor, now=now, rules=rules,
                                                              visit_id=item.id, data=item.data, if_match=if_match))
    except (Conflict, PreconditionFailed, PreconditionRequired) as error:
        current = getattr(error, "current", None)
        return SyncResult(ident, CONFLICT, version=current.version if current else None, message=error.message,
                          visit=current)
    except (Invalid, NotFound) as error:
        return SyncResult(ident, INVALID, message=error.message, errors=error.errors or {"id": [error.message]})
    except DomainError as error:
        return SyncResult(ident, INVALID, message=error.message, errors=error.errors)
    return SyncResult(ident, outcome.value, version=visit.version, visit=visit)
