"""The gap filler in a real browser: a workforce team finds workers for its open shifts, reads
why a shift stays open, and applies the proposals."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from playwright.sync_api import expect

from app.extensions import db
from app.models import Role
from bank.models import WorkerBankSettings
from tests.browser.test_sign_in import sign_in
from tests.factories import (
    NOW,
    ShiftFactory,
    TrustFactory,
    WorkerFactory,
    member_of_own_bank,
    staff_user,
)


def test_a_team_runs_the_gap_filler_reads_why_a_shift_stays_open_and_applies_it(page):
    trust = TrustFactory(name="Ribble Hospitals")
    team = staff_user(Role.WORKFORCE, trust)
    priya = WorkerFactory(primary_trust=trust, grade="ST3", user__full_name="Priya Patel")
    member_of_own_bank(priya)
    db.session.add(WorkerBankSettings(worker_id=priya.id, accept_assignments=True))
    start = NOW.replace(hour=8) + timedelta(days=1)
    ShiftFactory(
        department__site__trust=trust,
        department__name="Acute Medical Unit",
        start_at=start,
        end_at=start + timedelta(hours=12),
    )
    ShiftFactory(
        department__site__trust=trust,
        department__name="Cardiology",
        grade="ST6",
        start_at=start + timedelta(days=1),
        end_at=start + timedelta(days=1, hours=12),
    )
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        sign_in(page, team.email)
        page.get_by_role("link", name="Gap filler").click()
        expect(page.get_by_role("heading", name="Fill open shifts from the bank")).to_be_visible()
        page.get_by_label("From").fill("2026-11-02")
        page.get_by_label("To (included)").fill("2026-11-08")
        page.get_by_label("Seconds the run may take").fill("2")
        page.get_by_role("button", name="Find workers").click()

        # The page follows the run until it is solved.
        expect(page.get_by_test_id("run-status")).to_contain_text("Ready to review", timeout=30_000)
        proposals = page.get_by_test_id("proposals")
        expect(proposals).to_contain_text("Acute Medical Unit")
        expect(proposals).to_contain_text("Priya Patel (ST3)")
        expect(proposals).to_contain_text("Book (accepts assignments)")
        expect(page.get_by_test_id("left-open")).to_contain_text("Cardiology")
        expect(page.get_by_test_id("left-open")).to_contain_text("grade not accepted")

        page.get_by_test_id("apply").click()
        expect(page.get_by_test_id("run-status")).to_contain_text("Applied")
        expect(page.get_by_test_id("proposals")).to_contain_text("Booked")
