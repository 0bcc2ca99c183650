"""The demo data shows visits with met, missed and excused items, and is safe to load twice."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from field_api.extensions import db
from field_api.clients.models import Client
from field_api.visits import demo as visits_demo
from field_api.visits.models import ClientTask, Visit, VisitItemOutcome
from tests.factories.visits import row_counts


def test_the_demo_has_met_missed_and_excused_items_and_loads_twice_without_change(app, runner, client, clock):
    app.config["TOKEN_TTL_HOURS"] = 12
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        before = row_counts()
        outcomes = set(db.session.scalars(sa.select(VisitItemOutcome.outcome)))
        # The report's history (reports/demo.py) adds past quarters' visits; these are the visits demo's own.
        own = [visits_demo._id(key) for key, *_ in visits_demo.VISITS]
        letters = list(db.session.scalars(sa.select(ClientTask).where(ClientTask.visit_id.in_(own))))
        own_visits = db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(Visit.id.in_(own)))
        own_clients = db.session.scalar(sa.select(sa.func.count()).select_from(Client).where(
            Client.id.in_([visits_demo._id(key) for key, *_ in visits_demo.CLIENTS])))
    assert {"met", "missed", "excused", "not_applicable"} <= outcomes
    assert own_visits == 8 and own_clients == 4
    assert sorted(t.done_on is not None for t in letters) == [False, True]
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert row_counts() == before
    token = client.post("/api/v1/auth/token", json={"username": "sz.coordinator", "password": "sz.coordinator-demo"})
    headers = {"Authorization": f"Bearer {token.json['access_token']}"}
    missed = client.get("/api/v1/visits?has_missed_items=true&status=submitted", headers=headers).json
    assert len([v for v in missed if uuid.UUID(v["id"]) in own]) == 3
    assert {t["outcome"] for t in client.get("/api/v1/tasks", headers=headers).json} == {"met", "missed"}
