"""The `field-api` command: Flask's commands, Alembic's `db`, flask-smorest's `openapi`, and ours."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from field_api.access import Actor
from field_api.accounts import service as accounts
from field_api.accounts.models import Role
from field_api.board.roster import replace_roster
from field_api.clock import current_clock
from field_api.errors import DomainError
from field_api.extensions import db
from field_api.fleet.command import simulate
from field_api.reports.command import report, settle_report_days
from field_api.tracking.commands import positions_cli
from field_api.zones import service as zones
from geo.datum import Datum
from schemas.geo import DATUMS, canonical_datum


def register(app: Flask) -> None:
    """Add this project's commands to the app's CLI."""
    app.cli.add_command(branches_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(zones_cli)
    app.cli.add_command(worker)
    app.cli.add_command(simulate)
    app.cli.add_command(positions_cli)
    app.cli.add_command(report)
    app.cli.add_command(settle_report_days)
    app.cli.add_command(roster_cli)


def _fail(error: DomainError) -> None:
    detail = f" {error.errors}" if error.errors else ""
    raise click.ClickException(f"{error.message}{detail}")


@click.group("branches", cls=AppGroup)
def branches_cli() -> None:
    """Manage the branch tree."""


@branches_cli.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--parent", "parent_code", default=None, help="Code of the parent branch.")
@click.option("--timezone", default=None, help="IANA time zone (default FIELD_API_TIMEZONE).")
def create_branch(code: str, name: str, parent_code: str | None, timezone: str | None) -> None:
    """Create a branch."""
    try:
        branch = accounts.create_branch(db.session, actor=Actor.system(), now=current_clock().now(), code=code,
                                        name=name, parent_code=parent_code, timezone=timezone,
                                        default_timezone=current_app.config["TIMEZONE"])
    except DomainError as error:
        _fail(error)
    click.echo(f"created branch {branch.code} ({branch.name}, {branch.timezone})")


@click.group("users", cls=AppGroup)
def users_cli() -> None:
    """Manage users."""


@users_cli.command("create")
@click.argument("username")
@click.option("--password", required=True, prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--branch", "branch_code", required=True)
@click.option("--name", "display_name", default=None)
@click.option("--phone", default=None)
@click.option("--chief", is_flag=True, help="The branch's chief coordinator.")
def create_user(username: str, password: str, role: str, branch_code: str, display_name: str | None,
                phone: str | None, chief: bool) -> None:
    """Create a user."""
    try:
        user = accounts.create_user(db.session, actor=Actor.system(), now=current_clock().now(), username=username,
                                    password=password, role=Role(role), branch_code=branch_code,
                                    display_name=display_name, phone=phone, is_chief_coordinator=chief,
                                    cheap_hash=current_app.config["PASSWORD_HASH_CHEAP"])
    except DomainError as error:
        _fail(error)
    click.echo(f"created {user.role.value} {user.username} in {branch_code}")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create (or complete) the demo data and print the demo sign-ins; safe to run twice."""
    from field_api.demo import seed

    for line in seed(db.session, config=current_app.config, now=current_clock().now()):
        click.echo(line)


@click.group("zones", cls=AppGroup)
def zones_cli() -> None:
    """Manage service zones."""


@zones_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--branch", "branch_code", required=True)
@click.option("--crs", type=click.Choice(DATUMS), default="wgs84", show_default=True,
              help="Datum of the file (AMap/Tencent boundaries are gcj02).")
def import_zones(path: str, branch_code: str, crs: str) -> None:
    """Replace a branch's zones from a GeoJSON FeatureCollection file; reports what was repaired."""
    try:
        collection = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path} is not GeoJSON: {exc}") from None
    try:
        stored = zones.replace_zones(db.session, actor=Actor.system(), now=current_clock().now(),
                                     branch_code=branch_code, feature_collection=collection, crs=Datum(crs),
                                     canonical=canonical_datum.get())
    except DomainError as error:
        _fail(error)
    click.echo(f"{branch_code}: {len(stored.zones.zones)} zones stored as version {stored.version}")
    for repair in stored.repairs:
        click.echo(f"  repaired: {repair}")


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs once and exit.")
@with_appcontext
def worker(once: bool) -> None:
    """Run the background worker: clocks turn at-risk and missed on time, report days settle (one holds the lease)."""
    from field_api.board.followups import extract_followups
    from field_api.dispatch.jobs import tick_clocks
    from field_api.live.relay import live_jobs
    from field_api.media.storage import media_jobs
    from field_api.reports.settling import DaySettling
    from field_api.tracking.partitions import create_ahead
    from field_api.worker.service import run_forever, run_once

    jobs = [create_ahead, tick_clocks, extract_followups, *live_jobs(current_app.config),
            *media_jobs(current_app.config), DaySettling(current_app.config["REPORT_SETTLE_INTERVAL_S"])]
    clock = current_clock()
    if once:
        click.echo(f"{run_once(db.session, now=clock.now(), jobs=jobs)} clock changes")
        return
    click.echo("worker running; Ctrl-C stops it")
    run_forever(lambda: db.session, clock=clock, jobs=jobs, interval_s=current_app.config["WORKER_INTERVAL_S"])


@click.group("roster", cls=AppGroup)
def roster_cli() -> None:
    """Manage duty rosters (值班表)."""


@roster_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--branch", "branch_code", required=True)
def import_roster(path: str, branch_code: str) -> None:
    """Replace a branch's shifts from a CSV file: starts,ends,coordinator,surveyors (usernames; ';' between)."""
    from field_api.board.roster_file import read_roster_file

    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            start, end, plans = read_roster_file(db.session, handle)
        roster = replace_roster(db.session, actor=Actor.system(), now=current_clock().now(), branch_code=branch_code,
                                start=start, end=end, shifts=plans)
    except DomainError as error:
        _fail(error)
    click.echo(f"{branch_code}: {len(roster.shifts)} shifts from {start.isoformat()} to {end.isoformat()}")


def _create_app():
    from field_api.app import create_app

    return create_app()


main = FlaskGroup(name="field-api", create_app=_create_app, add_version_option=False, load_dotenv=False,
                  help="field_api: the service, its database and its data.")
