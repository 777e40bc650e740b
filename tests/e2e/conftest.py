"""Fixtures for the browser tests: one JupyterLab per session, one Chromium per module.

Screenshots go to ``artifacts-ci/screenshots/`` (git-ignored; CI keeps it). These tests
run last (see ``pytest_collection_modifyitems`` in tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pytest's importlib mode does not
import lab_harness  # noqa: E402


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    with lab_harness.running_lab(tmp_path_factory.mktemp("lab")) as handle:
        yield handle


# One Chromium per module, not per session: Playwright's sync API keeps an event loop
# running on the main thread while it is open, and a test that runs its own loop there
# (pytest-jupyter's, in tests/sidebar) fails if it comes after, on the same pytest-xdist
# worker, while that loop is still open.
@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:  # Playwright gives each launch a fresh profile
        browser = playwright.chromium.launch(
            executable_path=lab_harness.CHROMIUM, args=lab_harness.CHROMIUM_ARGS
        )
        yield _PatientBrowser(browser)
        browser.close()


# Playwright waits 30 s unless told otherwise; on a loaded two-core CI machine a notebook of
# Plotly charts has taken longer than that to draw, so every wait the tests leave to the
# default waits this long (a feature that broke still fails, later).
DEFAULT_TIMEOUT_MS = 120_000


class _PatientBrowser:
    """The module's Chromium, whose new contexts wait ``DEFAULT_TIMEOUT_MS`` by default."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **options):
        """A new context (Playwright's ``Browser.new_context``) with the longer default."""
        context = self._browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        return context

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


@pytest.fixture(scope="module", autouse=True)
def _kernels_shut_down_after_each_module():
    """Each module's kernels end with it (its pages are closed by then: module fixtures made
    after this one are torn down before it), so they do not load the next modules' tests."""
    yield
    lab_harness.shut_down_kernels()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A screenshot of each page a failed test had (``FAILED-<test>.png``): what the page
    showed is most of what a browser test's failure in CI can tell."""
    report = yield
    if report.when == "call" and report.failed:
        for number, page in enumerate(_pages(item.funcargs.values())):
            with contextlib.suppress(Exception):  # a page already closed, a browser gone
                lab_harness.screenshot(page, f"FAILED-{item.name}-{number}")
    return report


def _pages(values) -> list:
    """The Playwright pages among a test's fixture values (some fixtures give a tuple)."""
    from playwright.sync_api import Page

    pages = []
    for value in values:
        for candidate in value if isinstance(value, tuple) else (value,):
            if isinstance(candidate, Page):
                pages.append(candidate)
    return pages


@pytest.fixture(scope="session")
def ui():
    """The harness's helpers, for the test modules."""
    return lab_harness
