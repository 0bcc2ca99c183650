"""Going on and off duty: intervals in device time, idempotent, audited."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from field_api.accounts.models import Role
from field_api.audit.models import AuditEvent
from field_api.extensions import db
from field_api.tracking.models import DutyInterval
from tests.factories.tracking import iso


def intervals(surveyor_id: int) -> list[tuple]:
    db.session.expire_all()
    return [(i.started_at, i.ended_at) for i in db.session.scalars(
        sa.select(DutyInterval).where(DutyInterval.surveyor_id == surveyor_id).order_by(DutyInterval.started_at))]


def test_a_surveyor_is_off_duty_until_they_go_on_duty(accounts, client):
    signed = accounts.sign_in(Role.SURVEYOR)
    assert client.get("/api/v1/me/duty", headers=signed.headers).json == {"on_duty": False, "since": None}


def test_going_on_and_off_duty_keeps_intervals_and_is_audited(accounts, client, tracking):
    signed = accounts.sign_in(Role.SURVEYOR)
    start, end = tracking.at(hours=-8), tracking.at(minutes=-1)
    assert tracking.duty(signed, True, start).json == {"on_duty": True, "since": iso(start)}
    assert client.get("/api/v1/me/duty", headers=signed.headers).json == {"on_duty": True, "since": iso(start)}
    assert tracking.duty(signed, False, end).json == {"on_duty": False, "since": iso(end)}
    assert intervals(signed.user.id) == [(start, end)]
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor_id == signed.user.id,
                                                                    AuditEvent.action.like("duty.%"))).all()
    assert actions == ["duty.start", "duty.end"]


def test_repeating_the_current_duty_state_changes_nothing(accounts, tracking):
    signed = accounts.sign_in(Role.SURVEYOR)
    start = tracking.at(hours=-2)
    tracking.duty(signed, True, start)
    assert tracking.duty(signed, True, start).json == {"on_duty": True, "since": iso(start)}
    assert tracking.duty(signed, True, tracking.at(hours=-1)).json["since"] == iso(start)
    tracking.duty(signed, False, tracking.at(minutes=-30))
    tracking.duty(signed, False, tracking.at(minutes=-30))
    assert intervals(signed.user.id) == [(start, tracking.at(minutes=-30))]
    events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.actor_id == signed.user.id, AuditEvent.action.like("duty.%")))
    assert events == 2


def test_each_shift_is_its_own_interval(accounts, tracking):
    signed = accounts.sign_in(Role.SURVEYOR)
    times = [tracking.at(hours=-h) for h in (10, 8, 3, 1)]
    for time, on in zip(times, (True, False, True, False)):
        tracking.duty(signed, on, time)
    assert intervals(signed.user.id) == [(times[0], times[1]), (times[2], times[3])]


def test_a_duty_change_more_than_five_minutes_ahead_is_refused(accounts, client, tracking):
    signed = accounts.sign_in(Role.SURVEYOR)
    response = client.put("/api/v1/me/duty", headers=signed.headers,
                          json={"on_duty": True, "device_time": iso(tracking.at(minutes=5, seconds=1))})
    assert response.status_code == 422 and "device_time" in response.json["errors"]
    assert intervals(signed.user.id) == []


def test_a_duty_change_slightly_ahead_counts_at_the_receipt_time(accounts, tracking, clock):
    signed = accounts.sign_in(Role.SURVEYOR)
    tracking.duty(signed, True, tracking.at(minutes=3))
    assert intervals(signed.user.id) == [(clock.now(), None)]


def test_duty_changes_out_of_order_are_a_conflict(accounts, client, tracking):
    signed = accounts.sign_in(Role.SURVEYOR)
    tracking.duty(signed, True, tracking.at(hours=-2))
    late_off = client.put("/api/v1/me/duty", headers=signed.headers,
                          json={"on_duty": False, "device_time": iso(tracking.at(hours=-3))})
    assert late_off.status_code == 409
    tracking.duty(signed, False, tracking.at(hours=-1))
    early_on = client.put("/api/v1/me/duty", headers=signed.headers,
                          json={"on_duty": True, "device_time": iso(tracking.at(hours=-1, minutes=-1))})
    assert early_on.status_code == 409
    assert intervals(signed.user.id) == [(tracking.at(hours=-2), tracking.at(hours=-1))]


def test_a_malformed_duty_change_is_refused(accounts, client):
    signed = accounts.sign_in(Role.SURVEYOR)
    for body in ({"on_duty": "yes please", "device_time": "2026-07-01T01:00:00Z"}, {"on_duty": True},
                 {"on_duty": True, "device_time": "2026-07-01T01:00:00"}):
        assert client.put("/api/v1/me/duty", headers=signed.headers, json=body).status_code == 422
    assert intervals(signed.user.id) == []


def test_the_shift_boundary_is_off_duty(accounts, tracking):
    signed = accounts.sign_in(Role.SURVEYOR)
    start = tracking.at(hours=-1)
    tracking.duty(signed, True, start)
    tracking.duty(signed, False, start + timedelta(minutes=30))
    response = tracking.post(signed, [tracking.fix(start), tracking.fix(start + timedelta(minutes=30))])
    assert response.json["accepted"] == 1 and response.json["off_duty"] == 1
