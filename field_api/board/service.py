"""The board coordinators work from: every open case of a branch subtree with its state, age and clocks."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, branch_subtree, visible
from field_api.accounts.service import visible_branch
from field_api.board.entrustment import accepted_cases
from field_api.board.models import Entrustment, EntrustmentStatus
from field_api.dispatch.models import Case, Dispatch, DispatchStatus
from field_api.dispatch.service import DispatchView, view


class CaseState(str, enum.Enum):
    """Where a case stands on the board."""

    WAITING = "waiting"  # reported, no surveyor dispatched
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    DONE = "done"  # closed today


@dataclass(frozen=True)
class BoardRow:
    """One case on the board, read at one instant."""

    case: Case
    state: CaseState
    age_minutes: float
    waiting_too_long: bool
    dispatch_delay_minutes: float | None
    dispatch: DispatchView | None
    entrustment: Entrustment | None
    accepted: bool
    minutes_left: float | None

    @property
    def entrusted(self) -> bool:
        """Entrusted by this branch to another one."""
        return self.entrustment is not None and not self.accepted


def minutes_between(start: datetime, end: datetime) -> float:
    """Minutes from one instant to another, to a tenth."""
    return round((end - start).total_seconds() / 60.0, 1)


def board(session: Session, *, actor: Actor, now: datetime, branch_code: str, wait_minutes: float) -> list[BoardRow]:
    """The branch subtree's open cases and those done today, accepted ones first, then VIP, then time left."""
    branch = visible_branch(session, actor, branch_code)
    subtree = branch_subtree(session, branch.id)
    midnight = datetime.combine(now.astimezone(ZoneInfo(branch.timezone)).date(), time(0), ZoneInfo(branch.timezone))
    cases = session.scalars(sa.select(Case).where(
        sa.or_(Case.branch_id.in_(sorted(subtree)), Case.id.in_(accepted_cases(subtree))), visible(actor, Case),
        sa.or_(Case.closed_at.is_(None), Case.closed_at >= midnight))).unique().all()
    entrustments = {e.case_id: e for e in session.scalars(sa.select(Entrustment).where(
        Entrustment.case_id.in_([c.id for c in cases]), Entrustment.status == EntrustmentStatus.ACCEPTED)).unique()}
    rows = [_row(case, entrustments.get(case.id), subtree, now, wait_minutes) for case in cases]
    return sorted(rows, key=_urgency)


def _row(case: Case, entrustment: Entrustment | None, subtree: frozenset[int], now: datetime,
         wait_minutes: float) -> BoardRow:
    current = _current_dispatch(case)
    age = minutes_between(case.reported_at, now)
    reading = view(current, now) if current is not None else None
    if case.closed_at is not None:
        state, left = CaseState.DONE, None
    elif current is None or current.status is not DispatchStatus.OPEN:
        state, left = CaseState.WAITING, round(wait_minutes - age, 1)
    else:
        state = CaseState.ON_SITE if current.arrived_at is not None else CaseState.DISPATCHED
        left = _clock_left(reading)
    accepted = entrustment is not None and entrustment.to_branch_id in subtree and case.branch_id not in subtree
    return BoardRow(case=case, state=state, age_minutes=age, waiting_too_long=state is CaseState.WAITING
                    and age > wait_minutes, dispatch_delay_minutes=case.dispatch_delay_minutes, dispatch=reading,
                    entrustment=entrustment, accepted=accepted, minutes_left=left)


def _current_dispatch(case: Case) -> Dispatch | None:
    open_ = [d for d in case.dispatches if d.status is DispatchStatus.OPEN]
    if open_:
        return open_[-1]
    done = [d for d in case.dispatches if d.status is DispatchStatus.COMPLETED]
    return done[-1] if done else None


def _clock_left(reading: DispatchView) -> float | None:
    running = [c.minutes_left for c in (reading.contact, reading.arrival)
               if c is not None and c.done_at is None and c.minutes_left is not None]
    return min(running) if running else None


def _urgency(row: BoardRow) -> tuple[Any, ...]:
    return (not row.accepted, not row.case.is_vip, row.state is CaseState.DONE, row.minutes_left is None,
            row.minutes_left or 0.0, row.case.reported_at, row.case.id)
