"""The report's numbers, aggregated by the database, equal a row-by-row recomputation over generated records."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from field_api.access import Actor
from field_api.accounts.models import Branch
from field_api.dispatch import clock as clocks
from field_api.dispatch.models import Case, Dispatch, Line
from field_api.extensions import db
from field_api.reports import measures, service
from field_api.reports.periods import parse_period
from field_api.visits.models import ClientTask, Visit, VisitItemOutcome, VisitStatus
from tests.factories.reports import ITEMS, ReportData, state

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont, written out."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def recompute(branches: list[Branch], period: str, now: datetime) -> dict:
    """Every number of the report, from the rows one by one with the dispatch clock's own rules."""
    chosen = parse_period(period)
    bounds = {b.id: chosen.bounds(b.timezone) for b in branches}
    n: Counter = Counter()
    durations: dict[str, list[float]] = {"report_to_dispatch": [], "time_to_contact": [], "time_to_arrive": []}
    for case in db.session.scalars(sa.select(Case).where(Case.branch_id.in_(bounds))):
        start, end = bounds[case.branch_id]
        if case.first_dispatched_at is None and case.on_site and start <= case.reported_at < end:
            n["not_dispatched"] += 1
            n["not_dispatched_closed"] += case.closed_at is not None
        if case.first_dispatched_at is None or not start <= case.first_dispatched_at < end:
            continue
        last = max(db.session.scalars(sa.select(Dispatch).where(Dispatch.case_id == case.id)), key=lambda d: d.id)
        contact, arrival = state(clocks.read_contact(last, now)), state(clocks.read_arrival(last, now))
        reading = clocks.read_arrival(last, now)
        n["cases_dispatched"] += 1
        durations["report_to_dispatch"].append((case.first_dispatched_at - case.reported_at).total_seconds())
        motor_on_site = case.line is Line.MOTOR and case.on_site
        if motor_on_site and contact is not None:
            n[("contact_within_5_min", contact)] += 1
        if motor_on_site:
            key = {"urban": "urban_arrival_within_30_min", "suburban": "suburban_arrival_within_90_min",
                   "outside": "outside_coverage_arrival_at_agreed_time"}[case.coverage]
            n[(key, arrival)] += 1
            if last.contacted_at is not None:
                durations["time_to_contact"].append((last.contacted_at - last.clock_start).total_seconds())
            if last.arrived_at is not None:
                durations["time_to_arrive"].append((last.arrived_at - last.clock_start).total_seconds())
        elif case.line is Line.PROPERTY and case.on_site:
            n[("property_arrival_at_agreed_time", arrival)] += 1
        if arrival == "missed":
            n[("late", reading.with_notice)] += 1
        if contact in ("missed", "excused"):
            n[("contact_excuse", last.contact_excuse.value if contact == "excused" else None)] += 1
        if arrival in ("missed", "excused"):
            n[("arrival_excuse", last.arrival_excuse.value if arrival == "excused" else None)] += 1
    today = {b.id: now.astimezone(__import__("zoneinfo").ZoneInfo(b.timezone)).date() for b in branches}
    for visit in db.session.scalars(sa.select(Visit).where(Visit.branch_id.in_(bounds))):
        if not (visit.is_current and visit.status is VisitStatus.SUBMITTED
                and chosen.first <= visit.visit_date <= chosen.last):
            continue
        n["visits"] += 1
        n["first_meetings"] += visit.is_first_meeting
        if visit.distance_m is not None:
            n[("far", visit.location_check == "far")] += 1
        for outcome in db.session.scalars(sa.select(VisitItemOutcome).where(VisitItemOutcome.visit_id == visit.id)):
            n[(outcome.item_code, outcome.outcome)] += 1
    for task in db.session.scalars(sa.select(ClientTask).where(ClientTask.branch_id.in_(bounds))):
        if not chosen.first <= task.due_on <= chosen.last:
            continue
        if task.cancelled_at is not None:
            outcome = "cancelled"
        elif task.done_on is not None:
            outcome = "met" if task.done_on <= task.due_on else "missed"
        else:
            outcome = "missed" if today[task.branch_id] > task.due_on else "pending"
        n[("thank_you_letter", outcome)] += 1
    return {"n": n, "durations": durations}


def by_key(results) -> dict:
    return {r.measure.key: r for r in results}


def assert_same(results, expected) -> None:
    got, n = by_key(results), expected["n"]
    assert got["cases_dispatched"].count == n["cases_dispatched"]
    assert got["on_site_cases_not_dispatched"].count == n["not_dispatched"]
    assert got["on_site_cases_not_dispatched"].details == {"closed": n["not_dispatched_closed"]}
    for key in ("contact_within_5_min", "urban_arrival_within_30_min", "suburban_arrival_within_90_min",
                "outside_coverage_arrival_at_agreed_time", "property_arrival_at_agreed_time"):
        r = got[key]
        assert (r.numerator, r.denominator) == (n[(key, "met")], n[(key, "met")] + n[(key, "missed")]), key
        assert r.details == {"excused": n[(key, "excused")], "pending": n[(key, "pending")],
                             "cancelled": n[(key, "cancelled")]}, key
    late = got["late_arrivals_with_notice"]
    assert (late.numerator, late.denominator) == (n[("late", True)], n[("late", True)] + n[("late", False)])
    for key, clock in (("missed_contacts_excused", "contact_excuse"), ("missed_arrivals_excused", "arrival_excuse")):
        r = got[key]
        causes = {cause: n[(clock, cause)] for cause in ("communication_outage", "traffic", "geography")}
        assert r.denominator == sum(v for k, v in n.items() if isinstance(k, tuple) and k[0] == clock)
        assert r.numerator == sum(causes.values()) and r.details == causes
    for key, values in expected["durations"].items():
        r = got[key]
        assert r.count == len(values), key
        for mine, fraction in ((r.median_minutes, 0.5), (r.p90_minutes, 0.9)):
            theirs = percentile_cont(values, fraction)
            assert (mine is None) == (theirs is None), key
            if theirs is not None:
                assert mine == pytest.approx(theirs / 60.0, abs=0.06), key
    assert got["visits"].count == n["visits"] and got["visits"].details["first_meetings"] == n["first_meetings"]
    assert (got["far_check_ins"].numerator, got["far_check_ins"].denominator) == (
        n[("far", True)], n[("far", True)] + n[("far", False)])
    for item in ITEMS:
        r = got[item]
        applied = n[(item, "met")] + n[(item, "missed")] + n[(item, "excused")]
        assert (r.numerator, r.denominator) == (n[(item, "met")], applied), item
        assert r.details == {k: n[(item, k)] for k in ("met", "missed", "excused")}, item
    letter = got["thank_you_letter"]
    assert (letter.numerator, letter.denominator) == (
        n[("thank_you_letter", "met")], n[("thank_you_letter", "met")] + n[("thank_you_letter", "missed")])
    assert letter.details == {"pending": n[("thank_you_letter", "pending")],
                              "cancelled": n[("thank_you_letter", "cancelled")]}


@pytest.fixture
def generated(app, accounts, clock):
    """Two sub-branches and a branch of their own, plus a branch in another time zone, with a year of records."""
    clock.set(NOW)
    data = ReportData(accounts, NOW)
    accounts.branch("LDN", parent="HQ", timezone="Europe/London")
    tree = {code: accounts.branch(code) for code in ("HQ", "SZ", "SZ-FT", "SZ-BA", "LDN")}
    for code in ("SZ", "SZ-FT", "SZ-BA", "LDN"):
        surveyor, salesperson = data.people(code)
        for _ in range(45):
            reported = datetime(2026, 6, 1, tzinfo=timezone.utc) + timedelta(minutes=data.rng.randint(0, 175 * 1440))
            data.case(tree[code], surveyor, reported)
        for _ in range(25):
            data.visit(tree[code], salesperson, date(2026, 6, 20) + timedelta(days=data.rng.randint(0, 140)))
    return tree


def test_every_number_of_a_quarter_equals_the_row_by_row_recomputation(generated, session):
    report = service.compliance(session, actor=Actor.system("test"), now=NOW, branch_code="HQ", period="2026Q3")
    assert [row.branch.code for row in report.branches] == ["HQ", "LDN", "SZ", "SZ-BA", "SZ-FT"]
    for row in report.branches:
        subtree = {"HQ": list(generated.values()), "SZ": [generated[c] for c in ("SZ", "SZ-FT", "SZ-BA")]}.get(
            row.branch.code, [row.branch])
        assert_same(row.own, recompute([row.branch], "2026Q3", NOW))
        assert_same(row.rolled_up, recompute(subtree, "2026Q3", NOW))
    assert by_key(report.branches[0].rolled_up)["cases_dispatched"].count > 60
    assert by_key(report.branches[0].rolled_up)["on_site_cases_not_dispatched"].count > 0


def test_hundreds_of_groups_are_measured_in_one_pass_each_as_if_alone(generated, session):
    # A national tree: more branch memberships than SQLite takes terms in one compound SELECT (500).
    branches = [generated[c] for c in ("SZ", "SZ-FT", "SZ-BA")]
    windows = [service.window(b, parse_period("2026Q3"), NOW) for b in branches]
    measured = measures.measure_groups(session, {n: windows[:1 + n % 3] for n in range(300)}, NOW)
    for n in (0, 1, 2, 299):
        assert_same(measured[n], recompute(branches[:1 + n % 3], "2026Q3", NOW))


def test_a_tree_of_thousands_of_branches_is_measured_alike(generated, session):
    # Branches with nothing recorded yet (ids no branch has) beside three real ones: 1,500 windows in one query.
    branches = [generated[c] for c in ("SZ", "SZ-FT", "SZ-BA")]
    windows = [service.window(b, parse_period("2026Q3"), NOW) for b in branches]
    empty = [replace(windows[0], branch_id=100_000 + n) for n in range(1_497)]
    measured = measures.measure_groups(session, {"tree": windows + empty}, NOW)
    assert_same(measured["tree"], recompute(branches, "2026Q3", NOW))


@pytest.mark.parametrize("period", ["2026", "2026-08-15..2026-10-10"])
def test_years_and_date_ranges_are_recomputed_alike(generated, session, period):
    report = service.compliance(session, actor=Actor.system("test"), now=NOW, branch_code="SZ", period=period)
    subtree = [generated[c] for c in ("SZ", "SZ-FT", "SZ-BA")]
    assert_same(report.branches[0].rolled_up, recompute(subtree, period, NOW))


def test_the_drill_down_lists_exactly_the_records_counted(generated, session):
    report = service.compliance(session, actor=Actor.system("test"), now=NOW, branch_code="SZ", period="2026Q3")
    numbers = by_key(report.branches[0].rolled_up)
    for key in ("contact_within_5_min", "late_arrivals_with_notice", "business_card", "thank_you_letter",
                "far_check_ins"):
        for part, expected in (("numerator", numbers[key].numerator), ("denominator", numbers[key].denominator)):
            query = service.drill_down(session, actor=Actor.system("test"), now=NOW, branch_code="SZ",
                                       period="2026Q3", measure=key, part=part, rolled_up=True)
            assert len(session.execute(query).all()) == expected, (key, part)
    query = service.drill_down(session, actor=Actor.system("test"), now=NOW, branch_code="SZ", period="2026Q3",
                               measure="time_to_arrive", part="denominator", rolled_up=True)
    assert len(session.execute(query).all()) == numbers["time_to_arrive"].count
