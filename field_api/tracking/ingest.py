"""Fix ingestion: a batch of one surveyor's fixes goes through the rules and into the database in bulk.

One transaction per batch, one multi-row INSERT ... ON CONFLICT DO NOTHING (a fix is identified by
surveyor and device time, so a retried batch stores nothing new), no ORM object per fix. A batch is planned
first (duty, stored neighbours, jump flags, the fences it comes near: reads and arithmetic) and then written;
on SQLite the plan is read before the database's one write lock is taken, which is then held only to write.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from field_api.db import before_writing
from field_api.dispatch import arrival
from field_api.outbox.announce import announce_position
from field_api.tracking import fast_insert, partitions
from field_api.tracking.models import DutyInterval, Fix, LatestPosition, Source
from geo import fixes as geo_fixes

MAX_AHEAD = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)
NEIGHBOURS = geo_fixes.LOOKBACK
NEIGHBOUR_WINDOW = timedelta(days=1)

OUT_OF_RANGE = "coordinates_out_of_range"
NULL_ISLAND = "null_island"
IN_FUTURE = "device_time_in_future"
TOO_OLD = "device_time_too_old"

FIX = Fix.__table__
LATEST = LatestPosition.__table__
ANNOUNCED = ("surveyor_id", "lat", "lon", "device_time", "received_at", "accuracy_m", "battery", "speed_mps",
             "heading_deg")
LATEST_COLUMNS = ("device_time", "received_at", "lat", "lon", "accuracy_m", "speed_mps", "heading_deg", "battery",
                  "source", "poor_accuracy")


@dataclass(frozen=True)
class Limits:
    """The filtering thresholds: worse accuracy or faster implied speed marks a fix as unusable."""

    max_accuracy_m: float = geo_fixes.DEFAULT_MAX_ACCURACY_M
    max_speed_kmh: float = geo_fixes.DEFAULT_MAX_SPEED_KMH


@dataclass
class IngestResult:
    """What became of a batch: counts, and the rejected fixes by their index in the request."""

    accepted: int = 0
    duplicate: int = 0
    off_duty: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    latest: dict[str, Any] | None = None  # the batch's fix that became the latest position, for the live map

    def summary(self) -> str:
        """The counts on one line, for logs."""
        return (f"accepted={self.accepted} duplicate={self.duplicate} off_duty={self.off_duty} "
                f"rejected={len(self.rejected)}")


def ingest(session: Session, *, surveyor_id: int, rows: Sequence[dict[str, Any]], source: Source,
           device_id: int | None, now: datetime, limits: Limits, branch_id: int | None = None) -> IngestResult:
    """Store one surveyor's canonical-datum fixes by the rules, commit, and say what became of each.

    Once committed, a new latest position is announced to the live map (once per batch).
    """
    result = IngestResult()
    candidates = _screen(rows, now, result)
    if candidates:
        planning = functools.partial(_plan, session, surveyor_id, candidates, now=now, limits=limits, source=source,
                                     device_id=device_id)
        with before_writing(session):
            plan = planning()
        if plan.new and not _still_current(session, surveyor_id, plan):
            plan = planning()  # a batch of the same surveyor was stored since: plan again, while writing
        result.off_duty += plan.off_duty
        result.duplicate += plan.duplicate
        if plan.new:
            _write(session, surveyor_id, plan, source=source, now=now, result=result)
    session.commit()
    if result.latest is not None and branch_id is not None:
        announce_position(branch_id=branch_id, **{k: result.latest[k] for k in ANNOUNCED})
    return result


def _screen(rows: Sequence[dict[str, Any]], now: datetime, result: IngestResult) -> list[dict[str, Any]]:
    """Reject impossible fixes, clamp device times to the receipt time, and drop repeats within the batch."""
    latest_allowed, earliest_allowed = now + MAX_AHEAD, now - MAX_AGE
    kept: dict[datetime, dict[str, Any]] = {}
    for index, row in enumerate(rows):
        lat, lon, at = row["lat"], row["lon"], row["device_time"]
        reason = None
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            reason = OUT_OF_RANGE
        elif lat == 0.0 and lon == 0.0:
            reason = NULL_ISLAND
        elif at > latest_allowed:
            reason = IN_FUTURE
        elif at < earliest_allowed:
            reason = TOO_OLD
        if reason is not None:
            result.rejected.append({"index": index, "reason": reason})
            continue
        # A clock set ahead gains nothing: the fix counts as taken when it was received.
        at = min(at, now)
        if at in kept:
            result.duplicate += 1
        else:
            kept[at] = {**row, "device_time": at}
    return list(kept.values())


# The hot path's queries are built once: a statement object memoizes its cache key, so executing it again
# skips constructing and hashing the expression (profiled: about a tenth of a batch when built per call).
_DUTY = (sa.select(DutyInterval.started_at, DutyInterval.ended_at)
         .where(DutyInterval.surveyor_id == sa.bindparam("surveyor_id"),
                DutyInterval.started_at <= sa.bindparam("last"),
                sa.or_(DutyInterval.ended_at.is_(None), DutyInterval.ended_at > sa.bindparam("first"))))


def _on_duty(session: Session, surveyor_id: int, candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fixes taken on duty or during an open dispatch."""
    times = [c["device_time"] for c in candidates]
    first, last = min(times), max(times)
    connection = session.connection()
    duty = connection.execute(_DUTY, {"surveyor_id": surveyor_id, "first": first, "last": last}).all()
    windows = arrival.active_dispatch_windows(session, [surveyor_id], first).get(surveyor_id, [])
    covered = [(start, end, False) for start, end in duty] + [(start, end, True) for start, end in windows]
    return [c for c in candidates if _covered(c["device_time"], covered)]


def _covered(at: datetime, periods: Iterable[tuple[datetime, datetime | None, bool]]) -> bool:
    # Duty ends exclusively (the off-duty instant is off duty); a dispatch window includes its end.
    return any(start <= at and (end is None or at < end or (inclusive and at == end))
               for start, end, inclusive in periods)


@dataclass
class _Plan:
    """What a batch will write, decided from what it read: the new fixes (flagged, and encoded for the insert),
    the stored fixes whose jump flag changes (id, device time, flag) and the dispatches whose fence the new
    usable fixes come near (None: all they can affect, as stored fixes change usability); with the counts of
    fixes off duty and already stored, and the stored fixes it saw within the batch's span."""

    off_duty: int
    duplicate: int = 0
    new: list[dict[str, Any]] = field(default_factory=list)
    reflagged: list[tuple[int, datetime, bool]] = field(default_factory=list)
    near_fences: list[int] | None = None
    encoded: fast_insert.EncodedFixes | None = None
    span: tuple[datetime, datetime] | None = None
    seen: frozenset[datetime] = frozenset()


def _plan(session: Session, surveyor_id: int, candidates: list[dict[str, Any]], *, now: datetime, limits: Limits,
          source: Source, device_id: int | None) -> _Plan:
    """Read what the batch's rules need and decide what to write."""
    kept = sorted(_on_duty(session, surveyor_id, candidates), key=lambda c: c["device_time"])
    plan = _Plan(off_duty=len(candidates) - len(kept))
    if not kept:
        return plan
    first, last = plan.span = kept[0]["device_time"], kept[-1]["device_time"]
    # Before this transaction reads the fix table: creating a partition waits for its readers to finish.
    partitions.ensure_for_times(session, first, last)
    stored = _stored_around(session, surveyor_id, first, last, now)
    stored_times = {s.device_time for s in stored}
    plan.seen = frozenset(at for at in stored_times if first <= at <= last)
    plan.new = new = [c for c in kept if c["device_time"] not in stored_times]
    plan.duplicate = len(kept) - len(new)
    if not new:
        return plan
    max_accuracy_m = limits.max_accuracy_m
    for row in new:
        accuracy = row["accuracy_m"]
        row["poor_accuracy"] = accuracy is None or accuracy > max_accuracy_m
        row["implausible"] = False
    plan.reflagged = _flag_jumps(stored, new, limits)
    if not plan.reflagged:
        # Arrival needs re-evaluating only near a fence, unless stored fixes changed their usability.
        usable = [(r["device_time"], r["lat"], r["lon"]) for r in new if not r["poor_accuracy"] and not r["implausible"]]
        plan.near_fences = arrival.fences_near(session, surveyor_id=surveyor_id, earliest=new[0]["device_time"],
                                               now=now, fixes=usable)
    plan.encoded = fast_insert.encode(session, surveyor_id, new, received_at=now, source=source.value,
                                      device_id=device_id)
    return plan


_STORED_WITHIN = sa.select(FIX.c.device_time).where(
    FIX.c.surveyor_id == sa.bindparam("surveyor_id"),
    FIX.c.device_time.between(sa.bindparam("first", type_=FIX.c.device_time.type),
                              sa.bindparam("last", type_=FIX.c.device_time.type)))


def _still_current(session: Session, surveyor_id: int, plan: _Plan) -> bool:
    """Whether the fixes stored within the batch's span are still those the plan saw. Only SQLite reads a
    plan before its transaction takes the write lock; elsewhere it was read in the writing transaction,
    and the insert skips a fix that a concurrent one stored first."""
    if session.get_bind().dialect.name != "sqlite":
        return True
    first, last = plan.span
    stored = session.connection().execute(_STORED_WITHIN, {"surveyor_id": surveyor_id, "first": first, "last": last})
    return frozenset(stored.scalars()) == plan.seen


def _write(session: Session, surveyor_id: int, plan: _Plan, *, source: Source, now: datetime,
           result: IngestResult) -> None:
    """Insert the new fixes, re-flag stored neighbours, update the latest position, re-evaluate arrival."""
    new, reflagged = plan.new, plan.reflagged
    inserted = fast_insert.insert(session, plan.encoded)
    result.accepted += len(inserted)
    result.duplicate += len(new) - len(inserted)
    if reflagged:
        session.execute(sa.update(FIX).where(FIX.c.id == sa.bindparam("fix_id"),
                                             FIX.c.device_time == sa.bindparam("fix_time"))
                        .values(implausible=sa.bindparam("flag")),
                        [{"fix_id": fix_id, "fix_time": at, "flag": flag} for fix_id, at, flag in reflagged])
    result.latest = _update_latest(session, [r for r in new if r["device_time"] in inserted and not r["implausible"]],
                                   surveyor_id=surveyor_id, received_at=now, source=source)
    changed = list(inserted) + [at for _, at, _ in reflagged]
    if changed:
        arrival.evaluate_fixes(session, surveyor_id=surveyor_id, earliest=min(changed), now=now,
                               near_fences=plan.near_fences)


def _stored_around_statements() -> tuple[sa.Select, sa.CompoundSelect]:
    """The neighbours queries of `_stored_around`: the unbounded look back, and the one bounded to a day."""
    columns = (FIX.c.id, FIX.c.device_time, FIX.c.lat, FIX.c.lon, FIX.c.poor_accuracy, FIX.c.implausible)
    mine = FIX.c.surveyor_id == sa.bindparam("surveyor_id")
    instant = functools.partial(sa.bindparam, type_=FIX.c.device_time.type)
    first, last = instant("first"), instant("last")

    def before(*bound):
        return (sa.select(*columns).where(mine, FIX.c.device_time < first, *bound)
                .order_by(FIX.c.device_time.desc()).limit(NEIGHBOURS))

    within = sa.select(*columns).where(mine, FIX.c.device_time.between(first, last))
    # No stored fix is later than its receipt (device times are clamped to it), hence the upper bound.
    after = (sa.select(*columns).where(mine, FIX.c.device_time > last,
                                       FIX.c.device_time <= instant("horizon"))
             .order_by(FIX.c.device_time).limit(NEIGHBOURS))
    recent = before(FIX.c.device_time >= instant("recent"))
    parts = [q.subquery() for q in (recent, within, after)]
    return before(), sa.union_all(*(sa.select(*p.c) for p in parts))


_BEFORE, _AROUND = _stored_around_statements()


def _stored_around(session: Session, surveyor_id: int, first: datetime, last: datetime,
                   now: datetime) -> list[sa.Row]:
    """The surveyor's stored fixes within [first, last] and a few on either side, in time order (one query).

    Earlier neighbours are looked for in the last day first, so that a partitioned table reads one or two
    partitions rather than all; only a surveyor with a gap before this batch needs the unbounded look.
    """
    connection = session.connection()
    params = {"surveyor_id": surveyor_id, "first": first, "last": last, "recent": first - NEIGHBOUR_WINDOW,
              "horizon": max(now, last) + MAX_AHEAD}
    rows = sorted(connection.execute(_AROUND, params).all(), key=lambda r: r[1])
    if sum(1 for r in rows if r[1] < first) < NEIGHBOURS:
        rows = connection.execute(_BEFORE, params).all()[::-1] + [r for r in rows if r[1] >= first]
    return rows


def _flag_jumps(stored: list[sa.Row], new: list[dict[str, Any]],
                limits: Limits) -> list[tuple[int, datetime, bool]]:
    """Mark implausible jumps among the accurate fixes, stored and new together (so arrival order does not
    matter); return the stored fixes whose mark changes as (id, device time, new mark)."""
    old = [s for s in stored if not s.poor_accuracy]
    fresh = [r for r in new if not r["poor_accuracy"]]
    if len(old) + len(fresh) < 2:
        return []
    # Stored and new device times never coincide, so time alone orders the pool.
    pool = sorted([(s.device_time, s.lat, s.lon, s) for s in old]
                  + [(r["device_time"], r["lat"], r["lon"], r) for r in fresh], key=lambda p: p[0])
    plausible = geo_fixes.plausible_in_time_order([p[0].timestamp() for p in pool], [p[1] for p in pool],
                                                  [p[2] for p in pool], max_speed_kmh=limits.max_speed_kmh)
    changed = []
    for (at, _, _, item), ok in zip(pool, plausible):
        if isinstance(item, dict):
            item["implausible"] = not ok
        elif item.implausible == ok:
            changed.append((item.id, at, not ok))
    return changed


def _latest_upsert(dialect: str) -> sa.Insert:
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect](LATEST)
    stmt = insert.values({c: sa.bindparam(c, type_=LATEST.c[c].type) for c in ("surveyor_id", *LATEST_COLUMNS)})
    return stmt.on_conflict_do_update(
        index_elements=["surveyor_id"], set_={c: stmt.excluded[c] for c in LATEST_COLUMNS},
        where=LATEST.c.device_time < stmt.excluded.device_time).returning(LATEST.c.surveyor_id)


_LATEST_UPSERT = {dialect: _latest_upsert(dialect) for dialect in ("postgresql", "sqlite")}


def _update_latest(session: Session, rows: list[dict[str, Any]], *, surveyor_id: int, received_at: datetime,
                   source: Source) -> dict[str, Any] | None:
    """Upsert the newest plausible fix as the latest position unless a newer one is there; return it when kept."""
    if not rows:
        return None
    newest = {**max(rows, key=lambda r: r["device_time"]), "surveyor_id": surveyor_id, "received_at": received_at,
              "source": source}
    connection = session.connection()
    kept = connection.execute(_LATEST_UPSERT[connection.dialect.name],
                              {c: newest[c] for c in ("surveyor_id", *LATEST_COLUMNS)}).first()
    return newest if kept is not None else None
