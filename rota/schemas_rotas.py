"""Rota API schemas: what the API takes and gives (separate input and output schemas)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.reference import StaffGroup
from bank.schemas import ShiftSchema

# Input ----------------------------------------------------------------------------------


class RotaShiftTypeInSchema(ma.Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=10))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    starts_at = fields.Time(required=True, metadata={"description": "UK local time, HH:MM"})
    minutes = fields.Integer(required=True, metadata={"description": "Paid length"})


class RotaGradeGroupInSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    staff_group = fields.Enum(StaffGroup, by_value=True, load_default=StaffGroup.MEDICAL)
    grades = fields.List(fields.String(), required=True)
    supervised_by = fields.String(
        load_default=None,
        metadata={"description": "Name of the group that must be on every shift this one works"},
    )


class RotaCoverInSchema(ma.Schema):
    shift_type = fields.String(required=True, metadata={"description": "Shift type code"})
    grade_group = fields.String(required=True, metadata={"description": "Grade group name"})
    required = fields.Integer(required=True)
    weekday = fields.Integer(
        load_default=None,
        validate=validate.Range(0, 6),
        metadata={"description": "0 Monday to 6 Sunday; none: every other day"},
    )
    under_weight = fields.Integer(load_default=100, validate=validate.Range(min=0))
    over_weight = fields.Integer(load_default=10, validate=validate.Range(min=0))


class RotaLeaveInSchema(ma.Schema):
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)


class RotaRequestInSchema(ma.Schema):
    on = fields.Date(required=True)
    shift_type = fields.String(required=True)
    wants = fields.Boolean(required=True, metadata={"description": "True: asks for it"})
    weight = fields.Integer(load_default=5, validate=validate.Range(1, 100))


class RotaMemberInSchema(ma.Schema):
    worker_id = fields.Integer(required=True)
    grade_group = fields.String(required=True)
    contracted_hours = fields.Float(required=True, metadata={"description": "Hours a week"})
    leave = fields.List(fields.Nested(RotaLeaveInSchema), load_default=list)
    requests = fields.List(fields.Nested(RotaRequestInSchema), load_default=list)


class RotaCreateSchema(ma.Schema):
    department_id = fields.Integer(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_on = fields.Date(required=True, metadata={"description": "A Monday"})
    weeks = fields.Integer(required=True)
    shift_types = fields.List(fields.Nested(RotaShiftTypeInSchema), load_default=list)
    grade_groups = fields.List(fields.Nested(RotaGradeGroupInSchema), load_default=list)
    covers = fields.List(fields.Nested(RotaCoverInSchema), load_default=list)
    members = fields.List(fields.Nested(RotaMemberInSchema), load_default=list)


class RotaSolveSchema(ma.Schema):
    time_limit = fields.Integer(load_default=30, metadata={"description": "Seconds, 1 to 300"})
    seed = fields.Integer(load_default=0)


class RotaEditSchema(ma.Schema):
    member_id = fields.Integer(required=True)
    on = fields.Date(required=True)
    shift_type_id = fields.Integer(
        load_default=None, metadata={"description": "None: unassign (or move the source's)"}
    )
    from_member_id = fields.Integer(load_default=None)
    from_on = fields.Date(load_default=None)


# Output ---------------------------------------------------------------------------------


class RotaShiftTypeSchema(ma.Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    starts_at = fields.Time()
    minutes = fields.Integer()


class RotaGradeGroupSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    staff_group = fields.String()
    grades = fields.List(fields.String())
    supervised_by_id = fields.Integer(allow_none=True)


class RotaCoverSchema(ma.Schema):
    id = fields.Integer()
    shift_type_id = fields.Integer()
    grade_group_id = fields.Integer()
    weekday = fields.Integer(allow_none=True)
    required = fields.Integer()
    under_weight = fields.Integer()
    over_weight = fields.Integer()


class RotaRequestSchema(ma.Schema):
    id = fields.Integer()
    on = fields.Date()
    shift_type_id = fields.Integer()
    wants = fields.Boolean()
    weight = fields.Integer()


class RotaMemberSchema(ma.Schema):
    id = fields.Integer()
    worker_id = fields.Integer()
    name = fields.String()
    grade = fields.String(attribute="worker.grade")
    grade_group_id = fields.Integer()
    contracted_hours = fields.Function(lambda m: m.contracted_minutes_per_week / 60)
    rule_set = fields.String()
    leave = fields.List(fields.String())
    requests = fields.List(fields.Nested(RotaRequestSchema))


class RotaAssignmentSchema(ma.Schema):
    member_id = fields.Integer()
    on = fields.Date()
    shift_type_id = fields.Integer()


class RotaPenaltySchema(ma.Schema):
    kind = fields.String(
        metadata={"description": "cover_under, cover_over, shift_on_request, shift_off_request"}
    )
    on = fields.Date()
    shift_type = fields.String()
    grade_group = fields.String()
    member = fields.String(allow_none=True)
    amount = fields.Integer()
    cost = fields.Integer()


class RotaShortfallSchema(ma.Schema):
    on = fields.Date()
    shift_type_id = fields.Integer()
    shift_type = fields.String()
    grade_group_id = fields.Integer()
    grade_group = fields.String()
    short = fields.Integer()
    grade = fields.String(metadata={"description": "Grade the bank shift is posted at"})
    band = fields.String()
    pence_per_hour = fields.Integer(
        allow_none=True, metadata={"description": "From the rate card; none: no rate, say so"}
    )


class RotaBreachSchema(ma.Schema):
    rule = fields.String()
    message = fields.String()
    day = fields.Integer()
    member_id = fields.Integer(allow_none=True)


class RotaSchema(ma.Schema):
    id = fields.Integer()
    trust_id = fields.Integer()
    department_id = fields.Integer()
    name = fields.String()
    starts_on = fields.Date()
    weeks = fields.Integer()
    status = fields.String()
    published_at = fields.AwareDateTime(allow_none=True)
    posted_shift_ids = fields.List(fields.Integer())
    shift_types = fields.List(fields.Nested(RotaShiftTypeSchema))
    grade_groups = fields.List(fields.Nested(RotaGradeGroupSchema))
    covers = fields.List(fields.Nested(RotaCoverSchema))
    members = fields.List(fields.Nested(RotaMemberSchema))
    assignments = fields.List(fields.Nested(RotaAssignmentSchema))


class RotaSummarySchema(ma.Schema):
    id = fields.Integer()
    department_id = fields.Integer()
    department_name = fields.String(attribute="department.name")
    name = fields.String()
    starts_on = fields.Date()
    weeks = fields.Integer()
    status = fields.String()
    published_at = fields.AwareDateTime(allow_none=True)


class RotaReviewSchema(ma.Schema):
    rota = fields.Nested(RotaSchema)
    objective = fields.Integer(metadata={"description": "Total cost of the penalties"})
    publishable = fields.Boolean()
    penalties = fields.List(fields.Nested(RotaPenaltySchema))
    shortfalls = fields.List(fields.Nested(RotaShortfallSchema))
    breaches = fields.List(fields.Nested(RotaBreachSchema))


class RotaSolveRunSchema(ma.Schema):
    id = fields.Integer()
    rota_id = fields.Integer()
    status = fields.String()
    time_limit = fields.Integer()
    seed = fields.Integer()
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    progress = fields.List(fields.String())
    solver_status = fields.String(allow_none=True)
    best_objective = fields.Integer(allow_none=True)
    bound = fields.Integer(allow_none=True)
    roster = fields.Dict(
        allow_none=True,
        metadata={"description": "Best rota so far: member id to a shift type id per day"},
    )
    error = fields.String(allow_none=True)


class RotaSolveRunSummarySchema(ma.Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    solver_status = fields.String(
        allow_none=True, metadata={"description": "OPTIMAL, FEASIBLE, INFEASIBLE or UNKNOWN"}
    )
    objective = fields.Integer(
        attribute="best_objective",
        allow_none=True,
        metadata={"description": "Cost of the best rota found (lower is better)"},
    )
    bound = fields.Integer(
        allow_none=True, metadata={"description": "No rota costs less than this (proved)"}
    )
    time_limit = fields.Integer()
    seconds = fields.Float(
        allow_none=True, metadata={"description": "How long it ran; none until it ends"}
    )
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    error = fields.String(allow_none=True)


class RotaPublishedSchema(ma.Schema):
    rota = fields.Nested(RotaSchema)
    bank_shifts = fields.List(fields.Nested(ShiftSchema))


# Adding to a draft rota, part by part -------------------------------------------------


class RotaShiftTypeAddSchema(RotaShiftTypeInSchema):
    pass


class RotaGradeGroupAddSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    staff_group = fields.Enum(StaffGroup, by_value=True, load_default=StaffGroup.MEDICAL)
    grades = fields.List(fields.String(), required=True)
    supervised_by_id = fields.Integer(load_default=None)


class RotaCoverAddSchema(ma.Schema):
    shift_type_id = fields.Integer(required=True)
    grade_group_id = fields.Integer(required=True)
    required = fields.Integer(required=True)
    weekday = fields.Integer(load_default=None, validate=validate.Range(0, 6))
    under_weight = fields.Integer(load_default=100, validate=validate.Range(min=0))
    over_weight = fields.Integer(load_default=10, validate=validate.Range(min=0))


class RotaMemberAddSchema(ma.Schema):
    worker_id = fields.Integer(required=True)
    grade_group_id = fields.Integer(required=True)
    contracted_hours = fields.Float(required=True)


class RotaLeaveAddSchema(RotaLeaveInSchema):
    member_id = fields.Integer(required=True)


class RotaLeaveRemoveSchema(ma.Schema):
    first_day = fields.Date(required=True)
    last_day = fields.Date(load_default=None, metadata={"description": "None: the first day only"})


class RotaRequestAddSchema(ma.Schema):
    member_id = fields.Integer(required=True)
    on = fields.Date(required=True)
    shift_type_id = fields.Integer(required=True)
    wants = fields.Boolean(required=True)
    weight = fields.Integer(load_default=5, validate=validate.Range(1, 100))
