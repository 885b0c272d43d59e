"""Finding and booking shifts through the API: visibility, every refusal reason, instant
booking, applications, idempotency, cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Notification, Role
from bank.models import (
    Application,
    ApplicationStatus,
    Booking,
    BookingStatus,
    LateCancellation,
    Shift,
    ShiftStatus,
    Tier,
)
from tests.factories import (
    NOW,
    BookingFactory,
    DepartmentFactory,
    InstantBookRuleFactory,
    MembershipFactory,
    ShiftFactory,
    TrustFactory,
    WorkerFactory,
    collaborative_bank,
    credential_type,
    member_of_own_bank,
    staff_user,
)

pytestmark = pytest.mark.usefixtures("frozen")


def collaborative_worker(home, *others, grade="ST3"):
    """A worker employed by `home`, approved in its bank and the collaborative bank."""
    worker = WorkerFactory(primary_trust=home, grade=grade)
    member_of_own_bank(worker)
    MembershipFactory(bank=collaborative_bank(home, *others), worker=worker)
    return worker


def instant_shift(trust=None, **fields):
    shift = ShiftFactory(**({"department__site__trust": trust} if trust else {}), **fields)
    InstantBookRuleFactory(department_id=shift.department_id)
    return shift


def test_a_worker_books_a_collaborative_shift_at_another_trust(api_client):
    home, other = TrustFactory(), TrustFactory(name="Tame Hospitals")
    worker = collaborative_worker(home, other)
    shift = instant_shift(other, tier=Tier.COLLABORATIVE)
    client = api_client(worker.user)
    found = client.get("/api/v1/shifts/search").get_json()
    assert [(v["shift"]["id"], v["eligible"], v["instant"]) for v in found] == [
        (shift.id, True, True)
    ]
    response = client.post(f"/api/v1/shifts/{shift.id}/bookings")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["shift"]["trust_name"] == "Tame Hospitals"
    assert db.session.get(Shift, shift.id).status == ShiftStatus.BOOKED
    assert db.session.scalar(
        sa.select(AuditEvent.action).where(AuditEvent.action == "booking.created")
    )
    assert db.session.scalar(
        sa.select(Notification.title).where(Notification.user_id == worker.user_id)
    ).startswith("Booked:")


def test_own_bank_shifts_stay_with_the_trusts_own_bank_until_released(api_client):
    home, other = TrustFactory(), TrustFactory()
    worker = collaborative_worker(home, other)
    ShiftFactory(department__site__trust=other, tier=Tier.OWN_BANK)
    assert api_client(worker.user).get("/api/v1/shifts/search").get_json() == []


def test_a_shift_outside_the_workers_banks_is_refused_as_not_a_member(api_client):
    worker = WorkerFactory()
    shift = instant_shift()
    response = api_client(worker.user).post(f"/api/v1/shifts/{shift.id}/bookings")
    assert response.status_code == 422
    assert "bank" in response.get_json()["errors"]["shift_id"][0]


def test_a_refused_booking_lists_every_reason(api_client):
    home, other = TrustFactory(), TrustFactory(name="Ribble Hospitals")
    worker = collaborative_worker(home, other)
    credential_type("dbs_enhanced")
    # A night at another Trust ending at 08:00 on the day of the shift.
    BookingFactory(
        worker=worker,
        shift__department__site__trust=other,
        shift__start_at=NOW + timedelta(hours=11),
        shift__end_at=NOW + timedelta(hours=23),
    )
    shift = instant_shift(
        home,
        start_at=NOW + timedelta(days=1, hours=7),
        acceptable_grades=["ST5"],
        grade="ST5",
        required_credentials=["dbs_enhanced"],
    )
    response = api_client(worker.user).post(f"/api/v1/shifts/{shift.id}/bookings")
    assert response.status_code == 422
    reasons = response.get_json()["errors"]["shift_id"]
    assert reasons == ["This shift needs ST5; you are ST3"]  # grade first: nothing else applies
    db.session.execute(
        sa.update(Shift).where(Shift.id == shift.id).values(acceptable_grades=["ST3", "ST5"])
    )
    db.session.commit()
    reasons = (
        api_client(worker.user)
        .post(f"/api/v1/shifts/{shift.id}/bookings")
        .get_json()["errors"]["shift_id"]
    )
    assert any(r.startswith("Enhanced DBS check with barred lists") for r in reasons)
    rest = [r for r in reasons if "rest" in r]
    assert rest and "Ribble Hospitals" in rest[0] and "11 h" in rest[0]
    assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 1


def test_a_worker_cannot_be_in_two_overlapping_shifts(api_client):
    trust = TrustFactory()
    worker = WorkerFactory(primary_trust=trust)
    member_of_own_bank(worker)
    first = instant_shift(trust)
    second = instant_shift(trust, start_at=first.start_at + timedelta(hours=2))
    client = api_client(worker.user)
    assert client.post(f"/api/v1/shifts/{first.id}/bookings").status_code == 201
    refused = client.post(f"/api/v1/shifts/{second.id}/bookings")
    assert refused.status_code == 422
    assert any("overlap" in r.lower() for r in refused.get_json()["errors"]["shift_id"])


def test_a_taken_shift_answers_409(api_client):
    trust = TrustFactory()
    first, second = (WorkerFactory(primary_trust=trust) for _ in range(2))
    for worker in (first, second):
        member_of_own_bank(worker)
    shift = instant_shift(trust)
    assert api_client(first.user).post(f"/api/v1/shifts/{shift.id}/bookings").status_code == 201
    late = api_client(second.user).post(f"/api/v1/shifts/{shift.id}/bookings")
    assert late.status_code in (409, 422)
    assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 1


def test_an_idempotency_key_replays_the_first_answer(api_client):
    trust = TrustFactory()
    worker = WorkerFactory(primary_trust=trust)
    member_of_own_bank(worker)
    shift, other = instant_shift(trust), instant_shift(trust, start_at=NOW + timedelta(days=3))
    client = api_client(worker.user)
    headers = {"Idempotency-Key": "tap-1"}
    first = client.post(f"/api/v1/shifts/{shift.id}/bookings", headers=headers)
    again = client.post(f"/api/v1/shifts/{shift.id}/bookings", headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 1
    misuse = client.post(f"/api/v1/shifts/{other.id}/bookings", headers=headers)
    assert misuse.status_code == 422 and "Idempotency-Key" in misuse.get_json()["errors"]


def test_an_idempotency_key_replays_a_refusal_too(api_client):
    worker = WorkerFactory()
    shift = instant_shift()
    client = api_client(worker.user)
    headers = {"Idempotency-Key": "tap-2"}
    first = client.post(f"/api/v1/shifts/{shift.id}/bookings", headers=headers)
    member_of_own_bank(worker, shift.trust)  # now they could book, but the key has answered
    again = client.post(f"/api/v1/shifts/{shift.id}/bookings", headers=headers)
    assert first.status_code == again.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 0


def test_without_instant_booking_the_worker_applies_and_the_team_approves(api_client):
    trust = TrustFactory()
    chosen, other = (WorkerFactory(primary_trust=trust) for _ in range(2))
    for worker in (chosen, other):
        member_of_own_bank(worker)
    shift = ShiftFactory(department__site__trust=trust)
    refused = api_client(chosen.user).post(f"/api/v1/shifts/{shift.id}/bookings")
    assert refused.status_code == 422 and "apply" in refused.get_json()["detail"]
    ids = [
        api_client(w.user).post(f"/api/v1/shifts/{shift.id}/applications").get_json()["id"]
        for w in (chosen, other)
    ]
    team = api_client(staff_user(Role.WORKFORCE, trust))
    approved = team.post(f"/api/v1/applications/{ids[0]}/approve")
    assert approved.status_code == 201 and approved.get_json()["source"] == "application"
    statuses = dict(db.session.execute(sa.select(Application.worker_id, Application.status)).all())
    assert statuses == {chosen.id: ApplicationStatus.APPROVED, other.id: ApplicationStatus.DECLINED}
    assert team.post(f"/api/v1/applications/{ids[1]}/approve").status_code == 409


def test_another_trusts_team_cannot_approve_or_assign(api_client):
    trust = TrustFactory()
    worker = WorkerFactory(primary_trust=trust)
    member_of_own_bank(worker)
    shift = ShiftFactory(department__site__trust=trust)
    application = api_client(worker.user).post(f"/api/v1/shifts/{shift.id}/applications")
    outsider = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    assert (
        outsider.post(f"/api/v1/applications/{application.get_json()['id']}/approve").status_code
        == 404
    )
    assert (
        outsider.post(
            f"/api/v1/shifts/{shift.id}/assign", json={"worker_id": worker.id}
        ).status_code
        == 404
    )


def test_assignment_by_the_team_goes_through_the_same_checks(api_client):
    trust = TrustFactory()
    worker = WorkerFactory(primary_trust=trust, grade="FY1")
    member_of_own_bank(worker)
    shift = ShiftFactory(department__site__trust=trust)
    team = api_client(staff_user(Role.WORKFORCE, trust))
    refused = team.post(f"/api/v1/shifts/{shift.id}/assign", json={"worker_id": worker.id})
    assert refused.status_code == 422 and "you are FY1" in refused.get_json()["detail"]
    db.session.execute(
        sa.update(Shift).where(Shift.id == shift.id).values(acceptable_grades=["ST3", "FY1"])
    )
    db.session.commit()
    assigned = team.post(f"/api/v1/shifts/{shift.id}/assign", json={"worker_id": worker.id})
    assert assigned.status_code == 201 and assigned.get_json()["source"] == "assigned"


def test_a_worker_cancels_inside_the_window_and_the_shift_reopens(api_client):
    booking = BookingFactory(shift__start_at=NOW + timedelta(days=3))
    client = api_client(booking.worker.user)
    response = client.post(f"/api/v1/bookings/{booking.id}/cancel", json={"reason": "Unwell"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert db.session.get(Shift, booking.shift_id).status == ShiftStatus.OPEN


def test_a_late_cancellation_is_refused_recorded_and_the_department_told(api_client):
    booking = BookingFactory(shift__start_at=NOW + timedelta(hours=20))
    team_user = staff_user(Role.WORKFORCE, booking.shift.trust)
    response = api_client(booking.worker.user).post(
        f"/api/v1/bookings/{booking.id}/cancel", json={}
    )
    assert response.status_code == 409 and "call" in response.get_json()["detail"]
    assert db.session.get(Booking, booking.id).status == BookingStatus.ACTIVE
    late = db.session.scalar(sa.select(LateCancellation))
    assert late.hours_before_start == 20.0
    assert (
        db.session.scalar(sa.select(Notification.kind).where(Notification.user_id == team_user.id))
        == "booking.late_cancellation"
    )


def test_the_team_cancels_a_booking_and_the_worker_is_told(api_client):
    booking = BookingFactory(shift__start_at=NOW + timedelta(hours=20))
    team = api_client(staff_user(Role.WORKFORCE, booking.shift.trust))
    response = team.post(f"/api/v1/bookings/{booking.id}/cancel", json={"reason": "Ward closed"})
    assert response.status_code == 200 and response.get_json()["late_cancellation"] is True
    message = db.session.scalar(
        sa.select(Notification).where(Notification.user_id == booking.worker.user_id)
    )
    assert message.kind == "booking.cancelled" and message.body == "Ward closed"


def test_search_filters_by_trust_and_minimum_rate(api_client):
    home, other = TrustFactory(), TrustFactory()
    worker = collaborative_worker(home, other)
    cheap = ShiftFactory(department__site__trust=home, pence_per_hour=8000)
    dear = ShiftFactory(
        department__site__trust=other,
        tier=Tier.COLLABORATIVE,
        pence_per_hour=11000,
        start_at=NOW + timedelta(days=2),
    )
    client = api_client(worker.user)
    ids = lambda q: [v["shift"]["id"] for v in client.get(f"/api/v1/shifts/search?{q}").get_json()]  # noqa: E731
    assert ids("") == [cheap.id, dear.id]
    assert ids(f"trust_id={other.id}") == [dear.id]
    assert ids("min_rate=100") == [dear.id]
    assert client.get("/api/v1/shifts/search?min_rate=-1").status_code == 422


def test_posting_a_shift_prices_it_from_the_rate_card(api_client):
    from tests.factories import RateCardFactory

    department = DepartmentFactory()
    RateCardFactory(trust=department.trust, grade="ST3", band="unsocial", pence_per_hour=12090)
    team = api_client(staff_user(Role.WORKFORCE, department.trust))
    night = {
        "department_id": department.id,
        "staff_group": "medical",
        "grade": "ST3",
        "start_at": "2026-11-07T20:00:00+00:00",
        "end_at": "2026-11-08T08:30:00+00:00",
    }
    response = team.post(f"/api/v1/trusts/{department.trust_id}/shifts", json=night)
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["band"], response.get_json()["pence_per_hour"]) == (
        "unsocial",
        12090,
    )


def test_a_bad_shift_answers_422_naming_the_fields(api_client):
    department = DepartmentFactory()
    team = api_client(staff_user(Role.WORKFORCE, department.trust))
    bad = {
        "department_id": department.id,
        "staff_group": "medical",
        "grade": "Band 5",
        "start_at": "2026-11-07T20:00:00+00:00",
        "end_at": "2026-11-07T08:00:00+00:00",
    }
    response = team.post(f"/api/v1/trusts/{department.trust_id}/shifts", json=bad)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"grade", "end_at"}
    no_rate = {**bad, "grade": "ST3", "end_at": "2026-11-08T08:00:00+00:00"}
    response = team.post(f"/api/v1/trusts/{department.trust_id}/shifts", json=no_rate)
    assert response.status_code == 422 and "pence_per_hour" in response.get_json()["errors"]
    assert db.session.scalar(sa.select(sa.func.count(Shift.id))) == 0


def test_joining_a_bank_and_the_decision(api_client):
    trust = TrustFactory()
    from tests.factories import BankFactory

    bank = BankFactory(trust=trust)
    worker = WorkerFactory(primary_trust=trust)
    requested = api_client(worker.user).post(f"/api/v1/banks/{bank.id}/memberships")
    assert requested.status_code == 201 and requested.get_json()["status"] == "requested"
    team = api_client(staff_user(Role.WORKFORCE, trust))
    waiting = team.get(f"/api/v1/banks/{bank.id}/memberships").get_json()
    assert [m["worker_id"] for m in waiting] == [worker.id]
    membership_id = waiting[0]["id"]
    assert (
        team.post(
            f"/api/v1/memberships/{membership_id}/decision", json={"approve": False}
        ).status_code
        == 422
    )  # a reason is needed
    outsider = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    assert (
        outsider.post(
            f"/api/v1/memberships/{membership_id}/decision", json={"approve": True}
        ).status_code
        == 404
    )
    decided = team.post(f"/api/v1/memberships/{membership_id}/decision", json={"approve": True})
    assert decided.get_json()["status"] == "approved"
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "bank_membership.approved")
    )
    assert event.after["hours_to_decide"] == 0.0


def test_nobody_else_can_cancel_a_booking_or_learn_it_exists(api_client):
    booking = BookingFactory(shift__start_at=NOW + timedelta(days=3))
    stranger = api_client(WorkerFactory().user)
    other_team = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    for client in (stranger, other_team):
        assert client.post(f"/api/v1/bookings/{booking.id}/cancel", json={}).status_code == 404
    assert db.session.get(Booking, booking.id).status == BookingStatus.ACTIVE
    assert stranger.post("/api/v1/bookings/999999/cancel", json={}).status_code == 404


def test_a_shift_is_shown_to_workers_whose_banks_show_it_and_to_its_trusts_staff(api_client):
    trust = TrustFactory()
    member = WorkerFactory(primary_trust=trust)
    member_of_own_bank(member)
    shift = ShiftFactory(department__site__trust=trust)
    assert api_client(member.user).get(f"/api/v1/shifts/{shift.id}").status_code == 200
    assert api_client(WorkerFactory().user).get(f"/api/v1/shifts/{shift.id}").status_code == 404
    team = api_client(staff_user(Role.WORKFORCE, trust))
    assert team.get(f"/api/v1/shifts/{shift.id}").get_json()["id"] == shift.id
    outsider = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    assert outsider.get(f"/api/v1/shifts/{shift.id}").status_code == 404
