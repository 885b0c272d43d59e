"""Gap-filling JSON API: start a run over open bank shifts, read its proposals and the reasons
shifts stay open, and apply it.

Starting answers 202 with the run to follow (`GET /gap-fill-runs/<id>`): it solves in the
background (`rota.services.runs.start`: a thread of the web process with `SOLVES_IN_WEB`,
otherwise the scheduler's `rota.run_queued_solves` job), or before the answer with
`ROTA_SOLVE_INLINE` set (tests). A workforce team runs its own Trust; an ICS administrator may
leave `trust_id` out to run every Trust of the collaborative bank.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import g
from flask_smorest import Blueprint
from marshmallow import fields, validate

from app.api_support import token_required
from app.db import transaction, utcnow
from rota import gapfill_service as service
from rota.models_gapfill import GapFillKind, GapFillOutcome, GapFillRun, GapFillStatus
from rota.services import runs

LONDON = ZoneInfo("Europe/London")

blp = Blueprint(
    "gapfill_api",
    __name__,
    url_prefix="/api/v1",
    description="The gap filler: propose bank workers for open shifts across the ICS",
)


class GapFillRunCreateSchema(ma.Schema):
    trust_id = fields.Integer(
        load_default=None,
        metadata={"description": "Your Trust; ICS administrators may leave it out for all"},
    )
    date_from = fields.Date(required=True, metadata={"description": "First day (UK dates)"})
    date_to = fields.Date(required=True, metadata={"description": "Last day, included"})
    time_limit = fields.Integer(
        load_default=20,
        validate=validate.Range(1, service.MAX_TIME_LIMIT),
        metadata={
            "description": "Seconds the whole run may take: loading the shifts and workers "
            "counts, and the solver has what is left (never under 5 s unless the limit is)"
        },
    )


class GapFillItemSchema(ma.Schema):
    id = fields.Integer()
    shift_id = fields.Integer()
    trust_id = fields.Integer()
    department = fields.Function(lambda item: item.shift.department.name)
    start_at = fields.Function(lambda item: item.shift.start_at.isoformat())
    end_at = fields.Function(lambda item: item.shift.end_at.isoformat())
    urgent = fields.Function(lambda item: item.shift.urgent)
    worker_id = fields.Integer(allow_none=True)
    worker_name = fields.Function(lambda item: item.worker.name if item.worker else None)
    kind = fields.Enum(GapFillKind, by_value=True)
    cost_pence = fields.Integer()
    reason_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    outcome = fields.Enum(GapFillOutcome, by_value=True)
    outcome_detail = fields.String(allow_none=True)
    offer_status = fields.Function(
        lambda item: item.offer.status.value if item.offer else None,
        metadata={
            "description": "An offer's answer: pending, accepted, declined, expired or withdrawn"
        },
    )


class GapFillRunSchema(ma.Schema):
    id = fields.Integer()
    trust_id = fields.Integer(allow_none=True)
    date_from = fields.DateTime()
    date_to = fields.DateTime()
    status = fields.Enum(GapFillStatus, by_value=True)
    time_limit = fields.Integer()
    solver_status = fields.String(allow_none=True)
    open_shifts = fields.Integer()
    filled = fields.Integer()
    upper_bound = fields.Integer(
        metadata={"description": "Most shifts any proposal could fill (a matching ignoring rules)"}
    )
    objective = fields.Integer(allow_none=True)
    best_bound = fields.Float(allow_none=True)
    seconds = fields.Float(allow_none=True, metadata={"description": "The solver's share"})
    run_seconds = fields.Float(
        allow_none=True,
        metadata={"description": "The whole run: loading, solving, writing the proposals"},
    )
    penalties = fields.Dict(keys=fields.String(), values=fields.Integer())
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    applied_at = fields.DateTime(allow_none=True)


class GapFillRunDetailSchema(GapFillRunSchema):
    proposals = fields.Method("_proposals")
    left_open = fields.Method("_left_open")

    def _proposals(self, run) -> list[dict[str, Any]]:
        items = [i for i in run.items if i.kind != GapFillKind.OPEN]
        return GapFillItemSchema(many=True).dump(items)

    def _left_open(self, run) -> list[dict[str, Any]]:
        items = [i for i in run.items if i.kind == GapFillKind.OPEN]
        return GapFillItemSchema(many=True).dump(items)


def _day(value, days: int = 0) -> datetime:
    return datetime.combine(value + timedelta(days=days), time(0), tzinfo=LONDON)


def start(data: dict[str, Any]):
    """Create a run in one transaction, then solve it out of the request."""
    with transaction():
        run = service.start_run(
            g.user,
            trust_id=data["trust_id"],
            date_from=_day(data["date_from"]),
            date_to=_day(data["date_to"], 1),
            time_limit=data["time_limit"],
            now=utcnow(),
        )
    runs.start(GapFillRun, service.solve_run, run.id, "gapfill")
    return run


@blp.route("/gap-fill-runs", methods=["POST"])
@blp.arguments(GapFillRunCreateSchema)
@blp.response(202, GapFillRunSchema)
@token_required
def create_run(data: dict[str, Any]) -> Any:
    """Start the gap filler over the open shifts of your Trust (or, ICS administrators, all)."""
    return start(data)


@blp.route("/gap-fill-runs")
@blp.response(200, GapFillRunSchema(many=True))
@token_required
def list_runs() -> Any:
    """Recent gap-filling runs you may see, newest first."""
    return service.runs_for(g.user)


@blp.route("/gap-fill-runs/<int:run_id>")
@blp.response(200, GapFillRunDetailSchema)
@token_required
def get_run(run_id: int) -> Any:
    """A run: its status, the proposals (with each offer's answer: one whose time has passed,
    expired), and every shift left open with the reason."""
    with transaction():
        return service.run_with_offers(g.user, run_id, now=utcnow())


@blp.route("/gap-fill-runs/<int:run_id>/apply", methods=["POST"])
@blp.response(200, GapFillRunDetailSchema)
@token_required
def apply_run(run_id: int) -> Any:
    """Apply a solved run: book workers who accept assignments, offer the rest the shift."""
    with transaction():
        run = service.apply_run(service.run_for(g.user, run_id), g.user, now=utcnow())
    return run
