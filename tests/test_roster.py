"""Article 10 C2: a written duty roster per branch, its gaps, and who is on duty at an instant."""

from __future__ import annotations

import pytest

from field_api.accounts.models import Role
from field_api.audit.models import AuditEvent


@pytest.fixture
def sz(accounts):
    """SZ's coordinator and two Futian surveyors."""
    return (accounts.sign_in(Role.COORDINATOR, "SZ"), accounts.sign_in(Role.SURVEYOR, "SZ-FT"),
            accounts.sign_in(Role.SURVEYOR, "SZ-FT"))


def test_a_night_shift_across_midnight_covers_the_night_and_the_gaps_are_listed_in_branch_time(rosters, sz):
    coordinator, day, night = sz
    shifts = [rosters.shift("2026-07-01T08:00", "2026-07-01T20:00", coordinator, [day]),
              rosters.shift("2026-07-01T20:00", "2026-07-02T08:00", coordinator, [night]),
              rosters.shift("2026-07-02T08:00", "2026-07-02T18:00", coordinator, [day, night])]
    response = rosters.put("SZ", coordinator, shifts, "2026-07-01T00:00", "2026-07-03T00:00")
    assert response.status_code == 200, response.json
    assert response.json["timezone"] == "Asia/Shanghai"
    night_shift = response.json["shifts"][1]
    assert (night_shift["starts"], night_shift["ends"]) == ("2026-07-01T20:00:00+08:00", "2026-07-02T08:00:00+08:00")
    assert [s["username"] for s in night_shift["surveyors"]] == [night.user.username]

    gaps = rosters.get("/api/v1/branches/SZ/roster/gaps", coordinator, **{"from": "2026-07-01T00:00",
                                                                        "to": "2026-07-03T00:00"})
    assert [(g["from"], g["to"], g["minutes"]) for g in gaps["gaps"]] == [
        ("2026-07-01T00:00:00+08:00", "2026-07-01T08:00:00+08:00", 480.0),
        ("2026-07-02T18:00:00+08:00", "2026-07-03T00:00:00+08:00", 360.0)]


def test_gaps_across_a_daylight_saving_change_are_told_in_local_time(accounts, rosters):
    accounts.branch("BER", timezone="Europe/Berlin")
    coordinator = accounts.sign_in(Role.COORDINATOR, "BER")
    surveyor = accounts.sign_in(Role.SURVEYOR, "BER")
    # The clocks go back at 03:00 on 25 October 2026: the night shift lasts nine hours.
    shifts = [rosters.shift("2026-10-24T08:00", "2026-10-24T22:00", coordinator, [surveyor]),
              rosters.shift("2026-10-24T22:00", "2026-10-25T06:00", coordinator, [surveyor])]
    assert rosters.put("BER", coordinator, shifts, "2026-10-24T00:00", "2026-10-26T00:00").status_code == 200
    gaps = rosters.get("/api/v1/branches/BER/roster/gaps", coordinator, **{"from": "2026-10-24T00:00",
                                                                         "to": "2026-10-26T00:00"})["gaps"]
    assert [(g["from"], g["to"], g["minutes"]) for g in gaps] == [
        ("2026-10-24T00:00:00+02:00", "2026-10-24T08:00:00+02:00", 480.0),
        ("2026-10-25T06:00:00+01:00", "2026-10-26T00:00:00+01:00", 1080.0)]


def test_a_gap_across_the_clock_change_counts_the_hour_it_gains(accounts, rosters):
    accounts.branch("BER", timezone="Europe/Berlin")
    coordinator = accounts.sign_in(Role.COORDINATOR, "BER")
    surveyor = accounts.sign_in(Role.SURVEYOR, "BER")
    shifts = [rosters.shift("2026-10-24T08:00", "2026-10-24T22:00", coordinator, [surveyor]),
              rosters.shift("2026-10-25T08:00", "2026-10-25T20:00", coordinator, [surveyor])]
    assert rosters.put("BER", coordinator, shifts, "2026-10-24T08:00", "2026-10-25T20:00").status_code == 200
    gaps = rosters.get("/api/v1/branches/BER/roster/gaps", coordinator, **{"from": "2026-10-24T08:00",
                                                                         "to": "2026-10-25T20:00"})["gaps"]
    # 22:00 summer time to 08:00 winter time is eleven hours, not ten.
    assert [(g["from"], g["to"], g["minutes"]) for g in gaps] == [
        ("2026-10-24T22:00:00+02:00", "2026-10-25T08:00:00+01:00", 660.0)]


def test_a_wall_time_the_clocks_skip_is_refused(accounts, rosters):
    accounts.branch("BER", timezone="Europe/Berlin")
    coordinator = accounts.sign_in(Role.COORDINATOR, "BER")
    surveyor = accounts.sign_in(Role.SURVEYOR, "BER")
    shifts = [rosters.shift("2026-03-29T02:30", "2026-03-29T08:00", coordinator, [surveyor])]
    response = rosters.put("BER", coordinator, shifts, "2026-03-29T00:00", "2026-03-30T00:00")
    assert response.status_code == 422
    assert "shifts.0.starts" in response.json["errors"]


def test_a_new_roster_replaces_the_shifts_that_start_in_its_period_and_is_audited(app, rosters, sz, session):
    coordinator, day, night = sz
    first = [rosters.shift("2026-07-01T08:00", "2026-07-01T20:00", coordinator, [day])]
    assert rosters.put("SZ", coordinator, first, "2026-07-01T00:00", "2026-07-02T00:00").status_code == 200
    second = [rosters.shift("2026-07-01T09:00", "2026-07-01T21:00", coordinator, [night])]
    response = rosters.put("SZ", coordinator, second, "2026-07-01T00:00", "2026-07-02T00:00")
    assert [s["starts"] for s in response.json["shifts"]] == ["2026-07-01T09:00:00+08:00"]
    audited = session.query(AuditEvent).filter_by(action="roster.replace").all()
    assert len(audited) == 2 and audited[1].changes["removed"] == 1


@pytest.mark.parametrize("problem, field", [
    ("overlap", "shifts.1.starts"),
    ("inverted", "shifts.0.ends"),
    ("other_branch", "shifts.0.surveyor_ids"),
    ("coordinator_as_surveyor", "shifts.0.surveyor_ids"),
    ("surveyor_as_coordinator", "shifts.0.coordinator_id"),
    ("outside_period", "shifts.0.starts"),
    ("too_long", "shifts.0.ends"),
])
def test_a_bad_roster_is_refused_naming_the_field_and_saves_nothing(accounts, rosters, sz, session, problem, field):
    coordinator, day, night = sz
    stranger = accounts.sign_in(Role.SURVEYOR, "GZ")
    shifts = {
        "overlap": [rosters.shift("2026-07-01T08:00", "2026-07-01T20:00", coordinator, [day]),
                    rosters.shift("2026-07-01T19:00", "2026-07-02T07:00", coordinator, [night])],
        "inverted": [rosters.shift("2026-07-01T20:00", "2026-07-01T08:00", coordinator, [day])],
        "other_branch": [rosters.shift("2026-07-01T08:00", "2026-07-01T20:00", coordinator, [stranger])],
        "coordinator_as_surveyor": [rosters.shift("2026-07-01T08:00", "2026-07-01T20:00", coordinator, [coordinator])],
        "surveyor_as_coordinator": [rosters.shift("2026-07-01T08:00", "2026-07-01T20:00", day, [night])],
        "outside_period": [rosters.shift("2026-07-05T08:00", "2026-07-05T20:00", coordinator, [day])],
        "too_long": [rosters.shift("2026-07-01T08:00", "2026-07-04T08:00", coordinator, [day])],
    }[problem]
    response = rosters.put("SZ", coordinator, shifts, "2026-07-01T00:00", "2026-07-02T00:00")
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert rosters.get("/api/v1/branches/SZ/roster", coordinator, **{"from": "2026-07-01T00:00"})["shifts"] == []
    assert session.query(AuditEvent).filter_by(action="roster.replace").count() == 0


def test_another_branch_cannot_read_or_write_the_roster(accounts, rosters, sz):
    coordinator, day, _ = sz
    outsider = accounts.sign_in(Role.COORDINATOR, "GZ")
    shifts = [rosters.shift("2026-07-01T08:00", "2026-07-01T20:00", coordinator, [day])]
    assert rosters.put("SZ", outsider, shifts, "2026-07-01T00:00", "2026-07-02T00:00").status_code == 404
    assert rosters.client.get("/api/v1/branches/SZ/roster", headers=outsider.headers).status_code == 404


def test_the_roster_is_imported_from_the_branch_spreadsheet(runner, rosters, sz, tmp_path):
    coordinator, day, night = sz
    sheet = tmp_path / "roster.csv"
    sheet.write_text("starts,ends,coordinator,surveyors\n"
                     f"2026-07-01 08:00,2026-07-01 20:00,{coordinator.user.username},{day.user.username}\n"
                     f"2026-07-01 20:00,2026-07-02 08:00,{coordinator.user.username},"
                     f"{day.user.username};{night.user.username}\n", encoding="utf-8")
    result = runner.invoke(args=["roster", "import", str(sheet), "--branch", "SZ"])
    assert result.exit_code == 0, result.output
    assert "2 shifts" in result.output
    shifts = rosters.get("/api/v1/branches/SZ/roster", coordinator, **{"from": "2026-07-01T00:00"})["shifts"]
    assert [len(s["surveyors"]) for s in shifts] == [1, 2]


def test_an_import_naming_an_unknown_user_saves_nothing(runner, sz, tmp_path):
    coordinator, day, _ = sz
    sheet = tmp_path / "roster.csv"
    sheet.write_text("starts,ends,coordinator,surveyors\n"
                     f"2026-07-01 08:00,2026-07-01 20:00,{coordinator.user.username},nobody\n", encoding="utf-8")
    result = runner.invoke(args=["roster", "import", str(sheet), "--branch", "SZ"])
    assert result.exit_code != 0
    assert "nobody" in result.output


@pytest.mark.parametrize("query", [{"from": "0001-01-01T00:00"}, {"from": "9999-12-31T00:00"},
                                   {"to": "0001-01-01T00:00:00+14:00"}, {"from": "2026-07-02", "to": "2026-07-01"},
                                   {"from": "2026-01-01T00:00", "to": "2026-12-31T00:00"}])
def test_a_period_out_of_range_is_refused_not_a_crash(client, sz, query):
    coordinator, _, _ = sz
    for path in ("/api/v1/branches/SZ/roster", "/api/v1/branches/SZ/roster/gaps"):
        assert client.get(path, query_string=query, headers=coordinator.headers).status_code == 422


def test_a_branch_code_with_a_nul_character_is_no_branch(client, sz):
    coordinator, _, _ = sz
    for path in ("/api/v1/branches/S%00Z/roster", "/api/v1/branches/S%00Z"):
        response = client.get(path, headers=coordinator.headers)
        assert response.status_code == 404 and response.json["code"] == 404
