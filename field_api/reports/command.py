"""`field-api report`: write the published compliance report of a period (cron: first month of each quarter)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from field_api.clock import current_clock
from field_api.errors import DomainError
from field_api.extensions import db
from field_api.reports.publish import publish


def _bar(items, label):
    items = list(items)
    with click.progressbar(items, label=label.ljust(20), show_pos=True, file=sys.stderr) as bar:
        yield from bar


@click.command("report")
@click.option("--period", default=None, help="2026Q3, 2026 or 2026-07-01..2026-09-30 (default: last quarter).")
@click.option("--branch", "branch_code", default=None, help="Branch code (default: the whole tree).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the CSV, JSON and PNG charts.")
@with_appcontext
def report(period: str | None, branch_code: str | None, out: Path) -> None:
    """Write the compliance report (CSV, JSON, PNG charts) of a period for a branch tree."""
    try:
        written = publish(db.session, now=current_clock().now(), out=out, period=period, branch_code=branch_code,
                          progress=_bar)
    except DomainError as error:
        detail = f" {error.errors}" if error.errors else ""
        raise click.ClickException(f"{error.message}{detail}") from None
    for path in written:
        click.echo(str(path))


@click.command("settle-report-days")
@with_appcontext
def settle_report_days() -> None:
    """Keep the numbers of every settled report day now (the worker does it as days settle)."""
    from field_api.reports.settling import settle

    click.echo(f"{settle(db.session, current_clock().now())} branch days kept")
