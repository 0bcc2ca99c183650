"""The records behind the report, as SQL selects: one row per case clock, visit item, follow-up task or visit.

Each select carries the outcome the standard gives the record, computed by the database from the stored facts
at the report's instant. The same selects feed the counts and the drill-down, so a number and the list behind
it cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from field_api.accounts.models import Branch
from field_api.db import UTCDateTime
from field_api.dispatch.models import Case, Dispatch, DispatchStatus, Line
from field_api.visits.models import ClientTask, Visit, VisitItemOutcome, VisitStatus

MET, MISSED, EXCUSED, CANCELLED, PENDING = "met", "missed", "excused", "cancelled", "pending"


@dataclass(frozen=True)
class Window:
    """One branch's share of a period: its own instants (its time zone) and local dates, and its local today."""

    branch_id: int
    start: datetime
    end: datetime
    first: date
    last: date
    today: date
    timezone: str = "UTC"


def in_windows(branch_column, instant_column, windows: list[Window]) -> sa.ColumnElement[bool]:
    """The rows of the windows' branches whose instant falls inside that branch's bounds.

    One term per distinct bounds (per time zone, in practice), each over its branches: a term per branch
    would nest past SQLite's expression depth (1,000) in a tree of a thousand branches.
    """
    if not windows:
        return sa.false()
    return sa.or_(*(sa.and_(branch_column.in_(branch_ids), instant_column >= instant(start),
                            instant_column < instant(end))
                    for (start, end), branch_ids in _branches_by(windows, lambda w: (w.start, w.end)).items()))


def group_membership(groups: list[list[int]]) -> sa.CTE:
    """Which group (numbered in order) each branch id is in, as a VALUES list to join rows to (grp, branch_id).

    A VALUES list rather than a SELECT per membership: SQLite takes at most 500 terms in a compound SELECT.
    """
    return sa.values(sa.column("grp", sa.Integer), sa.column("branch_id", sa.Integer), name="membership").data(
        [(number, branch_id) for number, branch_ids in enumerate(groups) for branch_id in branch_ids]
    ).cte("membership")


def _branches_by(windows: list[Window], key) -> dict:
    """The windows' branch ids grouped by a value of their window."""
    out: dict = {}
    for w in windows:
        out.setdefault(key(w), []).append(w.branch_id)
    return out


def on_dates(branch_column, date_column, windows: list[Window]) -> sa.ColumnElement[bool]:
    """The rows of the windows' branches whose local date falls inside the branch's dates (one term per distinct
    dates: the period's, and the runs of dates a report reads from the records beside the kept days)."""
    if not windows:
        return sa.false()
    return sa.or_(*(sa.and_(branch_column.in_(branch_ids), date_column.between(first, last))
                    for (first, last), branch_ids in _branches_by(windows, lambda w: (w.first, w.last)).items()))


def instant(value: datetime) -> sa.BindParameter:
    """An instant as a bound parameter of the database's timestamp type."""
    return sa.literal(value, UTCDateTime())


def seconds_between(dialect: str, later, earlier) -> sa.ColumnElement[float]:
    """The seconds from `earlier` to `later`, in the database's own arithmetic."""
    if dialect == "postgresql":
        return sa.cast(sa.func.extract("epoch", later - earlier), sa.Float)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0


def _closed_before(due) -> sa.ColumnElement[bool]:
    ended = Dispatch.status.in_([DispatchStatus.CANCELLED, DispatchStatus.REASSIGNED])
    return sa.and_(ended, Dispatch.closed_at.is_not(None), sa.or_(due.is_(None), Dispatch.closed_at < due))


def contact_outcome(now: datetime) -> sa.ColumnElement[str | None]:
    """The contact clock as dispatch/clock.py reads it, in SQL (None where the five-minute rule does not apply)."""
    due = Dispatch.contact_due_at
    return sa.case(
        (due.is_(None), sa.null()),
        (Dispatch.contact_excuse.is_not(None), EXCUSED),
        (Dispatch.contacted_at.is_not(None), sa.case((Dispatch.contacted_at <= due, MET), else_=MISSED)),
        (_closed_before(due), CANCELLED),
        (instant(now) > due, MISSED),
        else_=PENDING)


def arrival_outcome(now: datetime) -> sa.ColumnElement[str | None]:
    """The arrival clock as dispatch/clock.py reads it, in SQL (None for cases that need no on-site survey)."""
    due, done = Dispatch.arrival_due_at, Dispatch.arrived_at
    no_time_agreed = sa.case(
        (sa.and_(Case.line == Line.MOTOR, Dispatch.contact_due_at.is_not(None), instant(now) > Dispatch.contact_due_at),
         MISSED), else_=PENDING)
    return sa.case(
        (Case.on_site.is_(False), sa.null()),
        (Dispatch.arrival_excuse.is_not(None), EXCUSED),
        (done.is_not(None), sa.case((sa.or_(due.is_(None), done <= due), MET), else_=MISSED)),
        (_closed_before(due), CANCELLED),
        (due.is_(None), no_time_agreed),
        (instant(now) > due, MISSED),
        else_=PENDING)


def notice_in_advance() -> sa.ColumnElement[bool]:
    """Lateness was told to the customer before the due time."""
    due = Dispatch.arrival_due_at
    return sa.and_(Dispatch.late_notice_at.is_not(None), sa.or_(due.is_(None), Dispatch.late_notice_at < due))


def holds_the_clocks() -> sa.ColumnElement[bool]:
    """The dispatch of the case that holds its clocks last: the latest, no later dispatch of the same case."""
    later = aliased(Dispatch)
    return sa.and_(Dispatch.case_id == Case.id,
                   sa.not_(sa.exists().where(later.case_id == Dispatch.case_id, later.id > Dispatch.id)))


def case_clocks(dialect: str, windows: list[Window], now: datetime) -> sa.Subquery:
    """One row per case first dispatched in the period, read on the dispatch that holds its clocks last.

    A re-dispatch keeps the clocks of the case's first dispatch (dispatch/service.py hands them over), so the
    latest dispatch of a case carries the case's outcome and the case is counted once.
    """
    return (sa.select(
        Case.id.label("case_id"), Dispatch.id.label("dispatch_id"), Case.branch_id.label("branch_id"),
        Branch.code.label("branch"), Case.report_number.label("report_number"), Case.line.label("line"),
        Case.on_site.label("on_site"), Case.coverage.label("coverage"), Case.first_dispatched_at.label("at"),
        contact_outcome(now).label("contact"), arrival_outcome(now).label("arrival"),
        notice_in_advance().label("notice"), Dispatch.contact_excuse.label("contact_cause"),
        Dispatch.arrival_excuse.label("arrival_cause"),
        seconds_between(dialect, Case.first_dispatched_at, Case.reported_at).label("report_to_dispatch_s"),
        seconds_between(dialect, Dispatch.contacted_at, Dispatch.clock_start).label("to_contact_s"),
        seconds_between(dialect, Dispatch.arrived_at, Dispatch.clock_start).label("to_arrive_s"))
        .select_from(Case)
        .join(Dispatch, holds_the_clocks())
        .join(Branch, Branch.id == Case.branch_id)
        .where(in_windows(Case.branch_id, Case.first_dispatched_at, windows))
        .subquery("case_clocks"))


def undispatched_cases(_dialect: str, windows: list[Window], _now: datetime) -> sa.Subquery:
    """One row per on-site case reported in the period that no surveyor has been dispatched to (C2: never delay)."""
    return (sa.select(
        Case.id.label("case_id"), Case.branch_id.label("branch_id"), Branch.code.label("branch"),
        Case.report_number.label("report_number"), Case.line.label("line"), Case.reported_at.label("at"),
        Case.closed_at.label("closed_at"))
        .select_from(Case)
        .join(Branch, Branch.id == Case.branch_id)
        .where(Case.on_site.is_(True), Case.first_dispatched_at.is_(None),
               in_windows(Case.branch_id, Case.reported_at, windows))
        .subquery("undispatched_cases"))


def current_visits(windows: list[Window]) -> sa.ColumnElement[bool]:
    """Submitted visits as last corrected, on a local date of the period."""
    return sa.and_(Visit.is_current.is_(True), Visit.status == VisitStatus.SUBMITTED,
                   on_dates(Visit.branch_id, Visit.visit_date, windows))


def visit_items(windows: list[Window]) -> sa.Subquery:
    """One row per checklist item that applied on a visit of the period, with its outcome."""
    return (sa.select(
        VisitItemOutcome.id.label("outcome_id"), Visit.id.label("visit_id"), Visit.branch_id.label("branch_id"),
        Branch.code.label("branch"), Visit.owner_id.label("owner_id"), Visit.visit_date.label("day"),
        VisitItemOutcome.item_code.label("item"), VisitItemOutcome.outcome.label("outcome"),
        VisitItemOutcome.reason.label("reason"))
        .select_from(VisitItemOutcome)
        .join(Visit, Visit.id == VisitItemOutcome.visit_id)
        .join(Branch, Branch.id == Visit.branch_id)
        .where(current_visits(windows), VisitItemOutcome.outcome != "not_applicable")
        .subquery("visit_items"))


def follow_up_tasks(windows: list[Window]) -> sa.Subquery:
    """One row per follow-up (the thank-you letter) due in the period, judged on its branch's today."""
    past_due = sa.or_(*(sa.and_(ClientTask.branch_id.in_(branch_ids), ClientTask.due_on < today)
                        for today, branch_ids in _branches_by(windows, lambda w: w.today).items())) \
        if windows else sa.false()
    outcome = sa.case(
        (ClientTask.cancelled_at.is_not(None), CANCELLED),
        (ClientTask.done_on.is_not(None), sa.case((ClientTask.done_on <= ClientTask.due_on, MET), else_=MISSED)),
        (past_due, MISSED),
        else_=PENDING)
    return (sa.select(
        ClientTask.id.label("task_id"), ClientTask.visit_id.label("visit_id"), ClientTask.branch_id.label("branch_id"),
        Branch.code.label("branch"), ClientTask.owner_id.label("owner_id"), ClientTask.due_on.label("day"),
        ClientTask.item_code.label("item"), outcome.label("outcome"))
        .select_from(ClientTask)
        .join(Branch, Branch.id == ClientTask.branch_id)
        .where(on_dates(ClientTask.branch_id, ClientTask.due_on, windows))
        .subquery("follow_up_tasks"))


def visits(windows: list[Window]) -> sa.Subquery:
    """One row per visit of the period, with where the check-in was against the client's location."""
    return (sa.select(
        Visit.id.label("visit_id"), Visit.branch_id.label("branch_id"), Branch.code.label("branch"),
        Visit.owner_id.label("owner_id"), Visit.visit_date.label("day"), Visit.is_first_meeting.label("first_meeting"),
        Visit.distance_m.label("distance_m"), Visit.location_check.label("location_check"))
        .select_from(Visit)
        .join(Branch, Branch.id == Visit.branch_id)
        .where(current_visits(windows))
        .subquery("visits"))
