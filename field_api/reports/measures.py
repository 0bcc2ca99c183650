"""The report's measures: what each counts, over which records, and how the database aggregates them.

A rate states its numerator and denominator; a zero denominator is "n/a" (no rate), never 0% or 100%.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors

from field_api.claims.completeness import REQUIREMENTS
from field_api.dispatch.models import ExcuseCause, Line
from field_api.reports import field_sources, settled, sources
from field_api.reports.sources import CANCELLED, EXCUSED, MET, MISSED, PENDING, Window, group_membership

Condition = Callable[[Any], sa.ColumnElement[bool]]
Computed = tuple[int, int, dict[str, int]]  # a computed measure's numerator, denominator and details
SURVEYORS, SALESPEOPLE, CLAIM_FORMS = "surveyors", "salespeople", "claim_forms"
CAUSES = tuple(c.value for c in ExcuseCause)
SOURCES: dict[str, Callable[[str, list[Window], datetime], sa.Subquery]] = {
    "case_clocks": sources.case_clocks,
    "undispatched_cases": sources.undispatched_cases,
    "visit_items": lambda _dialect, windows, _now: sources.visit_items(windows),
    "follow_up_tasks": lambda _dialect, windows, _now: sources.follow_up_tasks(windows),
    "visits": lambda _dialect, windows, _now: sources.visits(windows),
    "follow_ups": field_sources.follow_ups,
    "claim_forms": field_sources.claim_forms,
    "claim_photos": field_sources.claim_photos,
    "roster_shifts": field_sources.roster_shifts,
}
# What a drill-down row of each source is.
RECORD_KINDS = {"case_clocks": "dispatch", "undispatched_cases": "case", "visit_items": "visit",
                "follow_up_tasks": "task", "visits": "visit", "follow_ups": "care_callback",
                "claim_forms": "claim_form", "claim_photos": "claim_photo", "roster_shifts": "roster_shift"}


def _true(_c) -> sa.ColumnElement[bool]:
    return sa.true()


@dataclass(frozen=True)
class Measure:
    """One number of the report: a rate (numerator over denominator), a count, or a duration's median and p90."""

    key: str
    label: str
    article: str
    group: str
    source: str
    kind: str = "rate"
    applies: Condition = _true
    denominator: Condition = _true
    numerator: Condition = _true
    target: float | None = 1.0
    details: dict[str, Condition] = field(default_factory=dict)
    cause_column: str | None = None
    duration_column: str | None = None
    shares: bool = False
    # Numbers no row-wise condition gives (covered minutes), for every group of branches at once.
    computed: Callable[[Session, dict[Hashable, list[Window]], datetime], dict[Hashable, Computed]] | None = None


@dataclass(frozen=True)
class Result:
    """A measure's numbers for one branch (or subtree) and period."""

    measure: Measure
    numerator: int | None = None
    denominator: int | None = None
    count: int | None = None
    median_minutes: float | None = None
    p90_minutes: float | None = None
    details: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        """Numerator over denominator; None ("n/a") when nothing was counted."""
        if self.measure.kind != "rate" or not self.denominator:
            return None
        return round(self.numerator / self.denominator, 4)

    @property
    def na(self) -> bool:
        """Whether there was nothing to measure."""
        if self.measure.kind == "rate":
            return not self.denominator
        if self.measure.kind == "duration":
            return not self.count
        return False

    @property
    def shares(self) -> dict[str, float | None] | None:
        """For checklist items: the share met, missed and excused of the visits where the item applied."""
        if not self.measure.shares:
            return None
        return {k: (round(self.details.get(k, 0) / self.denominator, 4) if self.denominator else None)
                for k in (MET, MISSED, EXCUSED)}


def _outcome_is(column: str, *values: str) -> Condition:
    return lambda c: c[column].in_(values)


def _motor_on_site(c) -> sa.ColumnElement[bool]:
    return sa.and_(c.line == Line.MOTOR, c.on_site.is_(True))


def _clock(key: str, label: str, column: str, applies: Condition) -> Measure:
    settled = _outcome_is(column, MET, MISSED)
    return Measure(key, label, "C1", SURVEYORS, "case_clocks",
                   applies=lambda c: sa.and_(applies(c), c[column].is_not(None)), denominator=settled,
                   numerator=_outcome_is(column, MET),
                   details={EXCUSED: _outcome_is(column, EXCUSED), PENDING: _outcome_is(column, PENDING),
                            CANCELLED: _outcome_is(column, CANCELLED)})


def _coverage(name: str) -> Condition:
    return lambda c: sa.and_(_motor_on_site(c), c.coverage == name)


def _item(code: str, article: str, label: str) -> Measure:
    return Measure(code, label, article, SALESPEOPLE, "visit_items", applies=lambda c: c.item == code,
                   numerator=_outcome_is("outcome", MET), shares=True,
                   details={MET: _outcome_is("outcome", MET), MISSED: _outcome_is("outcome", MISSED),
                            EXCUSED: _outcome_is("outcome", EXCUSED)})


MEASURES: tuple[Measure, ...] = (
    Measure("cases_dispatched", "Cases dispatched (first dispatch in the period)", "C2", SURVEYORS, "case_clocks",
            kind="count", target=None),
    Measure("on_site_cases_not_dispatched", "On-site cases reported and never dispatched", "C2", SURVEYORS,
            "undispatched_cases", kind="count", target=None,
            details={"closed": lambda c: c.closed_at.is_not(None)}),
    Measure("report_to_dispatch", "Report to first dispatch", "C2", SURVEYORS, "case_clocks", kind="duration",
            target=None, duration_column="report_to_dispatch_s"),
    _clock("contact_within_5_min", "Motor on-site: customer contacted within 5 minutes", "contact", _motor_on_site),
    _clock("urban_arrival_within_30_min", "Motor, urban: arrival within 30 minutes", "arrival", _coverage("urban")),
    _clock("suburban_arrival_within_90_min", "Motor, suburban: arrival within 90 minutes", "arrival",
           _coverage("suburban")),
    _clock("outside_coverage_arrival_at_agreed_time", "Motor, outside coverage: arrival at the agreed time",
           "arrival", _coverage("outside")),
    _clock("property_arrival_at_agreed_time", "Property: arrival at the agreed time", "arrival",
           lambda c: sa.and_(c.line == Line.PROPERTY, c.on_site.is_(True))),
    Measure("late_arrivals_with_notice", "Late arrivals told to the customer in advance", "C1", SURVEYORS,
            "case_clocks", applies=lambda c: c.arrival == MISSED, numerator=lambda c: c.notice.is_(True),
            details={"without_notice": lambda c: sa.not_(c.notice.is_(True))}),
    Measure("missed_contacts_excused", "Missed contact deadlines excused by an objective cause", "C1", SURVEYORS,
            "case_clocks", applies=_outcome_is("contact", MISSED, EXCUSED), numerator=_outcome_is("contact", EXCUSED),
            target=None, cause_column="contact_cause"),
    Measure("missed_arrivals_excused", "Missed arrival deadlines excused by an objective cause", "C1", SURVEYORS,
            "case_clocks", applies=_outcome_is("arrival", MISSED, EXCUSED), numerator=_outcome_is("arrival", EXCUSED),
            target=None, cause_column="arrival_cause"),
    Measure("time_to_contact", "Motor on-site: first dispatch to contact", "C1", SURVEYORS, "case_clocks",
            kind="duration", target=None, duration_column="to_contact_s",
            applies=lambda c: sa.and_(_motor_on_site(c), c.to_contact_s.is_not(None))),
    Measure("time_to_arrive", "Motor on-site: first dispatch to arrival", "C1", SURVEYORS, "case_clocks",
            kind="duration", target=None, duration_column="to_arrive_s",
            applies=lambda c: sa.and_(_motor_on_site(c), c.to_arrive_s.is_not(None))),
    Measure("visits", "Visits (submitted)", "S1", SALESPEOPLE, "visits", kind="count", target=None,
            details={"first_meetings": lambda c: c.first_meeting.is_(True)}),
    _item("business_card", "S1", "First meeting: standard business card"),
    _item("product_presentation", "S2", "Product presentation"),
    _item("application_form", "S3", "Application form guidance"),
    _item("service_handbook", "U1", "Service guide handbook with the policy"),
    _item("policy_envelope", "U2", "Policy envelope"),
    Measure("thank_you_letter", "Thank-you letter by its due date", "U6", SALESPEOPLE, "follow_up_tasks",
            applies=lambda c: c.item == "thank_you_letter", denominator=_outcome_is("outcome", MET, MISSED),
            numerator=_outcome_is("outcome", MET),
            details={PENDING: _outcome_is("outcome", PENDING), CANCELLED: _outcome_is("outcome", CANCELLED)}),
    Measure("far_check_ins", "Check-ins far from the client", "S1", SALESPEOPLE, "visits", target=0.0,
            applies=lambda c: c.distance_m.is_not(None), numerator=lambda c: c.location_check == "far"),
)


def _gaps(cover: Callable[[Session, dict[Hashable, list[Window]], datetime], dict[Hashable, field_sources.Cover]]):
    """A cover of the period (field_sources) as a computed measure: minutes uncovered of all, and the gaps."""
    def computed(session: Session, groups: dict[Hashable, list[Window]], now: datetime) -> dict[Hashable, Computed]:
        return {key: (uncovered, total, {"gaps": gaps})
                for key, (total, uncovered, gaps) in cover(session, groups, now).items()}

    return computed


def _missing(code: str) -> Condition:
    return lambda c: c.missing.contains(f'"{code}"')


FIELD_MEASURES: tuple[Measure, ...] = (
    Measure("roster_minutes_without_surveyor", "Roster: minutes with no surveyor on a shift (7×24)", "C2",
            SURVEYORS, "roster_shifts", target=0.0, computed=_gaps(field_sources.roster_cover)),
    Measure("minutes_without_surveyor_on_duty", "Minutes with no rostered surveyor switched on duty", "C2",
            SURVEYORS, "roster_shifts", target=0.0, computed=_gaps(field_sources.duty_cover)),
    Measure("care_callbacks_reached", "Care callbacks that reached the customer", "C7", SURVEYORS, "follow_ups",
            denominator=_outcome_is("status", "reached", "unable_to_contact"),
            numerator=_outcome_is("status", "reached"),
            details={"open": _outcome_is("status", "open"), "for_chief": lambda c: c.for_chief.is_(True)}),
    Measure("care_callback_answers_contradicting_clocks", "Customers' answers that contradict the clocks", "C7",
            SURVEYORS, "follow_ups", target=0.0, applies=_outcome_is("status", "reached"),
            numerator=lambda c: c.contradicts_clocks.is_(True)),
    Measure("forms_sealed_on_dispatch_day", "Claim forms sealed on the day of the dispatch", "C1", CLAIM_FORMS,
            "claim_forms", numerator=lambda c: c.same_day.is_(True),
            details={"not_sealed": lambda c: c.sealed_at.is_(None)}),
    Measure("forms_complete_at_sealing", "Sealed claim forms with nothing missing", "C1", CLAIM_FORMS, "claim_forms",
            applies=lambda c: c.sealed_at.is_not(None), numerator=lambda c: c.complete.is_(True),
            details={code: _missing(code) for code in REQUIREMENTS}),
    Measure("photos_far_from_site", "Site photos flagged as taken far from the site", "C1", CLAIM_FORMS,
            "claim_photos", target=0.0, numerator=lambda c: c.far.is_(True)),
)
MEASURES = MEASURES + FIELD_MEASURES

_CLOCK = "motor on-site cases {where}whose {clock} clock settled met or missed (excused, pending, cancelled apart)"
# What each measure's numerator and denominator count, in words, as the report states them.
STATED: dict[str, tuple[str, str | None]] = {
    "cases_dispatched": ("cases first dispatched in the period", None),
    "on_site_cases_not_dispatched": ("on-site cases reported in the period with no dispatch", None),
    "report_to_dispatch": ("minutes from report to first dispatch, cases first dispatched in the period", None),
    "contact_within_5_min": ("cases contacted within 5 minutes of the first dispatch",
                             _CLOCK.format(where="", clock="contact")),
    "urban_arrival_within_30_min": ("cases arrived within 30 minutes",
                                    _CLOCK.format(where="in an urban zone ", clock="arrival")),
    "suburban_arrival_within_90_min": ("cases arrived within 90 minutes",
                                       _CLOCK.format(where="in a suburban zone ", clock="arrival")),
    "outside_coverage_arrival_at_agreed_time": ("cases arrived by the agreed time",
                                                _CLOCK.format(where="outside the zones ", clock="arrival")),
    "property_arrival_at_agreed_time": ("cases arrived by the agreed time",
                                        "property on-site cases whose arrival clock settled met or missed"),
    "late_arrivals_with_notice": ("late arrivals told to the customer before the due time",
                                  "cases whose arrival clock is missed"),
    "missed_contacts_excused": ("contact deadlines excused (by cause)", "contact deadlines missed or excused"),
    "missed_arrivals_excused": ("arrival deadlines excused (by cause)", "arrival deadlines missed or excused"),
    "time_to_contact": ("minutes from first dispatch to contact, motor on-site cases contacted", None),
    "time_to_arrive": ("minutes from first dispatch to arrival, motor on-site cases arrived", None),
    "visits": ("submitted visits (as last amended) on the period's local dates", None),
    "thank_you_letter": ("letters sent by their due date", "letters due in the period, sent or overdue"),
    "far_check_ins": ("check-ins farther than the flag distance from the client", "visits whose distance is known"),
    "roster_minutes_without_surveyor": ("minutes no roster shift names a surveyor",
                                        "minutes of the period up to now"),
    "minutes_without_surveyor_on_duty": ("minutes no surveyor named on a shift had switched on duty",
                                         "minutes of the period up to now"),
    "care_callbacks_reached": ("callbacks that reached the customer", "callbacks reached or unable to contact"),
    "care_callback_answers_contradicting_clocks": ("answers that contradict the clocks", "callbacks reached"),
    "forms_sealed_on_dispatch_day": ("first claim forms sealed on the local date of their dispatch",
                                     "first claim forms of the period's dispatches"),
    "forms_complete_at_sealing": ("sealed forms with nothing missing (by document: forms lacking it)",
                                  "sealed first claim forms"),
    "photos_far_from_site": ("site photos flagged far from the site", "scene, damage and injury photos"),
}
STATED.update({m.key: ("visits where the item was met (shares: met, missed, excused)",
                       "visits where the item applied") for m in MEASURES if m.shares})
BY_KEY = {m.key: m for m in MEASURES}


def _count(condition: sa.ColumnElement[bool], weight: sa.ColumnElement[int] | None = None
           ) -> sa.ColumnElement[int]:
    """The rows (or the sum of their weights) that meet the condition."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1 if weight is None else weight), else_=0)), 0)


def measure(session: Session, windows: list[Window], now: datetime) -> list[Result]:
    """Every measure over the windows' branches taken together."""
    return measure_groups(session, {None: windows}, now)[None]


def measure_groups(session: Session, groups: dict[Hashable, list[Window]], now: datetime
                   ) -> dict[Hashable, list[Result]]:
    """Every measure for each group of branches (a branch alone, a subtree), in a few queries for all the groups.

    Per source, one aggregate query grouped by branch gives every count, and a group's counts are the sums of
    its branches'. Medians and percentiles do not add up, so a source with durations has one more query that
    ranks each group's values over the rows of its branches. A branch has one window, whatever group it is in.
    """
    dialect = session.get_bind().dialect.name
    windows: dict[int, Window] = {}
    for group in groups.values():
        for w in group:
            if windows.setdefault(w.branch_id, w) != w:
                raise ValueError(f"branch {w.branch_id} has two windows")
    members = {key: sorted({w.branch_id for w in group}) for key, group in groups.items()}
    results: dict[Hashable, dict[str, Result]] = {key: {} for key in groups}
    for name, build in SOURCES.items():
        of_source = [m for m in MEASURES if m.source == name]
        for m in (m for m in of_source if m.computed is not None):
            for key, (numerator, denominator, details) in m.computed(session, groups, now).items():
                results[key][m.key] = Result(m, numerator=numerator, denominator=denominator, details=details)
        counted = [m for m in of_source if m.computed is None and m.kind != "duration"]
        timed = [m for m in of_source if m.computed is None and m.kind == "duration"]
        if not counted and not timed:
            continue
        kept = settled.Kept(rest=list(windows.values()))
        if name in settled.SOURCES:
            lay = layout(session.get_bind().dialect, name)
            kept = settled.read(session, name, lay.signature, kept.rest, now, len(lay.timed))
        table = build(dialect, kept.rest, now)
        if counted:
            parts, by_branch = counts_by_branch(session, table, counted)
            if kept.counts:
                _add_kept(by_branch, lay.parts, kept)
            for key, branch_ids in members.items():
                for m in counted:
                    total = dict.fromkeys(parts[m.key], 0)
                    for branch_id in branch_ids:
                        for part, value in by_branch.get(branch_id, {}).get(m.key, {}).items():
                            total[part] += value
                    results[key][m.key] = _counted_result(m, total)
        if timed:
            ranked = (_kept_durations_by_group(session, table, timed, list(members.values()), kept) if kept.days
                      else _durations_by_group(session, dialect, table, timed, list(members.values())))
            for m in timed:
                for number, key in enumerate(members):
                    results[key][m.key] = _duration_result(m, *ranked[m.key].get(number, (0, None, None)))
    return {key: [got[m.key] for m in MEASURES if m.key in got] for key, got in results.items()}


def _count_parts(m: Measure, c) -> dict[str, sa.ColumnElement[bool]]:
    """What a counted measure counts: its denominator, numerator and details, each a condition on a row."""
    applies = m.applies(c)
    parts = {"den": sa.and_(applies, m.denominator(c)), "num": sa.and_(applies, m.denominator(c), m.numerator(c))}
    parts.update({f"detail:{k}": sa.and_(applies, cond(c)) for k, cond in m.details.items()})
    if m.cause_column:
        parts.update({f"detail:{cause}": sa.and_(applies, m.numerator(c), c[m.cause_column] == cause)
                      for cause in CAUSES})
    return parts


def counts_by_branch(session: Session, table: sa.Subquery, counted: list[Measure], by: Callable | None = None
                     ) -> tuple[dict[str, list[str]], dict[Hashable, dict[str, dict[str, int]]]]:
    """The parts of each counted measure of a source, and every part's count per branch, in one scan.

    With `by` (a column of the source's rows, such as their day), the counts are per (branch, that value).
    When the conditions read only categorical columns (outcomes, flags, codes), the rows are first counted per
    branch and combination of those columns, and the conditions are evaluated once per combination.
    """
    read = _columns_read(table, [cond for m in counted for cond in _count_parts(m, table.c).values()])
    weight: sa.ColumnElement[int] | None = None
    keys = [table.c.branch_id] + ([by(table.c).label("by")] if by else [])
    if all(isinstance(column.type, (sa.Boolean, sa.String)) for column in read):
        table = sa.select(*keys, *read, sa.func.count().label("rows")).group_by(*keys, *read).subquery("combinations")
        weight = table.c.rows
        keys = [table.c.branch_id] + ([table.c.by] if by else [])
    parts: dict[str, list[str]] = {}
    names, columns = [], []
    for m in counted:
        for part, condition in _count_parts(m, table.c).items():
            parts.setdefault(m.key, []).append(part)
            names.append((m.key, part))
            columns.append(_count(condition, weight))
    out: dict[Hashable, dict[str, dict[str, int]]] = {}
    for row in session.execute(sa.select(*keys, *columns).group_by(*keys)):
        got = out.setdefault(tuple(row[:len(keys)]) if by else row[0], {})
        for (key, part), value in zip(names, row[len(keys):]):
            got.setdefault(key, {})[part] = int(value or 0)
    return parts, out


def _columns_read(table: sa.Subquery, conditions: list[sa.ColumnElement[bool]]) -> list[sa.ColumnElement]:
    """The columns of `table` the conditions read, in the table's order."""
    seen = {id(element) for condition in conditions for element in visitors.iterate(condition)}
    return [column for column in table.c if id(column) in seen]


def _counted_result(m: Measure, parts: dict[str, int]) -> Result:
    details = {k.split(":", 1)[1]: v for k, v in parts.items() if k.startswith("detail:")}
    if m.kind == "count":
        return Result(m, numerator=parts["num"], count=parts["num"], details=details)
    return Result(m, numerator=parts["num"], denominator=parts["den"], details=details)


def _durations_by_group(session: Session, dialect: str, table: sa.Subquery, timed: list[Measure],
                        groups: list[list[int]]) -> dict[str, dict[int, tuple[int, float | None, float | None]]]:
    """Count, median and 90th percentile of each duration for each group (numbered in order) of branches.

    The source's durations are read once (a materialized CTE: neither database then reads the source again per
    group), then each row counts for every group its branch is in.
    """
    c = table.c
    durations = sa.select(c.branch_id, *(sa.case((m.applies(c), c[m.duration_column])).label(m.key) for m in timed)
                          ).where(sa.or_(*(sa.and_(m.applies(c), c[m.duration_column].is_not(None)) for m in timed)))
    durations = durations.cte("durations").prefix_with("MATERIALIZED")
    membership = group_membership(groups)
    rows = (sa.select(membership.c.grp, *(durations.c[m.key] for m in timed))
            .select_from(durations.join(membership, membership.c.branch_id == durations.c.branch_id))
            .subquery("timed"))
    return percentiles(session, dialect, rows, [m.key for m in timed])


def durations_by_branch(session: Session, table: sa.Subquery, timed: list[Measure], by: Callable | None = None
                        ) -> dict[Hashable, list[list[float]]]:
    """Each duration's values per branch (a list per measure, in order), as they count; per (branch, `by`) with it."""
    c = table.c
    keys = [c.branch_id] + ([by(c)] if by else [])
    out: dict[Hashable, list[list[float]]] = {}
    for row in session.execute(
            sa.select(*keys, *(sa.case((m.applies(c), c[m.duration_column])) for m in timed))
            .where(sa.or_(*(sa.and_(m.applies(c), c[m.duration_column].is_not(None)) for m in timed)))):
        got = out.setdefault(tuple(row[:len(keys)]) if by else row[0], [[] for _ in timed])
        for values_of, value in zip(got, row[len(keys):]):
            if value is not None:
                values_of.append(float(value))
    return out


def _kept_durations_by_group(session: Session, table: sa.Subquery, timed: list[Measure], groups: list[list[int]],
                             kept: settled.Kept) -> dict[str, dict[int, tuple[int, float | None, float | None]]]:
    """Count, median and p90 of each duration per group, over the kept days' values and the rest's records."""
    raw = durations_by_branch(session, table, timed)
    out: dict[str, dict[int, tuple[int, float | None, float | None]]] = {m.key: {} for m in timed}
    for number, branch_ids in enumerate(groups):
        for i, m in enumerate(timed):
            values = [np.asarray(raw[b][i]) for b in branch_ids if b in raw]
            values += [kept.durations[b][i] for b in branch_ids if b in kept.durations]
            joined = np.concatenate(values) if values else np.empty(0)
            if len(joined):
                median, p90 = np.percentile(joined, [50, 90])  # linear: PostgreSQL's percentile_cont
                out[m.key][number] = (len(joined), float(median), float(p90))
    return out


def _add_kept(by_branch: dict[int, dict[str, dict[str, int]]], parts: list[tuple[str, str]], kept: settled.Kept
              ) -> None:
    """Add the kept days' counts to the records' counts, per branch."""
    for branch_id, vector in kept.counts.items():
        got = by_branch.setdefault(branch_id, {})
        for (key, part), value in zip(parts, vector.tolist()):
            of_measure = got.setdefault(key, {})
            of_measure[part] = of_measure.get(part, 0) + value


@dataclass(frozen=True)
class Layout:
    """What a kept day of a source holds, in order, and a signature of the SQL that computes it."""

    counted: list[Measure]
    timed: list[Measure]
    parts: list[tuple[str, str]]
    signature: str


@functools.cache
def layout(dialect: sa.Dialect, source: str) -> Layout:
    """A source's kept-day layout: its counted measures' parts, then its durations.

    The signature hashes the compiled SQL of the source, of every part and of every duration, so a kept day
    computed by other definitions (a changed rule, an added cause) is never read, and the worker replaces it.
    """
    of_source = [m for m in MEASURES if m.source == source and m.computed is None]
    counted = [m for m in of_source if m.kind != "duration"]
    timed = [m for m in of_source if m.kind == "duration"]
    epoch = datetime(2000, 1, 1, tzinfo=timezone.utc)
    table = SOURCES[source](dialect.name, [Window(0, epoch, epoch, epoch.date(), epoch.date(), epoch.date())], epoch)
    parts = [(m.key, part) for m in counted for part in _count_parts(m, table.c)]
    columns = [sa.case((condition, 1)) for m in counted for condition in _count_parts(m, table.c).values()]
    columns += [sa.case((m.applies(table.c), table.c[m.duration_column])) for m in timed]
    compiled = str(sa.select(*columns).select_from(table).compile(dialect=dialect))
    return Layout(counted, timed, parts, hashlib.sha256(compiled.encode()).hexdigest())


def _duration_result(m: Measure, count: int, median: float | None, p90: float | None) -> Result:
    minutes = (lambda s: None if s is None else round(s / 60.0, 1))
    return Result(m, count=count, median_minutes=minutes(median), p90_minutes=minutes(p90))


def percentiles(session: Session, dialect: str, rows: sa.Subquery, columns: list[str]
                ) -> dict[str, dict[Any, tuple[int, float | None, float | None]]]:
    """Per column, per group (`rows.c.grp`): the count, median and 90th percentile (continuous, as PostgreSQL's
    percentile_cont) of the column's values, nulls left out."""
    grp = rows.c.grp
    out: dict[str, dict[Any, tuple[int, float | None, float | None]]] = {name: {} for name in columns}
    if dialect == "postgresql":
        aggregates = []
        for name in columns:
            value = rows.c[name]
            aggregates += [sa.func.count(value), sa.func.percentile_cont(0.5).within_group(value),
                           sa.func.percentile_cont(0.9).within_group(value)]
        for g, *values in session.execute(sa.select(grp, *aggregates).group_by(grp)):
            for i, name in enumerate(columns):
                count, median, p90 = values[3 * i:3 * i + 3]
                if count:
                    out[name][g] = (int(count), _float(median), _float(p90))
        return out
    # SQLite has no percentile function: number each group's values in order (window functions) and read back
    # only the two around each percentile's rank, with the count.
    for name in columns:
        value = rows.c[name]
        ordered = sa.select(grp.label("grp"), value.label("v"),
                            sa.func.row_number().over(partition_by=grp, order_by=value).label("rn"),
                            sa.func.count().over(partition_by=grp).label("n")
                            ).where(value.is_not(None)).subquery("ranked")
        near: dict[Any, tuple[int, dict[int, float]]] = {}
        for g, v, rn, n in session.execute(sa.select(ordered.c.grp, ordered.c.v, ordered.c.rn, ordered.c.n).where(
                sa.or_(*(ordered.c.rn.between(sa.cast((ordered.c.n - 1) * p, sa.Integer) + 1,
                                              sa.cast((ordered.c.n - 1) * p, sa.Integer) + 2) for p in (0.5, 0.9))))):
            near.setdefault(g, (int(n), {}))[1][int(rn)] = float(v)
        out[name] = {g: (count, _interpolated(by_rank, count, 0.5), _interpolated(by_rank, count, 0.9))
                     for g, (count, by_rank) in near.items()}
    return out


def _interpolated(by_rank: dict[int, float], count: int, fraction: float) -> float:
    rank = fraction * (count - 1)
    low = math.floor(rank)
    if rank == low or low + 2 not in by_rank:
        return by_rank[low + 1]
    return by_rank[low + 1] + (rank - low) * (by_rank[low + 2] - by_rank[low + 1])


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def records(session: Session, key: str, part: str, windows: list[Window], now: datetime) -> sa.Select:
    """The records behind one number: the denominator's (or the numerator's, or one detail's) rows."""
    m = BY_KEY[key]
    table = SOURCES[m.source](session.get_bind().dialect.name, windows, now)
    c = table.c
    condition = m.applies(c)
    if m.kind == "duration":
        condition = sa.and_(condition, c[m.duration_column].is_not(None))
    elif part in ("numerator", "denominator") and m.kind == "rate":
        condition = sa.and_(condition, m.denominator(c))
    if part == "numerator" and m.kind != "duration":
        condition = sa.and_(condition, m.numerator(c))
    elif part in m.details:
        condition = sa.and_(condition, m.details[part](c))
    elif part in CAUSES and m.cause_column:
        condition = sa.and_(condition, m.numerator(c), c[m.cause_column] == part)
    order = [c[m.duration_column]] if m.kind == "duration" else []
    return sa.select(table).where(condition).order_by(*order, *list(c)[:1])


def parts_of(key: str) -> tuple[str, ...]:
    """The parts of a measure a drill-down may list."""
    m = BY_KEY[key]
    extra = tuple(m.details) + (CAUSES if m.cause_column else ())
    return ("numerator", "denominator", *extra)
