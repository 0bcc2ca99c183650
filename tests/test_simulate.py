"""The fleet simulator drives virtual surveyors to their sites through the real HTTP API, on this machine only."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from field_api.accounts.models import User
from field_api.clock import Clock
from field_api.demo import seed
from field_api.dispatch.models import Dispatch, DispatchStatus
from field_api.extensions import db
from field_api.fleet.api import NotLocal, local_base_url
from field_api.fleet.motion import VirtualSurveyor
from field_api.tracking.models import Fix, LatestPosition
from geo.distance import haversine_m
from tests.app_server import AppServer

SITE = (22.5431, 114.0579)


def test_a_virtual_surveyor_drives_straight_to_the_site_with_speed_changes_and_stops():
    car = VirtualSurveyor(rng=random.Random(3), lat=SITE[0] - 0.03, lon=SITE[1], cruise_kmh=36)
    car.drive_to(*SITE)
    speeds = []
    for _ in range(3600):
        car.advance(1.0)
        speeds.append(car.speed_mps)
        if car.arrived:
            break
    assert car.arrived and (car.lat, car.lon) == pytest.approx(SITE)
    assert max(speeds) <= 10 * 1.25 + 1e-9
    moving = speeds[20:-20]
    assert 0.0 in moving, "it stopped on the way (lights, traffic)"
    assert len(set(round(s, 1) for s in moving)) > 10, "its speed changed"


def test_a_phones_fixes_scatter_around_the_true_position_as_their_accuracy_says():
    car = VirtualSurveyor(rng=random.Random(5), lat=SITE[0], lon=SITE[1], cruise_kmh=36)
    fixes = [car.fix(datetime(2026, 7, 1, tzinfo=timezone.utc)) for _ in range(500)]
    errors = [haversine_m(f["lat"], f["lon"], *SITE) for f in fixes]
    assert all(4 <= f["accuracy"] <= 60 for f in fixes)
    assert sorted(errors)[len(errors) // 2] < 15
    assert all(f["battery"] <= 1 and f["provider"] == "gps" for f in fixes)


@pytest.mark.parametrize("url", ["http://example.com", "http://10.0.0.8:8000", "http://192.168.1.2", "ftp://localhost",
                                 "http://127.0.0.1:8000/api?x=1"])
def test_the_simulator_targets_only_this_machine(url):
    with pytest.raises(NotLocal):
        local_base_url(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000",
                                 "https://127.0.0.2"])
def test_loopback_urls_are_accepted(url):
    assert local_base_url(url) == url.rstrip("/")


def test_the_command_refuses_another_machine_before_sending_anything(runner):
    result = runner.invoke(args=["simulate", "--branch", "SZ", "--surveyors", "2", "--url", "http://203.0.113.5"])
    assert result.exit_code == 2 and "only targets localhost" in result.output


def test_simulated_surveyors_go_on_duty_get_dispatched_and_post_batched_fixes_through_the_api(app, runner, session):
    app.extensions["clock"] = Clock()  # the phones' time is real time, so the server's must be too
    list(seed(session, config=app.config, now=datetime.now(timezone.utc)))
    session.remove()
    with AppServer(app) as server:
        result = runner.invoke(args=[
            "simulate", "--url", server.url, "--branch", "SZ", "--surveyors", "3", "--speed-kmh", "50",
            "--duration", "60", "--max-batches", "9", "--interval", "0.4", "--fix-every", "0.2", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "done:" in result.output and "batches 9" in result.output and "errors 0" in result.output

    simulated = session.scalars(sa.select(User.id).where(User.username.like("sim.sz.%"),
                                                         User.role == "surveyor")).all()
    assert len(simulated) == 3
    assert session.scalar(sa.select(sa.func.count()).select_from(LatestPosition)
                          .where(LatestPosition.surveyor_id.in_(simulated))) == 3
    assert session.scalar(sa.select(sa.func.count()).select_from(Dispatch).where(
        Dispatch.surveyor_id.in_(simulated), Dispatch.status == DispatchStatus.OPEN)) == 3
    fixes = session.scalar(sa.select(sa.func.count()).select_from(Fix).where(Fix.surveyor_id.in_(simulated)))
    assert fixes >= 9 * 2, "batches of several fixes each"
