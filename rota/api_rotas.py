"""Rota JSON API: define a department's rota, solve it, read, edit and publish it.

Solving answers 202 with a solve run to follow (`GET /rota-solve-runs/<id>`); the run goes on in
the background (see `rota.services.launch`). With `ROTA_SOLVE_INLINE` set (tests), it runs
before the answer.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, g
from flask_smorest import Blueprint
from marshmallow import fields, validate

from app.api_support import token_required
from app.db import transaction, utcnow
from app.models import Role, Trust
from app.reference import StaffGroup
from app.tenancy import get_scoped, scope_for
from bank.schemas import ShiftSchema
from rota import services

blp = Blueprint(
    "rota_api",
    __name__,
    url_prefix="/api/v1",
    description="Department rotas: define, solve, review, edit and publish",
)


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


class RotaMemberSchema(ma.Schema):
    id = fields.Integer()
    worker_id = fields.Integer()
    name = fields.String()
    grade = fields.String(attribute="worker.grade")
    grade_group_id = fields.Integer()
    contracted_hours = fields.Function(lambda m: m.contracted_minutes_per_week / 60)
    rule_set = fields.String()
    leave = fields.List(fields.String())


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


class RotaPublishedSchema(ma.Schema):
    rota = fields.Nested(RotaSchema)
    bank_shifts = fields.List(fields.Nested(ShiftSchema))


# Endpoints ------------------------------------------------------------------------------


@blp.route("/trusts/<int:trust_id>/rotas", methods=["POST"])
@blp.arguments(RotaCreateSchema)
@blp.response(201, RotaSchema)
@token_required
def create_rota(data: dict, trust_id: int) -> Any:
    """Define a department's rota: shift types, grade groups, cover, staff, leave, requests."""
    trust = get_scoped(Trust, trust_id, scope_for(g.user, [Role.WORKFORCE]), what="Trust")
    with transaction():
        rota = services.define_rota(trust, g.user, data, now=utcnow())
    return rota


@blp.route("/rotas/<int:rota_id>")
@blp.response(200, RotaReviewSchema)
@token_required
def get_rota(rota_id: int) -> Any:
    """A rota with its roster, broken preferences and their costs, shortfalls and breaches."""
    return services.review(services.rota_for(g.user, rota_id))


@blp.route("/rotas/<int:rota_id>/solve", methods=["POST"])
@blp.arguments(RotaSolveSchema)
@blp.response(202, RotaSolveRunSchema)
@token_required
def solve(data: dict, rota_id: int) -> Any:
    """Start the solver on the rota; follow the run it answers."""
    rota = services.rota_for(g.user, rota_id)
    with transaction():
        run = services.start_solve(rota, g.user, now=utcnow(), **data)
    if current_app.config.get("ROTA_SOLVE_INLINE"):
        return services.run_solve(run.id)
    services.launch(current_app._get_current_object(), run.id)
    return run


@blp.route("/rota-solve-runs/<int:run_id>")
@blp.response(200, RotaSolveRunSchema)
@token_required
def get_run(run_id: int) -> Any:
    """A solve run: its status, progress lines, best cost and best rota so far."""
    return services.run_for(g.user, run_id)


@blp.route("/rotas/<int:rota_id>/edits", methods=["POST"])
@blp.arguments(RotaEditSchema)
@blp.response(200, RotaReviewSchema)
@token_required
def edit(data: dict, rota_id: int) -> Any:
    """Assign, unassign or move a shift by hand; refused (422) if it breaks a hard rule."""
    rota = services.rota_for(g.user, rota_id)
    with transaction():
        result = services.edit_assignment(rota, g.user, now=utcnow(), **data)
    return result


@blp.route("/rotas/<int:rota_id>/publish", methods=["POST"])
@blp.response(200, RotaPublishedSchema)
@token_required
def publish(rota_id: int) -> Any:
    """Publish: staff told in their inbox, unfilled cover posted as bank shifts (409 while a
    hard rule is broken)."""
    rota = services.rota_for(g.user, rota_id)
    with transaction():
        shifts = services.publish_rota(rota, g.user, now=utcnow())
    return {"rota": rota, "bank_shifts": shifts}


# Adding to a draft rota, part by part ----------------------------------------------------


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


class RotaRequestAddSchema(ma.Schema):
    member_id = fields.Integer(required=True)
    on = fields.Date(required=True)
    shift_type_id = fields.Integer(required=True)
    wants = fields.Boolean(required=True)
    weight = fields.Integer(load_default=5, validate=validate.Range(1, 100))


def _add(rota_id: int, service, data: dict) -> Any:
    rota = services.rota_for(g.user, rota_id)
    with transaction():
        service(rota, g.user, now=utcnow(), **data)
    return rota


@blp.route("/rotas/<int:rota_id>/shift-types", methods=["POST"])
@blp.arguments(RotaShiftTypeAddSchema)
@blp.response(201, RotaSchema)
@token_required
def add_shift_type(data: dict, rota_id: int) -> Any:
    """Add a shift type to a draft rota."""
    return _add(rota_id, services.add_shift_type, data)


@blp.route("/rotas/<int:rota_id>/grade-groups", methods=["POST"])
@blp.arguments(RotaGradeGroupAddSchema)
@blp.response(201, RotaSchema)
@token_required
def add_grade_group(data: dict, rota_id: int) -> Any:
    """Add a grade group (optionally supervised by another) to a draft rota."""
    return _add(rota_id, services.add_grade_group, data)


@blp.route("/rotas/<int:rota_id>/covers", methods=["POST"])
@blp.arguments(RotaCoverAddSchema)
@blp.response(201, RotaSchema)
@token_required
def add_cover(data: dict, rota_id: int) -> Any:
    """Add a cover line: people of a grade group a shift type needs."""
    return _add(rota_id, services.add_cover, data)


@blp.route("/rotas/<int:rota_id>/members", methods=["POST"])
@blp.arguments(RotaMemberAddSchema)
@blp.response(201, RotaSchema)
@token_required
def add_member(data: dict, rota_id: int) -> Any:
    """Add a member of the Trust's staff to a draft rota."""
    return _add(rota_id, services.add_member, data)


@blp.route("/rotas/<int:rota_id>/leave", methods=["POST"])
@blp.arguments(RotaLeaveAddSchema)
@blp.response(201, RotaSchema)
@token_required
def add_leave(data: dict, rota_id: int) -> Any:
    """Add a member's leave (days they work none of)."""
    return _add(rota_id, services.add_leave, data)


@blp.route("/rotas/<int:rota_id>/requests", methods=["POST"])
@blp.arguments(RotaRequestAddSchema)
@blp.response(201, RotaSchema)
@token_required
def add_request(data: dict, rota_id: int) -> Any:
    """Add a member's request for or against a shift on a day."""
    return _add(rota_id, services.add_request, data)


@blp.route("/rotas/<int:rota_id>/covers/<int:cover_id>", methods=["DELETE"])
@blp.response(200, RotaSchema)
@token_required
def remove_cover(rota_id: int, cover_id: int) -> Any:
    """Take a cover line off a draft rota."""
    return _add(rota_id, services.remove_cover, {"cover_id": cover_id})


@blp.route("/rotas/<int:rota_id>/members/<int:member_id>", methods=["DELETE"])
@blp.response(200, RotaSchema)
@token_required
def remove_member(rota_id: int, member_id: int) -> Any:
    """Take a member (and their shifts, leave and requests) off a draft rota."""
    return _add(rota_id, services.remove_member, {"member_id": member_id})
