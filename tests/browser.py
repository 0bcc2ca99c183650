"""Headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os

import pytest

CHROMIUM = os.environ.get("FIELD_API_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_or_skip() -> str:
    """Debian's Chromium; skips without it, unless FIELD_API_REQUIRE_BROWSER says the browser tests must run."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    if os.environ.get("FIELD_API_REQUIRE_BROWSER"):
        pytest.fail(reason + "; FIELD_API_REQUIRE_BROWSER is set, so the browser tests must run")
    pytest.skip(reason)


class Browser:
    """A Playwright Chromium for one test."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=chromium_or_skip(), args=CHROMIUM_ARGS)
        self.context = self._browser.new_context(viewport={"width": 1280, "height": 800})
        self.console: list[str] = []

    def page(self):
        page = self.context.new_page()
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        return page

    def close(self) -> None:
        self.context.close()
        self._browser.close()
        self._playwright.stop()
