"""The `field-api` command: Flask's commands, Alembic's `db`, flask-smorest's `openapi`, and ours."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from field_api.access import Actor
from field_api.accounts import service as accounts
from field_api.accounts.models import Role
from field_api.clock import current_clock
from field_api.errors import DomainError
from field_api.extensions import db
from field_api.tracking.commands import positions_cli


def register(app: Flask) -> None:
    """Add this project's commands to the app's CLI."""
    app.cli.add_command(branches_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(positions_cli)


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


def _create_app():
    from field_api.app import create_app

    return create_app()


main = FlaskGroup(name="field-api", create_app=_create_app, add_version_option=False, load_dotenv=False,
                  help="field_api: the service, its database and its data.")
