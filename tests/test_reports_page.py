"""The report page for managers, its server-rendered tables and charts, and the published report command."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone

import pytest

from field_api.accounts.models import Role
from tests.factories.reports import ReportData

NOW = datetime(2026, 10, 9, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def evidence(app, accounts, clock):
    """Cases and visits of Q3 in Shenzhen's sub-branches."""
    clock.set(NOW)
    data = ReportData(accounts, NOW, seed=3)
    for code in ("SZ-FT", "SZ-BA"):
        branch = accounts.branch(code)
        surveyor, salesperson = data.people(code)
        for day in range(1, 40, 3):
            data.case(branch, surveyor, datetime(2026, 7, day % 28 + 1, 2, tzinfo=timezone.utc))
            data.visit(branch, salesperson, datetime(2026, 8, day % 28 + 1).date())
    return data


def test_the_page_loads_only_this_servers_scripts_and_styles(client):
    response = client.get("/reports")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    html = response.text
    assert "<script>" not in html and "http://" not in html and "https://" not in html
    assert client.get("/static/reports/reports.js").status_code == 200


def test_the_table_shows_each_branch_with_its_rates_and_charts(client, accounts, evidence):
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    response = client.get("/reports/table", query_string={"period": "2026Q3"}, headers=manager.headers)
    assert response.status_code == 200, response.text
    html = response.text
    for code in ("SZ", "SZ-BA", "SZ-FT"):
        assert f"<h2>{code} " in html
    assert "Motor on-site: customer contacted within 5 minutes" in html and "n/a" in html
    assert html.count('src="data:image/svg+xml;base64,') == 4  # the trend and one chart per branch
    assert "style=" not in html  # the page policy allows no inline style


def test_the_table_needs_a_manager_token(client, accounts):
    assert client.get("/reports/table").status_code == 401
    surveyor = accounts.sign_in(Role.SURVEYOR, "SZ")
    assert client.get("/reports/table", headers=surveyor.headers).status_code == 403


def test_the_report_command_writes_csv_json_and_png_charts_with_a_progress_bar(app, runner, evidence, tmp_path):
    tmp_path = tmp_path / "published"
    result = runner.invoke(args=["report", "--period", "2026Q3", "--branch", "SZ", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["compliance-SZ-2026Q3-rates-SZ-BA.png", "compliance-SZ-2026Q3-rates-SZ-FT.png",
                     "compliance-SZ-2026Q3-rates-SZ.png", "compliance-SZ-2026Q3-trend.png",
                     "compliance-SZ-2026Q3.csv", "compliance-SZ-2026Q3.json"]
    assert (tmp_path / "compliance-SZ-2026Q3-trend.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((tmp_path / "compliance-SZ-2026Q3.json").read_text())
    assert [b["code"] for b in report["branches"]] == ["SZ", "SZ-BA", "SZ-FT"]
    rows = list(csv.DictReader((tmp_path / "compliance-SZ-2026Q3.csv").open()))
    contact = next(r for r in rows if r["branch"] == "SZ" and r["scope"] == "rolled_up"
                   and r["measure"] == "contact_within_5_min")
    assert int(contact["denominator"]) > 0
    assert "drawing charts" in result.output


def test_the_report_command_refuses_a_period_it_cannot_read(runner, app, tmp_path):
    result = runner.invoke(args=["report", "--period", "2026Q9", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "quarter" in result.output


def test_the_demo_data_yields_a_report_of_last_quarter_with_numbers_in_every_group(app, runner, client, clock):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    token = client.post("/api/v1/auth/token", json={"username": "hq.manager", "password": "hq.manager-demo"})
    report = client.get("/api/v1/reports/compliance", headers={"Authorization": f"Bearer {token.json['access_token']}"})
    assert report.json["period"] == "2026Q2"  # the tests' clock stands on 1 July 2026
    shenzhen = next(b for b in report.json["branches"] if b["code"] == "SZ")
    numbers = {m["key"]: m for m in shenzhen["rolled_up"]}
    for key in ("contact_within_5_min", "urban_arrival_within_30_min", "business_card", "policy_envelope",
                "roster_minutes_without_surveyor", "minutes_without_surveyor_on_duty", "care_callbacks_reached",
                "forms_sealed_on_dispatch_day", "forms_complete_at_sealing", "photos_far_from_site"):
        assert numbers[key]["denominator"] > 0, key
    assert 0 < numbers["contact_within_5_min"]["rate"] < 1
    roster, duty = numbers["roster_minutes_without_surveyor"], numbers["minutes_without_surveyor_on_duty"]
    assert roster["rate"] < duty["rate"] < 0.2
