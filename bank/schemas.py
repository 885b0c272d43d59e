"""Bank schemas: input and output of the API and the pages' forms."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.reference import StaffGroup
from bank.models import RateBand


class BankSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    trust_id = fields.Integer(allow_none=True)
    employment_model = fields.String(allow_none=True)
    cancellation_window_hours = fields.Integer()
    release_hours_before = fields.Integer(allow_none=True)
    member_trust_ids = fields.Function(lambda b: [t.id for t in b.member_trusts])


class MembershipSchema(ma.Schema):
    id = fields.Integer()
    bank_id = fields.Integer()
    bank_name = fields.String(attribute="bank.name")
    worker_id = fields.Integer()
    worker_name = fields.String(attribute="worker.name")
    status = fields.String()
    requested_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    decline_reason = fields.String(allow_none=True)


class MembershipDecisionSchema(ma.Schema):
    approve = fields.Boolean(required=True)
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class MembershipQuerySchema(ma.Schema):
    status = fields.String(
        load_default="requested", validate=validate.OneOf(["requested", "approved", "declined"])
    )


class ShiftSchema(ma.Schema):
    id = fields.Integer()
    trust_id = fields.Integer()
    trust_name = fields.String(attribute="trust.name")
    department_id = fields.Integer()
    department_name = fields.String(attribute="department.name")
    site_name = fields.String(attribute="department.site.name")
    specialty = fields.String(attribute="department.specialty")
    staff_group = fields.String()
    grade = fields.String()
    acceptable_grades = fields.List(fields.String())
    required_credentials = fields.List(fields.String())
    start_at = fields.AwareDateTime()
    end_at = fields.AwareDateTime()
    hours = fields.Float()
    band = fields.String()
    pence_per_hour = fields.Integer()
    status = fields.String()
    tier = fields.String()
    urgent = fields.Boolean()
    notes = fields.String(allow_none=True)


class ShiftCreateSchema(ma.Schema):
    department_id = fields.Integer(required=True)
    staff_group = fields.Enum(StaffGroup, by_value=True, required=True)
    grade = fields.String(required=True, validate=validate.Length(min=1, max=20))
    acceptable_grades = fields.List(fields.String(), load_default=list)
    required_credentials = fields.List(fields.String(), load_default=list)
    start_at = fields.AwareDateTime(required=True)
    end_at = fields.AwareDateTime(required=True)
    band = fields.Enum(RateBand, by_value=True, load_default=None)
    pence_per_hour = fields.Integer(load_default=None)
    urgent = fields.Boolean(load_default=False)
    notes = fields.String(load_default=None, validate=validate.Length(max=2000))


class RefusalSchema(ma.Schema):
    code = fields.String()
    message = fields.String()


class VerdictSchema(ma.Schema):
    shift = fields.Nested(ShiftSchema)
    eligible = fields.Boolean()
    instant = fields.Boolean(metadata={"description": "The worker may book it instantly"})
    refusals = fields.List(fields.Nested(RefusalSchema))


class SearchQuerySchema(ma.Schema):
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    trust_id = fields.Integer(load_default=None)
    site_id = fields.Integer(load_default=None)
    specialty = fields.String(load_default=None)
    min_rate = fields.Float(
        load_default=None,
        validate=validate.Range(min=0),
        metadata={"description": "Pounds an hour"},
    )
    eligible_only = fields.Boolean(load_default=False)


class BookingSchema(ma.Schema):
    id = fields.Integer()
    shift_id = fields.Integer()
    shift = fields.Nested(ShiftSchema)
    worker_id = fields.Integer()
    status = fields.String()
    source = fields.String()
    booked_at = fields.AwareDateTime()
    cancelled_at = fields.AwareDateTime(allow_none=True)
    late_cancellation = fields.Boolean()


class ApplicationSchema(ma.Schema):
    id = fields.Integer()
    shift_id = fields.Integer()
    worker_id = fields.Integer()
    worker_name = fields.String(attribute="worker.name")
    status = fields.String()
    applied_at = fields.AwareDateTime()


class AssignSchema(ma.Schema):
    worker_id = fields.Integer(required=True)


class CancelSchema(ma.Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class PlaceSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()


class BankPreferencesSchema(ma.Schema):
    preferred_trusts = fields.List(fields.Nested(PlaceSchema))
    preferred_sites = fields.List(fields.Nested(PlaceSchema))
    max_shifts_per_week = fields.Integer(allow_none=True)
    accept_assignments = fields.Boolean()
    wtr_opted_out = fields.Boolean()


class BankPreferencesUpdateSchema(ma.Schema):
    preferred_trust_ids = fields.List(fields.Integer(), load_default=list)
    preferred_site_ids = fields.List(fields.Integer(), load_default=list)
    max_shifts_per_week = fields.Integer(load_default=None, allow_none=True)
    accept_assignments = fields.Boolean(required=True)
    wtr_opted_out = fields.Boolean(required=True)
