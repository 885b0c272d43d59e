"""Bank pages through the test client: forms, their errors, and who may open them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Role
from bank.models import Application, BankMembership, Booking, MembershipStatus, Shift
from tests.factories import (
    NOW,
    BankFactory,
    BookingFactory,
    DepartmentFactory,
    RateCardFactory,
    ShiftFactory,
    TrustFactory,
    WorkerFactory,
    member_of_own_bank,
    staff_user,
)

pytestmark = pytest.mark.usefixtures("frozen")


def test_a_worker_asks_to_join_and_the_team_approves_on_the_page(client, auth, app):
    trust = TrustFactory()
    bank = BankFactory(trust=trust, name="Ribble Bank")
    worker = WorkerFactory(primary_trust=trust)
    auth.login(worker.user.email)
    assert "Ribble Bank" in client.get("/banks").get_data(as_text=True)
    auth.post("/banks", {"bank_id": bank.id})
    assert "Waiting for approval" in client.get("/banks").get_data(as_text=True)
    auth.logout()
    auth.login(staff_user(Role.WORKFORCE, trust).email)
    page = client.get("/workforce/memberships").get_data(as_text=True)
    assert worker.name in page
    membership = db.session.scalar(sa.select(BankMembership))
    auth.post("/workforce/memberships", {"membership_id": membership.id, "decision": "approve"})
    db.session.expire_all()
    assert db.session.get(BankMembership, membership.id).status == MembershipStatus.APPROVED


def test_find_shifts_without_a_bank_says_to_join_one(client, auth):
    auth.login(WorkerFactory().user.email)
    page = client.get("/shifts").get_data(as_text=True)
    assert "Join a bank first" in page and "0 open shifts" in page


def test_an_apply_only_shift_is_applied_for_and_approved_by_the_team(client, auth):
    trust = TrustFactory()
    worker = WorkerFactory(primary_trust=trust)
    member_of_own_bank(worker)
    shift = ShiftFactory(department__site__trust=trust)
    auth.login(worker.user.email)
    assert ">Apply<" in client.get("/shifts").get_data(as_text=True)
    assert auth.post(f"/shifts/{shift.id}/apply", form_page="/shifts").status_code == 302
    auth.logout()
    auth.login(staff_user(Role.WORKFORCE, trust).email)
    application = db.session.scalar(sa.select(Application))
    path = f"/workforce/shifts/{shift.id}"
    assert worker.name in client.get(path).get_data(as_text=True)
    auth.post(path, {"action": "approve", "application_id": application.id})
    assert db.session.scalar(sa.select(Booking.worker_id)) == worker.id


def test_a_refused_instant_booking_shows_every_reason_on_a_page(client, auth):
    trust = TrustFactory()
    worker = WorkerFactory(primary_trust=trust, grade="FY1")
    member_of_own_bank(worker)
    shift = ShiftFactory(department__site__trust=trust)
    auth.login(worker.user.email)
    response = auth.post(f"/shifts/{shift.id}/book", form_page="/shifts")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This shift needs ST3; you are FY1" in page


def test_the_team_posts_a_night_shift_that_ends_next_morning(client, auth):
    department = DepartmentFactory()
    RateCardFactory(trust=department.trust, grade="ST3", band="unsocial", pence_per_hour=12000)
    auth.login(staff_user(Role.WORKFORCE, department.trust).email)
    response = auth.post(
        "/workforce/shifts",
        {
            "department_id": department.id,
            "staff_group": "medical",
            "grade": "ST3",
            "date": "2026-11-10",
            "start": "20:00",
            "end": "08:30",
        },
    )
    assert response.status_code == 302
    shift = db.session.scalar(sa.select(Shift))
    assert shift.end_at - shift.start_at == timedelta(hours=12, minutes=30)
    assert shift.pence_per_hour == 12000


def test_a_bad_shift_form_shows_errors_and_posts_nothing(client, auth):
    department = DepartmentFactory()
    auth.login(staff_user(Role.WORKFORCE, department.trust).email)
    response = auth.post(
        "/workforce/shifts",
        {
            "department_id": department.id,
            "staff_group": "medical",
            "grade": "Band 9",
            "date": "2026-11-10",
            "start": "08:00",
            "end": "20:00",
        },
    )
    assert response.status_code == 422
    assert "There is a problem" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Shift.id))) == 0


def test_a_worker_cancels_from_my_shifts(client, auth):
    booking = BookingFactory(shift__start_at=NOW + timedelta(days=4))
    auth.login(booking.worker.user.email)
    auth.post(f"/bookings/{booking.id}/cancel", form_page="/shifts/mine")
    assert "Your booking is cancelled" in client.get("/shifts/mine").get_data(as_text=True)


def test_another_trusts_shift_page_is_not_found(client, auth):
    shift = ShiftFactory()
    auth.login(staff_user(Role.WORKFORCE, TrustFactory()).email)
    assert client.get(f"/workforce/shifts/{shift.id}").status_code == 404
