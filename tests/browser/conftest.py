"""Browser tests: pytest-playwright driving Debian's chromium (the Makefile installs it; nothing is downloaded).

Run in a pytest process of their own (``tests/conftest.py`` says why), where Django is told that the event loop
playwright keeps in the main thread is not a request being served asynchronously: the test's own database calls are
synchronous and made from that thread, as in every other test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from outbound.processes import ROOT

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# Where the tests leave their screenshots, to be looked at (git ignores .local).
SCREENSHOTS = ROOT / ".local" / "screenshots"
# The console must fit a 1280 px screen.
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(chromium).exists(), "chromium is not installed: `make browser` installs Debian's package"
    return {**browser_type_launch_args, "executable_path": chromium}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": VIEWPORT, "accept_downloads": True}


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """The page (whole, or what the window shows) as a PNG under ``.local/screenshots``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def log_in(page: Page, base_url: str, username: str = "ops", password: str = "pw") -> None:
    """Sign in through the console's own login page, as an operator does."""
    page.goto(f"{base_url}/admin/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_selector("#wallboard")


def fits_the_screen(page: Page) -> bool:
    """Nothing wider than the window: no scrolling sideways, no table cut off in a scrolling box."""
    return bool(
        page.evaluate(
            """() => document.documentElement.scrollWidth <= window.innerWidth &&
                [...document.querySelectorAll('table')].every(t => t.getBoundingClientRect().right <= window.innerWidth
                    && (!t.parentElement || t.scrollWidth <= t.parentElement.clientWidth + 1))"""
        )
    )
