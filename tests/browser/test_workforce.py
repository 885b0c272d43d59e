"""The workforce team's story in a real browser: post a shift, approve an application for it,
and sign off a worker's timesheet after a shift."""

from __future__ import annotations

import re

import sqlalchemy as sa
import time_machine
from playwright.sync_api import expect

from app.db import transaction
from app.extensions import db
from app.models import Role
from bank.models import Shift
from bank.services import apply_for_shift
from tests.browser.test_sign_in import sign_in
from tests.factories import (
    NOW,
    DepartmentFactory,
    WorkerFactory,
    member_of_own_bank,
    staff_user,
    worked_booking,
)


def test_a_workforce_user_posts_approves_and_signs_off_a_timesheet(page, browser, live_server):
    ward = DepartmentFactory(name="Ward 9", site__trust__name="Ribble Hospitals")
    trust = ward.trust
    team = staff_user(Role.WORKFORCE, trust, full_name="Wendy Workforce")
    applicant = WorkerFactory(primary_trust=trust, user__full_name="Ade Applicant")
    member_of_own_bank(applicant)
    # Yesterday's shift, worked by another bank worker who has not yet sent a timesheet.
    worked = worked_booking(
        shift__department=ward, worker__primary_trust=trust, worker__user__full_name="Tom Timms"
    )
    with time_machine.travel(NOW, tick=False):
        # The workforce user posts a day shift on Thursday.
        sign_in(page, team.email)
        page.get_by_role("link", name="Shifts", exact=True).click()
        page.get_by_text("Post a shift").click()
        page.get_by_label("Department").select_option(label="Ward 9")
        page.get_by_label("Grade").fill("ST3")
        page.get_by_label("Date").fill("2026-11-05")
        page.get_by_label("Starts (UK time)").fill("08:00")
        page.get_by_label(re.compile("^Ends")).fill("20:00")
        page.get_by_label(re.compile("^Rate")).fill("95")
        page.get_by_role("button", name="Post shift").click()
        expect(page.get_by_text("Shift posted: Ward 9, Thu 05 Nov 08:00")).to_be_visible()

        # A bank worker applies; the workforce user approves the application.
        db.session.commit()  # end the test's read snapshot: see the posted shift
        shift = db.session.scalar(
            sa.select(Shift).where(Shift.department_id == ward.id).order_by(Shift.id.desc())
        )
        with transaction():
            apply_for_shift(applicant, shift.id, actor=applicant.user, now=NOW)
        page.get_by_test_id("trust-shifts").get_by_role(
            "link", name=re.compile("Thu 05 Nov")
        ).click()
        page.get_by_role("button", name="Approve Ade Applicant").click()
        expect(page.get_by_test_id("booked-worker")).to_contain_text("Ade Applicant")
        expect(page.get_by_test_id("shift-status")).to_have_text("Booked")

        # The worker of yesterday's shift submits their timesheet from their pages.
        worker_page = browser.new_context(base_url=live_server).new_page()
        sign_in(worker_page, worked.worker.user.email)
        worker_page.get_by_role("link", name="Timesheets").click()
        worker_page.get_by_role("link", name=re.compile("Submit timesheet")).click()
        worker_page.get_by_label(re.compile("^Finished at")).fill("21:30")
        worker_page.get_by_label("Breaks in minutes").fill("45")
        worker_page.get_by_role("button", name="Submit timesheet").click()
        expect(worker_page.get_by_text("Timesheet submitted")).to_be_visible()
        expect(worker_page.get_by_test_id("timesheets")).to_contain_text("Submitted")

        # The workforce user signs it off; the worker sees the new pay state.
        page.get_by_role("link", name="Timesheets").click()
        expect(page.get_by_test_id("to-sign-off")).to_contain_text("Tom Timms")
        page.get_by_role("button", name="Sign off Tom Timms").click()
        expect(page.get_by_text("Tom Timms: timesheet signed off.")).to_be_visible()
        expect(page.get_by_test_id("to-approve")).to_contain_text("Tom Timms")
        worker_page.reload()
        expect(worker_page.get_by_test_id("timesheets")).to_contain_text("Signed off")
        expect(worker_page.get_by_test_id("timesheets")).to_contain_text("£1092.75")
