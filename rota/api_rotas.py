"""Rota JSON API: define a department's rota, solve it, read, edit and publish it.

Solving answers 202 with a solve run to follow (`GET /rota-solve-runs/<id>`); the run goes on in
the background: a thread of the web process with `SOLVES_IN_WEB`, otherwise the scheduler's
`rota.run_queued_solves` job (see `rota.services.runs`). With `ROTA_SOLVE_INLINE` set (tests),
it runs before the answer.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g
from flask_smorest import Blueprint

from app.api_support import token_required
from app.db import transaction, utcnow
from app.extensions import db
from app.models import Role, Trust
from app.tenancy import get_scoped, scope_for
from rota import services
from rota.models import Rota, RotaSolveRun
from rota.schemas_rotas import (
    RotaCoverAddSchema,
    RotaCreateSchema,
    RotaEditSchema,
    RotaGradeGroupAddSchema,
    RotaLeaveAddSchema,
    RotaLeaveRemoveSchema,
    RotaMemberAddSchema,
    RotaPublishedSchema,
    RotaRequestAddSchema,
    RotaReviewSchema,
    RotaSchema,
    RotaShiftTypeAddSchema,
    RotaSolveRunSchema,
    RotaSolveRunSummarySchema,
    RotaSolveSchema,
    RotaSummarySchema,
)
from rota.services import runs

blp = Blueprint(
    "rota_api",
    __name__,
    url_prefix="/api/v1",
    description="Department rotas: define, solve, review, edit and publish",
)


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


@blp.route("/trusts/<int:trust_id>/rotas")
@blp.response(200, RotaSummarySchema(many=True))
@token_required
def list_rotas(trust_id: int) -> Any:
    """The Trust's rotas, latest first."""
    trust = get_scoped(Trust, trust_id, services.rota_scope(g.user), what="Trust")
    return db.session.scalars(
        sa.select(Rota).where(Rota.trust_id == trust.id).order_by(Rota.starts_on.desc(), Rota.id)
    ).all()


@blp.route("/rotas/<int:rota_id>")
@blp.response(200, RotaReviewSchema)
@token_required
def get_rota(rota_id: int) -> Any:
    """A rota with its roster, broken preferences and their costs, shortfalls and breaches."""
    return services.review(services.rota_for(g.user, rota_id))


@blp.route("/rotas/<int:rota_id>", methods=["DELETE"])
@blp.response(204)
@token_required
def delete_rota(rota_id: int) -> Any:
    """Delete a draft rota with everything defined on it (409 once published)."""
    rota = services.rota_for(g.user, rota_id)
    with transaction():
        services.delete_rota(rota, g.user, now=utcnow())
    return None


@blp.route("/rotas/<int:rota_id>/solve", methods=["POST"])
@blp.arguments(RotaSolveSchema)
@blp.response(202, RotaSolveRunSchema)
@token_required
def solve(data: dict, rota_id: int) -> Any:
    """Start the solver on the rota; follow the run it answers."""
    rota = services.rota_for(g.user, rota_id)
    with transaction():
        run = services.start_solve(rota, g.user, now=utcnow(), **data)
    runs.start(RotaSolveRun, services.run_solve, run.id, "rota-solve")
    return run


@blp.route("/rotas/<int:rota_id>/solve-runs")
@blp.response(200, RotaSolveRunSummarySchema(many=True))
@token_required
def list_runs(rota_id: int) -> Any:
    """The rota's solve runs, newest first: status, best cost, bound and time taken."""
    return services.solve_runs(services.rota_for(g.user, rota_id))


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


# Adding parts to a draft rota, and taking them off ------------------------------------------


def _change_draft(rota_id: int, service, data: dict) -> Any:
    """One change to a draft rota of the user's Trust (404 otherwise), in one transaction."""
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
    return _change_draft(rota_id, services.add_shift_type, data)


@blp.route("/rotas/<int:rota_id>/grade-groups", methods=["POST"])
@blp.arguments(RotaGradeGroupAddSchema)
@blp.response(201, RotaSchema)
@token_required
def add_grade_group(data: dict, rota_id: int) -> Any:
    """Add a grade group (optionally supervised by another) to a draft rota."""
    return _change_draft(rota_id, services.add_grade_group, data)


@blp.route("/rotas/<int:rota_id>/covers", methods=["POST"])
@blp.arguments(RotaCoverAddSchema)
@blp.response(201, RotaSchema)
@token_required
def add_cover(data: dict, rota_id: int) -> Any:
    """Add a cover line: people of a grade group a shift type needs."""
    return _change_draft(rota_id, services.add_cover, data)


@blp.route("/rotas/<int:rota_id>/members", methods=["POST"])
@blp.arguments(RotaMemberAddSchema)
@blp.response(201, RotaSchema)
@token_required
def add_member(data: dict, rota_id: int) -> Any:
    """Add a member of the Trust's staff to a draft rota."""
    return _change_draft(rota_id, services.add_member, data)


@blp.route("/rotas/<int:rota_id>/leave", methods=["POST"])
@blp.arguments(RotaLeaveAddSchema)
@blp.response(201, RotaSchema)
@token_required
def add_leave(data: dict, rota_id: int) -> Any:
    """Add a member's leave (days they work none of)."""
    return _change_draft(rota_id, services.add_leave, data)


@blp.route("/rotas/<int:rota_id>/requests", methods=["POST"])
@blp.arguments(RotaRequestAddSchema)
@blp.response(201, RotaSchema)
@token_required
def add_request(data: dict, rota_id: int) -> Any:
    """Add a member's request for or against a shift on a day."""
    return _change_draft(rota_id, services.add_request, data)


@blp.route("/rotas/<int:rota_id>/covers/<int:cover_id>", methods=["DELETE"])
@blp.response(200, RotaSchema)
@token_required
def remove_cover(rota_id: int, cover_id: int) -> Any:
    """Take a cover line off a draft rota."""
    return _change_draft(rota_id, services.remove_cover, {"cover_id": cover_id})


@blp.route("/rotas/<int:rota_id>/members/<int:member_id>", methods=["DELETE"])
@blp.response(200, RotaSchema)
@token_required
def remove_member(rota_id: int, member_id: int) -> Any:
    """Take a member (and their shifts, leave and requests) off a draft rota."""
    return _change_draft(rota_id, services.remove_member, {"member_id": member_id})


@blp.route("/rotas/<int:rota_id>/shift-types/<int:shift_type_id>", methods=["DELETE"])
@blp.response(200, RotaSchema)
@token_required
def remove_shift_type(rota_id: int, shift_type_id: int) -> Any:
    """Take a shift type off a draft rota, with its cover, the requests naming it and its
    shifts on the rota."""
    return _change_draft(rota_id, services.remove_shift_type, {"shift_type_id": shift_type_id})


@blp.route("/rotas/<int:rota_id>/grade-groups/<int:grade_group_id>", methods=["DELETE"])
@blp.response(200, RotaSchema)
@token_required
def remove_grade_group(rota_id: int, grade_group_id: int) -> Any:
    """Take a grade group and its cover off a draft rota (422 while staff are in it or
    another group needs it on the same shift)."""
    return _change_draft(rota_id, services.remove_grade_group, {"grade_group_id": grade_group_id})


@blp.route("/rotas/<int:rota_id>/members/<int:member_id>/leave", methods=["DELETE"])
@blp.arguments(RotaLeaveRemoveSchema, location="query")
@blp.response(200, RotaSchema)
@token_required
def remove_leave(data: dict, rota_id: int, member_id: int) -> Any:
    """Take days of leave off a member of a draft rota."""
    return _change_draft(rota_id, services.remove_leave, {"member_id": member_id, **data})


@blp.route("/rotas/<int:rota_id>/requests/<int:request_id>", methods=["DELETE"])
@blp.response(200, RotaSchema)
@token_required
def remove_request(rota_id: int, request_id: int) -> Any:
    """Take a member's request for or against a shift off a draft rota."""
    return _change_draft(rota_id, services.remove_request, {"request_id": request_id})
