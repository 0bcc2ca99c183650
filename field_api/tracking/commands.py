"""`field-api positions ...`: retention of stored fixes."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from field_api.clock import current_clock
from field_api.errors import DomainError
from field_api.extensions import db
from field_api.tracking import service


@click.group("positions", cls=AppGroup)
def positions_cli() -> None:
    """Manage stored position fixes."""


@positions_cli.command("prune")
@click.option("--days", type=int, default=None,
              help="Keep this many days of fixes (default FIELD_API_FIX_RETENTION_DAYS, 90).")
def prune(days: int | None) -> None:
    """Delete fixes older than the retention period, except those under legal hold."""
    try:
        result = service.prune(db.session, now=current_clock().now(),
                               days=days if days is not None else int(current_app.config["FIX_RETENTION_DAYS"]))
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"deleted {result.deleted} fixes taken before {result.cutoff.isoformat()}; "
               f"kept {result.kept_on_hold} under legal hold; removed {result.latest_removed} stale latest positions; "
               f"{result.partitions_dropped} day partitions dropped whole")
