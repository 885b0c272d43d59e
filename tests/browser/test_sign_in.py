"""Signing in as each role, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.conftest import PASSWORD
from tests.factories import SiteFactory, WorkerFactory, staff_user


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize(
    ("role", "path", "heading"),
    [
        (Role.WORKFORCE, "/workforce", "Departments"),
        (Role.COMPLIANCE, "/compliance", "Workers and their professional registration"),
        (Role.FINANCE, "/finance", "Bank headcount by staff group and grade"),
        (Role.ICS_ADMIN, "/ics", "Trusts in the collaborative bank"),
    ],
)
def test_each_staff_role_signs_in_and_sees_its_home(page, role, path, heading):
    site = SiteFactory()
    user = staff_user(role, None if role == Role.ICS_ADMIN else site.trust)
    sign_in(page, user.email)
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_test_id("account-name")).to_have_text(user.full_name)


def test_a_worker_signs_in_and_sees_their_profile(page):
    worker = WorkerFactory(grade="ST4")
    sign_in(page, worker.user.email)
    expect(page).to_have_url(re.compile(r"/worker$"))
    expect(page.get_by_test_id("worker-profile")).to_contain_text("ST4")
    expect(page.get_by_test_id("worker-profile")).to_contain_text(worker.primary_trust.name)


def test_a_wrong_password_shows_the_nhs_error_summary(page):
    user = staff_user(Role.ICS_ADMIN, None)
    sign_in(page, user.email, "not-my-password")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text("Enter a correct email address and password")
    expect(page).to_have_title(re.compile("^Error: "))
    summary.get_by_role("link").click()
    expect(page.get_by_label("Email address")).to_be_focused()


def test_signing_out_returns_to_sign_in_and_the_home_is_closed(page):
    user = staff_user(Role.ICS_ADMIN, None)
    sign_in(page, user.email)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto("/ics")
    expect(page).to_have_url(re.compile(r"/login"))
