"""The demo data shows visits with met, missed and excused items, and is safe to load twice."""

from __future__ import annotations

import sqlalchemy as sa

from field_api.extensions import db
from field_api.visits.models import ClientTask, VisitItemOutcome
from tests.factories.visits import row_counts


def test_the_demo_has_met_missed_and_excused_items_and_loads_twice_without_change(app, runner, client, clock):
    app.config["TOKEN_TTL_HOURS"] = 12
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        before = row_counts()
        outcomes = set(db.session.scalars(sa.select(VisitItemOutcome.outcome)))
        letters = list(db.session.scalars(sa.select(ClientTask)))
    assert {"met", "missed", "excused", "not_applicable"} <= outcomes
    assert before["visit"] == 8 and before["client"] == 4
    assert sorted(t.done_on is not None for t in letters) == [False, True]
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert row_counts() == before
    token = client.post("/api/v1/auth/token", json={"username": "sz.coordinator", "password": "sz.coordinator-demo"})
    headers = {"Authorization": f"Bearer {token.json['access_token']}"}
    missed = client.get("/api/v1/visits?has_missed_items=true&status=submitted", headers=headers).json
    assert len(missed) == 3
    assert {t["outcome"] for t in client.get("/api/v1/tasks", headers=headers).json} == {"met", "missed"}
