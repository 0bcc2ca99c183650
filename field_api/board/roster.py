"""The written duty roster (值班表, article 10 C2): shifts, who is on duty at an instant, and the roster's gaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, branch_subtree
from field_api.accounts.models import Branch, Role, User
from field_api.accounts.service import visible_branch
from field_api.audit.service import record
from field_api.board.models import RosterShift, RosterSurveyor
from field_api.errors import Invalid
from field_api.tracking.service import switched_on

DEFAULT_SPAN = timedelta(days=7)
MAX_SPAN = timedelta(days=62)
MAX_SHIFT = timedelta(hours=48)


@dataclass(frozen=True)
class ShiftPlan:
    """A shift as a roster names it: local or aware start and end, surveyors and the responsible coordinator."""

    starts: datetime
    ends: datetime
    coordinator_id: int
    surveyor_ids: tuple[int, ...]
    note: str | None = None


@dataclass(frozen=True)
class Period:
    """A span of time (UTC instants), shown in the branch's time zone."""

    start: datetime
    end: datetime
    timezone: str

    @property
    def minutes(self) -> float:
        """The period's length in minutes (elapsed time, so a night across a clock change counts right)."""
        return round((self.end - self.start).total_seconds() / 60.0, 1)


@dataclass(frozen=True)
class Roster:
    """A branch's shifts in a period, in the branch's time zone."""

    branch: Branch
    start: datetime
    end: datetime
    shifts: list[RosterShift] = field(default_factory=list)
    gaps: list[Period] = field(default_factory=list)

    @property
    def branch_code(self) -> str:
        """The branch's code."""
        return self.branch.code

    @property
    def timezone(self) -> str:
        """The branch's time zone."""
        return self.branch.timezone


def in_branch_time(branch: Branch, value: datetime, *, what: str) -> datetime:
    """The UTC instant of a wall time of the branch (a naive one is local); a time the clocks skip is refused."""
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    zone = ZoneInfo(branch.timezone)
    instant = value.replace(tzinfo=zone).astimezone(timezone.utc)
    if instant.astimezone(zone).replace(tzinfo=None) != value:
        raise Invalid(f"{value.isoformat()} does not exist in {branch.timezone} (the clocks skip it).", field=what)
    return instant


def period(branch: Branch, now: datetime, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The asked period as UTC instants (default: seven days from today's midnight in the branch's time zone)."""
    zone = ZoneInfo(branch.timezone)
    start = in_branch_time(branch, start, what="from") if start else datetime.combine(
        now.astimezone(zone).date(), time(0), zone).astimezone(timezone.utc)
    end = in_branch_time(branch, end, what="to") if end else _add_local(start.astimezone(zone), DEFAULT_SPAN)
    if end <= start:
        raise Invalid("'to' must be after 'from'.", field="to")
    if end - start > MAX_SPAN:
        raise Invalid(f"Ask for at most {MAX_SPAN.days} days at a time.", field="to")
    return start, end


def _add_local(start: datetime, span: timedelta) -> datetime:
    # Calendar days, not 24-hour blocks: a week from midnight ends at midnight across a DST change.
    return datetime.combine(start.date() + span, start.time(), start.tzinfo).astimezone(timezone.utc)


def _overlapping(branch_ids, start: datetime, end: datetime) -> sa.Select:
    return (sa.select(RosterShift).where(RosterShift.branch_id.in_(sorted(branch_ids)), RosterShift.starts_at < end,
                                         RosterShift.ends_at > start).order_by(RosterShift.starts_at, RosterShift.id))


def get_roster(session: Session, *, actor: Actor, now: datetime, branch_code: str, start: datetime | None = None,
               end: datetime | None = None) -> Roster:
    """The branch's shifts that overlap the period."""
    branch = visible_branch(session, actor, branch_code)
    start, end = period(branch, now, start, end)
    return Roster(branch, start, end, list(session.scalars(_overlapping([branch.id], start, end)).unique()))


def replace_roster(session: Session, *, actor: Actor, now: datetime, branch_code: str, start: datetime | None,
                   end: datetime | None, shifts: list[ShiftPlan]) -> Roster:
    """Replace the branch's shifts that start in the period by `shifts`; anything wrong saves nothing."""
    branch = visible_branch(session, actor, branch_code)
    # One roster change at a time per branch, so two overlapping uploads cannot both pass the overlap check.
    session.execute(sa.select(Branch.id).where(Branch.id == branch.id).with_for_update())
    start, end = period(branch, now, start, end)
    subtree = branch_subtree(session, branch.id)
    planned = [_checked(session, branch, subtree, start, end, i, plan) for i, plan in enumerate(shifts)]
    kept = session.scalars(_overlapping([branch.id], start, end).where(
        sa.or_(RosterShift.starts_at < start, RosterShift.starts_at >= end))).unique().all()
    _no_overlap(planned, kept)
    removed = session.scalars(sa.select(RosterShift).where(
        RosterShift.branch_id == branch.id, RosterShift.starts_at >= start, RosterShift.starts_at < end)).unique().all()
    for shift in removed:
        session.delete(shift)
    session.flush()
    for shift in planned:
        session.add(shift)
    session.flush()
    record(session, actor=actor, at=now, action="roster.replace", entity_type="branch", entity_id=branch.code,
           branch_id=branch.id, changes={"from": start, "to": end, "removed": len(removed), "shifts": [
               {"starts": s.starts_at, "ends": s.ends_at, "coordinator_id": s.coordinator_id,
                "surveyor_ids": [r.surveyor_id for r in s.surveyors]} for s in planned]})
    session.commit()
    return get_roster(session, actor=actor, now=now, branch_code=branch.code, start=start, end=end)


def _checked(session: Session, branch: Branch, subtree: frozenset[int], start: datetime, end: datetime, index: int,
             plan: ShiftPlan) -> RosterShift:
    where = f"shifts.{index}"
    starts = in_branch_time(branch, plan.starts, what=f"{where}.starts")
    ends = in_branch_time(branch, plan.ends, what=f"{where}.ends")
    if ends <= starts:
        raise Invalid("A shift must end after it starts.", field=f"{where}.ends")
    if ends - starts > MAX_SHIFT:
        raise Invalid(f"A shift lasts at most {MAX_SHIFT.total_seconds() / 3600:.0f} hours.", field=f"{where}.ends")
    if not start <= starts < end:
        raise Invalid("The shift starts outside the period being replaced.", field=f"{where}.starts")
    if not plan.surveyor_ids:
        raise Invalid("A shift names at least one surveyor.", field=f"{where}.surveyor_ids")
    if len(set(plan.surveyor_ids)) != len(plan.surveyor_ids):
        raise Invalid("A surveyor is named twice.", field=f"{where}.surveyor_ids")
    _staff(session, subtree, [plan.coordinator_id], Role.COORDINATOR, f"{where}.coordinator_id")
    _staff(session, subtree, plan.surveyor_ids, Role.SURVEYOR, f"{where}.surveyor_ids")
    return RosterShift(branch_id=branch.id, starts_at=starts, ends_at=ends, coordinator_id=plan.coordinator_id,
                       note=plan.note, surveyors=[RosterSurveyor(surveyor_id=s) for s in plan.surveyor_ids])


def _staff(session: Session, subtree: frozenset[int], user_ids, role: Role, where: str) -> None:
    users = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(list(user_ids))))}
    for user_id in user_ids:
        user = users.get(user_id)
        if user is None or user.branch_id not in subtree or not user.is_active:
            raise Invalid(f"User {user_id} is not an active member of this branch.", field=where)
        if user.role is not role:
            raise Invalid(f"User {user_id} ({user.username}) is not a {role.value}.", field=where)


def _no_overlap(planned: list[RosterShift], kept) -> None:
    spans = sorted([(s.starts_at, s.ends_at, i) for i, s in enumerate(planned)]
                   + [(s.starts_at, s.ends_at, None) for s in kept], key=lambda x: (x[0], x[1]))
    for (_, end_a, a), (start_b, _, b) in zip(spans, spans[1:]):
        if start_b < end_a:
            index = b if b is not None else a
            raise Invalid("The shift overlaps another shift of the roster.", field=f"shifts.{index}.starts")


def on_duty(branch_ids, at: datetime) -> sa.Select:
    """The one answer to who is on duty at `at`: on a roster shift of these branches and switched on themselves."""
    return (sa.select(RosterSurveyor.surveyor_id).join(RosterShift, RosterShift.id == RosterSurveyor.shift_id)
            .where(RosterShift.branch_id.in_(sorted(branch_ids)), RosterShift.starts_at <= at, RosterShift.ends_at > at,
                   RosterSurveyor.surveyor_id.in_(switched_on(at))).distinct())


def gaps(session: Session, *, actor: Actor, now: datetime, branch_code: str, start: datetime | None = None,
         end: datetime | None = None) -> Roster:
    """The periods in which no shift of the branch (or a branch below it) names a surveyor: the roster alone."""
    branch = visible_branch(session, actor, branch_code)
    start, end = period(branch, now, start, end)
    shifts = session.scalars(_overlapping(branch_subtree(session, branch.id), start, end)).unique().all()
    covered = sorted((s.starts_at, s.ends_at) for s in shifts if s.surveyors)
    found, cursor = [], start
    for s, e in covered:
        if s > cursor:
            found.append(Period(cursor, min(s, end), branch.timezone))
        cursor = max(cursor, e)
        if cursor >= end:
            break
    if cursor < end:
        found.append(Period(cursor, end, branch.timezone))
    return Roster(branch, start, end, list(shifts), found)
