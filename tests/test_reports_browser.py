"""The report page in a real browser: a manager signs in and sees every branch's table and the charts.

Headless Debian Chromium through Playwright; marked slow like the live map's browser tests, and skipped
without /usr/bin/chromium unless FIELD_API_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import os

import pytest

from field_api.demo import demo_password, seed
from field_api.extensions import db
from tests.app_server import AppServer
from tests.browser import Browser, chromium_or_skip

pytestmark = pytest.mark.slow

SCREENSHOT = os.environ.get("FIELD_API_REPORTS_SCREENSHOT")  # e.g. docs/reports.png: also save what the page shows


@pytest.fixture
def demo(app):
    """The demo data, with its past quarters, on the test's clock."""
    chromium_or_skip()
    with app.app_context():
        list(seed(db.session, config=app.config, now=app.extensions["clock"].now()))
        db.session.remove()
    return app


def test_a_manager_sees_each_branchs_table_and_the_charts_with_no_policy_violation(demo):
    browser = Browser()
    try:
        with AppServer(demo) as server:
            page = browser.page()
            page.goto(server.url + "/reports")
            page.fill("input[name=username]", "hq.manager")
            page.fill("input[name=password]", demo_password("hq.manager"))
            page.click("#login button[type=submit]")
            page.wait_for_selector("body[data-loaded=true]", timeout=30000)
            headings = page.locator("#report h2").all_inner_texts()
            codes = [h.split()[0] for h in headings]
            assert codes[0] == "HQ" and {"SZ", "SZ-BA", "SZ-FT"} <= set(codes)
            assert page.locator("#report img").count() == len(codes) + 1  # one chart a branch, and the trend
            assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
            page.click("#report tr[data-measure=contact_within_5_min][data-branch=SZ]")
            page.wait_for_selector("#records:not([hidden]) #records-body tr", timeout=10000)
            assert "dispatch" in page.locator("#records-body tr").first.inner_text()
            page.click("#records-close")
            page.evaluate("window.scrollTo(0, 0)")
            if SCREENSHOT:
                page.set_viewport_size({"width": 1280, "height": 1100})
                page.screenshot(path=SCREENSHOT, full_page=False)
    finally:
        browser.close()
    assert not [line for line in browser.console if "Content Security Policy" in line or "pageerror" in line], \
        browser.console
