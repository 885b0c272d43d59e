"""Shift offers in a real browser: a worker accepts a Trust's offer and finds it in My shifts;
a team offers a shift from its page and sees it lapse unanswered."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from playwright.sync_api import expect

from app.models import Role
from tests.browser.test_sign_in import sign_in
from tests.factories import (
    NOW,
    ShiftFactory,
    TrustFactory,
    WorkerFactory,
    member_of_own_bank,
    offer_to_member,
    staff_user,
)


def test_a_worker_accepts_an_offer_and_sees_the_shift_in_my_shifts(page):
    trust = TrustFactory(name="Tame Hospitals")
    worker = WorkerFactory(primary_trust=trust, user__full_name="Priya Patel")
    offer = offer_to_member(
        worker=worker,
        shift__department__site__trust=trust,
        shift__department__name="Acute Medical Unit",
        shift__pence_per_hour=9550,
    )
    with time_machine.travel(NOW, tick=False):
        sign_in(page, worker.user.email)
        page.get_by_role("link", name="Offers").click()
        card = page.get_by_test_id(f"offer-{offer.id}")
        expect(card).to_contain_text("Tame Hospitals")
        expect(card).to_contain_text("£95.50/h")
        expect(card.get_by_test_id("expires")).to_have_text("Tue 03 Nov 09:00")
        card.get_by_role("button", name=re.compile("^Accept")).click()
        expect(
            page.get_by_text("You are booked: Acute Medical Unit at Tame Hospitals")
        ).to_be_visible()
        expect(page.get_by_test_id("upcoming")).to_contain_text("Acute Medical Unit")
        page.get_by_role("link", name="Offers").click()
        expect(page.get_by_test_id("no-offers")).to_be_visible()
        expect(page.get_by_test_id("recent-offers")).to_contain_text("Accepted")


def test_a_team_offers_a_shift_from_its_page_and_a_refusal_names_the_worker(page):
    trust = TrustFactory(name="Tame Hospitals")
    shift = ShiftFactory(department__site__trust=trust, department__name="Acute Medical Unit")
    priya = WorkerFactory(primary_trust=trust, grade="ST3", user__full_name="Priya Patel")
    member_of_own_bank(priya)
    outsider = WorkerFactory(grade="ST3", user__full_name="Sam Jones")  # in no bank of Tame
    team = staff_user(Role.WORKFORCE, trust)
    with time_machine.travel(NOW, tick=False):
        sign_in(page, team.email)
        page.goto(f"/workforce/shifts/{shift.id}")
        page.get_by_label("Worker's email").fill(outsider.user.email)
        page.get_by_role("button", name="Offer", exact=True).click()
        expect(page.get_by_text(re.compile("^Sam Jones cannot take this shift"))).to_be_visible()
        page.get_by_label("Worker's email").fill(priya.user.email)
        page.get_by_role("button", name="Offer", exact=True).click()
        offers = page.get_by_test_id("offers")
        expect(offers).to_contain_text("Priya Patel (ST3)")
        expect(offers).to_contain_text("Waiting for an answer")
    # A day on, before the 15-minute expiry job has run, the page already says it lapsed.
    with time_machine.travel(NOW + timedelta(hours=24), tick=False):
        page.reload()
        expect(page.get_by_test_id("offers")).to_contain_text("Not answered in time")
