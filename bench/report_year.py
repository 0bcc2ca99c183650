"""Compliance report (item 5): one year of a 5,000-staff branch tree, the quarterly and yearly report.

The data set is written by the database itself (`INSERT ... SELECT` over `generate_series` on PostgreSQL,
a recursive CTE on SQLite), never through the ORM: head office HQ over 10 regional branches (R10's subtree
in Asia/Urumqi, the rest in Asia/Shanghai) over 5 sub-branches each; 2,000 surveyors and 3,000
salespeople spread over the regional and sub-branches; about 1 million dispatches over 2025 (cases
urban, suburban, outside coverage, property, not on site; contact and arrival early or late, some excused,
some told in advance, cancelled, re-dispatched, a few never dispatched) and about 2 million visits with
every checklist item scored (amended, draft, far check-ins) and their thank-you letters. Every value is a
fixed hash of the row's number, so a run is reproducible. Records of the field measures (roster, duty,
care callbacks, claim forms) are not generated: their queries run over empty tables.

Measured: `reports.service.compliance` (what GET /api/v1/reports/compliance answers: every branch of
the subtree on its own and rolled up) for the year and each quarter, for the whole tree (HQ) and one
regional branch (R01), several times; and the whole HTTP GET of the JSON report through Flask's test
client. Baseline in the same run: the same rows loaded into Python (the sources' filters in SQL, the
clocks read by dispatch/clock.py, counts and percentiles in Python loops); the benchmark asserts that
the baseline's numbers equal the report's for the dispatch and visit measures of every branch.
"""

from __future__ import annotations

import math
import random
import statistics
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from bench import common

YEAR = 2025
NOW = datetime(2026, 1, 20, 2, 0, tzinfo=timezone.utc)  # every clock of the year has settled
D0 = date(2024, 12, 29)  # the data start a few days before the year and end a few days after it
T0 = datetime(2024, 12, 28, 16, 0, tzinfo=timezone.utc)  # D0's midnight in Asia/Shanghai
SPAN_DAYS = 370
PERIODS = (str(YEAR), *(f"{YEAR}Q{q}" for q in range(1, 5)))
TARGET_S = 2.0
BUDGET_S = 60.0  # per report and per baseline: a slow one is timed fewer times (at least once)
HTTP_BELOW_S = 10.0  # the whole HTTP GET is timed too when the report takes less than this
PASSWORD = "bench-password"
SURVEYOR0, SALES0 = 1001, 100_001  # explicit user ids of the generated staff
P = 2147483647
_RNG = random.Random(5)
MULT = [_RNG.randrange(10 ** 8, P - 1) for _ in range(40)]
ITEMS = ("business_card", "product_presentation", "application_form", "service_handbook", "policy_envelope")
PURPOSES = ("prospecting", "product_presentation", "application", "policy_delivery", "service_call")
CAUSES = ("communication_outage", "traffic", "geography")


@dataclass(frozen=True)
class Sizes:
    """How big a run is: the tree, the staff, the records and the repetitions."""

    regions: int = 10
    subs: int = 5
    surveyors: int = 2_000
    salespeople: int = 3_000
    cases: int = 952_000  # 5 % are re-dispatched: about 1 million dispatches
    visits: int = 1_970_000  # 1.6 % are amended: about 2 million visit rows
    clients_each: int = 100
    repeats: int = 3
    baseline_repeats: int = 2
    http_repeats: int = 2
    periods: tuple[str, ...] = PERIODS

    @property
    def slots(self) -> int:
        """Branches that hold staff: every regional and sub-branch (head office holds none)."""
        return self.regions * (self.subs + 1)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(surveyors=200, salespeople=300, cases=95_200, visits=197_000, baseline_repeats=2, http_repeats=1)

    @classmethod
    def smoke(cls) -> Sizes:
        return cls(regions=2, subs=2, surveyors=12, salespeople=18, cases=600, visits=1_200, clients_each=5,
                   repeats=1, baseline_repeats=1, http_repeats=1, periods=(str(YEAR), f"{YEAR}Q3"))


def u(expr: str, k: int) -> str:
    """A pseudo-random number 0-999 fixed by a row's number (the same on both databases)."""
    return f"((({expr}) * {MULT[k]}) % {P} % 1000)"


def h31(expr: str, k: int) -> str:
    """A pseudo-random 31-bit number fixed by a row's number."""
    return f"((({expr}) * {MULT[k]}) % {P})"


class Dialect:
    """The few SQL fragments that differ between PostgreSQL and SQLite."""

    def __init__(self, name: str):
        self.pg = name == "postgresql"
        # Ends a subquery so that neither database flattens it into the outer query: each level of a plan is
        # then computed once per row instead of being expanded again at every reference to its columns.
        self.fence = " OFFSET 0" if self.pg else " LIMIT -1 OFFSET 0"

    def series(self, extra: str = "") -> str:
        """The WITH clause defining s(g) = 1..:n, and any further CTEs."""
        if self.pg:
            return f"WITH s(g) AS (SELECT generate_series(1, CAST(:n AS bigint))){extra}"
        return f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n){extra}"

    def ts(self, seconds: str) -> str:
        """T0 plus an integer number of seconds, as the timestamp column stores it."""
        if self.pg:
            return f"(CAST(:t0 AS timestamptz) + ({seconds}) * interval '1 second')"
        return f"(strftime('%Y-%m-%d %H:%M:%S', :t0, printf('%+d seconds', {seconds})) || '.000000')"

    def ts_or_null(self, seconds: str) -> str:
        return f"CASE WHEN ({seconds}) IS NOT NULL THEN {self.ts(seconds)} END"

    def day(self, days: str) -> str:
        """D0 plus an integer number of days."""
        if self.pg:
            return f"(CAST(:d0 AS date) + CAST({days} AS integer))"
        return f"date(:d0, printf('%+d days', {days}))"

    def uuid(self, kind: int | str, n: str) -> str:
        """A unique UUID for row n of a kind, its leading digits scattered so that ids come in random order."""
        if self.pg:
            return (f"CAST(lpad(to_hex({h31(n, 39)}), 8, '0') || '-' || lpad(to_hex({kind}), 4, '0') || "
                    f"'-4000-8000-' || lpad(to_hex({n}), 12, '0') AS uuid)")
        return f"printf('%08x%04x40008000%012x', {h31(n, 39)}, {kind}, {n})"

    def hex64(self, n: str) -> str:
        return f"lpad(to_hex({n}), 64, '0')" if self.pg else f"printf('%064x', {n})"

    def json(self, literal: str) -> str:
        literal = literal.replace(":", "\\:")  # not a bind parameter of sa.text
        return f"CAST('{literal}' AS json)" if self.pg else f"'{literal}'"

    def params(self, **extra: Any) -> dict[str, Any]:
        if self.pg:
            return {"t0": T0, "d0": D0, **extra}
        return {"t0": T0.strftime("%Y-%m-%d %H:%M:%S"), "d0": D0.isoformat(), **extra}


def _case_plan(sizes: Sizes, fence: str) -> str:
    """One row per case g: who, where, and every instant as seconds from T0 (NULL where there is none)."""
    g = "g"
    raw = (f"SELECT g, us.id AS sid, us.branch_id AS bid, "
           + ", ".join(f"{u(g, k)} AS h{k}" for k in range(27))
           + f" FROM s JOIN user_account us ON us.id = {SURVEYOR0} + g % {sizes.surveyors}")
    # Level 1: what the case is.
    kind = (f"SELECT r.*, CASE WHEN h2 < 850 THEN 1 ELSE 0 END AS motor, "
            f"CASE WHEN h4 < 600 THEN 'urban' WHEN h4 < 900 THEN 'suburban' ELSE 'outside' END AS cov, "
            f"(g * {SPAN_DAYS} / {sizes.cases}) * 86400 + "
            f"CASE WHEN h0 < 750 THEN 25200 + h1 * 40 ELSE h1 * 86 END AS rep "
            f"FROM ({raw}{fence}) r")
    site = (f"SELECT k.*, CASE WHEN h3 < CASE WHEN motor = 1 THEN 920 ELSE 950 END THEN 1 ELSE 0 END AS on_site "
            f"FROM ({kind}{fence}) k")
    # Level 2: dispatch and the clocks' references (seconds after the first dispatch).
    clocks = ("SELECT o.*, CASE WHEN on_site = 1 AND h5 < 3 THEN 1 ELSE 0 END AS undisp, "
              "20 + h6 * 15 / 100 + CASE WHEN h7 < 40 THEN h8 * 3 ELSE 0 END AS delay, "
              "CASE WHEN h10 < 15 THEN 1 ELSE 0 END AS cancelled, "
              "CASE WHEN motor = 1 AND on_site = 1 THEN 1 ELSE 0 END AS contact_clock, "
              "CASE WHEN on_site = 0 THEN NULL WHEN motor = 1 AND cov = 'urban' THEN 1800 "
              "WHEN motor = 1 AND cov = 'suburban' THEN 5400 "
              "WHEN motor = 1 THEN CASE WHEN h16 < 30 THEN NULL ELSE 3600 + h15 * 72 / 10 END "
              "ELSE CASE WHEN h16 < 20 THEN NULL ELSE 7200 + h15 * 864 / 10 END END AS due, "
              "CASE WHEN on_site = 0 OR motor = 0 OR cov = 'urban' OR cov = 'suburban' THEN NULL "
              "WHEN h16 < 30 THEN NULL ELSE 3600 + h15 * 72 / 10 END AS agreed_m "
              f"FROM ({site}{fence}) o")
    # Level 3: what happened, in seconds after the first dispatch.
    events = ("SELECT c.*, CASE WHEN undisp = 0 AND h9 < 50 THEN 1 ELSE 0 END AS redisp, "
              "CASE WHEN h11 < 5 THEN NULL WHEN contact_clock = 0 THEN 60 + h12 * 3 / 10 "
              "WHEN h11 < 875 THEN 15 + h12 * 285 / 1000 ELSE 301 + h12 * 12 / 10 END AS contact_raw, "
              "CASE WHEN h18 < CASE WHEN motor = 1 AND cov = 'urban' THEN 880 WHEN motor = 1 AND cov = 'suburban' "
              "THEN 920 ELSE 900 END THEN 0 ELSE 1 END AS late, "
              "600 + h23 * 3 AS closed_rel "
              f"FROM ({clocks}{fence}) c")
    arrived = ("SELECT e.*, CASE WHEN cancelled = 1 AND contact_raw > closed_rel THEN NULL ELSE contact_raw END "
               "AS contact, "
               "CASE WHEN on_site = 0 OR cancelled = 1 OR h17 < 3 THEN NULL "
               "WHEN due IS NULL THEN 3600 * (300 + h19 * 7 / 10) / 1000 "
               "WHEN late = 0 THEN due * (300 + h19 * 7 / 10) / 1000 ELSE due + 60 + h19 * 36 / 10 END AS arrival "
               f"FROM ({events}{fence}) e")
    return (f"SELECT a.*, CASE WHEN undisp = 1 THEN NULL ELSE rep + delay END AS disp, "
            "CASE WHEN due IS NOT NULL AND (arrival IS NULL OR arrival > due) AND cancelled = 0 AND on_site = 1 "
            "AND h20 < 600 THEN due - 300 WHEN due IS NOT NULL AND arrival > due AND h20 < 700 THEN due + 120 "
            "END AS notice, "
            "CASE WHEN contact_clock = 1 AND (contact IS NULL OR contact > 300) AND h13 < 300 THEN h14 % 3 "
            "END AS contact_cause, "
            "CASE WHEN due IS NOT NULL AND cancelled = 0 AND (arrival IS NULL OR arrival > due) AND h21 < 250 "
            "THEN h22 % 3 END AS arrival_cause, "
            "CASE WHEN cancelled = 1 THEN NULL ELSE COALESCE(arrival, 3600) + 1800 + h24 * 36 / 10 END AS completed "
            f"FROM ({arrived}{fence}) a")


def _cause(column: str) -> str:
    return f"CASE {column} " + " ".join(f"WHEN {n} THEN '{c}'" for n, c in enumerate(CAUSES)) + " END"


def _fill_cases(conn: sa.Connection, sql: Dialect, sizes: Sizes) -> None:
    """The cases and their dispatches: a re-dispatched case gets a reassigned first dispatch below the one
    that carries its clocks, as dispatch/service.py hands them over."""
    plan, fence = _case_plan(sizes, sql.fence), sql.fence
    at = lambda rel: sql.ts(f"disp + {rel}")  # noqa: E731  an instant relative to the first dispatch
    at_or_null = lambda rel: sql.ts_or_null(f"disp + {rel}")  # noqa: E731
    conn.execute(sa.text(
        f"{sql.series()} INSERT INTO claim_case (id, branch_id, report_number, reported_at, line, on_site, lat, lon, "
        "address, customer_name, customer_phone, is_vip, plate_number, coverage, first_dispatched_at, closed_at, "
        "created_at) "
        f"SELECT g, bid, 'R{YEAR}-' || g, {sql.ts('rep')}, CASE WHEN motor = 1 THEN 'motor' ELSE 'property' END, "
        "on_site = 1, 22.45 + (bid % 7) * 0.03 + h1 * 0.0001, 113.85 + (bid % 11) * 0.03 + h3 * 0.0002, "
        "'Site ' || g, 'Customer ' || g, '1380000' || (g % 10000), h25 < 50, "
        "CASE WHEN motor = 1 THEN 'B' || (10000 + g % 90000) END, cov, "
        f"{sql.ts_or_null('disp')}, "
        f"CASE WHEN undisp = 1 THEN CASE WHEN h26 < 500 THEN {sql.ts('rep + 3600')} END "
        f"WHEN cancelled = 1 THEN {at('closed_rel')} ELSE {at('completed + 86400')} END, {sql.ts('rep')} "
        f"FROM ({plan}{fence}) p"), sql.params(n=sizes.cases))
    dispatch_columns = ("case_id, branch_id, surveyor_id, dispatched_at, clock_start, is_first, status, closed_at, "
                        "cancel_reason, fence_lat, fence_lon, arrive_radius_m, leave_radius_m, contact_due_at, "
                        "contact_state, contacted_at, arrival_due_at, arrival_state, arrived_at, arrival_source, "
                        "agreed_arrival_at, late_notice_at, late_notice_reason, contact_excuse, contact_excuse_note, "
                        "arrival_excuse, arrival_excuse_note, completed_at, version")
    # Another surveyor of the same branch (staff slot = index modulo the number of slots).
    n, slots = sizes.surveyors, sizes.slots
    other = f"{SURVEYOR0} + CASE WHEN g % {n} + {slots} < {n} THEN g % {n} + {slots} ELSE (g % {n}) % {slots} END"
    # The reassigned first dispatches (lower ids), closed two minutes after the first dispatch.
    conn.execute(sa.text(
        f"{sql.series()} INSERT INTO dispatch ({dispatch_columns}) "
        f"SELECT g, bid, {other}, {at(0)}, {at(0)}, TRUE, 'reassigned', {at(120)}, NULL, 22.5, 114.0, 200.0, 300.0, "
        f"CASE WHEN contact_clock = 1 THEN {at(300)} END, NULL, NULL, "
        f"CASE WHEN due IS NOT NULL THEN {at('due')} END, NULL, NULL, NULL, "
        f"CASE WHEN agreed_m IS NOT NULL THEN {at('agreed_m')} END, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1 "
        f"FROM ({plan}{fence}) p WHERE redisp = 1"), sql.params(n=sizes.cases))
    contact_state = ("CASE WHEN contact_clock = 0 THEN NULL WHEN contact_cause IS NOT NULL THEN 'excused' "
                     "WHEN contact <= 300 THEN 'met' ELSE 'missed' END")
    arrival_state = ("CASE WHEN on_site = 0 THEN NULL WHEN arrival_cause IS NOT NULL THEN 'excused' "
                     "WHEN arrival IS NOT NULL THEN CASE WHEN due IS NULL OR arrival <= due THEN 'met' ELSE 'missed' END "
                     "WHEN cancelled = 1 THEN 'cancelled' WHEN due IS NULL AND motor = 0 THEN 'pending' "
                     "ELSE 'missed' END")
    conn.execute(sa.text(
        f"{sql.series()} INSERT INTO dispatch ({dispatch_columns}) "
        f"SELECT g, bid, sid, CASE WHEN redisp = 1 THEN {at(120)} ELSE {at(0)} END, {at(0)}, redisp = 0, "
        "CASE WHEN cancelled = 1 THEN 'cancelled' ELSE 'completed' END, "
        f"CASE WHEN cancelled = 1 THEN {at('closed_rel')} ELSE {at('completed')} END, "
        "CASE WHEN cancelled = 1 THEN 'Customer withdrew the report' END, "
        "22.45 + (bid % 7) * 0.03 + h1 * 0.0001, 113.85 + (bid % 11) * 0.03 + h3 * 0.0002, 200.0, 300.0, "
        f"CASE WHEN contact_clock = 1 THEN {at(300)} END, {contact_state}, {at_or_null('contact')}, "
        f"CASE WHEN due IS NOT NULL THEN {at('due')} END, {arrival_state}, {at_or_null('arrival')}, "
        "CASE WHEN arrival IS NOT NULL THEN 'fixes' END, "
        f"CASE WHEN agreed_m IS NOT NULL THEN {at('agreed_m')} ELSE CASE WHEN motor = 0 AND due IS NOT NULL "
        f"THEN {at('due')} END END, {at_or_null('notice')}, CASE WHEN notice IS NOT NULL THEN 'Traffic jam' END, "
        f"{_cause('contact_cause')}, CASE WHEN contact_cause IS NOT NULL THEN 'Excused by the coordinator' END, "
        f"{_cause('arrival_cause')}, CASE WHEN arrival_cause IS NOT NULL THEN 'Excused by the coordinator' END, "
        f"{at_or_null('completed')}, 1 "
        f"FROM ({plan}{fence}) p WHERE undisp = 0"), sql.params(n=sizes.cases))


def _visit_plan(sizes: Sizes, fence: str) -> str:
    """One row per visit row: visit j as first recorded (kind 1) and, for an amended visit, its amendment."""
    j = "g"
    raw = (f"SELECT g AS j, kinds.kind, us.id AS oid, us.branch_id AS bid, "
           + ", ".join(f"{u(j, k)} AS h{k}" for k in range(10))
           + f", {u(j, 30)} AS t0h, {u(j, 31)} AS t1h "
           f"FROM s JOIN kinds ON kinds.kind = 1 OR ({u(j, 5)} < 20 AND {u(j, 4)} >= 8) "
           f"JOIN user_account us ON us.id = {SALES0} + g % {sizes.salespeople}")
    purpose = ("SELECT r.*, CASE WHEN h1 < 300 THEN 0 WHEN h1 < 550 THEN 1 WHEN h1 < 700 THEN 2 WHEN h1 < 850 THEN 3 "
               f"ELSE 4 END AS p, j * {SPAN_DAYS} / {sizes.visits} AS dn, "
               "CASE WHEN h4 >= 8 THEN 1 ELSE 0 END AS submitted, "
               "CASE WHEN h4 >= 8 AND h5 < 20 THEN 1 ELSE 0 END AS amended, "
               f"j % {sizes.salespeople} + {sizes.salespeople} * (h3 % {sizes.clients_each}) AS cidx "
               f"FROM ({raw}{fence}) r")
    first = ("SELECT q.*, CASE WHEN h2 < CASE p WHEN 0 THEN 700 WHEN 1 THEN 250 ELSE 30 END THEN 1 ELSE 0 END "
             "AS fm, dn * 86400 + 32400 + h0 * 324 / 10 AS checkin "
             f"FROM ({purpose}{fence}) q")
    scored = ", ".join(f"CASE WHEN {APPLIES[n]} THEN {u('j * 3 + kind', 10 + n)} END AS v{n}" for n in range(5))
    return f"SELECT f.*, {scored} FROM ({first}{fence}) f"


# When each checklist item applies (standard_checklist.py): at a first meeting, or on the visit's purpose.
APPLIES = ("fm = 1", "p = 1", "p = 2", "p = 3", "p = 3")


def _outcome(n: int) -> str:
    return (f"CASE WHEN v{n} IS NULL THEN 'not_applicable' WHEN v{n} < 860 THEN 'met' WHEN v{n} < 950 THEN 'missed' "
            "ELSE 'excused' END")


def _fill_visits(conn: sa.Connection, sql: Dialect, sizes: Sizes, checklist_id: int) -> None:
    """Clients, visits with every checklist item scored, and the thank-you letters of policy deliveries."""
    clients = sizes.salespeople * sizes.clients_each
    conn.execute(sa.text(
        f"{sql.series()} INSERT INTO client (id, branch_id, owner_id, name, kind, contact_person, contact_phone, "
        "address, lat, lon, input_digest, version, created_at, updated_at) "
        f"SELECT {sql.uuid(3, 'g - 1')}, us.branch_id, us.id, 'Client ' || g, "
        f"CASE WHEN g % 3 = 0 THEN 'enterprise' WHEN g % 3 = 1 THEN 'institution' ELSE 'other' END, "
        f"'Contact ' || g, '1390000' || (g % 10000), 'Address ' || g, 22.5 + (g % 97) * 0.001, "
        f"114.0 + (g % 89) * 0.001, {sql.hex64('g')}, 1, {sql.ts(0)}, {sql.ts(0)} "
        f"FROM s JOIN user_account us ON us.id = {SALES0} + (g - 1) % {sizes.salespeople}"),
        sql.params(n=clients))
    plan, fence = _visit_plan(sizes, sql.fence), sql.fence
    kinds = ", kinds(kind) AS (VALUES (1), (2))"
    answers = [sql.json('[{"item":"business_card","result":"done"}]'),
               sql.json('[{"item":"business_card","result":"done"},{"item":"product_presentation","result":"done",'
                        '"sub_checks":{"needs":true,"terms":true,"exclusions":true}}]'),
               sql.json('[{"item":"application_form","result":"done","sub_checks":{"explained":true,"signed":true}}]'),
               sql.json('[{"item":"service_handbook","result":"done"},{"item":"policy_envelope","result":"done"}]'),
               sql.json('[]')]
    count = lambda outcome: " + ".join(f"CASE WHEN {_outcome(n)} = '{outcome}' THEN 1 ELSE 0 END"  # noqa: E731
                                       for n in range(5))
    visit_id = sql.uuid("kind", "j")
    insert_visits = (
        f"{sql.series(kinds)} INSERT INTO visit (id, branch_id, owner_id, client_id, checklist_version_id, purpose, "
        "status, check_in_lat, check_in_lon, check_in_accuracy_m, check_in_at, check_in_received_at, check_out_lat, "
        "check_out_lon, check_out_accuracy_m, check_out_at, check_out_received_at, visit_date, answers, objections, "
        "notes, photo_manifest, input_digest, version, amends_id, superseded_by_id, is_current, amendment_reason, "
        "is_first_meeting, distance_m, location_check, duration_s, met_count, missed_count, excused_count, "
        "not_applicable_count, share_met, created_at, updated_at, submitted_at) "
        f"SELECT {visit_id}, bid, oid, {sql.uuid(3, 'cidx')}, {checklist_id}, "
        "CASE p " + " ".join(f"WHEN {n} THEN '{name}'" for n, name in enumerate(PURPOSES)) + " END, "
        "CASE WHEN submitted = 1 THEN 'submitted' ELSE 'draft' END, "
        "22.5 + (bid % 7) * 0.03 + h8 * 0.0001, 114.0 + (bid % 11) * 0.03 + h9 * 0.0001, 15.0, "
        f"{sql.ts('checkin')}, {sql.ts('checkin + 60')}, 22.5 + (bid % 7) * 0.03 + h8 * 0.0001, "
        f"114.0 + (bid % 11) * 0.03 + h9 * 0.0001, 12.0, {sql.ts('checkin + 1800 + h9 * 36 / 10')}, "
        f"{sql.ts('checkin + 1860 + h9 * 36 / 10')}, {sql.day('dn')}, "
        "CASE p " + " ".join(f"WHEN {n} THEN {a}" for n, a in enumerate(answers)) + f" END, {sql.json('[]')}, "
        f"NULL, {sql.json('[]')}, {sql.hex64('j * 3 + kind')}, kind, "
        f"CASE WHEN kind = 2 THEN {sql.uuid(1, 'j')} END, "
        "NULL, kind = 2 OR amended = 0, "
        "CASE WHEN kind = 2 THEN 'Corrected the checklist answers' END, fm = 1, "
        "CASE WHEN h6 >= 920 THEN NULL WHEN h7 < 950 THEN 20 + h8 * 0.2 ELSE 400 + h8 * 3.0 END, "
        "CASE WHEN h6 >= 920 THEN 'unknown' WHEN h7 < 950 THEN 'near' ELSE 'far' END, 1800 + h9 * 36 / 10, "
        f"{count('met')}, {count('missed')}, {count('excused')}, {count('not_applicable')}, "
        f"CASE WHEN ({count('met')}) + ({count('missed')}) > 0 THEN "
        f"CAST(({count('met')}) AS float) / (({count('met')}) + ({count('missed')})) END, "
        f"{sql.ts('checkin')}, {sql.ts('checkin + 1900 + (kind - 1) * 172800')}, "
        f"CASE WHEN submitted = 1 THEN {sql.ts('checkin + 1900 + (kind - 1) * 172800')} END "
        f"FROM ({plan}{fence}) v WHERE kind = :kind")
    # The visits as first recorded, then the amendments naming them, then each original names its amendment: in
    # one statement SQLite would look for the originals' unindexed superseded_by_id at every row inserted.
    for kind in (1, 2):
        conn.execute(sa.text(insert_visits), sql.params(n=sizes.visits, kind=kind))
    conn.execute(sa.text(
        "UPDATE visit SET superseded_by_id = a.id FROM visit AS a WHERE a.amends_id = visit.id"))
    items = ", items(pos, code) AS (VALUES " + ", ".join(f"({n + 1}, '{c}')" for n, c in enumerate(ITEMS)) + ")"
    outcome = "CASE items.pos " + " ".join(f"WHEN {n + 1} THEN {_outcome(n)}" for n in range(5)) + " END"
    conn.execute(sa.text(
        f"{sql.series(kinds + items)} INSERT INTO visit_item_outcome (visit_id, position, item_code, outcome, reason) "
        f"SELECT {visit_id}, pos, code, outcome, CASE outcome WHEN 'missed' THEN 'not done' "
        "WHEN 'excused' THEN 'client_declined' WHEN 'not_applicable' THEN 'does not apply to ' || purpose || "
        "' visits' END "
        f"FROM (SELECT v.*, items.pos, items.code, {outcome} AS outcome, "
        "CASE p " + " ".join(f"WHEN {n} THEN '{name}'" for n, name in enumerate(PURPOSES)) + " END AS purpose "
        f"FROM ({plan}{fence}) v CROSS JOIN items) o"), sql.params(n=sizes.visits))
    # The thank-you letter of each current policy delivery: sent on time, late, never, or cancelled.
    conn.execute(sa.text(
        f"{sql.series(kinds)} INSERT INTO client_task (client_id, branch_id, owner_id, visit_id, checklist_version_id, "
        "item_code, due_on, done_on, done_via, done_recorded_at, cancelled_at, created_at) "
        f"SELECT {sql.uuid(3, 'cidx')}, bid, oid, {visit_id}, {checklist_id}, 'thank_you_letter', "
        f"{sql.day('dn + 7')}, CASE WHEN t0h < 850 THEN {sql.day('dn + 1 + t1h % 7')} "
        f"WHEN t0h < 930 THEN {sql.day('dn + 8 + t1h % 7')} END, "
        "CASE WHEN t0h < 930 THEN CASE WHEN t1h % 2 = 0 THEN 'post' ELSE 'in_person' END END, "
        f"CASE WHEN t0h < 850 THEN {sql.ts('checkin + (1 + t1h % 7) * 86400')} "
        f"WHEN t0h < 930 THEN {sql.ts('checkin + (8 + t1h % 7) * 86400')} END, "
        f"CASE WHEN t0h >= 990 THEN {sql.ts('checkin + 86400')} END, {sql.ts('checkin + 1900')} "
        f"FROM ({plan}{fence}) v WHERE p = 3 AND submitted = 1 AND (kind = 2 OR amended = 0)"), sql.params(n=sizes.visits))


@contextmanager
def _bulk_load(conn: sa.Connection, tables: tuple[str, ...]):
    """PostgreSQL: load as pg_restore does, with the tables' secondary indexes and unique constraints rebuilt
    afterwards and no foreign-key triggers during the load (SQLite keeps its keys on, so the smaller runs
    still check that the generated rows hold together)."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
    conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    names = {"tables": list(tables)}
    constraints = conn.execute(sa.text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'u' AND conrelid::regclass::text = ANY(:tables)"), names).all()
    indexes = conn.execute(sa.text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(:tables) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))"), names).all()
    for table, name, _ in constraints:
        conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for table, name, definition in constraints:
        conn.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        conn.exec_driver_sql(definition)


def _create_app(url: str):
    """A migrated, empty database (the PostgreSQL one wiped), as the live-map benchmark makes it, on this clock."""
    from bench.live_map import _app

    app = _app(url)
    app.extensions["clock"].set(NOW)
    return app


def build(url: str, sizes: Sizes) -> tuple[Any, dict[str, Any]]:
    """The branch tree, its staff and a year of records; returns the app and the sizes and times."""
    from field_api.access import Actor
    from field_api.accounts import service as accounts
    from field_api.accounts.models import Role
    from field_api.extensions import db
    from field_api.visits import checklists

    app = _create_app(url)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with app.app_context():
        system = Actor.system("bench")
        accounts.create_branch(db.session, actor=system, now=NOW, code="HQ", name="Head office")
        slots: list[int] = []  # the branch of each staff slot: sub-branches first, then the regional ones
        regional = []
        for r in range(1, sizes.regions + 1):
            zone = "Asia/Urumqi" if r == 10 else "Asia/Shanghai"
            regional.append(accounts.create_branch(db.session, actor=system, now=NOW, code=f"R{r:02d}",
                                                   name=f"Region {r}", parent_code="HQ", timezone=zone).id)
            for s in range(1, sizes.subs + 1):
                slots.append(accounts.create_branch(db.session, actor=system, now=NOW, code=f"R{r:02d}S{s}",
                                                    name=f"Region {r} sub-branch {s}", parent_code=f"R{r:02d}",
                                                    timezone=zone).id)
        slots += regional
        accounts.create_user(db.session, actor=system, now=NOW, username="bench.admin", password=PASSWORD,
                             role=Role.ADMIN, branch_code="HQ", cheap_hash=True)
        checklists.ensure_standard(db.session, now=NOW)
        checklist_id = checklists.latest_version(db.session).id
        db.session.commit()
        engine = db.engine
        db.session.remove()
    sql = Dialect(engine.dialect.name)
    slot_values = ", slots(slot, bid) AS (VALUES " + ", ".join(f"({n}, {b})" for n, b in enumerate(slots)) + ")"
    with engine.begin() as conn:
        if sql.pg:
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        for first, count, role, prefix in ((SURVEYOR0, sizes.surveyors, "surveyor", "s"),
                                           (SALES0, sizes.salespeople, "salesperson", "p")):
            conn.execute(sa.text(
                f"{sql.series(slot_values)} INSERT INTO user_account (id, username, display_name, role, branch_id, "
                "is_chief_coordinator, password_hash, is_active, created_at) "
                f"SELECT {first} + g - 1, 'bench.{prefix}' || g, 'Staff {prefix}' || g, '{role}', slots.bid, FALSE, "
                f"'x', TRUE, {sql.ts(0)} FROM s JOIN slots ON slots.slot = (g - 1) % {len(slots)}"),
                sql.params(n=count))
    timings["tree_and_staff_s"] = time.perf_counter() - started
    for name, tables, fill in (
            ("cases_and_dispatches_s", ("claim_case", "dispatch"), lambda c: _fill_cases(c, sql, sizes)),
            ("visits_s", ("client", "visit", "visit_item_outcome", "client_task"),
             lambda c: _fill_visits(c, sql, sizes, checklist_id))):
        started = time.perf_counter()
        with engine.begin() as conn, _bulk_load(conn, tables):
            fill(conn)
        timings[name] = time.perf_counter() - started
    started = time.perf_counter()
    tables = ("branch", "user_account", "claim_case", "dispatch", "client", "visit", "visit_item_outcome",
              "client_task")
    if sql.pg:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("user_account", "claim_case"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
            # A year-old table has been vacuumed (visibility map, hint bits) and analysed.
            conn.exec_driver_sql(f"VACUUM ANALYZE {', '.join(tables)}")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    timings["vacuum_analyze_s"] = time.perf_counter() - started
    with engine.connect() as conn:
        counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in tables[1:]}
    timings["generation_s"] = sum(timings.values())
    return app, {"rows": counts, **timings}


# --- the baseline: the rows into Python, the numbers computed there ----------------------------------------------

def _tree(session, root_code: str) -> tuple[list[Any], dict[int, list[int]]]:
    """The branches of the subtree and, for each, the ids of its own subtree."""
    from field_api.accounts.models import Branch

    rows = session.execute(sa.select(Branch.id, Branch.code, Branch.parent_id, Branch.timezone)).all()
    children: dict[int | None, list[int]] = {}
    for r in rows:
        children.setdefault(r.parent_id, []).append(r.id)
    root = next(r for r in rows if r.code == root_code)

    def below(branch_id: int) -> list[int]:
        out = [branch_id]
        for child in children.get(branch_id, []):
            out += below(child)
        return out

    ids = set(below(root.id))
    return [r for r in rows if r.id in ids], {r.id: below(r.id) for r in rows if r.id in ids}


def _quantile(ordered: list[float], fraction: float) -> float:
    """A continuous percentile (PostgreSQL's percentile_cont) of sorted values."""
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _duration(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "median_minutes": None, "p90_minutes": None}
    ordered = sorted(values)
    return {"count": len(ordered), "median_minutes": round(_quantile(ordered, 0.5) / 60.0, 1),
            "p90_minutes": round(_quantile(ordered, 0.9) / 60.0, 1)}


def baseline(session, root_code: str, period_text: str, now: datetime) -> dict[tuple[str, str], dict[str, Any]]:
    """The report's dispatch and visit numbers, per branch on its own and rolled up, computed in Python."""
    from zoneinfo import ZoneInfo

    from field_api.dispatch.clock import read_arrival, read_contact
    from field_api.dispatch.models import Case, ClockState, Dispatch
    from field_api.reports.periods import parse_period
    from field_api.visits.models import ClientTask, Visit, VisitItemOutcome, VisitStatus

    period = parse_period(period_text)
    branches, subtrees = _tree(session, root_code)
    bounds = {b.id: period.bounds(b.timezone) for b in branches}
    today = {b.id: now.astimezone(ZoneInfo(b.timezone)).date() for b in branches}
    ids = [b.id for b in branches]
    lo, hi = min(s for s, _ in bounds.values()), max(e for _, e in bounds.values())
    inside = lambda bid, at: bounds[bid][0] <= at < bounds[bid][1]  # noqa: E731
    counts: dict[int, dict[str, int]] = {b: {} for b in ids}
    durations: dict[int, dict[str, list[float]]] = {b: {"report_to_dispatch": [], "time_to_contact": [],
                                                        "time_to_arrive": []} for b in ids}

    def add(bid: int, key: str, n: int = 1) -> None:
        counts[bid][key] = counts[bid].get(key, 0) + n

    # Cases first dispatched in the period, read on their latest dispatch.
    latest: dict[int, Any] = {}
    for d in session.execute(
            sa.select(Dispatch.id, Dispatch.case_id, Dispatch.status, Dispatch.closed_at, Dispatch.clock_start,
                      Dispatch.contact_due_at, Dispatch.contacted_at, Dispatch.contact_excuse,
                      Dispatch.arrival_due_at, Dispatch.arrived_at, Dispatch.arrival_excuse, Dispatch.late_notice_at,
                      Dispatch.projected_arrival_at)
            .join(Case, Case.id == Dispatch.case_id)
            .where(Case.branch_id.in_(ids), Case.first_dispatched_at >= lo, Case.first_dispatched_at < hi)):
        if d.case_id not in latest or d.id > latest[d.case_id].id:
            latest[d.case_id] = d
    outcome = {ClockState.AT_RISK: "pending"}
    for c in session.execute(
            sa.select(Case.id, Case.branch_id, Case.line, Case.on_site, Case.coverage, Case.reported_at,
                      Case.first_dispatched_at, Case.closed_at)
            .where(Case.branch_id.in_(ids), sa.or_(
                sa.and_(Case.first_dispatched_at >= lo, Case.first_dispatched_at < hi),
                sa.and_(Case.first_dispatched_at.is_(None), Case.on_site.is_(True), Case.reported_at >= lo,
                        Case.reported_at < hi)))):
        b = c.branch_id
        if c.first_dispatched_at is None:
            if inside(b, c.reported_at):
                add(b, "on_site_cases_not_dispatched")
                add(b, "on_site_cases_not_dispatched:closed", c.closed_at is not None)
            continue
        if not inside(b, c.first_dispatched_at):
            continue
        d = latest[c.id]
        dispatch = SimpleNamespace(**d._asdict(), case=SimpleNamespace(line=c.line, on_site=c.on_site))
        contact, arrival = read_contact(dispatch, now), read_arrival(dispatch, now)
        contact = None if contact is None else outcome.get(contact.state, contact.state.value)
        arrival = None if arrival is None else outcome.get(arrival.state, arrival.state.value)
        add(b, "cases_dispatched")
        durations[b]["report_to_dispatch"].append((c.first_dispatched_at - c.reported_at).total_seconds())
        motor_on_site = c.line.value == "motor" and c.on_site
        if motor_on_site and contact is not None:
            add(b, f"contact_within_5_min:{contact}")
        if arrival is not None and c.on_site:
            if c.line.value == "motor":
                key = {"urban": "urban_arrival_within_30_min", "suburban": "suburban_arrival_within_90_min",
                       "outside": "outside_coverage_arrival_at_agreed_time"}[c.coverage]
            else:
                key = "property_arrival_at_agreed_time"
            add(b, f"{key}:{arrival}")
        if arrival == "missed":
            notice = d.late_notice_at is not None and (d.arrival_due_at is None or d.late_notice_at < d.arrival_due_at)
            add(b, "late_arrivals_with_notice:den")
            add(b, "late_arrivals_with_notice:num" if notice else "late_arrivals_with_notice:without_notice")
        for key, state, cause in (("missed_contacts_excused", contact, d.contact_excuse),
                                  ("missed_arrivals_excused", arrival, d.arrival_excuse)):
            if state in ("missed", "excused"):
                add(b, f"{key}:den")
                if state == "excused":
                    add(b, f"{key}:num")
                    add(b, f"{key}:{cause.value}")
        if motor_on_site and d.contacted_at is not None:
            durations[b]["time_to_contact"].append((d.contacted_at - d.clock_start).total_seconds())
        if motor_on_site and d.arrived_at is not None:
            durations[b]["time_to_arrive"].append((d.arrived_at - d.clock_start).total_seconds())
    # Submitted visits as last corrected on the period's local dates, and their items that applied.
    current = sa.and_(Visit.is_current.is_(True), Visit.status == VisitStatus.SUBMITTED, Visit.branch_id.in_(ids),
                      Visit.visit_date.between(period.first, period.last))
    for v in session.execute(sa.select(Visit.branch_id, Visit.is_first_meeting, Visit.distance_m,
                                       Visit.location_check).where(current)):
        add(v.branch_id, "visits")
        add(v.branch_id, "visits:first_meetings", bool(v.is_first_meeting))
        if v.distance_m is not None:
            add(v.branch_id, "far_check_ins:den")
            add(v.branch_id, "far_check_ins:num", v.location_check == "far")
    for o in session.execute(sa.select(Visit.branch_id, VisitItemOutcome.item_code, VisitItemOutcome.outcome)
                             .join(Visit, Visit.id == VisitItemOutcome.visit_id)
                             .where(current, VisitItemOutcome.outcome != "not_applicable")):
        add(o.branch_id, f"{o.item_code}:den")
        add(o.branch_id, f"{o.item_code}:{o.outcome}")
    for t in session.execute(sa.select(ClientTask.branch_id, ClientTask.due_on, ClientTask.done_on,
                                       ClientTask.cancelled_at)
                             .where(ClientTask.branch_id.in_(ids), ClientTask.item_code == "thank_you_letter",
                                    ClientTask.due_on.between(period.first, period.last))):
        if t.cancelled_at is not None:
            state = "cancelled"
        elif t.done_on is not None:
            state = "met" if t.done_on <= t.due_on else "missed"
        else:
            state = "missed" if t.due_on < today[t.branch_id] else "pending"
        add(t.branch_id, f"thank_you_letter:{state}")
    by_code = {b.id: b.code for b in branches}
    out = {}
    for b in ids:
        for scope, members in (("own", [b]), ("rolled_up", subtrees[b])):
            total: dict[str, int] = {}
            for m in members:
                for key, n in counts[m].items():
                    total[key] = total.get(key, 0) + n
            lists = {k: [x for m in members for x in durations[m][k]] for k in durations[b]}
            out[(by_code[b], scope)] = _numbers(total, lists)
    return out


def _numbers(total: dict[str, int], lists: dict[str, list[float]]) -> dict[str, dict[str, Any]]:
    """The baseline's counts in the shape of the report's results."""
    g = lambda key: total.get(key, 0)  # noqa: E731
    out: dict[str, dict[str, Any]] = {
        "cases_dispatched": {"numerator": g("cases_dispatched"), "count": g("cases_dispatched"), "details": {}},
        "on_site_cases_not_dispatched": {"numerator": g("on_site_cases_not_dispatched"),
                                         "count": g("on_site_cases_not_dispatched"),
                                         "details": {"closed": g("on_site_cases_not_dispatched:closed")}},
        "late_arrivals_with_notice": {"numerator": g("late_arrivals_with_notice:num"),
                                      "denominator": g("late_arrivals_with_notice:den"),
                                      "details": {"without_notice": g("late_arrivals_with_notice:without_notice")}},
        "visits": {"numerator": g("visits"), "count": g("visits"), "details": {"first_meetings":
                                                                               g("visits:first_meetings")}},
        "far_check_ins": {"numerator": g("far_check_ins:num"), "denominator": g("far_check_ins:den"), "details": {}},
        "thank_you_letter": {"numerator": g("thank_you_letter:met"),
                             "denominator": g("thank_you_letter:met") + g("thank_you_letter:missed"),
                             "details": {"pending": g("thank_you_letter:pending"),
                                         "cancelled": g("thank_you_letter:cancelled")}},
    }
    for key in ("contact_within_5_min", "urban_arrival_within_30_min", "suburban_arrival_within_90_min",
                "outside_coverage_arrival_at_agreed_time", "property_arrival_at_agreed_time"):
        out[key] = {"numerator": g(f"{key}:met"), "denominator": g(f"{key}:met") + g(f"{key}:missed"),
                    "details": {s: g(f"{key}:{s}") for s in ("excused", "pending", "cancelled")}}
    for key in ("missed_contacts_excused", "missed_arrivals_excused"):
        out[key] = {"numerator": g(f"{key}:num"), "denominator": g(f"{key}:den"),
                    "details": {c: g(f"{key}:{c}") for c in CAUSES}}
    for key in ITEMS:
        out[key] = {"numerator": g(f"{key}:met"), "denominator": g(f"{key}:den"),
                    "details": {s: g(f"{key}:{s}") for s in ("met", "missed", "excused")}}
    for key, values in lists.items():
        out[key] = _duration(values)
    return out


def report_numbers(report) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """The report's results in the baseline's shape (only the fields the baseline computes)."""
    out = {}
    for row in report.branches:
        for scope, results in (("own", row.own), ("rolled_up", row.rolled_up)):
            out[(row.branch.code, scope)] = {
                r.measure.key: {"numerator": r.numerator, "denominator": r.denominator, "count": r.count,
                                "median_minutes": r.median_minutes, "p90_minutes": r.p90_minutes,
                                "details": dict(r.details)} for r in results}
    return out


def compare(report: dict, base: dict, *, tolerance_min: float) -> int:
    """Assert that every number the baseline computed equals the report's; return how many were compared."""
    assert set(report) == set(base), (sorted(report), sorted(base))
    compared = 0
    for where, measures in base.items():
        for key, expected in measures.items():
            got = report[where][key]
            for field, value in expected.items():
                if field in ("median_minutes", "p90_minutes") and value is not None and got[field] is not None:
                    # SQLite's julianday arithmetic can land a duration a hair off a rounding edge.
                    assert abs(got[field] - value) <= tolerance_min + 1e-9, (where, key, field, got[field], value)
                else:
                    assert got[field] == value, (where, key, field, got[field], value)
                compared += 1
    return compared


# --- measuring ---------------------------------------------------------------------------------------------------

def _timed(repeats: int, run, budget_s: float = BUDGET_S) -> tuple[list[float], Any]:
    """Run up to `repeats` times (at least once), while another run still fits the time budget."""
    times, result = [], None
    while len(times) < repeats and (not times or sum(times) + times[-1] <= budget_s):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return times, result


def _report_numbers(app, code, period):
    """The numbers of the compliance report of `code` for `period`, as the service computes them."""
    from field_api.access import Actor
    from field_api.extensions import db
    from field_api.reports import service

    with app.app_context():
        try:
            return report_numbers(service.compliance(db.session, actor=Actor.system("bench"), now=NOW,
                                                     branch_code=code, period=period))
        finally:
            db.session.remove()


def measure(url: str, sizes: Sizes) -> dict[str, Any]:
    """Build one database, then time every report, its HTTP GET and the baseline, and check their numbers."""
    from field_api.extensions import db
    from field_api.reports.settling import settle

    app, built = build(url, sizes)
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"  {dialect}: generated in {built['generation_s']:.0f} s: "
          + ", ".join(f"{n:,} {t}" for t, n in built["rows"].items()))
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "bench.admin", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json['access_token']}"}
    rows, bases = [], {}
    for code in ("HQ", "R01"):
        for period in sizes.periods:
            load = list(__import__("os").getloadavg())

            def report():
                return _report_numbers(app, code, period)

            def python():
                with app.app_context():
                    try:
                        return baseline(db.session, code, period, NOW)
                    finally:
                        db.session.remove()

            def http():
                response = client.get(f"/api/v1/reports/compliance?branch={code}&period={period}", headers=headers)
                assert response.status_code == 200, response.data[:500]
                return response

            times, numbers = _timed(sizes.repeats, report)
            http_times, response = _timed(sizes.http_repeats, http) if statistics.median(times) < HTTP_BELOW_S \
                else ([], None)
            base_times, base = _timed(sizes.baseline_repeats, python)
            bases[(code, period)] = base
            compared = compare(numbers, base, tolerance_min=0.0 if dialect == "postgresql" else 0.1)
            if response is not None:
                body = response.json
                assert body["branch"] == code and len(body["branches"]) == len({w for w, _ in numbers})
            top = numbers[(code, "rolled_up")]
            rows.append({"branch": code, "period": period, "branches": len({w for w, _ in numbers}),
                         "dispatched_cases": top["cases_dispatched"]["count"], "visits": top["visits"]["count"],
                         "report_s": times, "report_p50_s": statistics.median(times), "report_max_s": max(times),
                         "http_s": http_times, "http_p50_s": statistics.median(http_times) if http_times else None,
                         "json_bytes": len(response.data) if response is not None else None,
                         "baseline_s": base_times,
                         "baseline_p50_s": statistics.median(base_times), "baseline_max_s": max(base_times),
                         "numbers_compared": compared, "same_numbers": True, "load_average": load})
            http_shown = f"{statistics.median(http_times):.2f} s" if http_times else "not timed"
            print(f"    {code} {period}: report {statistics.median(times):.2f} s ({len(times)}x), HTTP {http_shown}, "
                  f"baseline {statistics.median(base_times):.2f} s ({len(base_times)}x) "
                  f"({compared:,} numbers equal)", flush=True)
    # The same reports once the worker has kept every settled day (all of them: NOW is weeks after the year).
    started = time.perf_counter()
    with app.app_context():
        kept = settle(db.session, NOW)
        db.session.remove()
    settled_s = time.perf_counter() - started
    print(f"  settled {kept:,} branch days in {settled_s:.1f} s", flush=True)
    for row in rows:
        code, period = row["branch"], row["period"]

        times, numbers = _timed(sizes.repeats, lambda: _report_numbers(app, code, period))
        row["kept_numbers_compared"] = compare(numbers, bases[(code, period)],
                                               tolerance_min=0.0 if dialect == "postgresql" else 0.1)
        row.update(kept_s=times, kept_p50_s=statistics.median(times), kept_max_s=max(times))
        print(f"    {code} {period}: report over kept days {statistics.median(times):.2f} s ({len(times)}x) "
              f"({row['kept_numbers_compared']:,} numbers equal)", flush=True)
    with app.app_context():
        db.engine.dispose()
    return {"database": dialect, **built, "settled_branch_days": kept, "settle_s": settled_s, "reports": rows}


def main(*, quick: bool = False, smoke: bool = False, postgres_url: str | None = None) -> dict[str, Any]:
    """PostgreSQL at the run's size (when given), SQLite at the quick size (smoke: both minimal)."""
    sizes = Sizes.smoke() if smoke else Sizes.quick() if quick else Sizes()
    sqlite_sizes = Sizes.smoke() if smoke else Sizes.quick()
    sqlite_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='field-api-bench-')) / 'reports.sqlite3'}"
    name = "reports" + ("_quick" if quick or smoke else "")
    result: dict[str, Any] = {"sizes": sizes.__dict__, "sqlite_sizes": sqlite_sizes.__dict__, "target_s": TARGET_S,
                              "now": NOW, "results": []}
    results = result["results"]
    for url, size in ([(postgres_url, sizes)] if postgres_url else []) + [(sqlite_url, sqlite_sizes)]:
        results.append(measure(url, size))
        path = common.write_result(name, result)  # after each database, so a long run keeps what it measured
    print(common.table("generation (server-side INSERT ... SELECT), seconds",
                       ["database", "staff", "cases", "dispatches", "visits", "item outcomes", "tree+staff",
                        "cases+dispatches", "visits+items+tasks", "vacuum/analyze", "total"],
                       [[r["database"], r["rows"]["user_account"], r["rows"]["claim_case"], r["rows"]["dispatch"],
                         r["rows"]["visit"], r["rows"]["visit_item_outcome"], r["tree_and_staff_s"],
                         r["cases_and_dispatches_s"], r["visits_s"], r["vacuum_analyze_s"], r["generation_s"]]
                        for r in results]))
    rows = [[r["database"], f"{x['branch']} ({x['branches']})", x["period"], x["dispatched_cases"], x["visits"],
             x["report_p50_s"], x["report_max_s"], "–" if x["http_p50_s"] is None else x["http_p50_s"],
             x["baseline_p50_s"], x["baseline_max_s"],
             x["baseline_p50_s"] / x["report_p50_s"], x["kept_p50_s"], x["kept_max_s"],
             x["baseline_p50_s"] / x["kept_p50_s"], "yes" if x["kept_max_s"] < TARGET_S else "no",
             f"{x['load_average'][0]:.1f}"]
            for r in results for x in r["reports"]]
    print(common.table(f"compliance report (every branch of the subtree, own and rolled up) vs rows into Python; "
                       f"up to {sizes.repeats} reports and {sizes.baseline_repeats} baselines each within "
                       f"{BUDGET_S:.0f} s; seconds", ["database", "branch (branches)", "period", "dispatched cases",
                                                     "visits", "report p50", "report max", "HTTP p50", "baseline p50",
                                                     "baseline max", "baseline / report", "kept days p50",
                                                     "kept days max", "baseline / kept", f"kept max < {TARGET_S:.0f} s",
                                                     "load"],
                       rows))
    for r in results:
        print(f"  {r['database']}: the worker's job kept {r['settled_branch_days']:,} settled branch days in "
              f"{r['settle_s']:.1f} s; 'kept days': the same reports reading them (and the records of each window's "
              "partial edge days)")
    print(f"  HTTP p50: the whole GET of the JSON report through the test client, timed when the report takes under "
          f"{HTTP_BELOW_S:.0f} s")
    print(f"  target: under {TARGET_S:.0f} s per report on PostgreSQL; the numbers of the report and of the "
          "baseline are equal (asserted)")
    print(f"  written to {common.shown(path)}")
    return result
