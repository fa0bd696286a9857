"""The admin site through a whole shift, in headless Chromium against the local stack:
no WCAG A/AA violation (axe-core) and no page wider than the screen at 1366×768 and
390×844, focus that follows what changed, the keyboard alone, and no irreversible
slip. Screenshots land in test-artifacts/screenshots/."""

import os
import re
import uuid

import pytest
from support.admin_site import (
    ARTIFACTS,
    BOOTSTRAP_ADMIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    SCREENSHOTS,
    SiteTab,
    Stack,
    file_report_with_photo,
    wait_until,
)
from support.auth import new_phone

if not CHROMIUM.exists():
    message = (f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
               "(apt-get install chromium)")
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)   # CI never skips the browser tests
    pytest.skip(message, allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.stack]

EVIDENCE_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def stack():
    stack = Stack.start(ARTIFACTS / "admin-site-shift-stack.log")
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def admin(browser, stack):
    admin = SiteTab(browser, stack, BOOTSTRAP_ADMIN)
    admin.open()
    admin.sign_in()
    expect(admin.page.locator(".who-role")).to_have_text("管理员")
    yield admin
    admin.context.close()


@pytest.fixture(scope="module")
def officer_phones(admin, stack):
    """Numbers made officers through the API (the Officers page has its own test)."""
    phones = [new_phone() for _ in range(3)]
    for phone in phones:
        granted = stack.call("PUT", f"/admin/officers/{phone}", admin.token())
        assert granted.status_code == 200, granted.text
    return phones


@pytest.fixture(scope="module")
def officer(browser, stack, officer_phones):
    officer = SiteTab(browser, stack, officer_phones[0])
    officer.open()
    officer.sign_in()
    expect(officer.page.locator(".masthead")).to_be_visible()
    yield officer
    officer.context.close()


@pytest.fixture(scope="module")
def citizen(stack):
    return stack.sign_in(new_phone())


@pytest.fixture
def report(stack, citizen):
    return file_report_with_photo(stack, citizen)


@pytest.fixture(autouse=True)
def nothing_went_wrong_unseen(request):
    yield
    for name in ("admin", "officer"):
        if name in request.fixturenames:
            request.getfixturevalue(name).check()


def test_every_page_passes_axe_and_fits_a_phone(browser, stack, admin, report):
    visitor = SiteTab(browser, stack, new_phone())
    try:
        visitor.open()
        expect(visitor.page.locator("input[name=phone]")).to_be_focused()
        visitor.audit_page("signin")
        visitor.check()
    finally:
        visitor.context.close()
    page = admin.page
    admin.open("#/reports?category=theft&status=submitted")
    expect(page.locator(f"[data-report-id='{report.report_id}']")).to_be_visible()
    admin.audit_page("queue")
    admin.open(f"#/reports/{report.report_id}")
    expect(page.locator("figure[data-status=ready] img")).to_be_visible(
        timeout=EVIDENCE_TIMEOUT_MS)
    admin.audit_page("report")
    admin.open("#/bulletins/new?category=missing_person")
    expect(page.locator("form.bulletin-form")).to_be_visible()
    admin.audit_page("bulletin-form")
    admin.open("#/officers")
    expect(page.locator("input[name=officer-phone]")).to_be_visible()
    admin.audit_page("officers")
    admin.open("#/audit")
    expect(page.locator("tbody tr").first).to_be_visible()
    admin.audit_page("audit")
