"""The workforce team's pages and the worker's timesheet and rota pages, through the test
client: forms, their errors (nothing saved), and another Trust's objects answering 404."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Role
from bank.models import (
    Bank,
    DeclaredCommitment,
    InstantBookRule,
    PayrollBatch,
    Shift,
    ShiftStatus,
    Tier,
    Timesheet,
    TimesheetStatus,
)
from tests.conftest import csrf_token
from tests.factories import (
    NOW,
    BankFactory,
    BookingFactory,
    DepartmentFactory,
    ShiftFactory,
    TimesheetFactory,
    TrustFactory,
    WorkerFactory,
    collaborative_bank,
    staff_user,
    worked_booking,
)

pytestmark = pytest.mark.usefixtures("frozen")


def shifts() -> list[Shift]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Shift).order_by(Shift.start_at)))


def test_a_worker_submits_a_timesheet_and_a_bad_one_shows_the_error(client, auth):
    booking = worked_booking()
    auth.login(booking.worker.user.email)
    page = client.get("/timesheets").get_data(as_text=True)
    assert "Submit timesheet" in page
    url = f"/timesheets/new/{booking.id}"
    form = {"start_date": "2026-11-01", "start_time": "09:00", "end_time": "21:00"}
    bad = auth.post(url, {**form, "break_minutes": "720"})
    assert bad.status_code == 422
    assert "Breaks must be shorter than the time worked" in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Timesheet.id))) == 0
    assert auth.post(url, {**form, "break_minutes": "30"}).status_code == 302
    sheet = db.session.scalar(sa.select(Timesheet))
    assert (sheet.worked_minutes, sheet.status) == (690, TimesheetStatus.SUBMITTED)
    assert "Submitted" in client.get("/timesheets").get_data(as_text=True)


def test_the_team_queries_then_signs_off_approves_and_exports(client, auth):
    timesheet = TimesheetFactory()
    trust = timesheet.booking.shift.trust
    auth.login(staff_user(Role.WORKFORCE, trust).email)
    page = client.get("/workforce/timesheets").get_data(as_text=True)
    assert timesheet.worker.name in page
    auth.post("/workforce/timesheets", {"timesheet_id": timesheet.id, "action": "query"})
    assert db.session.get(Timesheet, timesheet.id).status == TimesheetStatus.SUBMITTED
    for action in ("sign_off", "approve_payment"):
        auth.post("/workforce/timesheets", {"timesheet_id": timesheet.id, "action": action})
    db.session.expire_all()
    assert db.session.get(Timesheet, timesheet.id).status == TimesheetStatus.PAYMENT_APPROVED
    bad = auth.post("/workforce/payroll", {"period_start": "2026-11-30", "period_end": "x"})
    assert bad.status_code == 422
    done = auth.post(
        "/workforce/payroll", {"period_start": "2026-11-01", "period_end": "2026-11-30"}
    )
    assert done.status_code == 302
    batch = db.session.scalar(sa.select(PayrollBatch))
    csv_text = client.get(f"/workforce/payroll/{batch.id}.csv").get_data(as_text=True)
    assert timesheet.worker.name in csv_text and csv_text.startswith("batch,timesheet,worker")


def test_another_trusts_timesheet_and_batch_answer_404(client, auth):
    timesheet = TimesheetFactory()
    auth.login(staff_user(Role.WORKFORCE, TrustFactory()).email)
    auth.post("/workforce/timesheets", {"timesheet_id": timesheet.id, "action": "sign_off"})
    assert db.session.get(Timesheet, timesheet.id).status == TimesheetStatus.SUBMITTED
    assert client.get("/workforce/payroll/1.csv").status_code == 404


def test_a_repeating_block_is_posted_from_the_page(client, auth):
    ward = DepartmentFactory()
    auth.login(staff_user(Role.WORKFORCE, ward.trust).email)
    form = {
        "department_id": ward.id,
        "staff_group": "medical",
        "grade": "ST3",
        "date_from": "2026-11-09",
        "date_to": "2026-11-15",
        "start": "08:00",
        "end": "20:00",
        "rate": "90",
    }
    missing_days = auth.post("/workforce/shifts/block", form)
    assert missing_days.status_code == 422
    assert "Choose at least one day of the week" in missing_days.get_data(as_text=True)
    token = csrf_token(client, "/workforce/shifts/block")
    response = client.post(
        "/workforce/shifts/block", data={**form, "weekdays": ["1", "3"], "csrf_token": token}
    )
    assert response.status_code == 302
    assert [s.start_at.day for s in shifts()] == [10, 12]


def test_a_csv_upload_previews_every_row_then_posts_the_good_ones_on_confirm(client, auth):
    ward = DepartmentFactory(cost_centre="CC900")
    auth.login(staff_user(Role.WORKFORCE, ward.trust).email)
    text = (
        "cost_centre,date,start,end,grade,rate\n"
        "CC900,2026-11-10,08:00,20:00,ST3,90\n"
        "CC900,2026-11-10,25:00,20:00,ST3,90\n"
    )
    token = csrf_token(client, "/workforce/shifts/upload")
    preview = client.post(
        "/workforce/shifts/upload",
        data={
            "step": "preview",
            "csrf_token": token,
            "file": (io.BytesIO(text.encode()), "shifts.csv"),
        },
        content_type="multipart/form-data",
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "1 row(s) can be posted; 1 cannot" in page
    assert "start &#39;25:00&#39; is not a time" in page
    assert shifts() == []
    confirm = client.post(
        "/workforce/shifts/upload", data={"step": "confirm", "csv": text, "csrf_token": token}
    )
    assert confirm.status_code == 302
    assert [s.pence_per_hour for s in shifts()] == [9000]


def test_the_shift_page_releases_raises_the_rate_and_cancels(client, auth):
    booking_shift = ShiftFactory()
    trust = booking_shift.trust
    collaborative_bank(trust)
    auth.login(staff_user(Role.WORKFORCE, trust).email)
    page = f"/workforce/shifts/{booking_shift.id}"
    assert "Release now" in client.get(page).get_data(as_text=True)
    auth.post(f"{page}/release", form_page=page)
    auth.post(
        f"{page}/escalate",
        {"rate": "100", "reason": "Unfilled", "authorised_by": "Director"},
        form_page=page,
    )
    shift = shifts()[0]
    assert (shift.tier, shift.pence_per_hour) == (Tier.COLLABORATIVE, 10000)
    refused = auth.post(f"{page}/cancel", {"cancel_reason": ""}, form_page=page)
    assert "Say why" in client.get(refused.location).get_data(as_text=True)
    auth.post(f"{page}/cancel", {"cancel_reason": "Not needed"}, form_page=page)
    assert shifts()[0].status == ShiftStatus.CANCELLED


def test_another_trusts_shift_actions_answer_404(client, auth):
    shift = ShiftFactory()
    auth.login(staff_user(Role.WORKFORCE, TrustFactory()).email)
    token = csrf_token(client, "/workforce/timesheets")
    response = client.post(
        f"/workforce/shifts/{shift.id}/cancel", data={"cancel_reason": "x", "csrf_token": token}
    )
    assert response.status_code == 404
    assert shifts()[0].status == ShiftStatus.OPEN


def test_settings_page_changes_the_bank_and_instant_booking(client, auth):
    bank = BankFactory()
    ward = DepartmentFactory(site__trust=bank.trust)
    worker = WorkerFactory()
    auth.login(staff_user(Role.WORKFORCE, bank.trust).email)
    bad = auth.post(
        "/workforce/settings",
        {"action": "bank", "cancellation_window_hours": "soon", "release_hours_before": ""},
    )
    assert bad.status_code == 422
    auth.post(
        "/workforce/settings",
        {"action": "bank", "cancellation_window_hours": "24", "release_hours_before": ""},
    )
    db.session.expire_all()
    saved = db.session.get(Bank, bank.id)
    assert (saved.cancellation_window_hours, saved.release_hours_before) == (24, None)
    unknown = auth.post(
        "/workforce/settings",
        {"action": "instant", "department_id": ward.id, "who": "listed", "emails": "x@y.z"},
    )
    assert unknown.status_code == 422 and "No worker with email x@y.z" in unknown.get_data(
        as_text=True
    )
    auth.post(
        "/workforce/settings",
        {
            "action": "instant",
            "department_id": ward.id,
            "who": "listed",
            "emails": worker.user.email,
        },
    )
    assert db.session.scalars(sa.select(InstantBookRule.worker_id)).all() == [worker.id]


def test_a_worker_declares_and_removes_a_rota_shift(client, auth):
    worker = WorkerFactory()
    auth.login(worker.user.email)
    bad = auth.post("/my-rota", {"start_date": "2026-11-04", "start_time": "x", "end_time": "y"})
    assert bad.status_code == 422
    auth.post(
        "/my-rota",
        {
            "start_date": "2026-11-04",
            "start_time": "20:00",
            "end_time": "08:00",
            "description": "ICU nights",
        },
    )
    commitment = db.session.scalar(sa.select(DeclaredCommitment))
    assert commitment.end_at - commitment.start_at == timedelta(hours=12)
    assert "ICU nights" in client.get("/my-rota").get_data(as_text=True)
    auth.post("/my-rota", {"action": "delete", "commitment_id": commitment.id})
    assert db.session.scalar(sa.select(sa.func.count(DeclaredCommitment.id))) == 0


def test_my_shifts_links_a_worked_shift_to_its_timesheet(client, auth):
    booking = BookingFactory(
        shift__start_at=NOW - timedelta(days=2), shift__end_at=NOW - timedelta(days=2, hours=-8)
    )
    auth.login(booking.worker.user.email)
    assert "/timesheets" in client.get("/shifts/mine").get_data(as_text=True)


def test_a_finance_lead_exports_payroll_for_their_trust_only(client, auth):
    timesheet = TimesheetFactory(status=TimesheetStatus.PAYMENT_APPROVED)
    trust = timesheet.booking.shift.trust
    other = TimesheetFactory(status=TimesheetStatus.PAYMENT_APPROVED)
    auth.login(staff_user(Role.FINANCE, trust).email)
    assert "Payroll at" in client.get("/workforce/payroll").get_data(as_text=True)
    assert client.get(f"/workforce/payroll?trust={other.trust_id}").status_code == 404
    done = auth.post(
        "/workforce/payroll", {"period_start": "2026-11-01", "period_end": "2026-11-30"}
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Timesheet, timesheet.id).status == TimesheetStatus.WITH_PAYROLL
    assert db.session.get(Timesheet, other.id).status == TimesheetStatus.PAYMENT_APPROVED
