"""What tracking asks of dispatch: open-dispatch windows, arrival re-evaluation, legal holds.

Interface stub: the dispatch work fills these in; tracking calls them inside its own transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.orm import Session


def active_dispatch_windows(session: Session, surveyor_ids: Collection[int],
                            since: datetime) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """Per surveyor, the periods after `since` during which a dispatch was open (end None: still open)."""
    return {}


def evaluate_fixes(session: Session, *, surveyor_id: int, earliest: datetime, now: datetime) -> None:
    """Re-evaluate arrival for the surveyor's dispatches that fixes from `earliest` on can affect."""


def fence_events(session: Session, dispatch) -> list:
    """Arrivals at and departures from the dispatch's site that its surveyor's fixes show, for the timeline."""
    return []


def project_arrivals(session: Session, dispatches: Collection, now: datetime) -> None:
    """Set each open dispatch's projected arrival from its surveyor's latest fix and recent speed."""


def held_windows(session: Session) -> list[tuple[int, datetime, datetime | None]]:
    """(surveyor, start, end) of dispatches on cases under legal hold: pruning keeps their fixes."""
    return []
