"""The records of the roster, the care callbacks and the claim forms behind the report, as SQL.

Like `sources.py`: one select per kind of record, carrying what the standard makes of it, shared by the
counts and the drill-down.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from field_api.accounts.models import Branch
from field_api.board.models import CallbackAttempt, FollowUp, RosterShift, RosterSurveyor
from field_api.claims.attachments import FAR_FROM_SITE
from field_api.claims.models import AttachmentKind, ClaimAttachment, ClaimForm
from field_api.dispatch.models import Case, Dispatch
from field_api.reports.sources import (MET, MISSED, Window, arrival_outcome, group_membership, holds_the_clocks,
                                       in_windows, instant, seconds_between)
from field_api.tracking.models import DutyInterval

PHOTO_KINDS = [k for k in AttachmentKind if k.is_photo]


def follow_ups(_dialect: str, windows: list[Window], now: datetime) -> sa.Subquery:
    """One row per case extracted for the care callback (C7) in the period, with what the customer said.

    An answer contradicts the clocks when the board flagged it (nobody called, yet a contact is recorded), or when
    the customer says the surveyor came on time while the arrival clock is missed, or late while it is met.
    """
    arrival = arrival_outcome(now)
    contradicted = sa.exists().where(CallbackAttempt.follow_up_id == FollowUp.id, sa.or_(
        CallbackAttempt.contradicts_clocks.is_(True),
        sa.and_(CallbackAttempt.arrived_on_time.is_(True), arrival == MISSED),
        sa.and_(CallbackAttempt.arrived_on_time.is_(False), arrival == MET)))
    return (sa.select(
        FollowUp.id.label("follow_up_id"), FollowUp.case_id.label("case_id"), FollowUp.dispatch_id.label("dispatch_id"),
        FollowUp.branch_id.label("branch_id"), Branch.code.label("branch"), Case.report_number.label("report_number"),
        FollowUp.batch_at.label("at"), FollowUp.reason.label("reason"), FollowUp.for_chief.label("for_chief"),
        FollowUp.status.label("status"), FollowUp.failed_attempts.label("failed_attempts"),
        contradicted.label("contradicts_clocks"))
        .select_from(FollowUp)
        .join(Case, Case.id == FollowUp.case_id)
        .outerjoin(Dispatch, holds_the_clocks())
        .join(Branch, Branch.id == FollowUp.branch_id)
        .where(in_windows(FollowUp.branch_id, FollowUp.batch_at, windows))
        .subquery("follow_ups"))


def local_date(dialect: str, column, windows: list[Window]) -> sa.ColumnElement:
    """The date of an instant in the record's branch's time zone.

    PostgreSQL converts with the zone's rules; SQLite knows no zones, so the branch's UTC offset at the start
    of the period is applied (exact for China's zones, which keep no daylight saving).
    """
    if dialect == "postgresql":
        zone = sa.case(*((ClaimForm.branch_id == w.branch_id, w.timezone) for w in windows), else_="UTC")
        return sa.cast(sa.func.timezone(zone, column), sa.Date)
    offsets = [(w.branch_id, int(w.start.astimezone(ZoneInfo(w.timezone)).utcoffset() // timedelta(minutes=1)))
               for w in windows]
    shift = sa.case(*((ClaimForm.branch_id == b, f"{m:+d} minutes") for b, m in offsets), else_="+0 minutes")
    return sa.func.date(column, shift)


def _first_forms(windows: list[Window]) -> sa.ColumnElement[bool]:
    # The form first filled for a dispatch; a correction of a sealed form is a new form naming it.
    return sa.and_(ClaimForm.corrects_id.is_(None), in_windows(ClaimForm.branch_id, Dispatch.dispatched_at, windows))


def claim_forms(dialect: str, windows: list[Window], _now: datetime) -> sa.Subquery:
    """One row per claim form first filled on a dispatch of the period: sealed when, and complete then."""
    same_day = sa.and_(ClaimForm.sealed_at.is_not(None), local_date(dialect, ClaimForm.sealed_at, windows)
                       == local_date(dialect, Dispatch.dispatched_at, windows))
    return (sa.select(
        ClaimForm.id.label("form_id"), ClaimForm.dispatch_id.label("dispatch_id"), Dispatch.case_id.label("case_id"),
        ClaimForm.branch_id.label("branch_id"), Branch.code.label("branch"), Case.report_number.label("report_number"),
        Dispatch.dispatched_at.label("at"), ClaimForm.sealed_at.label("sealed_at"), same_day.label("same_day"),
        # Sealing freezes the form and its manifest, so what it lacks now is what it lacked when sealed.
        sa.not_(sa.cast(ClaimForm.missing, sa.Text).contains('"')).label("complete"),
        sa.cast(ClaimForm.missing, sa.Text).label("missing"))
        .select_from(ClaimForm)
        .join(Dispatch, Dispatch.id == ClaimForm.dispatch_id)
        .join(Case, Case.id == Dispatch.case_id)
        .join(Branch, Branch.id == ClaimForm.branch_id)
        .where(_first_forms(windows))
        .subquery("claim_forms"))


def claim_photos(_dialect: str, windows: list[Window], _now: datetime) -> sa.Subquery:
    """One row per site photo of those forms, and whether it was flagged as taken far from the site."""
    return (sa.select(
        ClaimAttachment.id.label("attachment_id"), ClaimForm.id.label("form_id"),
        ClaimForm.dispatch_id.label("dispatch_id"), ClaimForm.branch_id.label("branch_id"),
        Branch.code.label("branch"), Dispatch.dispatched_at.label("at"), ClaimAttachment.kind.label("photo_kind"),
        ClaimAttachment.site_distance_m.label("distance_m"),
        sa.cast(ClaimAttachment.flags, sa.Text).contains(f'"{FAR_FROM_SITE}"').label("far"))
        .select_from(ClaimAttachment)
        .join(ClaimForm, ClaimForm.id == ClaimAttachment.form_id)
        .join(Dispatch, Dispatch.id == ClaimForm.dispatch_id)
        .join(Branch, Branch.id == ClaimForm.branch_id)
        .where(_first_forms(windows), ClaimAttachment.kind.in_(PHOTO_KINDS))
        .subquery("claim_photos"))


def roster_shifts(_dialect: str, windows: list[Window], now: datetime) -> sa.Subquery:
    """The shifts naming a surveyor that overlap the period (up to now), clipped to it: the roster's cover."""
    start, end = _roster_bounds(windows, now)
    named = sa.exists().where(RosterSurveyor.shift_id == RosterShift.id)
    return (sa.select(
        RosterShift.id.label("shift_id"), RosterShift.branch_id.label("branch_id"), Branch.code.label("branch"),
        RosterShift.starts_at.label("at"), RosterShift.ends_at.label("ends_at"),
        sa.select(sa.func.count()).where(RosterSurveyor.shift_id == RosterShift.id).scalar_subquery()
        .label("surveyors"))
        .select_from(RosterShift)
        .join(Branch, Branch.id == RosterShift.branch_id)
        .where(RosterShift.branch_id.in_([w.branch_id for w in windows]), RosterShift.starts_at < instant(end),
               RosterShift.ends_at > instant(start), named)
        .subquery("roster_shifts"))


def _roster_bounds(windows: list[Window], now: datetime) -> tuple[datetime, datetime]:
    # The period of the branch reported on (the first window), in its time zone; hours to come are not gaps yet.
    first = windows[0]
    return first.start, max(first.start, min(first.end, now))


def _later_earlier(dialect: str):
    return (sa.func.greatest, sa.func.least) if dialect == "postgresql" else (sa.func.max, sa.func.min)


Cover = tuple[int, int, int]  # minutes of the period, minutes not covered, gaps


def roster_cover(session, groups: dict[Hashable, list[Window]], now: datetime) -> dict[Hashable, Cover]:
    """Per group of branches: minutes of the period, minutes no roster shift names a surveyor, how many gaps."""
    def shifts(branch_ids: list[int], start: datetime, end: datetime) -> sa.Select:
        named = sa.exists().where(RosterSurveyor.shift_id == RosterShift.id)
        return (sa.select(RosterShift.branch_id.label("branch_id"), RosterShift.starts_at.label("s"),
                          RosterShift.ends_at.label("e"))
                .where(RosterShift.branch_id.in_(branch_ids), RosterShift.starts_at < instant(end),
                       RosterShift.ends_at > instant(start), named))

    return _uncovered(session, groups, now, shifts)


def duty_cover(session, groups: dict[Hashable, list[Window]], now: datetime) -> dict[Hashable, Cover]:
    """Per group of branches: minutes of the period, minutes no rostered surveyor had switched on duty, how many
    gaps. On duty is what the board calls it: named on a shift of the roster and switched on themselves."""
    later, earlier = _later_earlier(session.get_bind().dialect.name)
    duty_end = sa.func.coalesce(DutyInterval.ended_at, instant(now))

    def on_duty(branch_ids: list[int], start: datetime, end: datetime) -> sa.Select:
        return (sa.select(RosterShift.branch_id.label("branch_id"),
                          later(RosterShift.starts_at, DutyInterval.started_at).label("s"),
                          earlier(RosterShift.ends_at, duty_end).label("e"))
                .select_from(RosterShift)
                .join(RosterSurveyor, RosterSurveyor.shift_id == RosterShift.id)
                .join(DutyInterval, DutyInterval.surveyor_id == RosterSurveyor.surveyor_id)
                .where(RosterShift.branch_id.in_(branch_ids), RosterShift.starts_at < instant(end),
                       RosterShift.ends_at > instant(start), DutyInterval.started_at < RosterShift.ends_at,
                       duty_end > RosterShift.starts_at))

    return _uncovered(session, groups, now, on_duty)


def _uncovered(session, groups: dict[Hashable, list[Window]], now: datetime,
               intervals: Callable[[list[int], datetime, datetime], sa.Select]) -> dict[Hashable, Cover]:
    """Per group, the period's minutes, those no interval of its branches covers, and the gaps between.

    A group's period is its first branch's, up to now. The islands of overlapping intervals are found in SQL,
    for all the groups with the same period in one query (the intervals joined to the groups' branches).
    """
    out: dict[Hashable, Cover] = {}
    by_period: dict[tuple[datetime, datetime], dict[Hashable, list[int]]] = {}
    for key, windows in groups.items():
        start, end = _roster_bounds(windows, now)
        if (total := _minutes(start, end)) <= 0:
            out[key] = (total, 0, 0)
        else:
            by_period.setdefault((start, end), {})[key] = sorted({w.branch_id for w in windows})
    for (start, end), members in by_period.items():
        total = _minutes(start, end)
        keys = list(members)
        found = _islands(session, start, end, intervals, [members[key] for key in keys])
        for number, key in enumerate(keys):
            if number not in found:
                out[key] = (total, total, 1)
                continue
            covered_s, count, first_start, last_end = found[number]
            uncovered = total - int(round(float(covered_s) / 60.0))
            gaps = count + 1 - (_aware(first_start) <= start) - (_aware(last_end) >= end)
            out[key] = (total, max(uncovered, 0), gaps)
    return out


def _minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _islands(session, start: datetime, end: datetime,
             intervals: Callable[[list[int], datetime, datetime], sa.Select],
             groups: list[list[int]]) -> dict[int, tuple[float, int, datetime, datetime]]:
    """Per group (numbered in order) with any interval in [start, end): the seconds its islands cover, how many
    islands, the first island's start and the last one's end."""
    dialect = session.get_bind().dialect.name
    later, earlier = _later_earlier(dialect)
    membership = group_membership(groups)
    given = intervals(sorted({b for branch_ids in groups for b in branch_ids}), start, end).subquery("given")
    clipped = (sa.select(membership.c.grp, later(given.c.s, instant(start)).label("s"),
                         earlier(given.c.e, instant(end)).label("e"))
               .select_from(given.join(membership, membership.c.branch_id == given.c.branch_id))
               .where(given.c.s < instant(end), given.c.e > instant(start), given.c.e > given.c.s)
               .subquery("clipped"))
    in_order = {"partition_by": clipped.c.grp, "order_by": (clipped.c.s, clipped.c.e)}
    reach = sa.func.max(clipped.c.e).over(**in_order, rows=(None, -1))
    ordered = sa.select(clipped.c.grp, clipped.c.s, clipped.c.e, reach.label("reach")).subquery("ordered")
    opens = sa.case((sa.or_(ordered.c.reach.is_(None), ordered.c.s > ordered.c.reach), 1), else_=0)
    numbered = sa.select(ordered.c.grp, ordered.c.s, ordered.c.e, sa.func.sum(opens).over(
        partition_by=ordered.c.grp, order_by=(ordered.c.s, ordered.c.e), rows=(None, 0)).label("island")
    ).subquery("numbered")
    islands = (sa.select(numbered.c.grp, sa.func.min(numbered.c.s).label("s"), sa.func.max(numbered.c.e).label("e"))
               .group_by(numbered.c.grp, numbered.c.island).subquery("islands"))
    rows = session.execute(sa.select(
        islands.c.grp, sa.func.coalesce(sa.func.sum(seconds_between(dialect, islands.c.e, islands.c.s)), 0),
        sa.func.count(), sa.func.min(islands.c.s), sa.func.max(islands.c.e)).group_by(islands.c.grp))
    return {grp: (covered_s, count, first, last) for grp, covered_s, count, first, last in rows}


def _aware(value) -> datetime:
    if isinstance(value, str):  # SQLite hands back its stored text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
