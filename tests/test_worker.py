"""The worker moves clocks on time and publishes the change, and only one worker does it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from field_api.accounts.models import Role
from field_api.dispatch.jobs import tick_clocks
from field_api.dispatch.models import ClockState, Dispatch
from field_api.extensions import db
from field_api.outbox.models import OutboxMessage
from field_api.worker.service import acquire_lease, run_once


def test_the_worker_marks_a_contact_missed_when_it_happens_and_publishes_it(accounts, dispatching, clock):
    dispatching.shenzhen_zones()
    desk = accounts.sign_in(Role.COORDINATOR, "SZ")
    surveyor = accounts.sign_in(Role.SURVEYOR, "SZ-FT")
    d = dispatching.dispatch(dispatching.case(), surveyor, desk)
    clock.advance(minutes=5)
    assert tick_clocks(db.session, clock.now()) == 0
    clock.advance(seconds=1)
    assert tick_clocks(db.session, clock.now()) == 1
    row = db.session.get(Dispatch, d["id"])
    db.session.refresh(row)
    assert row.contact_state is ClockState.MISSED and row.arrival_state is ClockState.PENDING
    message = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.topic == "clock.changed")
                                 .order_by(OutboxMessage.id.desc())).first()
    assert message.payload["clock"] == "contact" and message.payload["to"] == "missed"
    assert tick_clocks(db.session, clock.now()) == 0, "a change is published once"
    clock.advance(minutes=25)
    assert tick_clocks(db.session, clock.now()) == 1
    db.session.refresh(row)
    assert row.arrival_state is ClockState.MISSED


def test_only_one_worker_holds_the_lease_until_it_expires(session, clock):
    assert acquire_lease(db.session, holder="a", now=clock.now())
    assert not acquire_lease(db.session, holder="b", now=clock.now())
    assert acquire_lease(db.session, holder="a", now=clock.now() + timedelta(seconds=10))
    assert acquire_lease(db.session, holder="b", now=clock.now() + timedelta(minutes=5))
    assert not acquire_lease(db.session, holder="a", now=clock.now() + timedelta(minutes=5))


def test_run_once_runs_every_job(session, clock):
    calls = []
    assert run_once(db.session, now=clock.now(), jobs=[lambda s, now: calls.append(now) or 2]) == 2
    assert calls == [clock.now()]


def test_the_worker_command_runs_once(runner):
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "clock changes" in result.output
