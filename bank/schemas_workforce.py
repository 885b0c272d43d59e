"""Schemas of the workforce team's side of the bank (posting in bulk, release, rates,
cancelling, settings, timesheets and payroll) and of workers' timesheets and declared rota."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from app.reference import StaffGroup
from bank.services.payroll import recharges

HOURS = validate.Range(min=0, max=24 * 14)


class TimesheetCreateSchema(ma.Schema):
    booking_id = fields.Integer(required=True)
    actual_start = fields.AwareDateTime(required=True)
    actual_end = fields.AwareDateTime(required=True)
    break_minutes = fields.Integer(load_default=0)


class TimesheetSchema(ma.Schema):
    id = fields.Integer()
    booking_id = fields.Integer()
    shift_id = fields.Integer(attribute="booking.shift_id")
    worker_id = fields.Integer()
    worker_name = fields.String(attribute="worker.name")
    trust_id = fields.Integer()
    paying_trust_id = fields.Integer(allow_none=True)
    department_name = fields.String(attribute="booking.shift.department.name")
    booked_start = fields.AwareDateTime(attribute="booking.shift.start_at")
    booked_end = fields.AwareDateTime(attribute="booking.shift.end_at")
    actual_start = fields.AwareDateTime()
    actual_end = fields.AwareDateTime()
    break_minutes = fields.Integer()
    worked_minutes = fields.Integer()
    pence_per_hour = fields.Integer(attribute="booking.shift.pence_per_hour")
    amount_pence = fields.Integer()
    status = fields.String()
    submitted_at = fields.AwareDateTime()
    signed_off_at = fields.AwareDateTime(allow_none=True)
    payment_approved_at = fields.AwareDateTime(allow_none=True)
    payroll_batch_id = fields.Integer(allow_none=True)
    query_reason = fields.String(allow_none=True)


class TimesheetQuerySchema(ma.Schema):
    status = fields.String(
        load_default="submitted",
        validate=validate.OneOf(
            ["submitted", "signed_off", "payment_approved", "with_payroll", "queried"]
        ),
    )


class QueryReasonSchema(ma.Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class PayrollExportSchema(ma.Schema):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)


class RechargeSchema(ma.Schema):
    to_trust_id = fields.Integer()
    to_trust_name = fields.String()
    timesheet_count = fields.Integer()
    total_pence = fields.Integer()


class PayrollBatchSchema(ma.Schema):
    id = fields.Integer()
    trust_id = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    created_at = fields.AwareDateTime()
    timesheet_count = fields.Integer()
    total_pence = fields.Integer()
    csv_url = fields.Function(lambda b: f"/api/v1/payroll-batches/{b.id}/csv")
    recharges = fields.Function(lambda b: RechargeSchema(many=True).dump(recharges(b)))


class BlockCreateSchema(ma.Schema):
    department_id = fields.Integer(required=True)
    staff_group = fields.Enum(StaffGroup, by_value=True, required=True)
    grade = fields.String(required=True, validate=validate.Length(min=1, max=20))
    acceptable_grades = fields.List(fields.String(), load_default=list)
    required_credentials = fields.List(fields.String(), load_default=list)
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    weekdays = fields.List(
        fields.Integer(validate=validate.Range(min=0, max=6)),
        required=True,
        metadata={"description": "0 Monday ... 6 Sunday"},
    )
    start = fields.Time(required=True, metadata={"description": "UK local time, HH:MM"})
    end = fields.Time(
        required=True, metadata={"description": "UK local time; at or before start: next day"}
    )
    pence_per_hour = fields.Integer(load_default=None)
    urgent = fields.Boolean(load_default=False)
    notes = fields.String(load_default=None, validate=validate.Length(max=2000))


class ImportQuerySchema(ma.Schema):
    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "Check every row and save nothing"}
    )


class ImportFileSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "A CSV file with a header row"})


class PreviewSchema(ma.Schema):
    department_id = fields.Integer()
    department_name = fields.String()
    start_at = fields.AwareDateTime()
    end_at = fields.AwareDateTime()
    grade = fields.String()
    band = fields.String()
    pence_per_hour = fields.Integer()


class ImportRowSchema(ma.Schema):
    line = fields.Integer(metadata={"description": "Line in the file; the header is line 1"})
    ok = fields.Boolean()
    errors = fields.List(fields.String())
    shift_id = fields.Integer(attribute="shift.id", allow_none=True)
    preview = fields.Nested(PreviewSchema, allow_none=True)


class ImportResultSchema(ma.Schema):
    dry_run = fields.Boolean()
    posted = fields.Integer()
    good_rows = fields.Integer()
    bad_rows = fields.Integer()
    rows = fields.List(fields.Nested(ImportRowSchema))


class EscalationCreateSchema(ma.Schema):
    pence_per_hour = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    authorised_by = fields.String(required=True, validate=validate.Length(min=1, max=200))


class EscalationSchema(ma.Schema):
    id = fields.Integer()
    shift_id = fields.Integer()
    from_pence = fields.Integer()
    to_pence = fields.Integer()
    reason = fields.String()
    authorised_by = fields.String()
    at = fields.AwareDateTime()


class ShiftCancelSchema(ma.Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class InstantBookSchema(ma.Schema):
    department_id = fields.Integer(dump_only=True)
    everyone = fields.Boolean(required=True)
    worker_ids = fields.List(fields.Integer(), load_default=list)


class BankSettingsSchema(ma.Schema):
    bank_id = fields.Integer(dump_only=True, attribute="id")
    cancellation_window_hours = fields.Integer(required=True, validate=HOURS)
    release_hours_before = fields.Integer(
        required=True,
        allow_none=True,
        validate=HOURS,
        metadata={"description": "None: never release automatically"},
    )


class CommitmentCreateSchema(ma.Schema):
    start_at = fields.AwareDateTime(required=True)
    end_at = fields.AwareDateTime(required=True)
    trust_id = fields.Integer(load_default=None)
    description = fields.String(load_default="Substantive rota", validate=validate.Length(max=200))


class CommitmentSchema(ma.Schema):
    id = fields.Integer()
    start_at = fields.AwareDateTime()
    end_at = fields.AwareDateTime()
    trust_id = fields.Integer(allow_none=True)
    description = fields.String()
