"""The live map in a real browser: a coordinator signs in, sees the demo surveyors, and watches them change.

Headless Debian Chromium through Playwright. Skipped without /usr/bin/chromium unless
FIELD_API_REQUIRE_BROWSER is set (CI sets it, so there these tests run). No test reaches the
internet: the map has no tile layer (FIELD_API_MAP_TILES empty).
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from field_api.accounts.models import User
from field_api.demo import demo_password, seed
from field_api.dispatch.jobs import tick_clocks
from field_api.extensions import db
from field_api.worker.service import run_once
from tests.app_server import AppServer
from tests.browser import Browser, chromium_or_skip

pytestmark = pytest.mark.slow

SCREENSHOT = os.environ.get("FIELD_API_MAP_SCREENSHOT")  # e.g. docs/map.png: also save what the page shows


@pytest.fixture
def demo(app):
    """The demo data, on the test's clock."""
    chromium_or_skip()
    app.config.update(MAP_TILES="", LIVE_HEARTBEAT_S=0.2, LIVE_POLL_S=0.05)
    with app.app_context():
        list(seed(db.session, config=app.config, now=app.extensions["clock"].now()))
        db.session.remove()
    yield app
    app.extensions["live"].stop()


@pytest.fixture
def browser():
    browser = Browser()
    yield browser
    browser.close()


def sign_in(page, url, username):
    page.goto(url + "/map")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo_password(username))
    page.click("button[type=submit]")


def user_id(app, username):
    with app.app_context():
        found = db.session.scalar(sa.select(User.id).where(User.username == username))
        db.session.remove()
    return found


def post_fix(client, username, lat, lon, at):
    token = client.post("/api/v1/auth/token", json={"username": username, "password": demo_password(username)})
    headers = {"Authorization": f"Bearer {token.json['access_token']}"}
    response = client.post("/api/v1/positions", headers=headers, json={"fixes": [
        {"device_time": at.isoformat(), "lat": lat, "lon": lon, "accuracy": 6, "speed": 8.0, "battery": 0.7}]})
    assert response.status_code == 200 and response.json["accepted"] == 1, response.json


def test_a_coordinator_watches_a_surveyor_move_and_a_deadline_turn_missed_without_reloading(demo, browser, client,
                                                                                            clock):
    from playwright.sync_api import expect

    with AppServer(demo) as server:
        page = browser.page()
        sign_in(page, server.url, "sz.coordinator")
        expect(page.locator("#status")).to_have_text("live")
        surveyors = page.locator("path.surveyor")
        expect(surveyors).to_have_count(3)
        # the demo's open cases: three dispatched, one waiting, one entrusted from Guangzhou, one to call back
        expect(page.locator(".site")).to_have_count(6)
        expect(page.locator("path.zone").first).to_be_attached()
        page.evaluate("window.sameDocument = true")
        if SCREENSHOT:
            page.screenshot(path=SCREENSHOT)

        marker = page.locator(f"path.surveyor-{user_id(demo, 'ft.surveyor1')}")
        before = marker.get_attribute("d")
        clock.advance(seconds=90)  # Li Wei drives 600 m west, towards the civic centre
        post_fix(client, "ft.surveyor1", 22.5380, 114.0742, clock.now())
        expect(marker).not_to_have_attribute("d", before)

        marker.dispatch_event("click")  # a site label may lie over the marker; a person would zoom in
        expect(page.locator("#detail-title")).to_have_text("Li Wei 李伟")
        expect(page.locator("#timeline li").first).to_contain_text("dispatched")

        clock.advance(minutes=31)
        with demo.app_context():
            run_once(db.session, now=clock.now(), jobs=[tick_clocks])
            db.session.remove()
        missed = page.locator('#deadlines li[data-state="missed"][data-clock="arrival"]', has_text="DEMO-0001")
        expect(missed).to_be_visible()
        expect(missed).to_contain_text("min late")
        assert page.evaluate("window.sameDocument") is True, "the page was not reloaded"
        assert not [m for m in browser.console if "Content Security Policy" in m or "pageerror" in m], browser.console
