"""`field-api simulate`: the fleet simulator's command, with a progress line while it runs."""

from __future__ import annotations

import sys
import time

import click

from field_api.fleet.api import ApiError, NotLocal, local_base_url
from field_api.fleet.simulate import Progress, Settings, Simulation

QUIET_REPORT_S = 10.0


def _reporter(interactive: bool):
    last = [0.0]

    def report(progress: Progress) -> None:
        if interactive:
            click.echo("\r" + progress.line()[:200].ljust(120), nl=False)
        elif time.monotonic() - last[0] >= QUIET_REPORT_S:
            click.echo(progress.line())
            last[0] = time.monotonic()

    return report


@click.command("simulate")
@click.option("--branch", required=True, help="Branch code whose zones hold the sites, e.g. SZ.")
@click.option("--surveyors", type=click.IntRange(1, 20_000), required=True, help="How many virtual surveyors.")
@click.option("--speed-kmh", type=click.FloatRange(1, 150), default=35.0, show_default=True,
              help="Their cruising speed; each varies it, stops at lights and slows in traffic.")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True,
              help="The server to load: this machine only (localhost, 127.0.0.0/8, ::1).")
@click.option("--duration", "duration_s", type=click.FloatRange(1, 24 * 3600), default=300, show_default=True,
              help="Stop after this many seconds.")
@click.option("--max-batches", type=click.IntRange(1), default=None, help="Stop after this many batches.")
@click.option("--interval", "interval_s", type=click.FloatRange(0.2, 600), default=5.0, show_default=True,
              help="Seconds between a phone's batches (each phone varies it by ±20 %).")
@click.option("--fix-every", "fix_every_s", type=click.FloatRange(0.2, 600), default=1.0, show_default=True,
              help="Seconds between a phone's fixes.")
@click.option("--manager", default="sz.manager", show_default=True,
              help="A manager (or admin) who may create the simulated users in the branch.")
@click.option("--manager-password", default=None, help="Their password (default: the demo manager's).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True,
              help="Requests in flight at once.")
@click.option("--seed", type=int, default=None, help="Seed for a repeatable run.")
def simulate(branch: str, surveyors: int, speed_kmh: float, url: str, duration_s: float, max_batches: int | None,
             interval_s: float, fix_every_s: float, manager: str, manager_password: str | None, concurrency: int,
             seed: int | None) -> None:
    """Drive virtual surveyors to their dispatched sites, posting batched fixes through the HTTP API as phones do."""
    try:
        base = local_base_url(url)
    except NotLocal as error:
        raise click.BadParameter(str(error), param_hint="--url") from None
    settings = Settings(url=base, branch=branch, surveyors=surveyors, speed_kmh=speed_kmh, duration_s=duration_s,
                        max_batches=max_batches, interval_s=interval_s, fix_every_s=fix_every_s, manager=manager,
                        manager_password=manager_password or f"{manager}-demo", concurrency=concurrency, seed=seed)
    interactive = sys.stdout.isatty()
    click.echo(f"simulating {surveyors} surveyors of {branch} at about {speed_kmh:g} km/h against {base} "
               f"for up to {duration_s:g} s (Ctrl-C stops)")
    simulation = Simulation(settings, report=_reporter(interactive))
    try:
        progress = simulation.run()
    except KeyboardInterrupt:
        progress = simulation.progress
        click.echo("\nstopped")
    except (ApiError, OSError) as error:
        raise click.ClickException(f"the server refused the set-up: {error}") from None
    if interactive:
        click.echo()
    click.echo("done: " + progress.line())
