"""A worker copies their private calendar address, and their phone can read it."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from playwright.sync_api import expect

from tests.browser.test_sign_in import sign_in
from tests.factories import NOW, BookingFactory


def test_a_worker_copies_their_calendar_link_and_it_serves_their_shifts(page, browser):
    booking = BookingFactory(
        shift__start_at=NOW + timedelta(days=2), shift__department__name="Ward 9"
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    with time_machine.travel(NOW):
        sign_in(page, booking.worker.user.email)
        page.get_by_role("link", name="My shifts").click()
        address = page.get_by_label("Your calendar address").input_value()
        page.get_by_role("button", name="Copy the address").click()
        expect(page.get_by_text("Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == address
        feed = page.request.get(address)
        assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
        assert "BEGIN:VCALENDAR" in feed.text() and "Ward 9" in feed.text()
        page.get_by_role("button", name="Reset the address").click()
        expect(page.get_by_text("Your calendar has a new address")).to_be_visible()
        assert page.get_by_label("Your calendar address").input_value() != address
        assert page.request.get(address).status == 404
