"""Settled days as a report reads them: the kept numbers of each branch's whole days inside its window, and the
rest of the window (its edges, the days not kept) to read from the records.

A source dated by an instant (case clocks: the first dispatch) is kept by UTC day of it, whatever a branch's time
zone, so a window bounded at local midnight has at most two partial days at its edges, read from the records like
the days not settled yet. A source dated by a local date (visits, their items, follow-ups) is kept by that date,
and every date of a period is whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.reports.models import SettledDay
from field_api.reports.sources import Window

UTC_DAY, LOCAL_DATE = "utc_day", "local_date"
# The kept sources, and how each one's rows are dated.
SOURCES = {"case_clocks": UTC_DAY, "visits": LOCAL_DATE, "visit_items": LOCAL_DATE, "follow_up_tasks": LOCAL_DATE}
DAY = timedelta(days=1)


@dataclass
class Kept:
    """The kept days of a set of windows: per branch the counts summed and each duration's values; the rest."""

    rest: list[Window]
    counts: dict[int, np.ndarray] = field(default_factory=dict)
    durations: dict[int, list[np.ndarray]] = field(default_factory=dict)  # per branch, each duration's values
    days: int = 0


def midnight(day: date) -> datetime:
    """A UTC day's first instant."""
    return datetime.combine(day, time(), timezone.utc)


def whole_days(window: Window, dated: str = UTC_DAY) -> tuple[date, date] | None:
    """The first and last days (UTC days, or local dates) that lie wholly inside the window; None when none does."""
    if dated == LOCAL_DATE:
        return window.first, window.last
    start, end = window.start.astimezone(timezone.utc), window.end.astimezone(timezone.utc)
    first = start.date() if start == midnight(start.date()) else start.date() + DAY
    last = end.date() - DAY
    return (first, last) if first <= last else None


def encode(counts: list[int], durations: list[list[float]]) -> tuple[bytes, bytes]:
    """A day's numbers as stored: the counts then each duration's length (int64), the durations (float64)."""
    lengths = [len(values) for values in durations]
    flat = [v for values in durations for v in values]
    return (np.asarray(counts + lengths, dtype=np.int64).tobytes(), np.asarray(flat, dtype=np.float64).tobytes())


def read(session: Session, source: str, signature: str, windows: list[Window], now: datetime, timed: int) -> Kept:
    """The kept days of the windows' branches that hold at `now`, and the windows' rest, for the records."""
    dated = SOURCES[source]
    by_span: dict[tuple[date, date], list[int]] = {}
    for w in windows:
        if (span := whole_days(w, dated)) is not None:
            by_span.setdefault(span, []).append(w.branch_id)
    kept = Kept(rest=[])
    days: dict[int, list[date]] = {}
    columns = [SettledDay.branch_id, SettledDay.day, SettledDay.counts] + ([SettledDay.durations] if timed else [])
    # Core rows, not ORM ones: a year of a large tree is ~100,000 of them.
    rows = session.connection().execute(
        sa.select(*columns).where(SettledDay.source == source, SettledDay.signature == signature,
                                  SettledDay.settled_at < now,
                                  sa.or_(*(sa.and_(SettledDay.branch_id.in_(ids), SettledDay.day.between(first, last))
                                           for (first, last), ids in by_span.items())))
        .order_by(SettledDay.branch_id, SettledDay.day)).all() if by_span else []
    if rows:
        _sum_rows(kept, rows, timed)
        for branch_id, day, *_ in rows:
            days.setdefault(branch_id, []).append(day)
        kept.days = len(rows)
    rest = _rest_dates if dated == LOCAL_DATE else _rest
    for w in windows:
        kept.rest.extend(rest(w, days.get(w.branch_id, [])))
    return kept


def _sum_rows(kept: Kept, rows: list, timed: int) -> None:
    """Sum the rows' counts per branch and gather each duration's values per branch, all rows at once.

    Rows come in branch order and share one layout (one signature): counts then each duration's length.
    """
    branch_of_row = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    vectors = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.int64).reshape(len(rows), -1)
    counts, lengths = vectors[:, :vectors.shape[1] - timed], vectors[:, vectors.shape[1] - timed:]
    branches, starts = np.unique(branch_of_row, return_index=True)  # sorted rows: each branch's first row
    summed = np.add.reduceat(counts, starts, axis=0)
    kept.counts = {int(b): summed[i] for i, b in enumerate(branches)}
    if not timed:
        return
    values = np.frombuffer(b"".join(r[3] for r in rows), dtype=np.float64)
    measure_of_value = np.repeat(np.tile(np.arange(timed), len(rows)), lengths.ravel())
    for i in range(timed):
        of_measure = values[measure_of_value == i]
        ends = np.cumsum(np.add.reduceat(lengths[:, i], starts))  # each branch's values, in branch order
        for number, b in enumerate(branches):
            begin = ends[number - 1] if number else 0
            kept.durations.setdefault(int(b), []).append(of_measure[begin:ends[number]])


def _rest(window: Window, kept_days: list[date]) -> list[Window]:
    """The parts of a window outside its kept days, as windows of the same branch."""
    out, cursor = [], window.start
    for day in kept_days:
        if cursor < midnight(day):
            out.append(replace(window, start=cursor, end=midnight(day)))
        cursor = midnight(day) + DAY
    if cursor < window.end:
        out.append(replace(window, start=cursor, end=window.end))
    return out


def _rest_dates(window: Window, kept_days: list[date]) -> list[Window]:
    """The local dates of a window outside its kept days, as windows of the same branch (a run of dates each)."""
    out, cursor = [], window.first
    for day in kept_days:
        if cursor < day:
            out.append(replace(window, first=cursor, last=day - DAY))
        cursor = day + DAY
    if cursor <= window.last:
        out.append(replace(window, first=cursor, last=window.last))
    return out
