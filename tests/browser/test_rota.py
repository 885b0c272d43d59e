"""A department's rota in a real browser: define it, build it with the solver (following its
progress), review it and publish it; the gap goes to the bank."""

from __future__ import annotations

import re

import sqlalchemy as sa
import time_machine
from playwright.sync_api import expect

from app.extensions import db
from app.models import Role
from bank.models import RateBand, Shift
from rota.models import Rota
from tests.browser.test_sign_in import sign_in
from tests.factories import (
    NOW,
    DepartmentFactory,
    RateCardFactory,
    RotaFactory,
    TrustFactory,
    WorkerFactory,
    staff_user,
)


def test_a_workforce_team_builds_reviews_and_publishes_a_rota(page):
    trust = TrustFactory(name="Ribble Hospitals")
    DepartmentFactory(site__trust=trust, name="Acute Medical Unit")
    team = staff_user(Role.WORKFORCE, trust)
    WorkerFactory(primary_trust=trust, grade="ST4", user__full_name="Amara Okafor")
    RateCardFactory(trust=trust, grade="ST3", band=RateBand.UNSOCIAL, pence_per_hour=8800)
    with time_machine.travel(NOW, tick=False):
        sign_in(page, team.email)
        page.get_by_role("link", name="Rotas").click()
        page.get_by_label("Name").fill("AMU nights")
        page.get_by_label("First day (a Monday)").fill("2026-11-09")
        page.get_by_label("Weeks").fill("1")
        page.get_by_role("button", name="Start rota").click()
        expect(page.get_by_role("heading", name="AMU nights")).to_be_visible()

        page.locator("summary", has_text="Add a shift type").click()
        page.get_by_label("Code").fill("N")
        page.get_by_label("Name of the shift type").fill("Night")
        page.get_by_label("Starts (UK time)").fill("20:00")
        page.get_by_label("Length in hours").fill("12.5")
        page.get_by_role("button", name="Add shift type").click()
        expect(page.get_by_test_id("shift-types")).to_contain_text("Night")

        page.locator("summary", has_text="Add a grade group").click()
        page.get_by_label("Name of the group").fill("Registrar")
        page.get_by_label("Grades").fill("ST3, ST4")
        page.get_by_role("button", name="Add grade group").click()
        expect(page.get_by_test_id("grade-groups")).to_contain_text("ST3, ST4")

        page.locator("summary", has_text="Add cover").click()
        page.get_by_label("People needed").fill("1")
        page.get_by_role("button", name="Add cover").click()
        expect(page.get_by_test_id("covers")).to_contain_text("Every day")

        page.locator("summary", has_text="Add a member of staff").click()
        page.get_by_label("Contracted hours a week").fill("40")
        page.get_by_role("button", name="Add to rota").click()
        expect(page.get_by_test_id("members")).to_contain_text("Amara Okafor")

        page.get_by_label("Time limit in seconds").fill("3")
        page.get_by_role("button", name="Build rota").click()
        # The run page polls its progress every 2 s until the solver finishes.
        expect(page.get_by_test_id("run-status")).to_contain_text("Finished", timeout=30_000)
        expect(page.get_by_test_id("run-proven")).to_contain_text("proven optimal")
        page.get_by_role("link", name="Review the rota").click()

        row = page.locator("[data-member='Amara Okafor']")
        expect(row).to_contain_text("N")
        expect(page.get_by_test_id("breaches")).to_contain_text("Every safe-working rule is kept")
        expect(page.get_by_test_id("shortfalls")).to_contain_text("Registrar")
        expect(page.get_by_test_id("gap-rate").first).to_contain_text("£88.00/h (ST3, unsocial)")
        expect(page.get_by_test_id("penalties")).to_contain_text(re.compile(r"Too few Registrar"))

        page.get_by_role("button", name="Publish rota").click()
        expect(page.get_by_test_id("rota-status")).to_contain_text("Published")
        expect(page.get_by_test_id("rota-status")).to_contain_text("unfilled shifts were posted")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Shift.id))) >= 4


def test_a_draft_rota_is_deleted_once_the_user_confirms(page):
    trust = TrustFactory(name="Ribble Hospitals")
    RotaFactory(department__site__trust=trust, name="AMU spare")
    team = staff_user(Role.WORKFORCE, trust)
    with time_machine.travel(NOW, tick=False):
        sign_in(page, team.email)
        page.get_by_role("link", name="Rotas").click()
        page.get_by_role("link", name="AMU spare").click()
        page.get_by_role("link", name="Delete rota").click()
        expect(page.get_by_role("heading", name="Are you sure")).to_be_visible()
        page.get_by_role("link", name="No, keep it").click()
        page.get_by_role("link", name="Delete rota").click()
        page.get_by_role("button", name="Yes, delete this rota").click()
        expect(page.get_by_text("Rota AMU spare deleted.")).to_be_visible()
        expect(page.get_by_test_id("rotas")).to_contain_text("No rotas yet.")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Rota.id))) == 0
