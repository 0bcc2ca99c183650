"""Care-callback follow-up (出险关怀回访, article 10 C7): the half-hourly extraction, the worklist and the calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, branch_subtree, get_visible, visible
from field_api.accounts.models import User
from field_api.accounts.service import visible_branch
from field_api.audit.service import record
from field_api.board.models import CallbackAttempt, FollowUp, FollowUpReason, FollowUpStatus
from field_api.dispatch import clock
from field_api.dispatch.models import Case, ClockState, Dispatch, DispatchEvent, DispatchStatus, Line
from field_api.errors import Conflict, Invalid
from field_api.outbox.service import publish

BATCH = timedelta(minutes=30)
MAX_FAILED_ATTEMPTS = 3
CATCH_UP = timedelta(hours=6)
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def batch_slot(now: datetime) -> datetime:
    """The latest half-hour mark at or before `now`."""
    return EPOCH + ((now - EPOCH) // BATCH) * BATCH


def extract_followups(session: Session, now: datetime) -> int:
    """Worker job: put this half hour's motor on-site cases on the callback list; running twice adds nothing.

    (a) cases first dispatched between one hour and half an hour ago, (b) cases reported then and never dispatched;
    batches a stopped worker missed (up to CATCH_UP back) are extracted with this one.
    """
    slot = batch_slot(now)
    start, end = slot - 2 * BATCH - CATCH_UP, slot - BATCH
    fresh = sa.and_(Case.line == Line.MOTOR, Case.on_site.is_(True),
                    ~sa.exists().where(FollowUp.case_id == Case.id))
    dispatched = session.scalars(sa.select(Case).where(
        fresh, Case.first_dispatched_at >= start, Case.first_dispatched_at < end).order_by(Case.id)).unique().all()
    undispatched = session.scalars(sa.select(Case).where(
        fresh, Case.first_dispatched_at.is_(None), Case.reported_at >= start, Case.reported_at < end)
        .order_by(Case.id)).unique().all()
    system = Actor.system("followups")
    for case in [*dispatched, *undispatched]:
        current = _latest_dispatch(case)
        contact = clock.read_contact(current, now) if current is not None else None
        for_chief = current is None or (contact is not None and contact.state is ClockState.MISSED)
        follow_up = FollowUp(case_id=case.id, branch_id=case.branch_id, dispatch_id=current.id if current else None,
                             batch_at=slot, due_at=slot + BATCH, for_chief=for_chief, status=FollowUpStatus.OPEN,
                             reason=FollowUpReason.DISPATCHED if current else FollowUpReason.NO_DISPATCH)
        session.add(follow_up)
        session.flush()
        record(session, actor=system, at=now, action="followup.extract", entity_type="follow_up",
               entity_id=follow_up.id, branch_id=case.branch_id,
               changes={"case_id": case.id, "reason": follow_up.reason, "for_chief": for_chief, "batch_at": slot})
        publish(session, now=now, topic="followup.created", branch_id=case.branch_id,
                payload={"case_id": case.id, "follow_up_id": follow_up.id, "for_chief": for_chief})
    session.commit()
    return len(dispatched) + len(undispatched)


def _latest_dispatch(case: Case) -> Dispatch | None:
    kept = [d for d in case.dispatches if d.status is not DispatchStatus.CANCELLED]
    return kept[-1] if kept else (case.dispatches[-1] if case.dispatches else None)


@dataclass(frozen=True)
class FollowUpView:
    """A follow-up with its surveyor and what the clocks know now."""

    follow_up: FollowUp
    surveyor: User | None
    contact: clock.ClockReading | None
    arrival: clock.ClockReading | None
    overdue: bool

    def __getattr__(self, name: str) -> Any:
        return getattr(self.follow_up, name)


def list_followups(session: Session, *, actor: Actor, now: datetime, branch_code: str, status: str | None = None,
                   for_chief: bool | None = None) -> list[FollowUpView]:
    """The branch subtree's callback worklist: open ones first, oldest batch first."""
    branch = visible_branch(session, actor, branch_code)
    query = sa.select(FollowUp).where(FollowUp.branch_id.in_(sorted(branch_subtree(session, branch.id))),
                                      visible(actor, FollowUp))
    if status is not None:
        query = query.where(FollowUp.status == FollowUpStatus(status))
    if for_chief is not None:
        query = query.where(FollowUp.for_chief.is_(for_chief))
    rows = session.scalars(query.order_by(FollowUp.status != FollowUpStatus.OPEN, FollowUp.batch_at,
                                          FollowUp.id)).unique().all()
    return [_view(session, f, now) for f in rows]


def _view(session: Session, follow_up: FollowUp, now: datetime) -> FollowUpView:
    dispatch = _latest_dispatch(follow_up.case)
    return FollowUpView(follow_up=follow_up, surveyor=dispatch.surveyor if dispatch else None,
                        contact=clock.read_contact(dispatch, now) if dispatch else None,
                        arrival=clock.read_arrival(dispatch, now) if dispatch else None,
                        overdue=follow_up.status is FollowUpStatus.OPEN and now > follow_up.due_at)


def record_callback(session: Session, *, actor: Actor, now: datetime, case_id: int, reached: bool,
                    surveyor_called: bool | None = None, arrived_on_time: bool | None = None,
                    notes: str | None = None) -> FollowUpView:
    """Record one call to the customer; the third failed call closes the record as unable to contact (无法联系客户)."""
    case = get_visible(session, actor, Case, case_id)
    follow_up = session.scalar(sa.select(FollowUp).where(FollowUp.case_id == case.id, visible(actor, FollowUp))
                               .with_for_update(of=FollowUp))
    if follow_up is None:
        raise Invalid("This case needs no care callback.", field="case_id")
    if follow_up.status is not FollowUpStatus.OPEN:
        raise Conflict(f"The callback is closed ({follow_up.status.value}).", errors={"case_id": ["Closed."]})
    if not reached and (surveyor_called is not None or arrived_on_time is not None):
        raise Invalid("Only a customer who was reached can answer.", field="surveyor_called")
    contradicts = reached and surveyor_called is False and _contacted_recorded(session, case.id)
    follow_up.attempts.append(CallbackAttempt(
        at=now, caller_id=actor.user_id, reached=reached, surveyor_called=surveyor_called,
        arrived_on_time=arrived_on_time, notes=notes, contradicts_clocks=contradicts))
    if reached:
        follow_up.status, follow_up.closed_at = FollowUpStatus.REACHED, now
    else:
        follow_up.failed_attempts += 1
        if follow_up.failed_attempts >= MAX_FAILED_ATTEMPTS:
            follow_up.status, follow_up.closed_at = FollowUpStatus.UNABLE_TO_CONTACT, now
    follow_up.needs_review = follow_up.needs_review or contradicts
    session.flush()
    record(session, actor=actor, at=now, action="followup.attempt", entity_type="follow_up", entity_id=follow_up.id,
           branch_id=follow_up.branch_id, changes={"reached": reached, "surveyor_called": surveyor_called,
                                                   "arrived_on_time": arrived_on_time, "notes": notes,
                                                   "contradicts_clocks": contradicts, "status": follow_up.status})
    session.commit()
    return _view(session, follow_up, now)


def _contacted_recorded(session: Session, case_id: int) -> bool:
    return session.scalar(sa.select(sa.exists().where(
        DispatchEvent.kind == "contacted", DispatchEvent.dispatch_id == Dispatch.id,
        Dispatch.case_id == case_id))) or False
