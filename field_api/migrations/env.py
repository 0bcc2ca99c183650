"""Alembic environment: runs migrations on the app's engine (online only)."""

import logging

from alembic import context
from flask import current_app

logger = logging.getLogger("alembic.env")
migrate_ext = current_app.extensions["migrate"]


def render_item(type_, obj, autogen_context):
    """Write our UTCDateTime as a plain timestamp-with-time-zone, so migrations need none of our code."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    """Run migrations in a transaction on the app's engine."""
    with migrate_ext.db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=migrate_ext.db.metadata,
                          render_item=render_item, **migrate_ext.configure_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `field-api db upgrade` against a database.")
run_migrations_online()
