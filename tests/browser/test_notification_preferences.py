"""A worker chooses how they are told, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_sign_in import sign_in
from tests.factories import WorkerFactory


def test_a_worker_turns_on_email_a_daily_digest_and_quiet_hours(page):
    worker = WorkerFactory(user__full_name="Amara Okafor")
    sign_in(page, worker.user.email)
    page.get_by_test_id("account-name").click()
    page.get_by_role("link", name="How we tell you").click()
    expect(page.get_by_role("heading", name="How we tell you")).to_be_visible()
    expect(page.get_by_label("In the app (always on)")).to_be_checked()
    expect(page.get_by_label("In the app (always on)")).to_be_disabled()

    # Half the quiet hours: the NHS error summary names the missing end and leads to it.
    page.get_by_label(f"By email to {worker.user.email}").check()
    page.get_by_label("In one daily summary").check()
    page.get_by_label("Quiet from").fill("22:00")
    page.get_by_role("button", name="Save preferences").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter both times of your quiet hours, or neither")
    expect(page).to_have_title(re.compile("^Error: "))
    summary.get_by_role("link").click()
    expect(page.get_by_label("Quiet until")).to_be_focused()
    expect(page.get_by_label("In one daily summary")).to_be_checked()  # answers kept

    page.get_by_label("Quiet until").fill("07:00")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your notification preferences have been saved.")).to_be_visible()

    page.reload()
    expect(page.get_by_label(f"By email to {worker.user.email}")).to_be_checked()
    expect(page.get_by_label("In one daily summary")).to_be_checked()
    expect(page.get_by_label("Quiet from")).to_have_value("22:00")
    expect(page.get_by_label("Quiet until")).to_have_value("07:00")
