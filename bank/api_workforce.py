"""JSON API of the workforce team's side of the bank (posting in bulk, release, rate
escalation, cancelling shifts, instant-book and bank settings, timesheets and payroll) and of
workers' timesheets and declared rota. Another Trust's objects answer 404."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, g
from flask_smorest import Blueprint

from app.api_support import token_required
from app.db import transaction, utcnow
from app.errors import NotFound
from app.extensions import db
from app.models import Role, Trust, Worker
from app.tenancy import get_scoped, scope_for
from bank.models import Booking, PayrollBatch, Shift, Timesheet, TimesheetStatus
from bank.schemas_workforce import (
    PayrollBatchSchema,
    PayrollExportSchema,
    QueryReasonSchema,
    TimesheetCreateSchema,
    TimesheetQuerySchema,
    TimesheetSchema,
)
from bank.services import timesheets as pay

blp = Blueprint(
    "bank_workforce_api",
    __name__,
    url_prefix="/api/v1",
    description="Workforce teams: posting in bulk, release, rates, cancelling, settings, "
    "timesheets and payroll; workers: timesheets and declared rota",
)


def own_worker() -> Worker:
    if g.user.worker is None:
        raise NotFound("Your account has no worker profile.")
    return g.user.worker


def staff_trust(trust_id: int, roles=(Role.WORKFORCE,)) -> Trust:
    """A Trust where the user is workforce team (or one of `roles`), else 404."""
    return get_scoped(Trust, trust_id, scope_for(g.user, list(roles)), what="Trust")


# Timesheets --------------------------------------------------------------------------------


@blp.route("/timesheets", methods=["POST"])
@blp.arguments(TimesheetCreateSchema)
@blp.response(201, TimesheetSchema)
@token_required
def submit_timesheet(data: dict) -> Any:
    """Submit the timesheet of a shift you worked (or correct a queried one)."""
    with transaction():
        timesheet = pay.submit_timesheet(
            own_worker(),
            data["booking_id"],
            actor=g.user,
            actual_start=data["actual_start"],
            actual_end=data["actual_end"],
            break_minutes=data["break_minutes"],
            now=utcnow(),
        )
    return timesheet


@blp.route("/me/timesheets")
@blp.response(200, TimesheetSchema(many=True))
@token_required
def my_timesheets() -> Any:
    """Your timesheets and their pay state, newest shift first."""
    return db.session.scalars(
        sa.select(Timesheet)
        .join(Booking, Timesheet.booking_id == Booking.id)
        .join(Shift, Booking.shift_id == Shift.id)
        .where(Timesheet.worker_id == own_worker().id)
        .order_by(Shift.start_at.desc())
    ).unique()


@blp.route("/trusts/<int:trust_id>/timesheets")
@blp.arguments(TimesheetQuerySchema, location="query")
@blp.response(200, TimesheetSchema(many=True))
@token_required
def trust_timesheets(args: dict, trust_id: int) -> Any:
    """Timesheets of shifts at the Trust in one pay state (default: waiting for sign-off)."""
    trust = staff_trust(trust_id, (Role.WORKFORCE, Role.FINANCE))
    status = TimesheetStatus(args["status"])
    column = (
        Timesheet.paying_trust_id
        if status in (TimesheetStatus.PAYMENT_APPROVED, TimesheetStatus.WITH_PAYROLL)
        else Timesheet.trust_id
    )
    return db.session.scalars(
        sa.select(Timesheet)
        .where(column == trust.id, Timesheet.status == status)
        .order_by(Timesheet.submitted_at)
    ).unique()


@blp.route("/timesheets/<int:timesheet_id>/sign-off", methods=["POST"])
@blp.response(200, TimesheetSchema)
@token_required
def sign_off(timesheet_id: int) -> Any:
    """Sign off a submitted timesheet (the workforce team of the shift's Trust)."""
    with transaction():
        timesheet = pay.sign_off(
            pay.timesheet_for_staff(timesheet_id, g.user), g.user, now=utcnow()
        )
    return timesheet


@blp.route("/timesheets/<int:timesheet_id>/query", methods=["POST"])
@blp.arguments(QueryReasonSchema)
@blp.response(200, TimesheetSchema)
@token_required
def query(data: dict, timesheet_id: int) -> Any:
    """Send a timesheet back to the worker with the reason."""
    with transaction():
        timesheet = pay.query_timesheet(
            pay.timesheet_for_staff(timesheet_id, g.user),
            g.user,
            reason=data["reason"],
            now=utcnow(),
        )
    return timesheet


@blp.route("/timesheets/<int:timesheet_id>/approve-payment", methods=["POST"])
@blp.response(200, TimesheetSchema)
@token_required
def approve_payment(timesheet_id: int) -> Any:
    """Approve payment of a signed-off timesheet (workforce or finance of the paying Trust)."""
    with transaction():
        timesheet = pay.approve_payment(
            pay.timesheet_for_staff(
                timesheet_id, g.user, paying=True, roles=(Role.WORKFORCE, Role.FINANCE)
            ),
            g.user,
            now=utcnow(),
        )
    return timesheet


@blp.route("/trusts/<int:trust_id>/payroll-batches", methods=["POST"])
@blp.arguments(PayrollExportSchema)
@blp.response(201, PayrollBatchSchema)
@token_required
def export_payroll(data: dict, trust_id: int) -> Any:
    """Export a period's payment-approved timesheets the Trust pays: they go With payroll."""
    trust = staff_trust(trust_id, (Role.WORKFORCE, Role.FINANCE))
    with transaction():
        batch = pay.export_payroll(trust, g.user, now=utcnow(), **data)
    return batch


@blp.route("/trusts/<int:trust_id>/payroll-batches")
@blp.response(200, PayrollBatchSchema(many=True))
@token_required
def payroll_batches(trust_id: int) -> Any:
    """The Trust's payroll batches, newest first, with the recharges to other Trusts."""
    trust = staff_trust(trust_id, (Role.WORKFORCE, Role.FINANCE))
    return db.session.scalars(
        sa.select(PayrollBatch)
        .where(PayrollBatch.trust_id == trust.id)
        .order_by(PayrollBatch.created_at.desc())
    ).all()


@blp.route("/payroll-batches/<int:batch_id>/csv")
@blp.response(200, content_type="text/csv")
@token_required
def payroll_batch_csv(batch_id: int) -> Any:
    """One payroll batch as CSV."""
    batch = get_scoped(
        PayrollBatch,
        batch_id,
        scope_for(g.user, [Role.WORKFORCE, Role.FINANCE]),
        what="payroll batch",
    )
    return Response(
        pay.payroll_csv(batch),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=payroll-{batch.id}.csv"},
    )
