"""Migrations and models agree, and an empty database upgrades to head."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from field_api.extensions import db


def test_the_models_and_the_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_the_audit_table_refuses_updates_and_deletes(app, accounts):
    import pytest
    import sqlalchemy as sa

    accounts.user()
    with app.app_context():
        for statement in ("UPDATE audit_event SET action = 'forged'", "DELETE FROM audit_event"):
            with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
                conn.execute(sa.text(statement))
