"""Releasing shifts to the collaborative bank (by hand and by the scheduled job), escalating a
shift's rate, and cancelling a shift, through the API and the job body."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Role
from bank.jobs import release_due_shifts
from bank.models import (
    Application,
    ApplicationStatus,
    Booking,
    BookingStatus,
    RateEscalation,
    Shift,
    ShiftStatus,
    Tier,
)
from tests.bank.conftest import titles
from tests.factories import (
    NOW,
    BankFactory,
    BookingFactory,
    ShiftFactory,
    TrustFactory,
    WorkerFactory,
    collaborative_bank,
    staff_user,
)

pytestmark = pytest.mark.usefixtures("frozen")


def actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_a_workforce_user_releases_a_shift_to_the_collaborative_bank(api_client):
    shift = ShiftFactory()
    collaborative_bank(shift.trust, TrustFactory())
    me, colleague = (staff_user(Role.WORKFORCE, shift.trust) for _ in range(2))
    response = api_client(me).post(f"/api/v1/shifts/{shift.id}/release")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["tier"] == "collaborative"
    assert db.session.get(Shift, shift.id).released_at == NOW
    assert actions("shift.released")[0].after["automatic"] is False
    assert titles(colleague)[0].startswith("Released to")
    assert titles(me) == []
    again = api_client(me).post(f"/api/v1/shifts/{shift.id}/release")
    assert again.status_code == 409


def test_a_trust_outside_any_collaborative_bank_cannot_release(api_client):
    shift = ShiftFactory()
    response = api_client(staff_user(Role.WORKFORCE, shift.trust)).post(
        f"/api/v1/shifts/{shift.id}/release"
    )
    assert response.status_code == 409
    assert db.session.get(Shift, shift.id).tier == Tier.OWN_BANK


def test_another_trusts_shift_answers_404_to_every_workforce_action(api_client):
    shift = ShiftFactory()
    collaborative_bank(shift.trust)
    stranger = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    assert stranger.post(f"/api/v1/shifts/{shift.id}/release").status_code == 404
    assert (
        stranger.post(
            f"/api/v1/shifts/{shift.id}/rate-escalations",
            json={"pence_per_hour": 12000, "reason": "x", "authorised_by": "y"},
        ).status_code
        == 404
    )
    assert (
        stranger.post(f"/api/v1/shifts/{shift.id}/cancel", json={"reason": "x"}).status_code == 404
    )
    assert db.session.get(Shift, shift.id).tier == Tier.OWN_BANK


def test_the_job_releases_open_shifts_within_the_release_time_once(app):
    trust = TrustFactory()
    BankFactory(trust=trust, release_hours_before=72)
    collaborative_bank(trust)
    team = staff_user(Role.WORKFORCE, trust)
    due = ShiftFactory(department__site__trust=trust, start_at=NOW + timedelta(hours=71))
    later = ShiftFactory(department__site__trust=trust, start_at=NOW + timedelta(hours=73))
    booked = ShiftFactory(
        department__site__trust=trust,
        start_at=NOW + timedelta(hours=30),
        status=ShiftStatus.BOOKED,
    )
    elsewhere = ShiftFactory(start_at=NOW + timedelta(hours=1))  # its Trust has no bank
    run = release_due_shifts(NOW)
    assert run is not None and run.summary == "1 shift(s) released"
    tiers = {s.id: db.session.get(Shift, s.id).tier for s in (due, later, booked, elsewhere)}
    assert tiers == {
        due.id: Tier.COLLABORATIVE,
        later.id: Tier.OWN_BANK,
        booked.id: Tier.OWN_BANK,
        elsewhere.id: Tier.OWN_BANK,
    }
    assert actions("shift.released")[0].actor_user_id is None
    assert "automatically" in titles(team)[0]
    assert release_due_shifts(NOW + timedelta(seconds=20)) is None  # same run: claimed
    # Two hours on, the later shift is due too.
    assert release_due_shifts(NOW + timedelta(hours=2)).summary == "1 shift(s) released"


def test_a_bank_without_a_release_time_never_releases_automatically(app):
    trust = TrustFactory()
    bank = BankFactory(trust=trust)
    bank.release_hours_before = None  # (the factory's None would take the column default)
    db.session.commit()
    collaborative_bank(trust)
    shift = ShiftFactory(department__site__trust=trust, start_at=NOW + timedelta(hours=2))
    release_due_shifts(NOW)
    assert db.session.get(Shift, shift.id).tier == Tier.OWN_BANK


def test_escalating_a_rate_records_the_reason_and_authoriser_and_changes_the_rate(api_client):
    shift = ShiftFactory(pence_per_hour=9300)
    team = api_client(staff_user(Role.WORKFORCE, shift.trust))
    applicant = WorkerFactory()
    with db.session.begin():
        db.session.add(
            Application(shift_id=shift.id, worker_id=applicant.id, status=ApplicationStatus.PENDING)
        )
    response = team.post(
        f"/api/v1/shifts/{shift.id}/rate-escalations",
        json={
            "pence_per_hour": 11000,
            "reason": "Unfilled 24 hours before",
            "authorised_by": "Dr A Medical Director",
        },
    )
    assert response.status_code == 201, response.get_json()
    assert db.session.get(Shift, shift.id).pence_per_hour == 11000
    row = db.session.scalar(sa.select(RateEscalation))
    assert (row.from_pence, row.to_pence, row.authorised_by) == (
        9300,
        11000,
        "Dr A Medical Director",
    )
    event = actions("shift.rate_escalated")[0]
    assert (event.before, event.after["pence_per_hour"]) == ({"pence_per_hour": 9300}, 11000)
    assert titles(applicant.user)[0].startswith("Rate raised to £110.00/h")
    listed = team.get(f"/api/v1/shifts/{shift.id}/rate-escalations").get_json()
    assert [e["to_pence"] for e in listed] == [11000]


def test_an_escalation_must_raise_the_rate_and_name_reason_and_authoriser(api_client):
    shift = ShiftFactory(pence_per_hour=9300)
    team = api_client(staff_user(Role.WORKFORCE, shift.trust))
    response = team.post(
        f"/api/v1/shifts/{shift.id}/rate-escalations",
        json={"pence_per_hour": 9000, "reason": " ", "authorised_by": " "},
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"pence_per_hour", "reason", "authorised_by"}
    assert db.session.get(Shift, shift.id).pence_per_hour == 9300
    assert db.session.scalar(sa.select(sa.func.count(RateEscalation.id))) == 0


def test_cancelling_a_booked_shift_cancels_the_booking_and_tells_the_worker(api_client):
    booking = BookingFactory()
    shift = booking.shift
    team = api_client(staff_user(Role.WORKFORCE, shift.trust))
    assert team.post(f"/api/v1/shifts/{shift.id}/cancel", json={}).status_code == 422
    response = team.post(
        f"/api/v1/shifts/{shift.id}/cancel", json={"reason": "Ward closed for deep clean"}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "cancelled"
    assert db.session.get(Booking, booking.id).status == BookingStatus.CANCELLED
    assert db.session.get(Shift, shift.id).cancel_reason == "Ward closed for deep clean"
    assert titles(booking.worker.user) == [f"Cancelled: {shift.department.name}"]
    assert actions("shift.cancelled") and actions("booking.cancelled")
    assert team.post(f"/api/v1/shifts/{shift.id}/cancel", json={"reason": "x"}).status_code == 409


def test_an_open_shift_cancelled_leaves_the_marketplace(api_client):
    shift = ShiftFactory()
    team = api_client(staff_user(Role.WORKFORCE, shift.trust))
    response = team.post(f"/api/v1/shifts/{shift.id}/cancel", json={"reason": "Not needed"})
    assert response.status_code == 200
    assert db.session.get(Shift, shift.id).status == ShiftStatus.CANCELLED
