"""A worker says where they would rather work and how the bank may place them, in a browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_sign_in import sign_in
from tests.factories import (
    MembershipFactory,
    SiteFactory,
    TrustFactory,
    WorkerFactory,
    collaborative_bank,
    member_of_own_bank,
)


def test_a_worker_prefers_another_trust_caps_their_week_and_opts_in_to_assignment(page):
    tame, ribble = TrustFactory(name="Tame Hospitals"), TrustFactory(name="Ribble Hospitals")
    SiteFactory(trust=ribble, name="Royal Preston")
    worker = WorkerFactory(primary_trust=tame)
    member_of_own_bank(worker)
    MembershipFactory(bank=collaborative_bank(tame, ribble), worker=worker)
    sign_in(page, worker.user.email)
    page.goto("/banks")
    page.get_by_role("link", name="Your bank preferences").click()
    expect(page.get_by_role("heading", name="Your bank preferences")).to_be_visible()
    expect(page.get_by_label("Offer it to me first")).to_be_checked()

    page.get_by_label("Ribble Hospitals", exact=True).check()
    page.get_by_label("Royal Preston, Ribble Hospitals").check()
    page.get_by_label("Most bank shifts you want in a week").fill("lots")
    page.get_by_label("Book me straight onto it").check()
    page.get_by_role("button", name="Save preferences").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Give a whole number of shifts")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_label("Ribble Hospitals", exact=True)).to_be_checked()  # answers kept

    page.get_by_label("Most bank shifts you want in a week").fill("2")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your bank preferences have been saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Ribble Hospitals", exact=True)).to_be_checked()
    expect(page.get_by_label("Tame Hospitals", exact=True)).not_to_be_checked()
    expect(page.get_by_label("Royal Preston, Ribble Hospitals")).to_be_checked()
    expect(page.get_by_label("Most bank shifts you want in a week")).to_have_value("2")
    expect(page.get_by_label("Book me straight onto it")).to_be_checked()
