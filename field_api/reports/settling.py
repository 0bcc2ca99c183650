"""Settling report days: once a day's numbers can no longer turn with time, each branch's numbers of that day are
kept (reports/settled.py reads them), so a report over a year reads a row per branch and day, not every record.

A UTC day of case clocks settles when it is over and the last due time of its cases' clocks has passed; a local
date of visits, checklist items and follow-ups when it is over everywhere (two UTC days later), which also puts a
follow-up due that day past due. From then on only a write changes a day's numbers, and every write to a case, a
dispatch, a visit, a checklist item or a follow-up deletes the day's kept row in the same transaction (migrations
0013 and 0014's triggers). On PostgreSQL the job takes each day's exclusive advisory lock, without waiting, before
it reads the day, and a writer holds the shared one from its write to its commit: the job skips a day with a write
in flight, and a write after the lock waits for the job's commit, then deletes what it kept.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.dispatch.models import Case, Dispatch
from field_api.reports import measures, settled
from field_api.reports.models import SettledDay
from field_api.reports.sources import Window, in_windows
from field_api.visits.models import ClientTask, Visit


def settle(session: Session, now: datetime) -> int:
    """Keep every settled branch day not kept yet, oldest first, committing each day; returns how many."""
    kept = 0
    for source in settled.SOURCES:
        for day, branch_ids in unkept_days(session, source, now):
            kept += settle_day(session, source, day, branch_ids, now)
            session.commit()
    return kept


# Where each kept source's records start per branch: the branch column, and the instant or local date of a record.
FIRST = {"case_clocks": (Case.branch_id, Case.first_dispatched_at), "visits": (Visit.branch_id, Visit.visit_date),
         "visit_items": (Visit.branch_id, Visit.visit_date), "follow_up_tasks": (ClientTask.branch_id, ClientTask.due_on)}
# A local date is over in every time zone (UTC-12 to UTC+14) two UTC days after it began.
LOCAL_DATE_OVER = timedelta(days=2)


def unkept_days(session: Session, source: str, now: datetime) -> Iterator[tuple[date, list[int]]]:
    """The days over by `now` with no kept row of the current signature, from each branch's first record on, with
    their branches: a day without records is kept too (as zeros), so a report's rest is only its edges and the
    days not settled."""
    dialect = session.get_bind().dialect
    have = set(session.execute(sa.select(SettledDay.branch_id, SettledDay.day).where(
        SettledDay.source == source, SettledDay.signature == measures.layout(dialect, source).signature)))
    local = settled.SOURCES[source] == settled.LOCAL_DATE
    today = (now - LOCAL_DATE_OVER if local else now).astimezone(timezone.utc).date()
    branch, dated = FIRST[source]
    by_day: dict[date, list[int]] = {}
    for branch_id, first in session.execute(
            sa.select(branch, sa.func.min(dated)).group_by(branch)
            .having(sa.func.min(dated).is_not(None)).order_by(branch)):
        day = first if local else first.astimezone(timezone.utc).date()
        while day < today:
            if (branch_id, day) not in have:
                by_day.setdefault(day, []).append(branch_id)
            day += settled.DAY
    yield from sorted(by_day.items())


def settle_day(session: Session, source: str, day: date, branch_ids: list[int], now: datetime) -> int:
    """Keep the numbers of the branches' day where it has settled; returns how many were kept."""
    dialect = session.get_bind().dialect
    lay = measures.layout(dialect, source)
    if dialect.name == "postgresql":
        branch_ids = list(session.scalars(
            sa.text("SELECT b FROM unnest(CAST(:ids AS integer[])) AS b "
                    "WHERE pg_try_advisory_xact_lock(report_day_lock(:source, b, :day))"),
            {"ids": branch_ids, "source": source, "day": day}))
    start = settled.midnight(day)
    # A follow-up is judged on its branch's today: any date after the day will do, as it is over everywhere.
    windows = {b: Window(b, start, start + settled.DAY, day, day, day + settled.DAY) for b in branch_ids}
    if settled.SOURCES[source] == settled.LOCAL_DATE:
        due = dict.fromkeys(windows, start + LOCAL_DATE_OVER)
    else:
        due = _last_due(session, list(windows.values()))
    windows = {b: w for b, w in windows.items() if due.get(b, start) < now}
    if not windows:
        return 0
    table = measures.SOURCES[source](dialect.name, list(windows.values()), now)
    _parts, counts = measures.counts_by_branch(session, table, lay.counted)
    durations = measures.durations_by_branch(session, table, lay.timed) if lay.timed else {}
    session.execute(sa.delete(SettledDay).where(SettledDay.source == source, SettledDay.day == day,
                                                SettledDay.branch_id.in_(list(windows))))
    rows = []
    for branch_id in windows:
        got = counts.get(branch_id, {})
        blobs = settled.encode([got.get(key, {}).get(part, 0) for key, part in lay.parts],
                               [sorted(values) for values in durations.get(branch_id, [[] for _ in lay.timed])])
        rows.append({"source": source, "branch_id": branch_id, "day": day, "signature": lay.signature,
                     "settled_at": due.get(branch_id, start), "computed_at": now,
                     "counts": blobs[0], "durations": blobs[1]})
    session.execute(sa.insert(SettledDay), rows)
    return len(rows)


def _last_due(session: Session, windows: list[Window]) -> dict[int, datetime]:
    """Per branch, the last due time of any clock of the cases first dispatched in its window."""
    got = session.execute(
        sa.select(Case.branch_id, sa.func.max(Dispatch.contact_due_at), sa.func.max(Dispatch.arrival_due_at))
        .join(Dispatch, Dispatch.case_id == Case.id)
        .where(in_windows(Case.branch_id, Case.first_dispatched_at, windows))
        .group_by(Case.branch_id))
    return {branch_id: max(d for d in dues if d is not None) for branch_id, *dues in got if any(dues)}


class DaySettling:
    """The worker's job: look for unkept days every `interval_s`, then settle them a time-boxed share per turn."""

    def __init__(self, interval_s: float, budget_s: float = 0.5) -> None:
        self.interval_s, self.budget_s, self.next_at = interval_s, budget_s, 0.0
        self.pending: list[tuple[str, date, list[int]]] = []

    def __call__(self, session: Session, now: datetime) -> int:
        if not self.pending:
            if time.monotonic() < self.next_at:
                return 0
            self.next_at = time.monotonic() + self.interval_s
            self.pending = [(source, day, branch_ids) for source in settled.SOURCES
                            for day, branch_ids in unkept_days(session, source, now)]
            session.commit()
        kept, started = 0, time.monotonic()
        while self.pending:  # at least one day a turn, then more while the budget lasts
            kept += settle_day(session, *self.pending.pop(0), now)
            session.commit()
            if time.monotonic() - started >= self.budget_s:
                break
        return kept
