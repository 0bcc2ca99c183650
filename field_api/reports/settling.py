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
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.dispatch.models import Case, Dispatch
from field_api.reports import measures, settled
from field_api.reports.models import SettledDay
from field_api.reports.sources import Window, in_windows
from field_api.visits.models import ClientTask, Visit


# Days kept by one pass over the records, in one transaction.
BATCH_DAYS = 31


def settle(session: Session, now: datetime) -> int:
    """Keep every settled branch day not kept yet, oldest first, committing each batch; returns how many."""
    kept = 0
    for source in settled.SOURCES:
        for pairs in batches(unkept_days(session, source, now)):
            kept += settle_days(session, source, pairs, now)
            session.commit()
    return kept


def batches(days: Iterable[tuple[date, list[int]]]) -> Iterator[list[tuple[int, date]]]:
    """Unkept days in time order, in runs of up to BATCH_DAYS days, as (branch, day) pairs."""
    run: list[tuple[int, date]] = []
    for day, branch_ids in days:
        if run and (day - run[0][1]).days >= BATCH_DAYS:
            yield run
            run = []
        run.extend((branch_id, day) for branch_id in branch_ids)
    if run:
        yield run


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


def settle_days(session: Session, source: str, pairs: list[tuple[int, date]], now: datetime) -> int:
    """Keep the numbers of the (branch, day) pairs that have settled, from one pass over their records; returns how
    many were kept."""
    dialect = session.get_bind().dialect
    lay = measures.layout(dialect, source)
    if dialect.name == "postgresql":
        pairs = [(b, d) for b, d in session.execute(
            sa.text("SELECT b, d FROM unnest(CAST(:ids AS integer[]), CAST(:days AS date[])) AS p (b, d) "
                    "WHERE pg_try_advisory_xact_lock(report_day_lock(:source, b, d))"),
            {"ids": [b for b, _ in pairs], "days": [d for _, d in pairs], "source": source})]
    spans: dict[int, tuple[date, date]] = {}
    for b, d in pairs:
        first, last = spans.get(b, (d, d))
        spans[b] = (min(first, d), max(last, d))
    # A follow-up is judged on its branch's today: any date after the span will do, as its dates are over everywhere.
    windows = [Window(b, settled.midnight(first), settled.midnight(last) + settled.DAY, first, last, last + settled.DAY)
               for b, (first, last) in spans.items()]
    if settled.SOURCES[source] == settled.LOCAL_DATE:
        due = {(b, d): settled.midnight(d) + LOCAL_DATE_OVER for b, d in pairs}

        def day_of(c):
            return c.day
    else:
        due = _last_due(session, windows)

        def day_of(c):
            return _utc_date(c.at)
    keep = [(b, d) for b, d in pairs if due.get((b, d), settled.midnight(d)) < now]
    if not keep:
        return 0
    table = measures.SOURCES[source](dialect.name, windows, now)
    _parts, counts = measures.counts_by_branch(session, table, lay.counted, by=day_of)
    durations = measures.durations_by_branch(session, table, lay.timed, by=day_of) if lay.timed else {}
    session.execute(sa.delete(SettledDay).where(SettledDay.source == source,
                                                sa.tuple_(SettledDay.branch_id, SettledDay.day).in_(keep)))
    rows = []
    for pair in keep:
        got = counts.get(pair, {})
        blobs = settled.encode([got.get(key, {}).get(part, 0) for key, part in lay.parts],
                               [sorted(values) for values in durations.get(pair, [[] for _ in lay.timed])])
        rows.append({"source": source, "branch_id": pair[0], "day": pair[1], "signature": lay.signature,
                     "settled_at": due.get(pair, settled.midnight(pair[1])), "computed_at": now,
                     "counts": blobs[0], "durations": blobs[1]})
    session.execute(sa.insert(SettledDay), rows)
    return len(rows)


def _utc_date(instant) -> sa.ColumnElement[date]:
    """The UTC day of an instant (sessions run in UTC on PostgreSQL; SQLite stores UTC)."""
    return sa.type_coerce(sa.func.date(instant), sa.Date)


def _last_due(session: Session, windows: list[Window]) -> dict[tuple[int, date], datetime]:
    """Per branch and UTC day, the last due time of any clock of the cases first dispatched then, in the windows."""
    day = _utc_date(Case.first_dispatched_at)
    got = session.execute(
        sa.select(Case.branch_id, day, sa.func.max(Dispatch.contact_due_at), sa.func.max(Dispatch.arrival_due_at))
        .join(Dispatch, Dispatch.case_id == Case.id)
        .where(in_windows(Case.branch_id, Case.first_dispatched_at, windows))
        .group_by(Case.branch_id, day))
    return {(branch_id, d): max(x for x in dues if x is not None) for branch_id, d, *dues in got if any(dues)}


class DaySettling:
    """The worker's job: look for unkept days every `interval_s`, then settle them a time-boxed share per turn."""

    def __init__(self, interval_s: float, budget_s: float = 0.5) -> None:
        self.interval_s, self.budget_s, self.next_at = interval_s, budget_s, 0.0
        self.pending: list[tuple[str, list[tuple[int, date]]]] = []

    def __call__(self, session: Session, now: datetime) -> int:
        if not self.pending:
            if time.monotonic() < self.next_at:
                return 0
            self.next_at = time.monotonic() + self.interval_s
            self.pending = [(source, pairs) for source in settled.SOURCES
                            for pairs in batches(unkept_days(session, source, now))]
            session.commit()
        kept, started = 0, time.monotonic()
        while self.pending:  # at least one batch a turn, then more while the budget lasts
            kept += settle_days(session, *self.pending.pop(0), now)
            session.commit()
            if time.monotonic() - started >= self.budget_s:
                break
        return kept
