"""Timesheets through the API: submitting with validation, the pay states, another Trust's
timesheets, and the payroll export in the distributed and lead-employer models."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Notification, Role
from bank.models import (
    EmploymentModel,
    PayrollBatch,
    Tier,
    Timesheet,
    TimesheetStatus,
)
from tests.factories import (
    NOW,
    BankFactory,
    TimesheetFactory,
    TrustFactory,
    staff_user,
    worked_booking,
)

pytestmark = pytest.mark.usefixtures("frozen")


def iso(moment) -> str:
    return moment.isoformat()


def submit(api_client, booking, **overrides):
    shift = booking.shift
    body = {
        "booking_id": booking.id,
        "actual_start": iso(shift.start_at),
        "actual_end": iso(shift.end_at + timedelta(minutes=30)),
        "break_minutes": 45,
        **overrides,
    }
    return api_client(booking.worker.user).post("/api/v1/timesheets", json=body)


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_worker_submits_hours_and_is_paid_worked_minutes_at_the_shift_rate(api_client):
    booking = worked_booking(shift__pence_per_hour=9300)
    team = staff_user(Role.WORKFORCE, booking.shift.trust)
    response = submit(api_client, booking)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    # 12 h 30 min less 45 min of breaks = 705 minutes at £93 an hour.
    assert body["worked_minutes"] == 705
    assert body["amount_pence"] == round(705 * 9300 / 60) == 109275
    assert body["status"] == "submitted"
    assert "timesheet.submitted" in audit_actions()
    assert db.session.scalar(
        sa.select(Notification.title).where(Notification.user_id == team.id)
    ).startswith("Timesheet to sign off")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"actual_end_offset": -13}, "actual_end"),  # ends before it starts
        ({"actual_start_offset": -5}, "actual_start"),  # five hours before the booked start
        ({"break_minutes": 12 * 60 + 30}, "break_minutes"),  # breaks as long as the shift
        ({"break_minutes": -5}, "break_minutes"),
    ],
)
def test_an_invalid_timesheet_names_the_field_and_saves_nothing(api_client, overrides, field):
    booking = worked_booking()
    shift = booking.shift
    body = {}
    if "actual_end_offset" in overrides:
        body["actual_end"] = iso(shift.end_at + timedelta(hours=overrides["actual_end_offset"]))
    if "actual_start_offset" in overrides:
        body["actual_start"] = iso(
            shift.start_at + timedelta(hours=overrides["actual_start_offset"])
        )
    if "break_minutes" in overrides:
        body["break_minutes"] = overrides["break_minutes"]
    response = submit(api_client, booking, **body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert db.session.scalar(sa.select(sa.func.count(Timesheet.id))) == 0


def test_a_timesheet_cannot_be_submitted_before_the_shift_ends(api_client):
    booking = worked_booking(shift__start_at=NOW - timedelta(hours=2))
    response = submit(api_client, booking, actual_end=iso(NOW + timedelta(hours=9)))
    assert response.status_code == 422
    assert "ended" in response.get_json()["errors"]["actual_end"][0]


def test_someone_elses_booking_answers_404(api_client):
    booking, other = worked_booking(), worked_booking()
    body = {
        "booking_id": other.id,
        "actual_start": iso(other.shift.start_at),
        "actual_end": iso(other.shift.end_at),
    }
    response = api_client(booking.worker.user).post("/api/v1/timesheets", json=body)
    assert response.status_code == 404


def test_the_pay_states_from_sign_off_to_payroll(api_client):
    timesheet = TimesheetFactory()
    trust = timesheet.booking.shift.trust
    team = api_client(staff_user(Role.WORKFORCE, trust))
    worker_id = timesheet.worker.user_id
    listed = team.get(f"/api/v1/trusts/{trust.id}/timesheets").get_json()
    assert [t["id"] for t in listed] == [timesheet.id]
    assert team.post(f"/api/v1/timesheets/{timesheet.id}/approve-payment").status_code == 409
    signed = team.post(f"/api/v1/timesheets/{timesheet.id}/sign-off")
    assert signed.status_code == 200 and signed.get_json()["status"] == "signed_off"
    assert team.post(f"/api/v1/timesheets/{timesheet.id}/sign-off").status_code == 409
    approved = team.post(f"/api/v1/timesheets/{timesheet.id}/approve-payment")
    assert approved.get_json()["status"] == "payment_approved"
    batch = team.post(
        f"/api/v1/trusts/{trust.id}/payroll-batches",
        json={"period_start": "2026-11-01", "period_end": "2026-11-30"},
    )
    assert batch.status_code == 201, batch.get_json()
    assert batch.get_json()["timesheet_count"] == 1
    assert batch.get_json()["recharges"] == []
    assert db.session.get(Timesheet, timesheet.id).status == TimesheetStatus.WITH_PAYROLL
    rows = list(csv.DictReader(io.StringIO(team.get(batch.get_json()["csv_url"]).text)))
    assert [(r["worker"], r["amount_gbp"], r["worked_hours"]) for r in rows] == [
        (timesheet.worker.name, f"{timesheet.amount_pence / 100:.2f}", "11.50")
    ]
    kinds = db.session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == worker_id)
    ).all()
    assert kinds == [
        "timesheet.signed_off",
        "timesheet.payment_approved",
        "timesheet.with_payroll",
    ]
    assert {"timesheet.signed_off", "payroll_batch.created"} <= set(audit_actions())
    # Nothing left to export.
    again = team.post(
        f"/api/v1/trusts/{trust.id}/payroll-batches",
        json={"period_start": "2026-11-01", "period_end": "2026-11-30"},
    )
    assert again.status_code == 422 and "period_start" in again.get_json()["errors"]


def test_a_queried_timesheet_goes_back_with_the_reason_and_can_be_resubmitted(api_client):
    timesheet = TimesheetFactory()
    team = api_client(staff_user(Role.WORKFORCE, timesheet.booking.shift.trust))
    assert (
        team.post(f"/api/v1/timesheets/{timesheet.id}/query", json={"reason": ""}).status_code
        == 422
    )
    queried = team.post(
        f"/api/v1/timesheets/{timesheet.id}/query", json={"reason": "You left at 20:00"}
    )
    assert queried.get_json()["status"] == "queried"
    note = db.session.scalar(
        sa.select(Notification).where(Notification.user_id == timesheet.worker.user_id)
    )
    assert note.body == "You left at 20:00"
    booking = timesheet.booking
    again = submit(api_client, booking, actual_end=iso(booking.shift.end_at - timedelta(hours=1)))
    assert again.status_code == 201 and again.get_json()["status"] == "submitted"
    assert again.get_json()["worked_minutes"] == 11 * 60 - 45


def test_another_trusts_timesheets_answer_404(api_client):
    timesheet = TimesheetFactory()
    stranger = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    assert stranger.post(f"/api/v1/timesheets/{timesheet.id}/sign-off").status_code == 404
    assert stranger.get(f"/api/v1/trusts/{timesheet.trust_id}/timesheets").status_code == 404
    assert db.session.get(Timesheet, timesheet.id).status == TimesheetStatus.SUBMITTED


def test_in_the_lead_employer_model_the_lead_pays_and_recharges_the_host(api_client):
    lead, host = TrustFactory(name="Lead Trust"), TrustFactory(name="Host Trust")
    BankFactory(
        collaborative=True,
        member_trusts=[lead, host],
        employment_model=EmploymentModel.LEAD_EMPLOYER,
        lead_trust_id=lead.id,
    )
    booking = worked_booking(shift__department__site__trust=host, shift__tier=Tier.COLLABORATIVE)
    own_bank_booking = worked_booking(shift__department__site__trust=host)
    for b in (booking, own_bank_booking):
        assert submit(api_client, b).status_code == 201
    host_team = api_client(staff_user(Role.WORKFORCE, host))
    lead_finance = api_client(staff_user(Role.FINANCE, lead))
    sheets = db.session.scalars(sa.select(Timesheet).order_by(Timesheet.id)).all()
    assert [t.paying_trust_id for t in sheets] == [lead.id, host.id]
    for sheet in sheets:
        assert host_team.post(f"/api/v1/timesheets/{sheet.id}/sign-off").status_code == 200
    waiting = lead_finance.get(f"/api/v1/trusts/{lead.id}/timesheets?status=signed_off")
    assert [t["id"] for t in waiting.get_json()] == [sheets[0].id]
    # Payment is approved by the paying Trust; the host cannot approve the lead's.
    assert host_team.post(f"/api/v1/timesheets/{sheets[0].id}/approve-payment").status_code == 404
    assert (
        lead_finance.post(f"/api/v1/timesheets/{sheets[0].id}/approve-payment").status_code == 200
    )
    batch = lead_finance.post(
        f"/api/v1/trusts/{lead.id}/payroll-batches",
        json={"period_start": "2026-11-01", "period_end": "2026-11-07"},
    ).get_json()
    assert batch["timesheet_count"] == 1
    assert batch["recharges"] == [
        {
            "to_trust_id": host.id,
            "to_trust_name": "Host Trust",
            "timesheet_count": 1,
            "total_pence": sheets[0].amount_pence,
        }
    ]
    line = next(csv.DictReader(io.StringIO(lead_finance.get(batch["csv_url"]).text)))
    assert (line["paid_by_trust"], line["recharge_to"]) == ("Lead Trust", "Host Trust")
    assert db.session.scalar(sa.select(sa.func.count(PayrollBatch.id))) == 1


def test_a_period_ending_before_it_starts_is_refused(api_client):
    trust = TrustFactory()
    team = api_client(staff_user(Role.WORKFORCE, trust))
    response = team.post(
        f"/api/v1/trusts/{trust.id}/payroll-batches",
        json={"period_start": "2026-11-30", "period_end": "2026-11-01"},
    )
    assert response.status_code == 422 and "period_end" in response.get_json()["errors"]


def test_a_night_across_the_october_clock_change_is_paid_its_real_hours(api_client):
    # Saturday 24 October 2026, 20:00 BST (19:00 UTC) to Sunday 08:00 GMT: 13 real hours.
    start = datetime(2026, 10, 24, 19, 0, tzinfo=UTC)
    booking = worked_booking(
        shift__start_at=start, shift__end_at=start + timedelta(hours=13), shift__pence_per_hour=6000
    )
    response = submit(
        api_client,
        booking,
        actual_end=iso(start + timedelta(hours=13)),
        break_minutes=60,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["worked_minutes"] == 12 * 60
    assert response.get_json()["amount_pence"] == 72000


def test_payroll_csv_cells_that_look_like_formulas_are_quoted(api_client):
    timesheet = TimesheetFactory(
        status=TimesheetStatus.PAYMENT_APPROVED,
        booking=worked_booking(shift__department__name="=HYPERLINK(1)"),
    )
    trust = timesheet.booking.shift.trust
    team = api_client(staff_user(Role.WORKFORCE, trust))
    batch = team.post(
        f"/api/v1/trusts/{trust.id}/payroll-batches",
        json={"period_start": "2026-11-01", "period_end": "2026-11-01"},
    ).get_json()
    line = next(csv.DictReader(io.StringIO(team.get(batch["csv_url"]).text)))
    assert line["department"] == "'=HYPERLINK(1)"
