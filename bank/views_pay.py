"""Timesheet and pay pages: the worker's timesheets (submit after a shift, follow the pay
state), the workforce team's timesheets to sign off, query or approve for payment, and the
payroll export."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from app.auth import role_required
from app.db import transaction, utcnow
from app.errors import DomainError, NotFound
from app.extensions import db
from app.forms import domain_errors
from app.models import Role, Worker
from app.tenancy import get_scoped, scope_for
from app.views import trust_for_page
from bank.models import Booking, BookingStatus, PayrollBatch, Shift, Timesheet, TimesheetStatus
from bank.services import payroll as payroll_service
from bank.services import timesheets as pay

blueprint = Blueprint("bank_pay", __name__, template_folder="templates")

#: Menu entries, per role: (role, label, endpoint).
NAVIGATION = [
    (Role.WORKER, "Timesheets", "bank_pay.my_timesheets"),
    (Role.WORKFORCE, "Timesheets", "bank_pay.timesheets"),
    (Role.WORKFORCE, "Payroll", "bank_pay.payroll"),
    (Role.FINANCE, "Payroll", "bank_pay.payroll"),
]
LONDON = ZoneInfo("Europe/London")


def current_worker() -> Worker:
    if g.user.worker is None:
        raise NotFound("Your worker profile has not been set up yet.")
    return g.user.worker


def _local(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, LONDON)


def times_from_form(form, errors: dict) -> tuple[datetime | None, datetime | None]:
    """Start and end from a date and two UK times; an end at or before the start is the next
    day (a night)."""
    try:
        day = date.fromisoformat(form.get("start_date", ""))
    except ValueError:
        errors["start_date"] = ["Enter the date the shift started"]
        return None, None
    try:
        start = _local(day, time.fromisoformat(form.get("start_time", "")))
    except ValueError:
        errors["start_time"] = ["Enter the time you started, like 08:00"]
        return None, None
    try:
        end = _local(day, time.fromisoformat(form.get("end_time", "")))
    except ValueError:
        errors["end_time"] = ["Enter the time you finished, like 20:30"]
        return None, None
    if end <= start:
        end = _local(day + timedelta(days=1), end.timetz().replace(tzinfo=None))
    return start, end


# Worker: timesheets ------------------------------------------------------------------------


@blueprint.route("/timesheets")
@role_required(Role.WORKER)
def my_timesheets() -> Any:
    """The worker's shifts waiting for a timesheet, and their timesheets' pay states."""
    worker, now = current_worker(), utcnow()
    sheets = db.session.scalars(
        sa.select(Timesheet)
        .join(Booking, Timesheet.booking_id == Booking.id)
        .join(Shift, Booking.shift_id == Shift.id)
        .where(Timesheet.worker_id == worker.id)
        .order_by(Shift.start_at.desc())
    ).unique()
    sheets = list(sheets)
    done = {t.booking_id for t in sheets}
    due = [
        b
        for b in db.session.scalars(
            sa.select(Booking)
            .join(Shift)
            .where(
                Booking.worker_id == worker.id,
                Booking.status == BookingStatus.ACTIVE,
                Shift.end_at <= now,
            )
            .order_by(Shift.start_at.desc())
        ).unique()
        if b.id not in done
    ]
    return render_template(
        "bank/workforce/my_timesheets.html", due=due, sheets=sheets, label=pay.label
    )


@blueprint.route("/timesheets/new/<int:booking_id>", methods=["GET", "POST"])
@role_required(Role.WORKER)
def submit_timesheet(booking_id: int) -> Any:
    """Submit (or correct) the timesheet of one worked shift: actual start, end and breaks."""
    worker = current_worker()
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.worker_id != worker.id:
        raise NotFound(f"No booking with id {booking_id} of yours.")
    existing = db.session.scalar(sa.select(Timesheet).where(Timesheet.booking_id == booking.id))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        start, end = times_from_form(request.form, errors)
        breaks = request.form.get("break_minutes", "0").strip() or "0"
        if not breaks.isdigit():
            errors["break_minutes"] = ["Enter the minutes of breaks as a whole number, like 30"]
        if not errors:
            try:
                with transaction():
                    pay.submit_timesheet(
                        worker,
                        booking.id,
                        actor=g.user,
                        actual_start=start,
                        actual_end=end,
                        break_minutes=int(breaks),
                        now=utcnow(),
                    )
                flash("Timesheet submitted. We will tell you when it is signed off.", "success")
                return redirect(url_for("bank_pay.my_timesheets"))
            except DomainError as error:
                errors = domain_errors(error, "start_date")
        form = request.form
    else:
        source = existing or None
        start = source.actual_start if source else booking.shift.start_at
        end = source.actual_end if source else booking.shift.end_at
        form = {
            "start_date": start.astimezone(LONDON).date().isoformat(),
            "start_time": start.astimezone(LONDON).strftime("%H:%M"),
            "end_time": end.astimezone(LONDON).strftime("%H:%M"),
            "break_minutes": str(source.break_minutes) if source else "30",
        }
    return render_template(
        "bank/workforce/submit_timesheet.html",
        booking=booking,
        existing=existing,
        errors=errors,
        form=form,
    ), (422 if errors else 200)


# Workforce: timesheets and payroll ---------------------------------------------------------


@blueprint.route("/workforce/timesheets", methods=["GET", "POST"])
@role_required(Role.WORKFORCE)
def timesheets() -> Any:
    """Timesheets to sign off (or query back), and signed-off ones to approve for payment."""
    trust, trusts = trust_for_page(Role.WORKFORCE)
    if request.method == "POST":
        action = request.form.get("action")
        target = request.form.get("timesheet_id", type=int) or 0
        try:
            with transaction():
                if action == "sign_off":
                    sheet = pay.sign_off(
                        pay.timesheet_for_staff(target, g.user), g.user, now=utcnow()
                    )
                elif action == "query":
                    sheet = pay.query_timesheet(
                        pay.timesheet_for_staff(target, g.user),
                        g.user,
                        reason=request.form.get("reason"),
                        now=utcnow(),
                    )
                elif action == "approve_payment":
                    sheet = pay.approve_payment(
                        pay.timesheet_for_staff(target, g.user, paying=True),
                        g.user,
                        now=utcnow(),
                    )
                else:
                    raise NotFound("Unknown action.")
            flash(f"{sheet.worker.name}: timesheet {pay.label(sheet.status)}.", "success")
        except DomainError as error:
            flash(error.detail, "error")
        return redirect(url_for("bank_pay.timesheets", trust=trust.id))

    def listed(column, status):
        return list(
            db.session.scalars(
                sa.select(Timesheet)
                .where(column == trust.id, Timesheet.status == status)
                .order_by(Timesheet.submitted_at)
                .limit(300)
            ).unique()
        )

    return render_template(
        "bank/workforce/timesheets.html",
        trust=trust,
        trusts=trusts,
        submitted=listed(Timesheet.trust_id, TimesheetStatus.SUBMITTED),
        signed_off=listed(Timesheet.paying_trust_id, TimesheetStatus.SIGNED_OFF),
        queried=listed(Timesheet.trust_id, TimesheetStatus.QUERIED),
    )


@blueprint.route("/workforce/payroll", methods=["GET", "POST"])
@role_required(Role.WORKFORCE, Role.FINANCE)
def payroll() -> Any:
    """Export a period's payment-approved timesheets as a payroll batch; past batches."""
    # The workforce team or the finance lead of the paying Trust (an ICS finance lead: any).
    trust, trusts = trust_for_page(
        Role.WORKFORCE if g.user.has_role(Role.WORKFORCE) else Role.FINANCE
    )
    errors: dict[str, list[str]] = {}
    form = request.form
    if request.method == "POST":
        try:
            start = date.fromisoformat(form.get("period_start", ""))
            end = date.fromisoformat(form.get("period_end", ""))
        except ValueError:
            errors = {"period_start": ["Enter the first and last day of the period"]}
        if not errors:
            try:
                with transaction():
                    batch = payroll_service.export_payroll(
                        trust, g.user, period_start=start, period_end=end, now=utcnow()
                    )
                flash(
                    f"Payroll batch {batch.id}: {batch.timesheet_count} timesheet(s), "
                    f"£{batch.total_pence / 100:,.2f}.",
                    "success",
                )
                return redirect(url_for("bank_pay.payroll", trust=trust.id))
            except DomainError as error:
                errors = domain_errors(error, "period_start")
    batches = db.session.scalars(
        sa.select(PayrollBatch)
        .where(PayrollBatch.trust_id == trust.id)
        .order_by(PayrollBatch.created_at.desc())
        .limit(50)
    ).all()
    return render_template(
        "bank/workforce/payroll.html",
        trust=trust,
        trusts=trusts,
        batches=batches,
        recharges=payroll_service.recharges,
        errors=errors,
        form=form,
    ), (422 if errors else 200)


@blueprint.route("/workforce/payroll/<int:batch_id>.csv")
@role_required(Role.WORKFORCE, Role.FINANCE)
def payroll_csv(batch_id: int) -> Any:
    """Download a payroll batch as CSV."""
    batch = get_scoped(
        PayrollBatch,
        batch_id,
        scope_for(g.user, [Role.WORKFORCE, Role.FINANCE]),
        what="payroll batch",
    )
    return Response(
        payroll_service.payroll_csv(batch),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=payroll-{batch.id}.csv"},
    )
