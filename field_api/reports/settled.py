"""Settled days as a report reads them: the kept numbers of each branch's whole UTC days inside its window, and the
rest of the window (its edges, the days not kept) to read from the records.

A source is kept by UTC day of its rows' instant (case clocks: the first dispatch), whatever a branch's time zone,
so a window bounded at local midnight has at most two partial days at its edges, read from the records like the
days not settled yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.reports.models import SettledDay
from field_api.reports.sources import Window

SOURCES = ("case_clocks",)
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


def whole_days(window: Window) -> tuple[date, date] | None:
    """The first and last UTC days that lie wholly inside the window; None when none does."""
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
    spans = {w.branch_id: span for w in windows if (span := whole_days(w)) is not None}
    by_span: dict[tuple[date, date], list[int]] = {}
    for branch_id, span in spans.items():
        by_span.setdefault(span, []).append(branch_id)
    kept = Kept(rest=[])
    days: dict[int, list[date]] = {}
    if by_span:
        rows = session.execute(sa.select(SettledDay.branch_id, SettledDay.day, SettledDay.counts,
                                         SettledDay.durations).where(
            SettledDay.source == source, SettledDay.signature == signature, SettledDay.settled_at < now,
            sa.or_(*(sa.and_(SettledDay.branch_id.in_(ids), SettledDay.day.between(first, last))
                     for (first, last), ids in by_span.items()))))
        sums: dict[int, list[np.ndarray]] = {}
        for branch_id, day, counts, durations in rows:
            vector = np.frombuffer(counts, dtype=np.int64)
            lengths = vector[len(vector) - timed:] if timed else vector[:0]
            sums.setdefault(branch_id, []).append(vector[:len(vector) - timed])
            values = np.split(np.frombuffer(durations, dtype=np.float64), np.cumsum(lengths)[:-1])
            for got, day_values in zip(kept.durations.setdefault(branch_id, [[] for _ in range(timed)]), values):
                got.append(day_values)
            days.setdefault(branch_id, []).append(day)
        kept.counts = {branch_id: np.sum(vectors, axis=0) for branch_id, vectors in sums.items()}
        kept.durations = {branch_id: [np.concatenate(days) for days in of_branch]
                          for branch_id, of_branch in kept.durations.items()}
        kept.days = sum(len(d) for d in days.values())
    for w in windows:
        kept.rest.extend(_rest(w, sorted(days.get(w.branch_id, ()))))
    return kept


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
