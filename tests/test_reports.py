"""Article 4: each branch's compliance per quarter or year, in its time zone, as JSON, CSV and drill-down."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from field_api.accounts.models import Role
from field_api.reports.periods import parse_period, previous_quarter
from tests.factories.dispatch import FUTIAN_CIVIC_CENTER

SITE_FIX = {"lat": FUTIAN_CIVIC_CENTER[0], "lon": FUTIAN_CIVIC_CENTER[1], "crs": "gcj02", "accuracy": 10}
URL = "/api/v1/reports/compliance"


@pytest.fixture(autouse=True)
def late_september(clock):
    """Tokens are issued at the end of Q3, so they still hold at the instants the tests step back to."""
    clock.set(datetime(2026, 9, 30, 12, 0, tzinfo=timezone.utc))


@pytest.fixture
def desk(accounts, dispatching):
    dispatching.shenzhen_zones()
    return accounts.sign_in(Role.COORDINATOR, "SZ")


@pytest.fixture
def manager(accounts):
    return accounts.sign_in(Role.MANAGER, "SZ")


@pytest.fixture
def surveyor(accounts):
    return accounts.sign_in(Role.SURVEYOR, "SZ-FT")


def measure(report: dict, branch: str, key: str, scope: str = "rolled_up") -> dict:
    row = next(b for b in report["branches"] if b["code"] == branch)
    return next(m for m in row[scope] if m["key"] == key)


def dispatched_at(dispatching, desk, surveyor, clock, instant: datetime, *, contact_after: timedelta | None = None):
    clock.set(instant)
    d = dispatching.dispatch(dispatching.case(branch="SZ", reported_at=instant - timedelta(minutes=12)),
                             surveyor, desk)
    if contact_after is not None:
        clock.advance(contact_after)
        assert dispatching.event(d["id"], surveyor, "contacted").status_code == 201
    return d


def test_a_dispatch_at_23_30_on_30_september_shanghai_time_belongs_to_q3(client, dispatching, desk, surveyor,
                                                                          manager, clock):
    dispatched_at(dispatching, desk, surveyor, clock, datetime(2026, 9, 30, 15, 30, tzinfo=timezone.utc))
    dispatched_at(dispatching, desk, surveyor, clock, datetime(2026, 9, 30, 16, 30, tzinfo=timezone.utc))
    q3 = client.get(URL, query_string={"branch": "SZ", "period": "2026Q3"}, headers=manager.headers).json
    q4 = client.get(URL, query_string={"branch": "SZ", "period": "2026Q4"}, headers=manager.headers).json
    assert measure(q3, "SZ", "cases_dispatched")["count"] == 1
    assert measure(q4, "SZ", "cases_dispatched")["count"] == 1
    assert q3["branches"][0]["period_end"] == "2026-09-30T16:00:00+00:00"


def test_contact_within_five_minutes_counts_each_case_once_on_the_clocks_of_its_first_dispatch(
        client, accounts, dispatching, desk, surveyor, manager, clock):
    start = datetime(2026, 8, 3, 2, 0, tzinfo=timezone.utc)
    first = dispatched_at(dispatching, desk, surveyor, clock, start)
    clock.advance(minutes=3)
    other = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    second = dispatching.dispatch(SimpleNamespace(id=first["case"]["id"]), other, desk)
    clock.advance(minutes=4)  # 7 minutes after the first dispatch, 4 after the re-dispatch
    assert dispatching.event(second["id"], other, "contacted").status_code == 201
    dispatched_at(dispatching, desk, surveyor, clock, start + timedelta(hours=2), contact_after=timedelta(minutes=2))
    report = client.get(URL, query_string={"branch": "SZ", "period": "2026Q3"}, headers=manager.headers).json
    contact = measure(report, "SZ", "contact_within_5_min")
    assert (contact["numerator"], contact["denominator"], contact["rate"]) == (1, 2, 0.5)
    assert measure(report, "SZ", "cases_dispatched")["count"] == 2
    assert measure(report, "SZ", "time_to_contact")["median_minutes"] == 4.5


def test_a_rate_with_nothing_to_measure_is_n_a_never_0_or_100_percent(client, manager):
    report = client.get(URL, query_string={"branch": "SZ", "period": "2026Q3"}, headers=manager.headers).json
    contact = measure(report, "SZ", "contact_within_5_min")
    assert contact["denominator"] == 0 and contact["rate"] is None and contact["na"] is True
    assert contact["numerator_is"].startswith("cases contacted within 5 minutes")
    assert "motor on-site cases" in contact["denominator_is"]
    rows = list(csv.DictReader(io.StringIO(client.get(URL, query_string={"branch": "SZ", "format": "csv"},
                                                      headers=manager.headers).text)))
    row = next(r for r in rows if r["measure"] == "contact_within_5_min" and r["scope"] == "own")
    assert (row["rate"], row["na"], row["denominator"]) == ("", "n/a", "0")


def test_the_csv_is_served_for_accept_text_csv_and_for_format_csv(client, manager):
    by_header = client.get(URL, query_string={"branch": "SZ", "period": "2026"},
                           headers={**manager.headers, "Accept": "text/csv"})
    by_format = client.get(URL, query_string={"branch": "SZ", "period": "2026", "format": "csv"},
                           headers=manager.headers)
    assert by_header.mimetype == by_format.mimetype == "text/csv"
    assert by_header.text == by_format.text
    assert by_header.text.splitlines()[0].startswith("period,branch,scope,measure,article")
    assert client.get(URL, query_string={"branch": "SZ"}, headers=manager.headers).mimetype == "application/json"


def test_the_default_period_is_the_quarter_head_office_publishes_now(client, accounts, clock):
    clock.set(datetime(2026, 10, 8, 1, 0, tzinfo=timezone.utc))
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    assert client.get(URL, headers=manager.headers).json["period"] == "2026Q3"
    assert previous_quarter(date(2027, 1, 15)).label == "2026Q4"


@pytest.mark.parametrize("period, first, last", [
    ("2026Q3", date(2026, 7, 1), date(2026, 9, 30)), ("2026q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-07-15..2026-08-14", date(2026, 7, 15), date(2026, 8, 14))])
def test_a_period_is_a_quarter_a_year_or_a_range_of_local_dates(period, first, last):
    assert (parse_period(period).first, parse_period(period).last) == (first, last)


@pytest.mark.parametrize("period", ["2026Q5", "Q3", "2026-02-30..2026-03-01", "2026-09-01..2026-08-01",
                                    "2020-01-01..2026-01-01", "'; drop table", "9999Q4", "0001",
                                    "9999-12-30..9999-12-31"])
def test_a_period_the_report_cannot_read_is_refused_naming_the_field(client, manager, period):
    response = client.get(URL, query_string={"branch": "SZ", "period": period}, headers=manager.headers)
    assert response.status_code == 422 and "period" in response.json["errors"], response.json


def test_the_first_quarter_of_the_calendar_still_has_a_trend(client, manager):
    response = client.get("/reports/table", query_string={"branch": "SZ", "period": "2000Q1"}, headers=manager.headers)
    assert response.status_code == 200 and "1999Q2" in response.text


def test_a_manager_of_another_branch_cannot_read_its_report(client, accounts):
    other = accounts.sign_in(Role.MANAGER, "GZ")
    assert client.get(URL, query_string={"branch": "SZ"}, headers=other.headers).status_code == 404
    own = client.get(URL, headers=other.headers).json
    assert [b["code"] for b in own["branches"]] == ["GZ"]


def test_a_report_rolls_up_the_branch_tree(client, dispatching, desk, surveyor, manager, clock):
    dispatched_at(dispatching, desk, surveyor, clock, datetime(2026, 8, 3, 2, 0, tzinfo=timezone.utc),
                  contact_after=timedelta(minutes=1))
    report = client.get(URL, query_string={"branch": "HQ", "period": "2026Q3"},
                        headers=manager.headers)
    assert report.status_code == 404  # a Shenzhen manager does not see head office
    admin = dispatching.accounts.sign_in(Role.ADMIN, "HQ")
    report = client.get(URL, query_string={"branch": "HQ", "period": "2026Q3"}, headers=admin.headers).json
    assert [(b["code"], b["depth"]) for b in report["branches"]][:2] == [("HQ", 0), ("SZ", 1)]
    assert measure(report, "HQ", "contact_within_5_min", "own")["na"] is True
    assert measure(report, "HQ", "contact_within_5_min")["numerator"] == 1


def test_the_drill_down_lists_the_dispatches_behind_a_number_page_by_page(client, dispatching, desk, surveyor,
                                                                          manager, clock):
    for hour in range(3):
        dispatched_at(dispatching, desk, surveyor, clock,
                      datetime(2026, 8, 3, 2 + hour, 0, tzinfo=timezone.utc), contact_after=timedelta(minutes=2))
    args = {"branch": "SZ", "period": "2026Q3", "measure": "contact_within_5_min", "part": "numerator",
            "page_size": 2}
    page = client.get(URL + "/records", query_string=args, headers=manager.headers)
    assert page.status_code == 200, page.json
    assert len(page.json) == 2 and '"total": 3' in page.headers["X-Pagination"]
    assert {r["kind"] for r in page.json} == {"dispatch"} and page.json[0]["contact"] == "met"
    assert page.json[0]["to_contact_min"] == 2.0
    bad = client.get(URL + "/records", query_string={**args, "measure": "nope"}, headers=manager.headers)
    assert bad.status_code == 422 and "measure" in bad.json["errors"]
    bad = client.get(URL + "/records", query_string={**args, "part": "nope"}, headers=manager.headers)
    assert bad.status_code == 422 and "part" in bad.json["errors"]


def test_a_coordinator_reads_the_report_of_their_own_branch_only(client, accounts, desk):
    own = client.get(URL, query_string={"branch": "SZ", "period": "2026Q3"}, headers=desk.headers)
    assert own.status_code == 200 and own.json["branch"] == "SZ"
    assert client.get(URL, query_string={"branch": "HQ"}, headers=desk.headers).status_code == 404
    surveyor = accounts.sign_in(Role.SURVEYOR, "SZ")
    assert client.get(URL, headers=surveyor.headers).status_code == 403


def test_every_measure_states_what_its_numerator_and_denominator_count():
    from field_api.reports.measures import BY_KEY, STATED

    assert set(STATED) == set(BY_KEY)
    assert all(den is not None for key, (_, den) in STATED.items() if BY_KEY[key].kind == "rate")


@pytest.mark.parametrize("zone, start, end", [
    ("Asia/Shanghai", datetime(2026, 6, 30, 16, tzinfo=timezone.utc), datetime(2026, 9, 30, 16, tzinfo=timezone.utc)),
    ("Europe/London", datetime(2026, 6, 30, 23, tzinfo=timezone.utc), datetime(2026, 9, 30, 23, tzinfo=timezone.utc)),
    ("UTC", datetime(2026, 7, 1, tzinfo=timezone.utc), datetime(2026, 10, 1, tzinfo=timezone.utc))])
def test_a_quarter_runs_from_local_midnight_to_local_midnight_in_the_branchs_zone(zone, start, end):
    assert parse_period("2026Q3").bounds(zone) == (start, end)
