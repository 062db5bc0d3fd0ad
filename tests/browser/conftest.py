"""Browser tests: Playwright (the Python package) driving Debian's Chromium, headless, against
pytest-django's live_server, with the PowerOffice sandbox of the e2e tests.

Skipped with a reason when /usr/bin/chromium or the playwright package is missing (`.ci/run`
installs the `chromium` Debian package). Playwright's own browser download is never used.
UPDATE_SCREENSHOTS=1 saves the README's screenshots to docs/screenshots/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import _fresh_client_state, azets_sandbox, po_sandbox  # noqa: F401

CHROMIUM = os.environ.get("LEDGERBRIDGE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip
PASSWORD = "browser-test-pw"


def pytest_collection_modifyitems(config, items):
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium (see .ci/run)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is missing: pip install -e '.[dev]'"
    if reason:
        for item in items:
            if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def chromium():
    """One browser per test module. While it runs, Playwright's sync API keeps an event loop in
    this thread; the ORM calls of the test itself stay synchronous, so Django's async guard is
    told so for the module's duration only."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _launched(sync_playwright)
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _launched(sync_playwright):
    # launch() gives Chromium a fresh, empty profile directory of its own each time.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1400, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sandbox_keys(settings):
    """Sandbox-mode connections use the sandbox's own application and subscription keys."""
    settings.POWEROFFICE_APPLICATION_KEY = ""
    settings.POWEROFFICE_SUBSCRIPTION_KEY = ""
    settings.POWEROFFICE_RATE_LIMIT = 1000.0
    from integrations.poweroffice.lookups import lookups_clear

    lookups_clear()
    yield
    lookups_clear()


def staff_user(username: str, group_name: str):
    from django.contrib.auth.models import Group, Permission

    from accounting.roles import roles_apply
    from tests.factories import UserFactory

    roles_apply(group_model=Group, permission_model=Permission)
    user = UserFactory(username=username, is_staff=True, email=f"{username}@example.com")
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=group_name))
    return user


def log_in(page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def screenshot(page, name: str) -> None:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
