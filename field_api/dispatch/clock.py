"""The service clock of article 10 C1: when contact and arrival are due, and where each clock stands.

"Within 5 minutes" includes the fifth minute: a clock is met at its due instant and missed after it.

Pure rules over a dispatch's facts; the service stores what they decide and the worker applies
them at the due instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from field_api.dispatch.models import ClockState, Dispatch, DispatchStatus, Line
from geo.zones import Coverage

CONTACT_WINDOW = timedelta(minutes=5)
ARRIVAL_LIMIT = {Coverage.URBAN: timedelta(minutes=30), Coverage.SUBURBAN: timedelta(minutes=90)}
SETTLED = frozenset({ClockState.MET, ClockState.MISSED, ClockState.EXCUSED, ClockState.CANCELLED})


@dataclass(frozen=True)
class ClockReading:
    """A clock at an instant: state, due time, minutes left (negative when late) and what settled it."""

    state: ClockState
    due_at: datetime | None
    minutes_left: float | None
    done_at: datetime | None = None
    with_notice: bool = False
    no_time_agreed: bool = False


@dataclass(frozen=True)
class Transition:
    """A clock that changed state."""

    clock: str
    old: ClockState | None
    new: ClockState


def has_contact_clock(line: Line, on_site: bool) -> bool:
    """Only motor on-site cases must be contacted within five minutes."""
    return line is Line.MOTOR and on_site


def has_arrival_clock(on_site: bool) -> bool:
    """A case that needs no on-site survey has no arrival clock (the standard's exclusion)."""
    return on_site


def fixed_arrival_limit(line: Line, coverage: Coverage) -> timedelta | None:
    """The 30/90-minute limit of motor cases inside coverage; None where an agreed time governs."""
    return ARRIVAL_LIMIT.get(Coverage(coverage)) if line is Line.MOTOR else None


def contact_due(line: Line, on_site: bool, clock_start: datetime) -> datetime | None:
    """Contact is due five minutes after the case's first dispatch."""
    return clock_start + CONTACT_WINDOW if has_contact_clock(line, on_site) else None


def arrival_due(line: Line, on_site: bool, coverage: Coverage, clock_start: datetime,
                agreed: datetime | None) -> datetime | None:
    """Arrival is due 30/90 minutes after the first dispatch inside coverage, else at the agreed time."""
    if not has_arrival_clock(on_site):
        return None
    limit = fixed_arrival_limit(line, coverage)
    return clock_start + limit if limit is not None else agreed


def _minutes(due: datetime | None, now: datetime) -> float | None:
    return None if due is None else round((due - now).total_seconds() / 60.0, 1)


def _closed_before(dispatch: Dispatch, due: datetime | None) -> bool:
    ended = dispatch.status in (DispatchStatus.CANCELLED, DispatchStatus.REASSIGNED)
    return ended and dispatch.closed_at is not None and (due is None or dispatch.closed_at < due)


def read_contact(dispatch: Dispatch, now: datetime) -> ClockReading | None:
    """The contact clock at `now` (None for cases without the five-minute rule)."""
    due = dispatch.contact_due_at
    if due is None:
        return None
    done = dispatch.contacted_at
    if dispatch.contact_excuse is not None:
        return ClockReading(ClockState.EXCUSED, due, _minutes(due, now), done)
    if done is not None:
        state = ClockState.MET if done <= due else ClockState.MISSED
        return ClockReading(state, due, _minutes(due, done), done)
    if _closed_before(dispatch, due):
        return ClockReading(ClockState.CANCELLED, due, None)
    state = ClockState.MISSED if now > due else ClockState.PENDING
    return ClockReading(state, due, _minutes(due, now))


def read_arrival(dispatch: Dispatch, now: datetime) -> ClockReading | None:
    """The arrival clock at `now` (None for cases that need no on-site survey)."""
    case = dispatch.case
    if not has_arrival_clock(case.on_site):
        return None
    due = dispatch.arrival_due_at
    done = dispatch.arrived_at
    notice = dispatch.late_notice_at is not None and (due is None or dispatch.late_notice_at < due)
    if dispatch.arrival_excuse is not None:
        return ClockReading(ClockState.EXCUSED, due, _minutes(due, now), done, notice)
    if done is not None:
        state = ClockState.MET if due is None or done <= due else ClockState.MISSED
        return ClockReading(state, due, _minutes(due, done), done, notice and state is ClockState.MISSED)
    if _closed_before(dispatch, due):
        return ClockReading(ClockState.CANCELLED, due, None, with_notice=notice)
    if due is None:
        # Outside coverage the agreed time must be set within the contact window; property waits for it.
        limit_passed = (case.line is Line.MOTOR and dispatch.contact_due_at is not None
                        and now > dispatch.contact_due_at)
        state = ClockState.MISSED if limit_passed else ClockState.PENDING
        return ClockReading(state, None, None, no_time_agreed=True)
    if now > due:
        return ClockReading(ClockState.MISSED, due, _minutes(due, now), with_notice=notice)
    at_risk = dispatch.projected_arrival_at is not None and dispatch.projected_arrival_at > due
    return ClockReading(ClockState.AT_RISK if at_risk else ClockState.PENDING, due, _minutes(due, now),
                        with_notice=notice)


def settle(dispatch: Dispatch, now: datetime) -> list[Transition]:
    """Store both clocks' states as of `now` and return the ones that changed."""
    changes = []
    for name, reading in (("contact", read_contact(dispatch, now)), ("arrival", read_arrival(dispatch, now))):
        new = reading.state if reading else None
        column = f"{name}_state"
        old = getattr(dispatch, column)
        if new != old:
            setattr(dispatch, column, new)
            if new is not None:
                changes.append(Transition(name, old, new))
    return changes
