"""The shift marketplace in a real browser: booking at another Trust, and a refusal's reasons."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from playwright.sync_api import expect

from bank.models import Tier
from tests.browser.test_sign_in import sign_in
from tests.factories import (
    NOW,
    BookingFactory,
    InstantBookRuleFactory,
    MembershipFactory,
    ShiftFactory,
    TrustFactory,
    WorkerFactory,
    collaborative_bank,
    member_of_own_bank,
)


def bank_worker(home, *others):
    worker = WorkerFactory(primary_trust=home, grade="ST3", user__full_name="Priya Patel")
    member_of_own_bank(worker)
    MembershipFactory(bank=collaborative_bank(home, *others), worker=worker)
    return worker


def test_a_worker_finds_and_instantly_books_a_shift_at_another_trust(page):
    home, other = TrustFactory(name="Ribble Hospitals"), TrustFactory(name="Tame Hospitals")
    worker = bank_worker(home, other)
    shift = ShiftFactory(
        department__site__trust=other,
        department__name="Acute Medical Unit",
        tier=Tier.COLLABORATIVE,
        pence_per_hour=9550,
    )
    InstantBookRuleFactory(department_id=shift.department_id)
    with time_machine.travel(NOW, tick=False):
        sign_in(page, worker.user.email)
        page.get_by_role("link", name="Find shifts").click()
        card = page.get_by_test_id("shift")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("Acute Medical Unit – Tame Hospitals")
        expect(card.get_by_test_id("rate")).to_have_text("£95.50/h")
        card.get_by_role("button", name=re.compile("Book now")).click()
        expect(
            page.get_by_text("You are booked: Acute Medical Unit at Tame Hospitals")
        ).to_be_visible()
        expect(page.get_by_test_id("upcoming")).to_contain_text("Tame Hospitals")
        page.get_by_role("link", name="Find shifts").click()
        expect(page.get_by_test_id("result-count")).to_have_text("0 open shifts.")


def test_a_refused_booking_shows_its_reason(page):
    home, other = TrustFactory(), TrustFactory(name="Pennine Hospitals")
    worker = bank_worker(home, other)
    # A night at Pennine ends at 08:00; a day shift at home starting at 14:00 breaks 11 h rest.
    BookingFactory(
        worker=worker,
        shift__department__site__trust=other,
        shift__start_at=NOW + timedelta(hours=11),
        shift__end_at=NOW + timedelta(hours=23),
    )
    shift = ShiftFactory(
        department__site__trust=home, department__name="Ward 7", start_at=NOW + timedelta(hours=29)
    )
    InstantBookRuleFactory(department_id=shift.department_id)
    with time_machine.travel(NOW, tick=False):
        sign_in(page, worker.user.email)
        page.get_by_role("link", name="Find shifts").click()
        card = page.get_by_test_id("shift")
        expect(card.get_by_test_id("refusals")).to_contain_text("You cannot take this shift")
        reason = card.locator("[data-rule=min_rest]")
        expect(reason).to_contain_text("Pennine Hospitals")
        expect(reason).to_contain_text("11 h")
        expect(card.get_by_role("button", name=re.compile("Book now"))).to_have_count(0)
