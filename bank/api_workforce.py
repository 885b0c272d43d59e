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
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Role, Trust, Worker
from app.tenancy import get_scoped, scope_for
from bank.models import (
    Booking,
    PayrollBatch,
    RateEscalation,
    Shift,
    Timesheet,
    TimesheetStatus,
)
from bank.schemas import ShiftSchema
from bank.schemas_workforce import (
    BankSettingsSchema,
    BlockCreateSchema,
    CommitmentCreateSchema,
    CommitmentSchema,
    EscalationCreateSchema,
    EscalationSchema,
    ImportFileSchema,
    ImportQuerySchema,
    ImportResultSchema,
    InstantBookSchema,
    PayrollBatchSchema,
    PayrollExportSchema,
    QueryReasonSchema,
    ShiftCancelSchema,
    TimesheetCreateSchema,
    TimesheetQuerySchema,
    TimesheetSchema,
)
from bank.services import payroll, posting, settings
from bank.services import release as release_service
from bank.services import timesheets as pay
from bank.services.shifts import visible_shift_for_staff

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
    """Timesheets of shifts at the Trust, or that it pays, in one pay state (default: waiting
    for sign-off)."""
    trust = staff_trust(trust_id, (Role.WORKFORCE, Role.FINANCE))
    return db.session.scalars(
        sa.select(Timesheet)
        .where(
            sa.or_(Timesheet.trust_id == trust.id, Timesheet.paying_trust_id == trust.id),
            Timesheet.status == TimesheetStatus(args["status"]),
        )
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
        batch = payroll.export_payroll(trust, g.user, now=utcnow(), **data)
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
        payroll.payroll_csv(batch),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=payroll-{batch.id}.csv"},
    )


# Posting in bulk ---------------------------------------------------------------------------


@blp.route("/trusts/<int:trust_id>/shift-blocks", methods=["POST"])
@blp.arguments(BlockCreateSchema)
@blp.response(201, ShiftSchema(many=True))
@token_required
def post_block(data: dict, trust_id: int) -> Any:
    """Post the same shift on chosen weekdays between two dates: all of them, or none."""
    trust = staff_trust(trust_id)
    with transaction():
        shifts = posting.post_block(trust, g.user, now=utcnow(), **data)
    return shifts


@blp.route("/trusts/<int:trust_id>/shift-imports", methods=["POST"])
@blp.arguments(ImportQuerySchema, location="query")
@blp.arguments(ImportFileSchema, location="files")
@blp.response(201, ImportResultSchema)
@blp.alt_response(200, schema=ImportResultSchema, description="A dry run: nothing posted")
@token_required
def import_shifts(query: dict, files: dict, trust_id: int) -> Any:
    """Upload a CSV of shifts (columns department, date, start, end, grade; optionally
    staff_group, rate, acceptable_grades, urgent, notes). Every bad row is reported with its
    line; `dry_run=true` posts nothing, otherwise the good rows are posted."""
    trust = staff_trust(trust_id)
    try:
        text = files["file"].read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed.on("file", "Save the file as CSV (UTF-8)") from None
    with transaction():
        result = posting.import_shifts_csv(
            trust, g.user, text, now=utcnow(), dry_run=query["dry_run"]
        )
    return result, 200 if result.dry_run else 201


# Release, rate escalation, cancelling ------------------------------------------------------


def _staff_shift(shift_id: int) -> Shift:
    return visible_shift_for_staff(g.user, shift_id)


@blp.route("/shifts/<int:shift_id>/release", methods=["POST"])
@blp.response(200, ShiftSchema)
@token_required
def release(shift_id: int) -> Any:
    """Release an open own-bank shift to the collaborative bank now."""
    with transaction():
        shift = release_service.release_shift(_staff_shift(shift_id), g.user, now=utcnow())
    return shift


@blp.route("/shifts/<int:shift_id>/rate-escalations", methods=["POST"])
@blp.arguments(EscalationCreateSchema)
@blp.response(201, EscalationSchema)
@token_required
def escalate(data: dict, shift_id: int) -> Any:
    """Raise an open shift's bank rate, with the reason and who authorised it."""
    with transaction():
        escalation = release_service.escalate_rate(
            _staff_shift(shift_id), g.user, now=utcnow(), **data
        )
    return escalation


@blp.route("/shifts/<int:shift_id>/rate-escalations")
@blp.response(200, EscalationSchema(many=True))
@token_required
def escalations(shift_id: int) -> Any:
    """A shift's rate escalations, oldest first."""
    shift = _staff_shift(shift_id)
    return db.session.scalars(
        sa.select(RateEscalation)
        .where(RateEscalation.shift_id == shift.id)
        .order_by(RateEscalation.at)
    ).all()


@blp.route("/shifts/<int:shift_id>/cancel", methods=["POST"])
@blp.arguments(ShiftCancelSchema)
@blp.response(200, ShiftSchema)
@token_required
def cancel_shift(data: dict, shift_id: int) -> Any:
    """Cancel a shift: the booked worker and applicants are told."""
    with transaction():
        shift = release_service.cancel_shift(
            _staff_shift(shift_id), g.user, reason=data["reason"], now=utcnow()
        )
    return shift


# Settings ----------------------------------------------------------------------------------


def _instant_body(department, rules) -> dict:
    everyone, workers = rules
    return {
        "department_id": department.id,
        "everyone": everyone,
        "worker_ids": [w.id for w in workers],
    }


@blp.route("/departments/<int:department_id>/instant-book")
@blp.response(200, InstantBookSchema)
@token_required
def get_instant_book(department_id: int) -> Any:
    """Who may book the department's shifts instantly."""
    department = settings.department_for_staff(department_id, g.user)
    return _instant_body(department, settings.instant_book_rules(department))


@blp.route("/departments/<int:department_id>/instant-book", methods=["PUT"])
@blp.arguments(InstantBookSchema)
@blp.response(200, InstantBookSchema)
@token_required
def put_instant_book(data: dict, department_id: int) -> Any:
    """Let everyone, or the listed workers, book the department's shifts instantly."""
    department = settings.department_for_staff(department_id, g.user)
    with transaction():
        rules = settings.set_instant_book(department, g.user, now=utcnow(), **data)
    return _instant_body(department, rules)


@blp.route("/trusts/<int:trust_id>/bank-settings")
@blp.response(200, BankSettingsSchema)
@token_required
def get_bank_settings(trust_id: int) -> Any:
    """The Trust's own bank settings: cancellation window and automatic release time."""
    return settings.own_bank(staff_trust(trust_id))


@blp.route("/trusts/<int:trust_id>/bank-settings", methods=["PUT"])
@blp.arguments(BankSettingsSchema)
@blp.response(200, BankSettingsSchema)
@token_required
def put_bank_settings(data: dict, trust_id: int) -> Any:
    """Change the Trust's own bank settings."""
    bank = settings.own_bank(staff_trust(trust_id))
    with transaction():
        settings.update_bank_settings(bank, g.user, now=utcnow(), **data)
    return bank


# Declared substantive rota -----------------------------------------------------------------


@blp.route("/me/commitments")
@blp.response(200, CommitmentSchema(many=True))
@token_required
def my_commitments() -> Any:
    """Your declared substantive rota shifts from the last 26 weeks on."""
    from datetime import timedelta

    return settings.commitments_of(own_worker(), since=utcnow() - timedelta(weeks=26))


@blp.route("/me/commitments", methods=["POST"])
@blp.arguments(CommitmentCreateSchema)
@blp.response(201, CommitmentSchema)
@token_required
def declare(data: dict) -> Any:
    """Declare a shift of your substantive rota: the rules count it when you book."""
    with transaction():
        commitment = settings.declare_commitment(own_worker(), g.user, now=utcnow(), **data)
    return commitment


@blp.route("/me/commitments/<int:commitment_id>", methods=["DELETE"])
@blp.response(204)
@token_required
def undeclare(commitment_id: int) -> Any:
    """Remove one of your declared rota shifts."""
    with transaction():
        settings.delete_commitment(own_worker(), g.user, commitment_id, now=utcnow())
    return None
