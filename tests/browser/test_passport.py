"""The passport's central story, in a real browser: add once, verify once, accepted everywhere."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app.db import transaction, utcnow
from app.models import Role
from passport.services import add_requirement
from tests.browser.test_sign_in import sign_in
from tests.factories import (
    DepartmentFactory,
    TrustFactory,
    WorkerFactory,
    credential_type,
    staff_user,
)

PDF = b"%PDF-1.4\n% DBS certificate\n"


def test_trust_b_relies_on_trust_a_checks_and_the_shift_check_passes(
    page, browser, live_server, tmp_path
):
    trust_a = TrustFactory(name="Ribble Teaching Hospitals")
    ward_b = DepartmentFactory(name="Ward 4", site__trust=TrustFactory(name="Tame Hospitals"))
    trust_b = ward_b.trust
    officer_a = staff_user(Role.COMPLIANCE, trust_a, full_name="Olu Officer")
    officer_b = staff_user(Role.COMPLIANCE, trust_b)
    worker = WorkerFactory(primary_trust=trust_a, user__full_name="Amara Okafor")
    for code in ("dbs_enhanced", "gmc_registration"):
        with transaction():
            add_requirement(
                trust_b,
                officer_b,
                code=credential_type(code).code,
                staff_group=None,
                grade=None,
                department_id=None,
                now=utcnow(),
            )

    # The worker adds a DBS certificate and a GMC registration.
    certificate = tmp_path / "dbs.pdf"
    certificate.write_bytes(PDF)
    sign_in(page, worker.user.email)
    page.get_by_role("link", name="My passport").click()
    page.get_by_label("Credential").select_option(label="Enhanced DBS check with barred lists")
    page.get_by_label("Evidence document").set_input_files(str(certificate))
    page.get_by_role("button", name="Add credential").click()
    expect(page.get_by_text("Enhanced DBS check with barred lists added")).to_be_visible()
    page.get_by_label("Credential").select_option(label="GMC registration and licence to practise")
    page.get_by_label("Reference").fill("7012345")
    page.get_by_label("Issued or completed on").fill("2019-08-07")
    page.get_by_label("Expires on").fill("2028-08-07")
    page.get_by_role("button", name="Add credential").click()
    passport = page.get_by_test_id("passport")
    expect(passport.locator("[data-status=awaiting_verification]")).to_have_count(2)

    # Trust A's compliance officer verifies both from the queue.
    officer_page = browser.new_context(base_url=live_server).new_page()
    sign_in(officer_page, officer_a.email)
    officer_page.get_by_role("link", name="Verification queue").click()
    expect(officer_page.get_by_test_id("queue").get_by_role("row")).to_have_count(3)
    officer_page.get_by_role("link", name=re.compile("Review")).first.click()
    for _ in range(2):
        officer_page.get_by_role("button", name="Verify for the whole bank").first.click()
        expect(officer_page.get_by_text("verify recorded")).to_be_visible()
    expect(officer_page.get_by_test_id("verified-by")).to_have_count(2)

    # Trust B's officer finds the worker, sees Trust A's checks and accepts them.
    b_page = browser.new_context(base_url=live_server).new_page()
    sign_in(b_page, officer_b.email)
    b_page.get_by_role("link", name="Verification queue").click()
    b_page.get_by_label(re.compile("Find any worker")).fill("Okafor")
    b_page.get_by_role("button", name="Find").click()
    b_page.get_by_role("link", name="Amara Okafor").click()
    expect(b_page.get_by_test_id("verified-by").first).to_contain_text(
        "Olu Officer at Ribble Teaching Hospitals"
    )
    expect(b_page.get_by_test_id("eligibility")).to_contain_text("Meets everything")
    b_page.get_by_role("button", name=re.compile("Accept for Tame Hospitals")).first.click()
    expect(b_page.get_by_text("accept recorded for Tame Hospitals")).to_be_visible()

    # The worker checks a night shift at Trust B: the passport covers it.
    page.goto("/passport")
    page.get_by_label("Trust").select_option(label="Tame Hospitals")
    page.get_by_label("Starts at (UK time)").fill("2026-12-05T20:00")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_test_id("work-check")).to_contain_text("You can do this work")
    expect(page.get_by_test_id("passport").locator("[data-status=verified]")).to_have_count(2)
