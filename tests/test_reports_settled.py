"""Settled days: a report that reads the kept numbers of settled days says exactly what one over the records says,
and any write to a case, a dispatch, a visit, a checklist item or a follow-up of a kept day drops that day's
numbers."""

from __future__ import annotations

import os
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from field_api.access import Actor
from field_api.dispatch.models import Case, Dispatch, ExcuseCause
from field_api.reports import measures, service, settled
from field_api.reports.models import SettledDay
from field_api.reports.settling import LOCAL_DATE_OVER, DaySettling, settle
from field_api.visits.models import ClientTask, Visit, VisitItemOutcome, VisitPhoto
from tests.test_reports_numbers import NOW, assert_same, generated, recompute  # noqa: F401

PERIODS = ("2026Q3", "2026", "2026-08-15..2026-10-10")


def numbers(session, period: str, now=NOW) -> list:
    """Every number of HQ's report, each branch on its own and rolled up, as plain values."""
    report = service.compliance(session, actor=Actor.system("test"), now=now, branch_code="HQ", period=period)
    return [(row.branch.code, r.measure.key, r.numerator, r.denominator, r.count, r.median_minutes, r.p90_minutes,
             r.details) for row in report.branches for r in row.own + row.rolled_up]


def kept_days(session, source: str | None = "case_clocks") -> set[tuple]:
    """The kept (branch, day) of a source, or (source, branch, day) of every source."""
    if source is None:
        return set(session.execute(sa.select(SettledDay.source, SettledDay.branch_id, SettledDay.day)))
    return set(session.execute(sa.select(SettledDay.branch_id, SettledDay.day).where(SettledDay.source == source)))


def day_of(case: Case) -> tuple[int, object]:
    return case.branch_id, case.first_dispatched_at.date()


def kept_case(session) -> Case:
    """A dispatched case of a kept day."""
    kept = kept_days(session)
    return next(c for c in session.scalars(sa.select(Case).where(Case.first_dispatched_at.is_not(None))
                                           .order_by(Case.id)) if day_of(c) in kept)


def test_a_report_over_kept_days_says_what_one_over_the_records_says(generated, session):
    before = {period: numbers(session, period) for period in PERIODS}
    assert settle(session, NOW) > 100
    assert settle(session, NOW) == 0  # nothing left to keep
    for period in PERIODS:
        assert numbers(session, period) == before[period], period
    report = service.compliance(session, actor=Actor.system("test"), now=NOW, branch_code="HQ", period="2026Q3")
    assert_same(report.branches[0].rolled_up, recompute(list(generated.values()), "2026Q3", NOW))


def test_the_report_reads_the_kept_days(generated, session):
    settle(session, NOW)
    before = numbers(session, "2026Q3")
    rows = session.execute(sa.select(SettledDay.source, SettledDay.branch_id, SettledDay.day, SettledDay.counts)).all()
    assert {source for source, *_ in rows} == set(settled.SOURCES)
    for source, branch_id, day, counts in rows:  # every count doubled, no duration
        timed = len(measures.layout(session.get_bind().dialect, source).timed)
        vector = np.frombuffer(counts, dtype=np.int64)
        doubled = vector[:len(vector) - timed] * 2
        session.execute(sa.update(SettledDay).where(SettledDay.source == source, SettledDay.branch_id == branch_id,
                                                    SettledDay.day == day)
                        .values(counts=settled.encode(doubled.tolist() + [0] * timed, [])[0], durations=b""))
    session.commit()
    doubled = numbers(session, "2026Q3")
    changed = {key for (_, key, *a), (_, _, *b) in zip(before, doubled) if a != b}
    assert {"contact_within_5_min", "visits", "business_card", "thank_you_letter"} <= changed
    # Numbers kept under another definition of the measures are never read, and the worker replaces them.
    session.execute(sa.update(SettledDay).values(signature="an earlier definition"))
    session.commit()
    assert numbers(session, "2026Q3") == before
    assert settle(session, NOW) == len(rows)
    assert numbers(session, "2026Q3") == before


def test_a_day_is_kept_only_once_its_clocks_are_past_due(generated, session):
    case = session.scalars(sa.select(Case).where(Case.first_dispatched_at < NOW - timedelta(days=2))
                           .order_by(Case.first_dispatched_at.desc())).first()
    latest = max(case.dispatches, key=lambda d: d.id)
    latest.arrival_due_at, latest.arrived_at, latest.arrival_excuse = NOW + timedelta(days=1), None, None
    session.commit()
    settle(session, NOW)
    assert day_of(case) not in kept_days(session)
    assert numbers(session, "2026") == _fresh_numbers(session, "2026")
    settle(session, NOW + timedelta(days=1, minutes=1))
    assert day_of(case) in kept_days(session)
    # A report as of before the due time does not read the day's kept numbers: its clock was still running.
    before_due = settled.read(session, "case_clocks", measures.layout(session.get_bind().dialect, "case_clocks")
                              .signature, [service.window(case.branch, service.parse_period("2026"), NOW)], NOW, 3)
    assert before_due.days == len({d for b, d in kept_days(session) if b == case.branch_id}) - 1


def _fresh_numbers(session, period: str, now=NOW) -> list:
    """The numbers with no kept day: from the records alone."""
    saved = session.execute(sa.select(SettledDay.__table__)).all()
    session.execute(sa.delete(SettledDay))
    got = numbers(session, period, now)
    session.rollback()
    assert len(session.execute(sa.select(SettledDay.__table__)).all()) == len(saved)
    return got


@pytest.mark.parametrize("write", ["excuse on the latest dispatch", "raw update of a dispatch", "re-dispatch",
                                   "dispatch deleted", "case moved to another day", "case closed"])
def test_any_write_to_a_case_or_a_dispatch_of_a_kept_day_drops_that_day(generated, session, write):
    settle(session, NOW)
    case = kept_case(session)
    latest = max(case.dispatches, key=lambda d: d.id)
    kept = kept_days(session)
    dropped = {day_of(case)}
    if write == "excuse on the latest dispatch":
        latest.contact_excuse = ExcuseCause.TRAFFIC if latest.contact_excuse is None else None
    elif write == "raw update of a dispatch":
        session.execute(sa.text("UPDATE dispatch SET arrived_at = NULL, arrival_excuse = NULL WHERE id = :id"),
                        {"id": latest.id})
    elif write == "re-dispatch":
        session.add(Dispatch(**{c.key: getattr(latest, c.key) for c in Dispatch.__table__.columns if c.key != "id"}))
    elif write == "dispatch deleted":
        session.execute(sa.delete(Dispatch).where(Dispatch.id == latest.id))
    elif write == "case moved to another day":
        case.first_dispatched_at -= timedelta(days=3)
        dropped.add(day_of(case))
    else:
        case.closed_at = NOW
    session.commit()
    left = kept_days(session)
    assert not dropped & left
    assert left == kept - dropped
    assert numbers(session, "2026") == _fresh_numbers(session, "2026")


def test_the_worker_job_looks_for_days_then_settles_them_in_turns(generated, session):
    job = DaySettling(interval_s=3600, budget_s=0.0)  # one batch of days per turn
    first = job(session, NOW)
    assert first > 0 and job.pending
    while job.pending:
        job(session, NOW)
    assert job(session, NOW) == 0  # not due again for an hour
    assert settle(session, NOW) == 0


@pytest.mark.skipif(not os.environ.get("FIELD_API_TEST_DATABASE_URL"), reason="PostgreSQL's advisory locks")
def test_a_day_with_a_write_in_flight_is_not_kept_until_it_commits(generated, session):
    case = kept_case(session) if kept_days(session) else session.scalars(
        sa.select(Case).where(Case.first_dispatched_at < NOW - timedelta(days=2)).order_by(Case.id)).first()
    with session.get_bind().connect() as writer:
        writer.execute(sa.text("UPDATE dispatch SET contact_excuse = 'traffic' WHERE case_id = :id"), {"id": case.id})
        settle(session, NOW)
        assert day_of(case) not in kept_days(session)
        writer.commit()
    assert settle(session, NOW) == 1
    assert day_of(case) in kept_days(session)
    assert numbers(session, "2026") == _fresh_numbers(session, "2026")


def test_the_command_keeps_every_settled_day(generated, runner, session, clock):
    result = runner.invoke(args=["settle-report-days"])
    assert result.exit_code == 0, result.output
    assert int(result.output.split()[0]) == len(kept_days(session, None)) > 100


def test_a_local_date_is_kept_once_it_is_over_in_every_time_zone(generated, session):
    settle(session, NOW)
    last = max(d for s, _, d in kept_days(session, None) if settled.SOURCES[s] == settled.LOCAL_DATE)
    assert last == (NOW - LOCAL_DATE_OVER).date() - timedelta(days=1)
    # A follow-up due on a kept date is past due, as on any later day.
    assert settle(session, NOW + timedelta(days=1)) > 0
    assert numbers(session, "2026", NOW + timedelta(days=1)) == _fresh_numbers(session, "2026", NOW + timedelta(days=1))


def kept_visit(session) -> Visit:
    """A current visit of a kept date, with checklist items and a follow-up."""
    kept = kept_days(session, "visits")
    return next(v for v in session.scalars(sa.select(Visit).where(Visit.is_current.is_(True)).order_by(Visit.id))
                if (v.branch_id, v.visit_date) in kept
                and session.scalar(sa.select(sa.func.count()).where(ClientTask.visit_id == v.id))
                and session.scalar(sa.select(sa.func.count()).where(VisitItemOutcome.visit_id == v.id)))


@pytest.mark.parametrize("write", ["visit amended", "visit moved to another date", "item outcome changed",
                                   "follow-up done", "visit with its items and follow-ups deleted"])
def test_any_write_to_a_visit_an_item_or_a_follow_up_of_a_kept_date_drops_that_date(generated, session, write):
    settle(session, NOW)
    visit = kept_visit(session)
    task = session.scalars(sa.select(ClientTask).where(ClientTask.visit_id == visit.id)).first()
    of_visit = {("visits", visit.branch_id, visit.visit_date), ("visit_items", visit.branch_id, visit.visit_date)}
    kept = kept_days(session, None)
    if write == "visit amended":
        session.execute(sa.update(Visit).where(Visit.id == visit.id).values(distance_m=(visit.distance_m or 0) + 900))
        dropped = of_visit
    elif write == "visit moved to another date":
        moved = visit.visit_date - timedelta(days=9)
        session.execute(sa.update(Visit).where(Visit.id == visit.id).values(visit_date=moved))
        dropped = of_visit | {(s, visit.branch_id, moved) for s in ("visits", "visit_items")}
    elif write == "item outcome changed":
        session.execute(sa.update(VisitItemOutcome).where(VisitItemOutcome.visit_id == visit.id)
                        .values(outcome="missed"))
        dropped = {("visit_items", visit.branch_id, visit.visit_date)}
    elif write == "follow-up done":
        session.execute(sa.update(ClientTask).where(ClientTask.id == task.id).values(done_on=task.due_on))
        dropped = {("follow_up_tasks", task.branch_id, task.due_on)}
    else:
        session.execute(sa.delete(ClientTask).where(ClientTask.visit_id == visit.id))
        session.execute(sa.delete(VisitItemOutcome).where(VisitItemOutcome.visit_id == visit.id))
        session.execute(sa.delete(VisitPhoto).where(VisitPhoto.visit_id == visit.id))
        session.execute(sa.delete(Visit).where(Visit.id == visit.id))
        dropped = of_visit | {("follow_up_tasks", task.branch_id, task.due_on)}
    session.commit()
    assert kept_days(session, None) == kept - dropped
    assert numbers(session, "2026") == _fresh_numbers(session, "2026")
