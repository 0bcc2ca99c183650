"""The worker's clock job: clocks change state at the due instant, not only when a request comes in."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.dispatch.arrival import project_arrivals
from field_api.dispatch.models import ClockState, Dispatch, DispatchStatus
from field_api.dispatch.service import settle_and_publish

RUNNING = (ClockState.PENDING, ClockState.AT_RISK)


def tick_clocks(session: Session, now: datetime) -> int:
    """Project open arrivals, then store and publish every clock that turned at-risk, missed or back."""
    running = session.scalars(
        sa.select(Dispatch).where(Dispatch.status == DispatchStatus.OPEN,
                                  sa.or_(Dispatch.contact_state.in_(RUNNING), Dispatch.arrival_state.in_(RUNNING)))
        .order_by(Dispatch.id)).unique().all()
    project_arrivals(session, running, now)
    changed = sum(len(settle_and_publish(session, dispatch, now)) for dispatch in running)
    session.commit()
    return changed
