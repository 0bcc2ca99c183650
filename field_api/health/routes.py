"""GET /healthz (the process answers) and GET /readyz (database reachable, migrations at head)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.config import Config
from flask import Blueprint, current_app

from field_api.extensions import db

health = Blueprint("health", __name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@cache
def migration_heads() -> frozenset[str]:
    """The revisions the code expects the database to be at."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


@health.get("/healthz")
def healthz():
    """The process is alive."""
    return {"status": "ok"}


@health.get("/readyz")
def readyz():
    """The database answers and its schema is at the migrations' head."""
    try:
        current = frozenset(db.session.scalars(sa.text("SELECT version_num FROM alembic_version")))
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("readiness: database unavailable: %s", exc)
        return {"status": "unavailable", "database": "unreachable or not migrated"}, 503
    if current != migration_heads():
        return {"status": "unavailable", "database": "reachable", "migrations": "behind",
                "current": sorted(current), "head": sorted(migration_heads())}, 503
    return {"status": "ok", "database": "reachable", "migrations": "head"}
