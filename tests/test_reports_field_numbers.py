"""Roster gaps, care callbacks and claim forms in the report equal a row-by-row recomputation of generated records."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from field_api.access import Actor
from field_api.accounts.models import Branch, Role
from field_api.board.models import CallbackAttempt, FollowUp, RosterShift
from field_api.claims.completeness import REQUIREMENTS
from field_api.claims.models import ClaimAttachment, ClaimForm
from field_api.dispatch import clock as clocks
from field_api.dispatch.models import Dispatch
from field_api.extensions import db
from field_api.tracking.models import DutyInterval
from field_api.reports import service
from field_api.reports.periods import parse_period
from tests.factories.reports import FieldData, ReportData, state

NOW = datetime(2026, 9, 20, 4, 0, tzinfo=timezone.utc)
PHOTOS = {"scene", "vehicle_damage", "injury"}


def recompute(branches: list[Branch], period: str, now: datetime) -> dict:
    """The field measures from the rows one by one."""
    chosen = parse_period(period)
    bounds = {b.id: chosen.bounds(b.timezone) for b in branches}
    n: Counter = Counter()
    start, end = bounds[branches[0].id]
    end = max(start, min(end, now))
    covered = sorted((max(s.starts_at, start), min(s.ends_at, end)) for s in db.session.scalars(
        sa.select(RosterShift).where(RosterShift.branch_id.in_(bounds))) if s.surveyors
        and s.starts_at < end and s.ends_at > start)
    gap_minutes, gaps = _uncovered(covered, start, end)
    n["roster"] = (round(gap_minutes), int((end - start).total_seconds() // 60), gaps)
    on_duty = []
    for shift in db.session.scalars(sa.select(RosterShift).where(RosterShift.branch_id.in_(bounds))):
        for named in shift.surveyors:
            for duty in db.session.scalars(sa.select(DutyInterval).where(
                    DutyInterval.surveyor_id == named.surveyor_id)):
                s = max(shift.starts_at, duty.started_at, start)
                e = min(shift.ends_at, duty.ended_at or now, end)
                if s < e:
                    on_duty.append((s, e))
    duty_minutes, duty_gaps = _uncovered(sorted(on_duty), start, end)
    n["duty"] = (round(duty_minutes), int((end - start).total_seconds() // 60), duty_gaps)
    for up in db.session.scalars(sa.select(FollowUp).where(FollowUp.branch_id.in_(bounds))):
        lo, hi = bounds[up.branch_id]
        if not lo <= up.batch_at < hi:
            continue
        n[("callback", up.status.value)] += 1
        n[("callback_for_chief", up.for_chief)] += 1
        if up.status.value == "reached":
            said = db.session.scalars(sa.select(CallbackAttempt).where(CallbackAttempt.follow_up_id == up.id)).all()
            chain = db.session.scalars(sa.select(Dispatch).where(Dispatch.case_id == up.case_id)).all()
            arrival = state(clocks.read_arrival(max(chain, key=lambda d: d.id), now)) if chain else None
            n[("contradicts", any(a.contradicts_clocks or (a.arrived_on_time is True and arrival == "missed")
                                  or (a.arrived_on_time is False and arrival == "met") for a in said))] += 1
    for form in db.session.scalars(sa.select(ClaimForm).where(ClaimForm.branch_id.in_(bounds))):
        dispatch = db.session.get(Dispatch, form.dispatch_id)
        lo, hi = bounds[form.branch_id]
        if form.corrects_id is not None or not lo <= dispatch.dispatched_at < hi:
            continue
        zone = ZoneInfo(form.branch.timezone)
        n["forms"] += 1
        if form.sealed_at is None:
            n["not_sealed"] += 1
            continue
        n["same_day"] += form.sealed_at.astimezone(zone).date() == dispatch.dispatched_at.astimezone(zone).date()
        n["sealed"] += 1
        n["complete"] += not form.missing
        for code in form.missing:
            n[("missing", code)] += 1
        for photo in db.session.scalars(sa.select(ClaimAttachment).where(ClaimAttachment.form_id == form.id)):
            if photo.kind.value in PHOTOS:
                n[("photo", "far_from_site" in photo.flags)] += 1
    for form in db.session.scalars(sa.select(ClaimForm).where(ClaimForm.branch_id.in_(bounds))):
        # Photos of unsealed first forms count as well.
        dispatch = db.session.get(Dispatch, form.dispatch_id)
        lo, hi = bounds[form.branch_id]
        if form.corrects_id is None and form.sealed_at is None and lo <= dispatch.dispatched_at < hi:
            for photo in db.session.scalars(sa.select(ClaimAttachment).where(ClaimAttachment.form_id == form.id)):
                if photo.kind.value in PHOTOS:
                    n[("photo", "far_from_site" in photo.flags)] += 1
    return n


def _uncovered(covered, start, end) -> tuple[float, int]:
    cursor, gaps, minutes = start, 0, 0.0
    for s, e in covered:
        if s > cursor:
            gaps, minutes = gaps + 1, minutes + (s - cursor).total_seconds() / 60
        cursor = max(cursor, e)
    if cursor < end:
        gaps, minutes = gaps + 1, minutes + (end - cursor).total_seconds() / 60
    return minutes, gaps


def assert_same(results, n) -> None:
    got = {r.measure.key: r for r in results}
    roster = got["roster_minutes_without_surveyor"]
    assert (roster.numerator, roster.denominator, roster.details["gaps"]) == n["roster"]
    duty = got["minutes_without_surveyor_on_duty"]
    assert (duty.numerator, duty.denominator, duty.details["gaps"]) == n["duty"]
    reached = got["care_callbacks_reached"]
    assert (reached.numerator, reached.denominator) == (
        n[("callback", "reached")], n[("callback", "reached")] + n[("callback", "unable_to_contact")])
    assert reached.details == {"open": n[("callback", "open")], "for_chief": n[("callback_for_chief", True)]}
    contra = got["care_callback_answers_contradicting_clocks"]
    assert (contra.numerator, contra.denominator) == (n[("contradicts", True)], n[("callback", "reached")])
    same_day = got["forms_sealed_on_dispatch_day"]
    assert (same_day.numerator, same_day.denominator, same_day.details["not_sealed"]) == (
        n["same_day"], n["forms"], n["not_sealed"])
    complete = got["forms_complete_at_sealing"]
    assert (complete.numerator, complete.denominator) == (n["complete"], n["sealed"])
    assert complete.details == {code: n[("missing", code)] for code in REQUIREMENTS}
    far = got["photos_far_from_site"]
    assert (far.numerator, far.denominator) == (n[("photo", True)], n[("photo", True)] + n[("photo", False)])


@pytest.fixture
def generated(app, accounts, clock):
    """Two sub-branches and a branch in London's time zone with shifts, callbacks and claim forms of a summer."""
    clock.set(NOW)
    data, field = ReportData(accounts, NOW, seed=7), None
    field = FieldData(data)
    accounts.branch("LDN", parent="HQ", timezone="Europe/London")
    tree = {code: accounts.branch(code) for code in ("HQ", "SZ", "SZ-FT", "SZ-BA", "LDN")}
    for code in ("SZ-FT", "SZ-BA", "LDN"):
        surveyor, _ = data.people(code)
        coordinator = accounts.user(Role.COORDINATOR, code)
        field.shifts(tree[code], coordinator, surveyor, datetime(2026, 6, 28, tzinfo=timezone.utc), 100)
        for _ in range(40):
            reported = datetime(2026, 6, 25, tzinfo=timezone.utc) + timedelta(minutes=data.rng.randint(0, 95 * 1440))
            case = data.case(tree[code], surveyor, reported, dispatches=1)
            if data.rng.random() < 0.7:
                field.follow_up(case)
            if data.rng.random() < 0.8:
                field.claim_form(case, surveyor)
    return tree


def test_roster_callbacks_and_claim_forms_equal_the_row_by_row_recomputation(generated, session):
    report = service.compliance(session, actor=Actor.system("test"), now=NOW, branch_code="HQ", period="2026Q3")
    subtrees = {"HQ": list(generated.values()), "SZ": [generated[c] for c in ("SZ", "SZ-FT", "SZ-BA")]}
    for row in report.branches:
        assert_same(row.own, recompute([row.branch], "2026Q3", NOW))
        assert_same(row.rolled_up, recompute(subtrees.get(row.branch.code, [row.branch]), "2026Q3", NOW))
    numbers = {r.measure.key: r for r in report.branches[0].rolled_up}
    assert numbers["forms_sealed_on_dispatch_day"].denominator > 40
    assert numbers["care_callback_answers_contradicting_clocks"].numerator > 0
    assert 0 < numbers["roster_minutes_without_surveyor"].numerator < numbers[
        "roster_minutes_without_surveyor"].denominator
    on_duty = numbers["minutes_without_surveyor_on_duty"]
    assert numbers["roster_minutes_without_surveyor"].numerator < on_duty.numerator < on_duty.denominator


def test_the_drill_down_lists_the_claim_forms_and_callbacks_behind_a_number(generated, session):
    report = service.compliance(session, actor=Actor.system("test"), now=NOW, branch_code="SZ", period="2026Q3")
    numbers = {r.measure.key: r for r in report.branches[0].rolled_up}
    for key in ("forms_sealed_on_dispatch_day", "care_callbacks_reached", "photos_far_from_site"):
        for part, expected in (("numerator", numbers[key].numerator), ("denominator", numbers[key].denominator)):
            query = service.drill_down(session, actor=Actor.system("test"), now=NOW, branch_code="SZ",
                                       period="2026Q3", measure=key, part=part, rolled_up=True)
            assert len(session.execute(query).all()) == expected, (key, part)


def test_the_drill_down_endpoint_names_the_forms_and_what_each_lacked(generated, client, accounts):
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    page = client.get("/api/v1/reports/compliance/records", headers=manager.headers, query_string={
        "branch": "SZ", "period": "2026Q3", "measure": "forms_complete_at_sealing", "part": "id_copy",
        "page_size": 50})
    assert page.status_code == 200, page.json
    assert page.json and all(r["kind"] == "claim_form" and "id_copy" in r["missing"] for r in page.json)
    assert all(r["sealed_at"] and r["form_id"] for r in page.json)
