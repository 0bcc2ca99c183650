"""Retention: `field-api positions prune` deletes old fixes, except those under legal hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from field_api.accounts.models import Role
from field_api.audit.models import AuditEvent
from field_api.dispatch import arrival
from field_api.extensions import db
from field_api.tracking.models import Fix, LatestPosition
from tests.factories.tracking import iso


@pytest.fixture
def history(accounts, tracking, clock):
    """Two surveyors with fixes taken 100 days ago and 20 days ago; the clock stands at today."""
    start = clock.now()
    surveyors = [accounts.sign_in(Role.SURVEYOR, "SZ") for _ in range(2)]
    for signed in surveyors:
        tracking.duty(signed, True, tracking.at(hours=-1))
        assert tracking.post(signed, tracking.drive(tracking.at(minutes=-10), 5)).json["accepted"] == 5
    clock.advance(days=80)
    for signed in surveyors:
        tracking.sign_in_again(signed)
        assert tracking.post(signed, tracking.drive(tracking.at(minutes=-10), 3)).json["accepted"] == 3
    clock.advance(days=20)
    return start, surveyors


def fix_times(surveyor_id: int) -> list[str]:
    db.session.expire_all()
    return [iso(t) for t in db.session.scalars(sa.select(Fix.device_time).where(Fix.surveyor_id == surveyor_id)
                                               .order_by(Fix.device_time))]


def test_prune_deletes_fixes_older_than_the_retention_period(runner, history, clock):
    start, (first, second) = history
    result = runner.invoke(args=["positions", "prune"])
    assert result.exit_code == 0, result.output
    assert "deleted 10 fixes taken before" in result.output and "kept 0 under legal hold" in result.output
    for signed in (first, second):
        assert len(fix_times(signed.user.id)) == 3
        assert all(t > iso(start + timedelta(days=10)) for t in fix_times(signed.user.id))
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "positions.prune")).one()
    assert event.changes["deleted"] == 10 and event.changes["cutoff"] == (clock.now() - timedelta(days=90)).isoformat()


def test_prune_keeps_the_fixes_of_dispatches_under_legal_hold(runner, history, monkeypatch):
    start, (first, second) = history
    first_taken = start - timedelta(minutes=10)
    held = [(first.user.id, first_taken + timedelta(seconds=5), first_taken + timedelta(seconds=25)),
            (second.user.id, start - timedelta(days=1), None)]
    monkeypatch.setattr(arrival, "held_windows", lambda session: held)
    result = runner.invoke(args=["positions", "prune"])
    assert "deleted 3 fixes" in result.output and "kept 7 under legal hold" in result.output, result.output
    assert len(fix_times(first.user.id)) == 3 + 2
    assert len(fix_times(second.user.id)) == 3 + 5


def test_the_retention_period_is_configurable_and_overridable(app, runner, history):
    app.config["FIX_RETENTION_DAYS"] = 120
    assert "deleted 0 fixes" in runner.invoke(args=["positions", "prune"]).output
    assert "deleted 10 fixes" in runner.invoke(args=["positions", "prune", "--days", "50"]).output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Fix)) == 6


def test_prune_removes_latest_positions_older_than_the_retention_period(runner, history, clock):
    _, (first, _) = history
    assert "removed 0 stale latest positions" in runner.invoke(args=["positions", "prune"]).output
    clock.advance(days=80)
    assert "removed 2 stale latest positions" in runner.invoke(args=["positions", "prune"]).output
    assert db.session.get(LatestPosition, first.user.id) is None


def test_prune_refuses_a_retention_period_under_a_day(runner, history):
    result = runner.invoke(args=["positions", "prune", "--days", "0"])
    assert result.exit_code != 0 and "at least one day" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Fix)) == 16
